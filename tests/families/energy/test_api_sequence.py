"""The energy source document's API calls, run as the document writes them, and their numbers.

Perturbation functions, ``generate_sequence(base_map, n_steps=10, config=PerturbationConfig(),
return_metadata=True)``, the validation functions, and the ``EnergyAtlasLoader`` methods with
their ``EnergyMapMetadata``, |grad E| beside every gradient, and the logged warnings.
"""

import dataclasses
import json
import logging

import h5py
import numpy as np
import pytest

from synthbank import numerics
from synthbank.families.energy import perturb, sequence, thermo
from synthbank.families.energy.analysis import GradientField
from synthbank.families.energy.api import (
    PerturbationConfig, apply_energy_scaling, apply_gaussian_noise, apply_rotation, apply_thermal_blur,
    apply_translation, generate_base_pattern, generate_sequence, validate_energy_conservation, validate_entropy_increase,
)
from synthbank.families.energy.loader import EnergyAtlasLoader
from synthbank.families.energy.metadata import EnergyMapMetadata

API_LOGGER = "synthbank.families.energy.api"
ONLY = {k: 0.0 for k in perturb.KINDS}


@pytest.fixture(scope="module")
def energy_map():
    return generate_base_pattern("vortex", (128, 128), np.random.default_rng(1))


@pytest.fixture(scope="module")
def atlas256(tmp_path_factory, make_section, raw_params):
    """One domain at the document's full size 256 (scales 256, 128, 64), 2 sequences x 4 steps."""
    from synthbank.families.energy.build import DomainConfig, build

    raw = raw_params()
    root = tmp_path_factory.mktemp("atlas256") / "energy"
    section = make_section(shape=[256, 256], scales=[256, 128, 64], n_sequences=2, n_steps=4)
    build(DomainConfig.from_params(raw["seed"], raw["release"]["date"], section, "plasma_physics"), root / "plasma_physics")
    return root


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.name == API_LOGGER and r.levelno == logging.WARNING]


def test_document_perturbation_calls_run_as_written(energy_map, caplog, capsys):
    caplog.set_level(logging.WARNING, logger=API_LOGGER)
    angle, sigma, blur_sigma, shift_x, shift_y, scale = 45.0, 0.1, 3.0, 10, -7, 1.3
    # --- as written in the document ---
    rotated_map = apply_rotation(energy_map, angle)
    noisy_map = apply_gaussian_noise(energy_map, sigma)
    blurred_map = apply_thermal_blur(energy_map, blur_sigma)
    translated_map = apply_translation(energy_map, shift_x, shift_y)
    scaled_map = apply_energy_scaling(energy_map, scale)
    base_map = energy_map
    sequence_maps, metadata = generate_sequence(
        base_map,
        n_steps=10,
        config=PerturbationConfig(),
        return_metadata=True
    )
    # --- end ---
    for out in (rotated_map, noisy_map, blurred_map, translated_map, scaled_map):
        assert out.shape == (128, 128) and out.dtype == np.float64 and np.isfinite(out).all() and (out >= 0).all()
    for out in (rotated_map, noisy_map, blurred_map, translated_map):
        assert validate_energy_conservation(energy_map, out, tolerance=0.05) < 1e-12
    np.testing.assert_array_equal(translated_map, np.roll(energy_map, (shift_y, shift_x), axis=(0, 1)))
    assert validate_energy_conservation(energy_map, scaled_map, expected_ratio=scale) < 1e-12
    with pytest.raises(thermo.ThermodynamicViolation):
        validate_energy_conservation(energy_map, scaled_map, tolerance=0.05)  # 30% more energy
    np.testing.assert_array_equal(apply_rotation(energy_map, 90.0), np.rot90(energy_map))
    assert validate_entropy_increase(energy_map, blurred_map) is True  # diffusion raises entropy
    assert thermo.entropy(blurred_map) > thermo.entropy(energy_map) + 1e-3

    assert sequence_maps.shape == (10, 128, 128) and sequence_maps.dtype == np.float32
    assert [m["step"] for m in metadata] == list(range(10)) and metadata[0]["perturbations"] == []
    np.testing.assert_array_equal(sequence_maps[0], energy_map.astype(np.float32))
    sums = sequence_maps.sum(axis=(1, 2), dtype=np.float64)
    np.testing.assert_allclose(sums, [m["energy"] for m in metadata], rtol=1e-6)
    np.testing.assert_allclose([m["entropy"] for m in metadata], thermo.entropy(sequence_maps), rtol=1e-6)
    for t in range(1, 10):  # only scaling changes the energy, by at most 5% per step
        assert abs(sums[t] / sums[t - 1] - 1) < 0.05 + 1e-9
        if "scaling" not in metadata[t]["perturbations"]:
            assert sums[t] == pytest.approx(sums[t - 1], rel=1e-6)
    assert capsys.readouterr().out == ""  # nothing printed: warnings go through logging
    assert len(_warnings(caplog)) == sum(metadata[t]["entropy"] < metadata[t - 1]["entropy"] - thermo.ENTROPY_ATOL
                                         for t in range(1, 10))


def test_perturbation_config_defaults_are_the_params_values(raw_params, energy_map):
    section = raw_params()["energy"]
    config = PerturbationConfig()
    expected = sequence.PerturbationConfig.from_mapping(section["probability"], section["domains"]["fluid_dynamics"])
    assert dataclasses.asdict(config) == dataclasses.asdict(expected)
    assert dict(config.probability) == {"rotation": 0.3, "noise": 0.5, "blur": 0.5, "translation": 0.3, "scaling": 0.2}
    assert (config.noise_sigma, config.blur_sigma, config.rotation_max_deg) == (0.1, 2.0, 15.0)
    assert isinstance(config, sequence.PerturbationConfig)
    # The default config is the default of generate_sequence; a pipeline config works the same.
    a = generate_sequence(energy_map, n_steps=4, return_metadata=False)
    b = generate_sequence(energy_map, n_steps=4, config=expected, return_metadata=False)
    np.testing.assert_array_equal(a, b)
    assert PerturbationConfig(noise_sigma=0.3).noise_sigma == 0.3 and PerturbationConfig(noise_sigma=0.3).blur_sigma == 2.0
    with pytest.raises(ValueError, match="noise_sigma=-1.0 is invalid: allowed >= 0"):
        PerturbationConfig(noise_sigma=-1.0)
    with pytest.raises(ValueError, match="'rotation' is missing under probability: required keys there are"):
        PerturbationConfig(probability={"noise": 1.0})


def test_noise_keeps_energy_with_and_without_rng_and_its_default_rng_is_deterministic(energy_map):
    sigma = 0.1
    default = apply_gaussian_noise(energy_map, sigma)
    again = apply_gaussian_noise(energy_map, sigma)
    np.testing.assert_array_equal(default, again)  # a fresh default_rng(42) per call
    np.testing.assert_array_equal(default, apply_gaussian_noise(energy_map, sigma, np.random.default_rng(42)))
    # The exact operation: portable normals from default_rng(42), the pipeline's add_noise.
    normals = numerics.standard_normal(np.random.default_rng(42), (1, 128, 128))
    np.testing.assert_array_equal(default, perturb.add_noise(energy_map[None], np.array([sigma]), normals)[0])
    rng = np.random.default_rng(7)
    first, second = apply_gaussian_noise(energy_map, sigma, rng), apply_gaussian_noise(energy_map, sigma, rng=rng)
    assert not np.array_equal(first, second) and not np.array_equal(first, default)  # an explicit rng is consumed
    for out in (default, first, second):
        assert validate_energy_conservation(energy_map, out) < 1e-12 and (out >= 0).all()
        assert out.sum() == pytest.approx(energy_map.sum(), rel=1e-13)
    # Magnitude: std sigma x mean energy per cell, on a map where clipping never happens.
    flat = 1.0 + 0.1 * np.random.default_rng(3).random((128, 128))
    noise = apply_gaussian_noise(flat, sigma) - flat
    assert noise.std() / flat.mean() == pytest.approx(sigma, rel=0.03)
    assert np.abs(apply_gaussian_noise(flat, 0.2) - flat).mean() == pytest.approx(2 * np.abs(noise).mean(), rel=0.03)
    # NumPy's global random state is neither read nor changed.
    np.random.seed(0)
    expected_next = np.random.RandomState(0).random_sample()
    apply_gaussian_noise(energy_map, sigma)
    assert np.random.random_sample() == expected_next
    with pytest.raises(ValueError, match="sigma=-0.1 is invalid: allowed a finite number >= 0"):
        apply_gaussian_noise(energy_map, -0.1)
    with pytest.raises(ValueError, match="rng=42 is invalid: allowed a numpy.random.Generator or None"):
        apply_gaussian_noise(energy_map, sigma, 42)
    with pytest.raises(ValueError, match="allowed finite, non-negative values"):
        apply_gaussian_noise(-energy_map, sigma)


def test_default_seeds_make_every_call_repeatable(energy_map):
    np.testing.assert_array_equal(generate_base_pattern("turbulent", (64, 96)), generate_base_pattern("turbulent", (64, 96)))
    seq_a, meta_a = generate_sequence(energy_map, n_steps=5)
    seq_b, meta_b = generate_sequence(energy_map, n_steps=5, seed=42)
    np.testing.assert_array_equal(seq_a, seq_b)
    assert meta_a == meta_b
    assert not np.array_equal(seq_a, generate_sequence(energy_map, n_steps=5, seed=43, return_metadata=False))


def test_entropy_decreases_are_logged_as_warnings(caplog):
    uniform = np.full((64, 64), 1000.0 / 4096)
    peaked = np.zeros((64, 64))
    peaked[32, 32] = 1000.0
    with caplog.at_level(logging.WARNING, logger=API_LOGGER):
        # --- the document's validation calls ---
        E_before, E_after = uniform, apply_gaussian_noise(uniform, 0.1)
        lowered = validate_entropy_increase(E_before, E_after)
        raised = validate_entropy_increase(peaked, apply_thermal_blur(peaked, 2.0))
    assert lowered is False and raised is True
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and warnings[0].startswith("entropy decreased: ")
    assert f"{float(thermo.entropy(uniform)):.9g}" in warnings[0]  # log(4096), the maximum

    caplog.clear()
    noise_only = PerturbationConfig(probability=ONLY | {"noise": 1.0})
    with caplog.at_level(logging.WARNING, logger=API_LOGGER):
        _, metadata = generate_sequence(uniform, n_steps=4, config=noise_only)
    drops = [t for t in range(1, 4) if metadata[t]["entropy"] < metadata[t - 1]["entropy"] - thermo.ENTROPY_ATOL]
    warnings = _warnings(caplog)
    assert 1 in drops and len(warnings) == len(drops)  # noise on the uniform map must lower entropy
    assert warnings[0].startswith("entropy decreased at step 1: ") and warnings[0].endswith("(perturbations noise)")

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=API_LOGGER):
        generate_sequence(peaked, n_steps=4, config=PerturbationConfig(probability=ONLY | {"blur": 1.0}))
    assert _warnings(caplog) == []  # diffusion never lowers entropy


def test_gradient_magnitude_beside_every_gradient(atlas256, raw_params):
    loader = EnergyAtlasLoader(atlas256)
    # Analytic case: E = 2 + sin(2 pi x / w) on a 64 x 64 grid, unit length = the map height.
    x = np.arange(64)
    wave = np.tile(2.0 + np.sin(2 * np.pi * x / 64), (64, 1))
    grad_x, grad_y = loader.compute_gradients(wave)
    magnitude = loader.compute_gradient_magnitude(wave)
    expected = 64 * np.abs(np.cos(2 * np.pi * x / 64)) * np.sin(2 * np.pi / 64)  # central difference, spacing 1/64
    np.testing.assert_allclose(magnitude, np.tile(expected, (64, 1)), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(grad_y, 0.0)
    # |grad E| is hypot of the components, exactly, wherever a gradient is offered.
    m, _ = loader.load_map("plasma_physics", "s001_t02")
    gx, gy = loader.compute_gradients(m)
    np.testing.assert_array_equal(loader.compute_gradient_magnitude(m), np.hypot(gx, gy))
    np.testing.assert_allclose(loader.compute_gradient_magnitude(m), np.sqrt(gx**2 + gy**2), rtol=1e-12)
    for scale in (256, 128, 64):
        sgx, sgy = loader.load_gradients("plasma_physics", "s001_t02", scale)
        stored = loader.load_gradient_magnitude("plasma_physics", "s001_t02", scale)
        assert stored.shape == (scale, scale) and stored.dtype == np.float32
        np.testing.assert_array_equal(stored, np.hypot(sgx, sgy))
    np.testing.assert_allclose(loader.load_gradient_magnitude("plasma_physics", "s001_t02", 256),
                               loader.compute_gradient_magnitude(m), rtol=1e-4, atol=1e-4 * np.abs(gx).max())
    levels = loader.precompute_gradients(m.astype(np.float64))
    pyramids = loader.precompute_pyramids(m.astype(np.float64))
    assert sorted(levels) == sorted(pyramids) == [64, 128, 256]
    for scale, level in levels.items():
        assert isinstance(level, GradientField) and level.magnitude.shape == (scale, scale)
        cx, cy = loader.compute_gradients(pyramids[scale])
        np.testing.assert_array_equal(level.grad_x, cx)
        np.testing.assert_array_equal(level.grad_y, cy)
        np.testing.assert_array_equal(level.magnitude, np.hypot(level.grad_x, level.grad_y))
    with pytest.raises(ValueError, match="spacing=0 is invalid: allowed a finite number > 0"):
        loader.compute_gradient_magnitude(m, spacing=0)


def test_document_loader_calls_and_their_metadata(atlas256, tmp_path, raw_params, where):
    raw = raw_params()
    loader = EnergyAtlasLoader(atlas256, user_dir=tmp_path / "user")
    domain, map_id, scale, window, stride, target_scales = "plasma_physics", "s001_t02", 256, 2, 1, [128, 64]
    # --- as written in the document ---
    energy_map, metadata = loader.load_map(domain, map_id, scale)
    batch, metadata_list = loader.load_batch(domain, window, scale, stride)
    pyramids_dict = loader.precompute_pyramids(energy_map, target_scales)
    grad_x, grad_y = loader.compute_gradients(energy_map)
    entropy = loader.compute_entropy(energy_map)
    valid = loader.validate_shape(energy_map)
    stats_dict = loader.get_domain_stats(domain)
    # --- end ---
    assert energy_map.shape == (256, 256) and energy_map.dtype == np.float32
    assert batch.shape == (2 * 3, 2, 256, 256) and len(metadata_list) == 6
    np.testing.assert_array_equal(batch[1 * 3 + 1, 1], energy_map)  # sequence 1, start 1, offset 1 = step 2
    assert sorted(pyramids_dict) == [64, 128] and pyramids_dict[64].shape == (64, 64)
    for level in pyramids_dict.values():
        assert level.sum() == pytest.approx(energy_map.sum(dtype=np.float64), rel=1e-9)
    assert grad_x.shape == grad_y.shape == (256, 256) and valid is True
    assert stats_dict["n_maps"] == 8 and stats_dict["shape"] == [256, 256]

    # load_map's metadata: an EnergyMapMetadata with the document's fields.
    path, row = where(atlas256, domain, 256, 1)
    with h5py.File(path) as f:
        sc = {k: f["scalars"][k][row, 2] for k in f["scalars"] if f["scalars"][k].ndim == 2}
    assert isinstance(metadata, EnergyMapMetadata)
    assert (metadata.domain, metadata.map_id, metadata.scale, metadata.shape) == (domain, map_id, 256, (256, 256))
    assert (metadata.sequence, metadata.step) == (1, 2)
    assert metadata.energy == float(sc["total_energy"])
    assert metadata.energy == pytest.approx(energy_map.sum(dtype=np.float64), rel=1e-6)  # scalars are float32
    assert metadata.energy_mean == metadata.energy / 65536
    assert metadata.energy_variance == pytest.approx(float(energy_map.astype(np.float64).var()), rel=1e-12)
    assert metadata.energy_variance > 0
    assert metadata.entropy == float(sc["entropy"]) and metadata.entropy == pytest.approx(entropy, rel=1e-6)
    assert metadata.timestamp == f"{raw['release']['date']}T00:00:00"  # the release date, never the wall clock
    applied = [k for k in perturb.KINDS if sc[f"{k}_applied"] > 0]
    assert list(metadata.perturbations) == applied
    params = {"rotation": "rotation_angle_deg", "noise": "noise_level", "blur": "blur_length_px", "scaling": "scaling_factor"}
    for k, v in metadata.perturbations.items():
        assert v == ([int(sc["translation_dy_px"]), int(sc["translation_dx_px"])] if k == "translation" else float(sc[params[k]]))
    # Read like the former dict too, and JSON-ready.
    assert metadata["energy"] == metadata.energy and metadata.get("map_id") == map_id and "entropy" in metadata
    assert list(dict(metadata)) == [f.name for f in dataclasses.fields(EnergyMapMetadata)]
    record = json.loads(json.dumps(metadata.to_dict()))
    assert record["shape"] == [256, 256] and EnergyMapMetadata.from_dict(record) == metadata


def test_metadata_creation_and_persistence_with_save_map(atlas256, tmp_path):
    loader = EnergyAtlasLoader(atlas256, user_dir=tmp_path / "user")
    energy_map = generate_base_pattern("laminar", (128, 192), np.random.default_rng(5))
    created = EnergyMapMetadata.from_map(energy_map, "lab", "run-1", timestamp="2025-11-12T10:34:22",
                                         perturbations={"blur": 3.0, "translation": [10, -2]}, user_metadata={"note": "first"})
    assert (created.scale, created.shape) == (128, (128, 192))
    assert created.energy == pytest.approx(1000.0) and created.energy_mean == pytest.approx(1000.0 / (128 * 192))
    assert created.energy_variance == pytest.approx(energy_map.var()) and created.entropy == pytest.approx(thermo.entropy(energy_map))
    # --- the document's save_map(energy_map, domain, map_id, metadata) -> map_id ---
    map_id = loader.save_map(energy_map, "lab", "run-1", created)
    assert map_id == "run-1"
    for scale in (128, 64):
        got, meta = loader.load_map("lab", map_id, scale)
        assert isinstance(meta, EnergyMapMetadata) and meta.shape == (scale, scale * 3 // 2)
        assert (meta.sequence, meta.step) == (None, None)
        assert meta.timestamp == "2025-11-12T10:34:22"
        assert meta.perturbations == {"blur": 3.0, "translation": [10, -2]} and meta.user_metadata == {"note": "first"}
        assert meta.energy == pytest.approx(1000.0, rel=1e-6)
        assert meta.energy_variance == pytest.approx(float(got.astype(np.float64).var()), rel=1e-12)
    # A plain mapping is user metadata, as before; no timestamp is invented.
    loader.save_map(energy_map, "lab", "run-2", {"note": "second"})
    _, meta = loader.load_map("lab", "run-2", 128)
    assert meta.user_metadata == {"note": "second"} and meta.timestamp is None and meta.perturbations == {}
    with pytest.raises(ValueError, match="perturbations=.* is invalid: allowed a mapping with keys among"):
        EnergyMapMetadata("lab", "x", perturbations={"melting": 1.0})
    with pytest.raises(ValueError, match="timestamp='noon' is invalid"):
        EnergyMapMetadata("lab", "x", timestamp="noon")
    with pytest.raises(ValueError, match="metadata keys \\['colour'\\] are invalid"):
        EnergyMapMetadata.from_dict({"domain": "lab", "map_id": "x", "colour": "red"})
