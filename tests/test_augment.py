"""The general recipe's noise families, channel variation, sentence babble and its mixer."""

import numpy as np
import pytest

from digitdenoise import augment
from digitdenoise.errors import ParameterError

SR = 8000


def _band_share(y, lo, hi):
    spectrum = np.abs(np.fft.rfft(y)) ** 2
    hz = np.fft.rfftfreq(y.size, 1 / SR)
    return spectrum[(hz >= lo) & (hz <= hi)].sum() / spectrum.sum()


@pytest.mark.parametrize("family", augment.FAMILIES)
def test_every_family_is_unit_rms_and_reproducible(family):
    a = augment.draw_family(family, 8000, SR, 3)
    b = augment.draw_family(family, 8000, SR, 3)
    assert a.dtype == np.float32 and np.allclose(a, b)
    assert abs(np.sqrt(np.mean(a.astype(np.float64) ** 2)) - 1) < 1e-4
    assert not np.allclose(a, augment.draw_family(family, 8000, SR, 4))


def test_tilt_sets_the_spectral_slope():
    rising = augment.tilt_noise(2**15, -1.0, 0)
    falling = augment.tilt_noise(2**15, 2.0, 0)
    assert _band_share(rising, 2000, 4000) > 0.7
    assert _band_share(falling, 0, 500) > 0.8


def test_band_noise_stays_in_its_band():
    y = augment.band_noise(2**15, SR, 500, 1000, 0)
    assert _band_share(y, 400, 1260) > 0.95


def test_hum_is_lines_at_multiples_of_the_mains_frequency():
    y = augment.hum(2**15, SR, 50.0, 10, 0)
    assert _band_share(y, 45, 505) > 0.9


def test_clicks_are_impulsive():
    y = augment.clicks(SR, SR, 5.0, 0)
    kurtosis = np.mean(y**4) / np.mean(y**2) ** 2
    assert kurtosis > 10  # Gaussian noise has 3


def test_random_channel_changes_the_spectrum_but_not_the_timing():
    rng = np.random.default_rng(0)
    clip = rng.standard_normal(8000).astype(np.float32)
    out = augment.random_channel(clip, SR, 1)
    assert out.shape == clip.shape and not np.allclose(out, clip)
    assert np.corrcoef(out, clip)[0, 1] > 0.5
    assert _band_share(out, 0, 30) < _band_share(clip, 0, 30)  # the high-pass is always there


def test_sentence_babble_never_uses_the_target_speaker():
    pool = [np.full(4000, i + 1, np.float32) for i in range(6)]
    speakers = ["a", "a", "b", "b", "c", "c"]
    for seed in range(10):
        y = augment.sentence_babble(pool, speakers, 1000, 2, seed, exclude_speaker="a")
        assert np.all(y > 0)  # it is a sum of two constant talkers of b and c
    with pytest.raises(ParameterError, match="needs as many other speakers"):
        augment.sentence_babble(pool, speakers, 1000, 3, 0, exclude_speaker="a")


@pytest.fixture(scope="module")
def mixer():
    rng = np.random.default_rng(0)
    t = np.arange(8000) / SR
    clean = np.stack([np.sin(2 * np.pi * (200 + 20 * i) * t).astype(np.float32) * 0.1 for i in range(40)])
    speakers = [f"s{i % 8}" for i in range(40)]
    recordings = {"hu/n1": rng.standard_normal(20000).astype(np.float32)}
    pool = [rng.standard_normal(6000).astype(np.float32) for _ in range(16)]
    return augment.GeneralMixer(clean, speakers, recordings, pool, [f"s{i % 8}" for i in range(16)], SR, seed=1)


def test_mixer_is_a_pure_function_of_seed_epoch_index(mixer):
    a, b = mixer.pair(5, 2), mixer.pair(5, 2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2:] == b[2:]
    assert not np.array_equal(mixer.pair(5, 3)[0], a[0])


def test_mixer_draws_every_condition_at_the_stated_snr(mixer):
    from digitdenoise.metrics import snr_db

    seen = {}
    for epoch in range(30):
        for index in range(len(mixer)):
            noisy, clean, name, snr = mixer.pair(index, epoch)
            info = mixer.describe(index, epoch)
            seen[info["kind"]] = seen.get(info["kind"], 0) + 1
            assert np.max(np.abs(noisy)) <= 0.99 + 1e-6
            if info["kind"] == "clean":
                assert snr is None and np.array_equal(noisy, clean)
            else:
                assert abs(snr_db(clean, noisy) - snr) < 0.05
                lo, hi = mixer.recipe.snr_bounds(info["kind"], int(name.split("-")[1]) if name.startswith("babble") else 0)
                assert lo <= snr <= hi
    assert set(seen) == set(mixer.recipe.kinds)
    share = {k: v / sum(seen.values()) for k, v in seen.items()}
    for kind, p in zip(mixer.recipe.kinds, mixer.recipe.probabilities):
        assert abs(share[kind] - p) < 0.04


def test_babble_with_one_talker_keeps_the_target_louder():
    recipe = augment.Recipe()
    assert recipe.snr_bounds("babble", 1)[0] == 0.0
    assert recipe.snr_bounds("babble", 2)[0] == -4.0
    assert recipe.snr_bounds("babble", 5)[0] == recipe.snr_range[0]


def test_recipe_round_trips_and_rejects_unknown_conditions():
    recipe = augment.Recipe()
    assert augment.Recipe.from_dict(recipe.to_dict()) == recipe
    with pytest.raises(ParameterError, match="unknown or repeated"):
        augment.Recipe(weights=(("thunder", 1.0),))


def test_speech_windows_keep_only_speech():
    sr = SR
    t = np.arange(3 * sr) / sr
    y = np.zeros(3 * sr, np.float32)
    y[sr:2 * sr] = 0.3 * np.sin(2 * np.pi * 300 * t[: sr])  # silence, speech-like tone, silence
    windows, source = augment.speech_windows([y], sr)
    assert windows.shape == (1, sr) and source.tolist() == [0]
    assert np.allclose(windows[0], y[sr:2 * sr])


def test_ablated_recipe_leaves_out_exactly_the_named_ingredients():
    full = augment.Recipe()
    weights = dict(full.weights)
    no_babble = augment.ablated(full, ["babble"])
    assert "babble" not in no_babble.kinds and dict(no_babble.weights)["recording"] == weights["recording"]
    no_families = augment.ablated(full, ["families"])
    assert not set(no_families.kinds) & set(augment.FAMILIES) and "babble" in no_families.kinds
    no_channel = augment.ablated(full, ["channel", "clean"])
    assert no_channel.channel_share == 0 and no_channel.gain_db == (0.0, 0.0) and "clean" not in no_channel.kinds
    assert augment.ablated(full, ["speechocean762-voices"]) == full  # a choice of voices, not of the recipe
    assert augment.ablated(full, []) == full
    with pytest.raises(ParameterError, match="cannot leave out"):
        augment.ablated(full, ["reverb"])


def test_recorded_ablation_has_every_variant_and_names_make_ablation_when_missing(tmp_path):
    from digitdenoise.errors import DataError

    with pytest.raises(DataError, match="make ablation"):
        augment.recorded_ablation(tmp_path / "ablation.json")
    table = augment.recorded_ablation()
    assert {"full recipe", "without babble", "without speechocean762 voices"} <= set(table.index)
    assert np.isfinite(table["all test noise"]).all() and (table["made worse"].between(0, 1)).all()
    assert (table.drop(index=[n for n in table.index if not n.startswith("without")])["epochs"]
            == table.loc["full recipe", "epochs"]).all()  # every ablation run had the same budget
