"""Sequences: records, determinism and stream independence from the dataset's size."""

import numpy as np
import pytest

from synthbank.families.energy import perturb
from synthbank.families.energy.sequence import (
    RECORD_NAMES, PatternParams, PerturbationConfig, StepBuffers, base_maps, domain_streams, draw_step, generate_domain,
    perturb_step,
)
from synthbank.families.energy.thermo import entropy

ALL = {k: 1.0 for k in perturb.KINDS}


MAGNITUDES = dict(rotation_max_deg=15.0, noise_sigma=0.1, blur_sigma=2.0, translation_max_px=16, scale_range=(0.95, 1.05))


def config(probability=None, **kw):
    return PerturbationConfig(probability=probability or {k: 0.5 for k in perturb.KINDS}, **(MAGNITUDES | kw))


def run(n_seq=3, n_steps=6, cfg=None, domain="d", pattern="turbulent", seed=42):
    return generate_domain(seed, domain, pattern, (64, 64), n_seq, n_steps, 1000.0, PatternParams(), cfg or config())


def test_shapes_records_and_bookkeeping():
    maps, rec = run()
    assert maps.shape == (3, 6, 64, 64) and maps.dtype == np.float32
    assert set(rec) == set(RECORD_NAMES) and all(v.shape == (3, 6) for v in rec.values())
    np.testing.assert_allclose(rec["total_energy"], maps.sum(axis=(2, 3), dtype=np.float64), rtol=1e-6)
    np.testing.assert_allclose(rec["entropy"], entropy(maps), atol=1e-5)
    assert not any(rec[f"{k}_applied"][:, 0].any() for k in perturb.KINDS)  # step 0 is the base map
    factor = np.where(rec["scaling_applied"] > 0, rec["scaling_factor"], 1.0)
    np.testing.assert_allclose(rec["total_energy"][:, 1:], rec["total_energy"][:, :-1] * factor[:, 1:], rtol=1e-12)
    assert (maps >= 0).all() and np.isfinite(maps).all()


def test_all_kinds_applied_every_step_when_probability_is_one_and_none_when_zero():
    _, rec = run(cfg=config(ALL))
    assert all(rec[f"{k}_applied"][:, 1:].all() for k in perturb.KINDS)
    maps, rec = run(cfg=config({k: 0.0 for k in perturb.KINDS}))
    assert (maps == maps[:, :1]).all()  # no perturbation: a constant sequence


def test_deterministic_and_independent_of_how_many_sequences_or_steps():
    a, ra = run(n_seq=3, n_steps=6)
    b, _ = run(n_seq=3, n_steps=6)
    c, rc = run(n_seq=5, n_steps=4)
    assert np.array_equal(a, b)
    assert np.array_equal(a[:, :4], c[:3])
    assert np.array_equal(ra["rotation_angle_deg"][:, :4], rc["rotation_angle_deg"][:3])
    d, _ = run(domain="other")
    assert not np.array_equal(a, d)


def test_config_is_validated_with_the_value_and_the_rule():
    # the params schema's bounds and wording (energy.probability, energy.domains.<name>)
    with pytest.raises(ValueError, match=r"^probability\.rotation=2\.0 is invalid: allowed <= 1$"):
        config(probability={k: 2.0 if k == "rotation" else 0.5 for k in perturb.KINDS})
    with pytest.raises(ValueError, match=r"^'noise' is missing under probability: required keys there are \['rotation'"):
        config(probability={"rotation": 0.5})
    with pytest.raises(ValueError, match=r"^scale_range\.0=0\.0 is invalid: allowed > 0$"):
        config(scale_range=(0.0, 1.0))
    with pytest.raises(ValueError, match="n_steps=0 is invalid"):
        run(n_steps=0)


def test_seed_single_map_api_matches_the_vectorised_code():
    from synthbank.families.energy import api

    base = api.generate_base_pattern("laminar", (64, 96), np.random.default_rng(1))
    assert base.shape == (64, 96) and base.sum() == pytest.approx(1000.0)
    np.testing.assert_array_equal(api.apply_translation(base, 3, -2), np.roll(base, (-2, 3), axis=(0, 1)))
    assert api.apply_energy_scaling(base, 2.0).sum() == pytest.approx(2000.0)
    for out in (api.apply_rotation(base, 30), api.apply_thermal_blur(base, 2.0),
                api.apply_gaussian_noise(base, 0.1, np.random.default_rng(0))):
        assert api.validate_energy_conservation(base, out) < 1e-12
    seq, meta = api.generate_sequence(base, n_steps=4, seed=3)
    assert seq.shape == (4, 64, 96) and [m["step"] for m in meta] == [0, 1, 2, 3] and meta[0]["perturbations"] == []
    assert np.array_equal(seq, api.generate_sequence(base, n_steps=4, seed=3, return_metadata=False))


@pytest.mark.parametrize("kind", ["blur", "scaling"])
def test_generation_refuses_a_perturbation_that_breaks_conservation(monkeypatch, kind):
    from synthbank.families.energy.thermo import ThermodynamicViolation

    if kind == "blur":
        original = perturb.blur
        monkeypatch.setattr(perturb, "blur", lambda maps, sigma, out=None: np.multiply(original(maps, sigma, out), 1.08, out=out))
    else:
        monkeypatch.setattr(perturb, "scale", lambda maps, factor, out=None: np.multiply(maps, factor[:, None, None] + 0.1, out=out))
    with pytest.raises(ThermodynamicViolation, match=f"{kind} at step 1 of sequence .* >= tolerance 0.05"):
        run(cfg=config(ALL))


@pytest.mark.parametrize("reuse", [False, True])  # True: the thread's scratch, as generate_sequences runs it
def test_steps_through_shared_buffers_give_the_fresh_arrays_bits_and_leave_their_input(reuse):
    """Whatever mix of kinds applies to all or some maps, reused buffers change no bit."""
    streams = domain_streams(7, "d")
    rngs = [streams(s, 0, 0) for s in range(4)]
    maps = base_maps("vortex", (64, 64), 1000.0, PatternParams(), rngs)
    h = entropy(maps)
    cfg, buffers = config(), StepBuffers(maps.shape, reuse=reuse)
    shared, fresh, e = maps, maps, maps.sum(axis=(1, 2))
    for t in range(1, 9):
        ids = range(4)
        choose = lambda: draw_step(cfg, [streams(s, t, 1) for s in ids], [streams(s, t, 2) for s in ids])  # noqa: E731
        given, before = shared, shared.copy()
        shared, rec = perturb_step(given, cfg, choose(), h, buffers, e_before=e)  # totals carried, as generate_sequences does
        assert np.array_equal(given, before)  # the step's input is never written
        fresh, ref = perturb_step(fresh, cfg, choose(), h)  # totals summed afresh
        assert np.array_equal(shared, fresh)
        assert all(np.array_equal(rec[k], ref[k]) for k in RECORD_NAMES)
        assert np.array_equal(rec["total_energy"], shared.sum(axis=(1, 2)))  # the carried totals are the maps' sums
        h, e = rec["entropy"], rec["total_energy"]
