"""signals' record declaration names the rules validation applies to each dataset."""

from __future__ import annotations

from synthbank.families.signals import NOISE_RULES, RULES
from synthbank.families.signals.metrics import EXPECTED_SLOPE
from synthbank.families.signals.records import NOISE, records


def test_noise_types_get_the_noise_rules_as_in_validation() -> None:
    assert set(NOISE) == set(EXPECTED_SLOPE)  # validate applies NOISE_RULES where a PSD slope is expected
    section = {"datasets": {
        "s": {"version": "v3", "channels": 2, "sample_rate_hz": 100, "params": {"signal_type": "sine_wave", "duration_s": 1.005}},
        "p": {"version": "v3", "channels": 3, "sample_rate_hz": 100, "params": {"signal_type": "pink_noise", "duration_s": 2}},
    }}
    r = records(section, lambda rel: None)
    assert r.item_rules == {"s": RULES, "p": RULES + NOISE_RULES} and r.item_metrics == ("p", "s")
    shapes = {rs.name: rs.fields[0].shape for rs in r.record_sets if rs.format == "hdf5"}
    assert shapes == {"p/signal": (200, 3), "s/signal": (100, 2)}  # round(1.005 x 100) = 100, as SignalSpec counts
