"""What signals' files hold (:mod:`synthbank.recordsets`), for ``synthbank describe``.

Pure data from the params section: one group of record sets per dataset of
``signals.datasets``, with (samples, channels) = (round(duration_s x sample_rate_hz),
channels), as :meth:`synthbank.families.signals.spec.SignalSpec.n_samples` counts them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from synthbank.families.signals import NOISE_RULES, RULES, VERSION
from synthbank.recordsets import Field, Records, RecordSet

#: The signal types whose validation also applies NOISE_RULES (validate.EXPECTED_SLOPE: an expected PSD slope).
NOISE = ("pink_noise", "white_noise")
WHAT = {"sine_wave": "a sine wave", "pink_noise": "pink (1/f) noise", "white_noise": "white noise", "chirp": "a linear chirp"}


def _dataset_sets(name: str, d: Mapping[str, Any]) -> list[RecordSet]:
    p = d["params"]
    rate, channels = float(d["sample_rate_hz"]), int(d["channels"])
    samples = int(round(float(p["duration_s"]) * rate))
    what = f"{WHAT[p['signal_type']]}, generator {d['version']}, {channels} channels at {rate:g} Hz"
    signal = ("signal", f"the samples (axes time, channel): {what}; NaN marks a dropped sample", "float32", (samples, channels))
    return [
        RecordSet(f"{name}/signal", f"dataset {name}: {what}", (f"data/signals/{name}/signal.h5",), "hdf5",
                  (Field(*signal, unit="uV", key="/signal"),)),
        RecordSet(f"{name}/float32", f"dataset {name}: the same samples, interleaved little-endian float32 with no header "
                  "(sample-major, what CORTEX and other harnesses read; spec.yaml describes it)",
                  (f"data/signals/{name}/signal.float32",), "float32", (Field(*signal, unit="uV", key="content"),)),
        RecordSet(f"{name}/psd", f"dataset {name}: the channel-mean power spectral density (validation report)",
                  (f"reports/signals/{name}/psd.csv",), "csv",
                  (Field("frequency_hz", "frequency", "float64", unit="Hz", key="frequency_hz"),
                   Field("psd_uv2_per_hz", "power spectral density, mean over channels", "float64", unit="uV^2/Hz",
                         key="psd_uv2_per_hz"))),
    ]


def records(section: Mapping[str, Any], read: Callable[[str], Any]) -> Records:
    """signals' record sets: per dataset, the HDF5 samples, the raw float32 copy and the PSD report."""
    del read  # nothing beyond the params
    datasets = section["datasets"]
    sets: list[RecordSet] = []
    for name in sorted(datasets):
        sets += _dataset_sets(name, datasets[name])
    return Records(
        record_sets=tuple(sets),
        license=("CC0-1.0",),
        title=f"synthbank signals {VERSION}: multichannel neural-style signals from versioned generators",
        description=(
            f"{len(datasets)} multichannel signal datasets ({', '.join(sorted(datasets))}), each a (samples, channels) "
            "float32 array in microvolts from a frozen generator version (v1, v2, v3: sine, pink and white noise, chirp, DC "
            "offset, dropped samples as NaN), as HDF5 and as interleaved float32 with a CORTEX spec.yaml; channel c depends "
            "only on the seed, the dataset name and c."
        ),
        keywords=("synthetic data", "neural signals", "EEG", "time series", "pink noise", "benchmark", "HDF5"),
        intended_use=(
            "Benchmarks and tests of signal-processing pipelines (filters, spectral estimates, real-time harnesses such as "
            "CORTEX) on inputs whose spectra, amplitudes and NaN rates are known exactly and reproducible at any channel count."
        ),
        limitations=(
            "Stationary textbook signals, not recordings: no physiology, artefacts, volume conduction or cross-channel "
            "structure beyond what the generator draws (noise channels are independent; sines and chirps are identical in "
            "shape across channels)."
        ),
        collection="Synthetic: every channel is computed by a frozen generator version from the root seed, the dataset's "
        "name and its params (docs/families/signals.md).",
        item_metrics=tuple(sorted(datasets)),
        item_rules={name: RULES + NOISE_RULES if datasets[name]["params"]["signal_type"] in NOISE else RULES for name in datasets},
    )
