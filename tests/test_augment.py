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


def _frames(y, n_fft=256, hop=128):
    """Power spectra of the frames within 10 dB of the loudest one (a beeping alarm's "on" frames)."""
    from scipy.signal import stft

    _, _, z = stft(np.asarray(y, np.float64), SR, nperseg=n_fft, noverlap=n_fft - hop, boundary=None)
    power = np.abs(z) ** 2 + 1e-20
    energy = power.sum(axis=0)
    return power[:, energy > energy.max() / 10]


def _flatness(y):
    """Median spectral flatness (geometric over arithmetic mean of the power spectrum) of the loud
    frames: about 0.56 for white noise, near 0 when a few narrow lines hold the energy."""
    power = _frames(y)
    return float(np.median(np.exp(np.mean(np.log(power), axis=0)) / np.mean(power, axis=0)))


def _dominant_hz(y):
    """The strongest frequency of each loud frame (Hz)."""
    power = _frames(y, n_fft=512, hop=128)
    return np.argmax(power, axis=0) * SR / 512


def test_noise_families_stay_reachable_through_augment():
    """The noise families moved to families.py are the same objects as augment.<name>, listed in its __all__."""
    from digitdenoise import families

    moved = ["FAMILIES", "TONAL_KINDS", "tilt_noise", "band_noise", "hum", "modulated_noise", "clicks", "tonal_noise",
             "draw_family"]
    for name in moved:
        assert getattr(augment, name) is getattr(families, name), name
    for name in moved[2:]:
        assert getattr(families, name).__module__ == "digitdenoise.families", name
    assert set(moved) <= set(augment.__all__) and set(moved) <= set(families.__all__)
    assert all(hasattr(augment, name) for name in augment.__all__)
    assert augment._rng is families._rng and augment._unit is families._unit  # defined once, shared


@pytest.mark.parametrize("family", augment.FAMILIES)
def test_every_family_is_unit_rms_and_reproducible(family):
    a = augment.draw_family(family, 8000, SR, 3)
    b = augment.draw_family(family, 8000, SR, 3)
    assert a.dtype == np.float32 and a.shape == (8000,) and np.allclose(a, b)
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


def test_white_noise_is_spectrally_flat_and_hum_is_not():  # the yardstick of the tonal tests below
    assert _flatness(augment.tilt_noise(SR, 0.0, 0)) > 0.4
    assert _flatness(augment.hum(SR, SR, 50.0, 10, 0)) < 0.1


@pytest.mark.parametrize("sr", [8000, 16000])
@pytest.mark.parametrize("kind", augment.TONAL_KINDS)
def test_tonal_noise_is_seeded_at_the_requested_length_and_rate(kind, sr):
    a = augment.tonal_noise(12345, sr, kind, 400.0, 900.0, 2.0, seed=7)
    assert a.dtype == np.float32 and a.shape == (12345,)
    assert np.array_equal(a, augment.tonal_noise(12345, sr, kind, 400.0, 900.0, 2.0, seed=7))
    assert not np.allclose(a, augment.tonal_noise(12345, sr, kind, 400.0, 900.0, 2.0, seed=8))
    assert abs(np.sqrt(np.mean(a.astype(np.float64) ** 2)) - 1) < 1e-4
    spectrum = np.abs(np.fft.rfft(a.astype(np.float64))) ** 2
    hz = np.fft.rfftfreq(a.size, 1 / sr)
    assert spectrum[hz > 0.46 * sr].sum() / spectrum.sum() < 0.01  # no harmonic above 0.45 sr, only the floor


@pytest.mark.parametrize("kind", augment.TONAL_KINDS)
def test_tonal_noise_keeps_its_energy_in_a_few_narrow_lines(kind):
    for seed in range(5):
        assert _flatness(augment.tonal_noise(SR, SR, kind, 300.0, 600.0, 3.0, seed=seed)) < 0.05


@pytest.mark.parametrize("kind", ["sweep", "chirp"])
def test_a_sweeping_tonal_noise_moves_its_pitch(kind):
    for seed in range(5):
        dominant = _dominant_hz(augment.tonal_noise(2 * SR, SR, kind, 300.0, 900.0, 2.0, seed=seed))
        low, high = np.percentile(dominant, [5, 95])
        assert high / low > 1.8  # the strongest line travels most of the way from low_hz to high_hz (x3)
        assert np.mean(np.abs(np.diff(dominant)) > 0) > 0.5  # and keeps moving


def test_tonal_steps_hold_two_or_three_tones_and_a_held_tone_stays_put():
    for seed in range(5):
        dominant = _dominant_hz(augment.tonal_noise(2 * SR, SR, "steps", 400.0, 600.0, 4.0, seed=seed))
        values, counts = np.unique(np.round(dominant / 25) * 25, return_counts=True)
        assert 2 <= (counts >= 0.1 * dominant.size).sum() <= 3 and counts[counts >= 0.1 * dominant.size].sum() > 0.8 * dominant.size
    held = _dominant_hz(augment.tonal_noise(SR, SR, "sweep", 500.0, 500.0, 2.0, seed=0))
    assert np.ptp(held) <= 2 * SR / 512


def test_tonal_beeps_switch_the_sound_on_and_off():
    y = augment.tonal_noise(2 * SR, SR, "sweep", 900.0, 900.0, 1.0, beeps_hz=3.0, seed=0).astype(np.float64)
    level = 10 * np.log10(np.mean(y[: y.size // 160 * 160].reshape(-1, 160) ** 2, axis=1))  # 20 ms blocks
    assert np.mean(level < level.max() - 15) > 0.15 and np.mean(level > level.max() - 6) > 0.25


def test_tonal_noise_rejects_bad_parameters():
    with pytest.raises(ParameterError, match="tonal kind"):
        augment.tonal_noise(SR, SR, "siren", 400.0, 800.0, 1.0)
    with pytest.raises(ParameterError, match="high_hz"):
        augment.tonal_noise(SR, SR, "sweep", 800.0, 400.0, 1.0)
    with pytest.raises(ParameterError, match="high_hz"):
        augment.tonal_noise(SR, SR, "sweep", 800.0, 3900.0, 1.0)  # above 0.45 sr: no room for the fundamental


def test_drawn_tonal_noise_is_a_few_narrow_lines():
    flatness = [_flatness(augment.draw_family("tonal", SR, SR, seed)) for seed in range(40)]
    assert np.median(flatness) < 0.02 and max(flatness) < 0.2


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


def test_the_general_mixer_draws_tonal_noise(mixer):
    recipe = augment.Recipe(weights=(("tonal", 1.0),))
    only_tonal = augment.GeneralMixer(mixer.clean, mixer.speakers, {}, [], [], SR, recipe=recipe, seed=3)
    for index in range(6):
        noisy, clean, name, snr = only_tonal.pair(index, 0)
        assert name == "tonal" and only_tonal.describe(index, 0)["kind"] == "tonal"
        added = noisy.astype(np.float64) - clean
        # a few narrow lines (white noise: about 0.56), and not a steep low rumble (its strongest bin lies
        # below 140 Hz, whereas the tonal fundamental starts at 150 Hz)
        assert _flatness(added) < 0.05 and np.mean(_dominant_hz(added) >= 140) > 0.9


def test_a_perturbed_recording_moves_the_pitch_of_its_noise_by_the_drawn_speed():
    """A 1 kHz alarm tone played 0.5-2 times faster lands between 500 Hz and 2 kHz, at a different place
    for different draws; the result is unit RMS, seeded, and half the draws are faster than the original."""
    t = np.arange(3 * SR) / SR
    recordings = {"alarm": np.sin(2 * np.pi * 1000 * t).astype(np.float32),
                  "other": np.sin(2 * np.pi * 300 * t).astype(np.float32)}
    peaks = []
    for seed in range(24):
        y = augment.perturbed_recording(recordings, "alarm", SR, SR, seed)
        assert y.shape == (SR,) and y.dtype == np.float32
        assert abs(np.sqrt(np.mean(y.astype(np.float64) ** 2)) - 1) < 1e-4
        spectrum = np.abs(np.fft.rfft(y))
        hz = np.fft.rfftfreq(SR, 1 / SR)
        peaks.append(hz[np.argmax(np.where(hz > 400, spectrum, 0))])  # the alarm (the "other" one lies below)
    assert np.array_equal(y, augment.perturbed_recording(recordings, "alarm", SR, SR, 23))
    peaks = np.array(peaks)
    assert peaks.min() >= 500 - 2 and peaks.max() <= 2000 + 2
    assert peaks.max() / peaks.min() > 2  # the drawn speeds spread the pitch over an octave and more
    assert 0.2 < np.mean(peaks > 1000) < 0.8
    with pytest.raises(ParameterError, match="no recording named 'siren'; the recordings are alarm, other"):
        augment.perturbed_recording(recordings, "siren", SR, SR, 0)


def test_the_mixer_perturbs_the_stated_share_of_noise_recordings(mixer):
    for share in (0.0, 0.5):
        recipe = augment.Recipe(weights=(("recording", 1.0),), noise_perturb_share=share)
        m = augment.GeneralMixer(mixer.clean, mixer.speakers, mixer.recordings, [], [], SR, recipe=recipe, seed=2)
        names = [m.pair(i, e)[2] for e in range(5) for i in range(len(m))]
        perturbed = np.mean([n.endswith("(perturbed)") for n in names])
        assert (perturbed == 0) if share == 0 else abs(perturbed - share) < 0.1
    assert "noise_perturb_share" not in augment.Recipe().to_dict()  # recipes saved before the option
    assert augment.Recipe.from_dict(recipe.to_dict()) == recipe
    with pytest.raises(ParameterError, match="noise_perturb_share"):
        augment.Recipe(noise_perturb_share=1.5)


def test_babble_with_one_talker_keeps_the_target_louder():
    recipe = augment.Recipe()
    assert recipe.snr_bounds("babble", 1)[0] == 0.0
    assert recipe.snr_bounds("babble", 2)[0] == -4.0
    assert recipe.snr_bounds("babble", 5)[0] == recipe.snr_range[0]


def test_recipe_round_trips_and_rejects_unknown_conditions():
    recipe = augment.Recipe()
    weights = dict(recipe.weights)
    assert set(augment.FAMILIES) <= set(weights) and weights["tonal"] > 0
    assert abs(sum(weights.values()) - 1) < 1e-9
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
