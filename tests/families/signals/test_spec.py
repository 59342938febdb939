"""Parameters: bounds, one-line refusals (the source document's troubleshooting cases), schema."""

import pytest
import yaml
from families.signals.helpers import REPO

from synthbank import params
from synthbank.errors import UsageError
from synthbank.families.signals.spec import all_specs, from_entry, make_spec

PINK = {"signal_type": "pink_noise", "duration_s": 120, "amplitude_uv_rms": 100.0}


def refused(*args, **kw) -> str:
    with pytest.raises(UsageError) as info:
        make_spec(*args, **kw)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_defaults_and_record():
    s = make_spec("pink", "v1", 1024, 160, PINK, 42)
    assert (s.n_samples, s.channels, s.seed) == (19200, 1024, 42)
    assert s.record() == {"dataset": "pink", "version": "v1", "signal_type": "pink_noise", "channels": 1024,
                          "sample_rate_hz": 160.0, "duration_s": 120.0, "n_samples": 19200, "seed": 42,
                          "amplitude_uv_rms": 100.0}
    assert make_spec("s", "v1", 1, 1000, {"signal_type": "sine_wave", "duration_s": 1}, 7).params == {
        "amplitude_uv_peak": 100.0, "frequency_hz": 10.0}
    assert make_spec("s", "v2", 1, 100, {"signal_type": "white_noise", "duration_s": 1, "seed": 9}, 7).seed == 9


@pytest.mark.parametrize(("channels", "rate", "params", "words"), [
    (0, 160, PINK, "channels=0 is invalid: allowed >= 1"),
    (4097, 160, PINK, "channels=4097 is invalid: allowed <= 4096"),
    (2.5, 160, PINK, "channels=2.5 is invalid: allowed an integer from 1 to 4096"),
    (8, 0.5, PINK, "sample_rate_hz=0.5 is invalid: allowed >= 1"),
    (8, 50001, PINK, "sample_rate_hz=50001 is invalid"),
    (8, 160, PINK | {"duration_s": 0.001}, "params.duration_s=0.001 is invalid: allowed >= 0.01"),
    (8, 160, PINK | {"duration_s": 3601}, "params.duration_s=3601 is invalid: allowed <= 3600"),
    (8, 160, {"signal_type": "pink_noise"}, "params.duration_s=null is invalid: allowed a value of type number"),
    (8, 160, PINK | {"duration_s": 0.05}, "gives 8 samples: allowed at least 16 for pink_noise"),
    (8, 160, PINK | {"amplitude_uv_rms": -1.0}, "params.amplitude_uv_rms=-1.0 is invalid: allowed > 0"),
    (8, 160, PINK | {"amplitude_uv_rms": float("nan")}, "params.amplitude_uv_rms=NaN is invalid: allowed a finite number"),
    (8, 160, PINK | {"seed": -1}, "params.seed=-1 is invalid: allowed >= 0"),
    (8, 160, {"signal_type": "sine_wave", "duration_s": 1, "frequency_hz": 80.0}, "frequency_hz=80 is invalid: allowed 0 < frequency_hz < sample_rate_hz/2 = 80"),
    (8, 160, {"signal_type": "chirp", "duration_s": 1}, "signal_type='chirp' is invalid for generator v1: allowed one of ['sine_wave', 'pink_noise'] (white_noise and chirp need version v2 or v3)"),
    (8, 160, PINK | {"nan_rate": 0.1}, "params.nan_rate is not a parameter of pink_noise in v1"),
    (8, 160, PINK | {"frequency_hz": 10.0}, "params.frequency_hz is not a parameter of pink_noise in v1"),
    (8, 160, PINK | {"channels": 16}, "Channels mismatch: params.channels=16 != dataset.channels=8: allowed channels only at the dataset level (remove params.channels)"),
    (8, 160, PINK | {"sample_rate_hz": 250}, "Sample rate mismatch: params.sample_rate_hz=250 != dataset.sample_rate_hz=160"),
])
def test_out_of_range_values_are_refused_in_one_line(channels, rate, params, words):
    assert words in refused("x", "v1", channels, rate, params, 42)


def test_v2_bounds_and_equal_repeats_are_accepted():
    assert "params.nan_rate=1.0 is invalid: allowed < 1" in refused(
        "x", "v2", 4, 100, {"signal_type": "white_noise", "duration_s": 1, "nan_rate": 1.0}, 42)
    assert "chirp_end_hz=60 is invalid: allowed 0 <= chirp_end_hz <= sample_rate_hz/2 = 50" in refused(
        "x", "v2", 4, 100, {"signal_type": "chirp", "duration_s": 1, "chirp_end_hz": 60}, 42)
    assert "version=\"v4\" is invalid: allowed one of ['v1', 'v2', 'v3']" in refused("x", "v4", 4, 100, PINK, 42)
    assert "dataset name '../x' is invalid: allowed letters, digits" in refused("../x", "v1", 4, 100, PINK, 42)
    s = make_spec("x", "v1", 8, 160, PINK | {"channels": 8, "sample_rate_hz": 160}, 42)  # same value twice is fine
    assert s.channels == 8 and "channels" not in s.params


def _params_with(mutate):
    data = yaml.safe_load((REPO / "params.yaml").read_text())
    mutate(data["signals"]["datasets"])
    return data


def test_params_yaml_is_valid_and_lists_datasets_by_name():
    p = params.load(REPO / "params.yaml")
    specs = all_specs(p.family("signals"), p.seed)
    assert {s.version for s in specs.values()} == {"v3"}  # the portable generator
    assert any(s.signal_type == "pink_noise" and s.channels == 1024 and s.sample_rate_hz == 160 for s in specs.values())
    assert any(s.signal_type == "chirp" and s.params["nan_rate"] > 0 for s in specs.values())


def test_schema_refuses_bad_entries_in_one_line():
    def too_many(d):
        next(iter(d.values()))["channels"] = 5000
    with pytest.raises(UsageError, match=r"signals\.datasets\.\w+\.channels=5000 is invalid: allowed <= 4096"):
        params.validate(_params_with(too_many))

    def mismatch(d):
        entry = d["pink_1024ch"]
        entry["params"]["channels"] = 512
    p = params.validate(_params_with(mismatch))
    with pytest.raises(UsageError, match="signals.datasets.pink_1024ch.Channels mismatch: params.channels=512 != dataset.channels=1024"):
        from_entry("pink_1024ch", p.family("signals")["datasets"]["pink_1024ch"], p.seed, "params.yaml")
