"""The generators: v1 bytes pinned, per-channel determinism, and the statistics they promise."""

import hashlib

import numpy as np
import pytest
from families.signals.helpers import spec

from synthbank import seeding
from synthbank.families.signals.generate import channel_block
from synthbank.families.signals.metrics import Accumulator, fit_slope

#: sha256 of the little-endian float32 bytes of v1 outputs (channel-major). v1 is frozen:
#: if one of these changes, the change belongs in a new generator version, not in v1.
V1_PINS = {
    ("sine_wave", 8, 250, 2.0): "c8998a72104ee2b3ec32a9ef319d9ba3ea84bc7694ab498926f9259012de2636",
    ("pink_noise", 8, 160, 2.5): "f6f9d5b02abb361aed86e879ae49feff9b61e1e5fdd846a3f3bfcfdfd4dce228",
    ("pink_noise", 3, 100, 1.01): "d9f861e7421a9da64606b172e2041b05c506af6dc910e2efb1a339cc6628e690",
}
PIN_PARAMS = {
    ("sine_wave", 8, 250, 2.0): ("pin_sine", {"frequency_hz": 7.5, "amplitude_uv_peak": 60.0}),
    ("pink_noise", 8, 160, 2.5): ("pin_pink", {"amplitude_uv_rms": 100.0}),
    ("pink_noise", 3, 100, 1.01): ("pin_pink_odd", {}),
}


def sha(x):
    return hashlib.sha256(np.ascontiguousarray(x, dtype="<f4").tobytes()).hexdigest()


@pytest.mark.parametrize("key", sorted(V1_PINS))
def test_v1_bytes_never_change(key):
    kind, channels, rate, duration = key
    name, extra = PIN_PARAMS[key]
    s = spec(name, "v1", channels, rate, signal_type=kind, duration_s=duration, **extra)
    assert sha(channel_block(s, 0, channels)) == V1_PINS[key]


#: v2 is frozen too once released: its own types with both artifacts (NaN bytes included).
V2_PINS = {
    ("pin_white", 200, "white_noise", (("amplitude_uv_rms", 30.0), ("nan_rate", 0.05))):
        "f3224b33922e22a7235b9f7477836391a2be6644f837c8741640e6629ee759d7",
    ("pin_chirp", 250, "chirp", (("chirp_start_hz", 2.0), ("chirp_end_hz", 60.0), ("dc_offset_uv", -12.5), ("nan_rate", 0.02))):
        "7d7bebd5255afc401484cd7f49900f44fd43511836ad880c46c7f8275458ef4d",
}


@pytest.mark.parametrize("key", sorted(V2_PINS), ids=lambda k: k[0])
def test_v2_bytes_never_change(key):
    name, rate, kind, extra = key
    s = spec(name, "v2", 8, rate, signal_type=kind, duration_s=2.0, **dict(extra))
    x = channel_block(s, 0, 8)
    assert np.isnan(x).any()  # the NaN positions are pinned as well
    assert sha(x) == V2_PINS[key]


@pytest.mark.parametrize("kind", ["sine_wave", "pink_noise"])
def test_v2_equals_v1_without_artifacts(kind):
    a = channel_block(spec("same", "v1", 4, 200, signal_type=kind, duration_s=1), 0, 4)
    b = channel_block(spec("same", "v2", 4, 200, signal_type=kind, duration_s=1), 0, 4)
    assert np.array_equal(a, b)


#: v3 (portable numerics) is frozen once released; its bytes are the same on every CPU.
V3_PINS = {
    ("pin_pink3", 160, "pink_noise", (("amplitude_uv_rms", 100.0),), 2.5):
        "9b9326a595c37bb1b6539fac9a285c6b080d00a64f062704ee7dfd7facdaece4",
    ("pin_white3", 200, "white_noise", (("amplitude_uv_rms", 30.0), ("nan_rate", 0.05)), 2.0):
        "a68050c9f9a8285a6683efa6fff78397ca358f6dcb17da57f94422f3df09a8ee",
    ("pin_chirp3", 250, "chirp", (("amplitude_uv_peak", 80.0), ("chirp_start_hz", 2.0), ("chirp_end_hz", 60.0),
                                  ("dc_offset_uv", -12.5)), 2.0):
        "73751dc51c1687dc0a98f33277c8cd46fd81b67fb099d184a7a6615b6128330a",
}


@pytest.mark.parametrize("key", sorted(V3_PINS), ids=lambda k: k[0])
def test_v3_bytes_never_change(key):
    name, rate, kind, extra, duration = key
    s = spec(name, "v3", 8, rate, signal_type=kind, duration_s=duration, **dict(extra))
    assert sha(channel_block(s, 0, 8)) == V3_PINS[key]


@pytest.mark.parametrize("kind", ["sine_wave", "chirp", "white_noise", "pink_noise"])
def test_v3_is_v2_with_portable_numerics(kind):
    """Same draws and formulas: sine and chirp agree to a float32 rounding, white noise
    differs only at numpy's ziggurat tail draws (|z| >= 3.654, redrawn portably), and pink
    noise only through the spectra holding such a draw."""
    extra = {"sine_wave": {"frequency_hz": 7.5}, "chirp": {"chirp_start_hz": 2.0, "chirp_end_hz": 60.0}}.get(kind, {})
    a = channel_block(spec("cmp", "v2", 16, 250, signal_type=kind, duration_s=20.0, **extra), 0, 16)
    b = channel_block(spec("cmp", "v3", 16, 250, signal_type=kind, duration_s=20.0, **extra), 0, 16)
    scale = np.abs(a).max()
    if kind in ("sine_wave", "chirp"):
        assert np.abs(a.astype(np.float64) - b).max() <= scale * 2.0**-23
    elif kind == "white_noise":
        moved = a != b
        assert moved.sum() > 0 and np.all(np.abs(a[moved]) >= 3.65 * 20.0 * (1 - 1e-6))  # the default rms is 20
        assert np.all(np.abs(b[moved]) >= 3.65 * 20.0 * (1 - 1e-6))
        assert moved.mean() < 5 * 2.58e-4  # the tail's share of draws
    else:
        rms = np.sqrt((a.astype(np.float64) ** 2).mean())
        assert np.sqrt(((a.astype(np.float64) - b) ** 2).mean()) < 0.05 * rms


@pytest.mark.parametrize("kind", ["sine_wave", "pink_noise", "white_noise", "chirp"])
def test_channel_depends_only_on_seed_name_and_index(kind):
    extra = {"nan_rate": 0.05, "dc_offset_uv": 3.0}
    small = spec("ds", "v2", 64, 100, signal_type=kind, duration_s=2, **extra)
    large = spec("ds", "v2", 4096, 100, signal_type=kind, duration_s=2, **extra)
    whole = channel_block(small, 0, 64)
    assert np.array_equal(whole.view(np.uint32), channel_block(large, 0, 64).view(np.uint32))
    assert np.array_equal(whole[17:40].view(np.uint32), channel_block(large, 17, 40).view(np.uint32))
    assert np.array_equal(whole[63:].view(np.uint32), channel_block(large, 63, 64).view(np.uint32))
    assert not np.array_equal(whole[:1], channel_block(spec("other", "v2", 64, 100, signal_type=kind, duration_s=2, **extra), 0, 1))
    reseeded = spec("ds", "v2", 64, 100, signal_type=kind, duration_s=2, seed=43, **extra)
    assert not np.array_equal(whole[:1], channel_block(reseeded, 0, 1))


def periodogram(x, rate):
    x = x - x.mean(axis=1, keepdims=True)
    p = (np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(axis=0)
    return np.fft.rfftfreq(x.shape[1], 1 / rate), p


def test_pink_noise_has_a_one_over_f_spectrum_exact_rms_and_uncorrelated_channels():
    s = spec("pink", "v1", 256, 160, duration_s=60, amplitude_uv_rms=75.0)
    x = channel_block(s, 0, 256)
    assert x.dtype == np.float32 and x.shape == (256, 9600)
    freqs, p = periodogram(x.astype(np.float64), 160)
    band = (0.5, 40.0)  # the stated band: 0.5 to 40 Hz
    assert fit_slope(freqs, p, band) == pytest.approx(-1.0, abs=0.05)
    assert np.sqrt((x.astype(np.float64) ** 2).mean(axis=1)) == pytest.approx(75.0, rel=1e-5)
    assert np.abs(x.mean(axis=1)).max() < 1e-3
    acc = Accumulator(s)
    acc.add(0, x)
    r_max, z_max = acc.correlation(acc.psd())
    assert z_max < 6.0 and r_max < 0.1
    r = np.corrcoef(np.diff(x.astype(np.float64), axis=1))  # time domain, whitened by differencing
    assert np.abs(r[~np.eye(256, dtype=bool)]).max() < 0.12


def test_white_noise_is_flat_with_the_requested_rms():
    s = spec("white", "v2", 64, 1000, signal_type="white_noise", duration_s=5, amplitude_uv_rms=20.0)
    x = channel_block(s, 0, 64).astype(np.float64)
    freqs, p = periodogram(x, 1000)
    assert fit_slope(freqs, p, (1.0, 400.0)) == pytest.approx(0.0, abs=0.05)
    assert np.sqrt((x**2).mean()) == pytest.approx(20.0, rel=0.01)


def test_sine_frequency_amplitude_and_seeded_phases():
    s = spec("sine", "v1", 32, 500, signal_type="sine_wave", duration_s=4, frequency_hz=12.5, amplitude_uv_peak=40.0)
    x = channel_block(s, 0, 32).astype(np.float64)
    freqs, p = periodogram(x, 500)
    assert freqs[np.argmax(p)] == pytest.approx(12.5, abs=500 / x.shape[1])
    assert np.abs(x).max() == pytest.approx(40.0, rel=1e-3)
    phases = np.angle(np.fft.rfft(x, axis=1)[:, 50])  # 12.5 Hz is bin 50 of 2000 samples
    assert np.unique(np.round(phases, 3)).size == 32  # every channel has its own phase
    assert abs(np.exp(1j * phases).mean()) < 0.5  # spread round the circle, not one phase


def test_sine_phase_and_amplitude_fit_back_to_each_channels_stream():
    # An off-bin frequency, so the fit is not helped by an integer number of cycles.
    s = spec("sine_fit", "v1", 16, 250, signal_type="sine_wave", duration_s=3, frequency_hz=7.3, amplitude_uv_peak=60.0)
    x = channel_block(s, 0, 16).astype(np.float64)
    w = 2 * np.pi * 7.3 * np.arange(s.n_samples) / 250
    basis = np.stack([np.sin(w), np.cos(w)], axis=1)  # A sin(w t + phi) = A cos(phi) sin + A sin(phi) cos
    (a, b), *_ = np.linalg.lstsq(basis, x.T, rcond=None)
    fitted = np.mod(np.arctan2(b, a), 2 * np.pi)
    drawn = np.array([seeding.stream(42, "signals", seeding.name_key("sine_fit"), c, 0).uniform(0, 2 * np.pi) for c in range(16)])
    assert np.abs(np.angle(np.exp(1j * (fitted - drawn)))).max() < 1e-5  # radians
    assert np.hypot(a, b) == pytest.approx(60.0, rel=1e-6)


def test_chirp_follows_its_intended_frequency():
    s = spec("chirp", "v2", 8, 500, signal_type="chirp", duration_s=10, chirp_start_hz=2.0, chirp_end_hz=45.0)
    acc = Accumulator(s)
    acc.add(0, channel_block(s, 0, 8))
    metrics, _ = acc.result((0.5, 40.0))
    assert metrics["chirp_if_error_hz"] < 0.2


def test_v2_nan_rate_and_dc_offset_are_realised():
    s = spec("nan", "v2", 64, 500, signal_type="white_noise", duration_s=10, nan_rate=0.02, dc_offset_uv=25.0, amplitude_uv_rms=10.0)
    x = channel_block(s, 0, 64)
    rate = np.isnan(x).mean()
    assert abs(rate - 0.02) < 5 * np.sqrt(0.02 * 0.98 / x.size)
    assert np.nanmean(x) == pytest.approx(25.0, abs=0.1)
    clean = spec("nan", "v2", 64, 500, signal_type="white_noise", duration_s=10, dc_offset_uv=25.0, amplitude_uv_rms=10.0)
    y = channel_block(clean, 0, 64)
    assert np.array_equal(x[~np.isnan(x)], y[~np.isnan(x)])  # NaNs come from their own stream


def test_api_returns_an_array_or_a_path_and_load_takes_both(tmp_path):
    from synthbank.errors import UsageError
    from synthbank.families.signals.api import generate, load

    x = generate("sine_wave", 4, 250, 1.0, name="api", frequency_hz=5.0)
    assert x.shape == (250, 4) and x.dtype == np.float32
    path = generate("sine_wave", 4, 250, 1.0, name="api", frequency_hz=5.0, output=tmp_path / "api")
    assert np.array_equal(load(path, channels=4), x) and load(x) is x
    with pytest.raises(UsageError, match="pass output=DIR to get a file path"):
        generate("pink_noise", 4096, 50000, 3600.0)
