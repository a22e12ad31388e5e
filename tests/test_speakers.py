"""Chapter 7's population of speechocean762 test speakers, its tests, power and the clip-versus-speaker
demonstration (lib/digitdenoise/speakers.py), on the real data mirror and on simulations with a known
answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from digitdenoise import errors, evaluation, speakers
from digitdenoise.datasets import hu_nonspeech, speechocean762


@pytest.fixture(scope="module")
def test_utterances(data_home):
    return speechocean762.load_utterances(data_home, splits=("test",), audio=False, download=False)


# ---------------------------------------------------------------- the population
def test_population_caps_utterances_and_spreads_a_small_run_over_strata(test_utterances):
    everyone = speakers.select_population(test_utterances, per_speaker=None)
    assert everyone["speaker"].nunique() == 101 and len(everyone) == len(test_utterances)
    assert set(everyone["gender"]) == {"female", "male"}
    assert set(everyone["age group"]) == {label for label, _, _ in speechocean762.AGE_GROUPS}
    # gender is recorded for every test speaker and splits them into two large groups
    per_gender = everyone.groupby("gender")["speaker"].nunique()
    assert per_gender.min() >= 20 and per_gender.sum() == 101

    capped = speakers.select_population(test_utterances, per_speaker=2, seed=3)
    assert capped.groupby(["speaker", "kind"]).size().max() == 2
    assert capped["speaker"].nunique() == 101
    assert capped.equals(speakers.select_population(test_utterances, per_speaker=2, seed=3))

    small = speakers.select_population(test_utterances, per_speaker=1, max_speakers=8, seed=0)
    assert small["speaker"].nunique() == 8
    assert set(small["gender"]) == {"female", "male"} and (small["kind"] == "digits").any()
    with pytest.raises(errors.ParameterError, match="no 'gender' column"):
        speakers.select_population(test_utterances.drop(columns="gender"))


def test_population_mixtures_hit_the_snr_and_each_draw_belongs_to_its_utterance(test_utterances, data_home):
    sr = 8000
    rows = speakers.select_population(test_utterances, per_speaker=1, max_speakers=4, seed=1)
    signals = speechocean762.read(rows, sr, data_home, download=False)
    noises = hu_nonspeech.load("test", sr, data_home, download=False)
    mix = speakers.population_mixtures(rows, signals, noises, snr_db=0.0, sr=sr, seed=5)
    assert len(mix.noisy) == len(rows) and set(mix.table["noise"]) <= set(noises)
    for clean, noisy, kind, original in zip(mix.clean, mix.noisy, mix.table["kind"], signals):
        snr = 10 * np.log10(np.sum(clean.astype(np.float64) ** 2) / np.sum((noisy - clean).astype(np.float64) ** 2))
        assert snr == pytest.approx(0.0, abs=0.01)
        assert clean.size == (min(original.size, 4 * sr) if kind == "sentence" else original.size)
    # the draw depends on the utterance and the seed, not on which other utterances are in the run
    alone = speakers.population_mixtures(rows.iloc[[2]], [signals[2]], noises, snr_db=0.0, sr=sr, seed=5)
    np.testing.assert_array_equal(alone.noisy[0], mix.noisy[2])
    other_seed = speakers.population_mixtures(rows, signals, noises, snr_db=0.0, sr=sr, seed=6)
    assert not np.allclose(other_seed.noisy[0], mix.noisy[0])
    with pytest.raises(errors.ParameterError, match="population_noise"):
        speakers.population_noises("traffic", sr, data_home)


def test_the_release_model_improves_the_population_it_never_heard(test_utterances, data_home):
    from digitdenoise import inference, training

    model, _ = training.load_denoiser(inference.default_model_dir())
    sr = model.cfg.sample_rate
    rows = speakers.select_population(test_utterances, per_speaker=1, max_speakers=3, seed=0)
    rows = rows[rows["kind"] == "sentence"]
    mix = speakers.population_mixtures(rows, speechocean762.read(rows, sr, data_home, download=False),
                                       speakers.population_noises("white", sr, data_home), snr_db=0.0, sr=sr)
    scores = speakers.score_population(model, mix, cache=False)
    assert len(scores) == len(rows) and {"speaker", "gender", "age group", *speakers.METRICS} <= set(scores.columns)
    # white noise at 0 dB: the release model removes a lot of it on voices it never trained on
    assert scores["si_sdr_improvement"].min() > 3.0
    assert scores["estoi_improvement"].mean() > 0


# ---------------------------------------------------------------- tests over the population
def _population_like(gender_effect: float, *, n_speakers: int = 60, clips: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_speakers):
        gender = "female" if s % 2 else "male"
        age = ["children (6-12)", "teenagers (13-19)", "adults (20+)"][s % 3]
        offset = rng.normal(0, 1.5) + gender_effect * (gender == "female")
        for kind in ("digits", "sentence"):
            if kind == "digits" and s % 4:
                continue  # like the corpus: a quarter of the speakers read digit strings
            for _ in range(clips):
                rows.append({"speaker": f"s{s:03d}", "kind": kind, "gender": gender, "age group": age,
                             "si_sdr_improvement": 8 + offset + rng.normal(0, 3),
                             "pesq_improvement": 0.4 + 0.1 * offset + rng.normal(0, 0.2)})
    return pd.DataFrame(rows)


def test_population_tests_correct_over_the_whole_family():
    from statsmodels.stats.multitest import multipletests

    table = _population_like(3.0)
    out = speakers.population_tests(table, ["gender", "age group"], ["si_sdr_improvement", "pesq_improvement"],
                                    min_speakers=3, n_perm=999)
    assert len(out) == 8
    tested = out[out["p_value"].notna()]
    np.testing.assert_allclose(tested["p_holm"], multipletests(tested["p_value"], method="holm")[1])
    assert (tested["p_holm"] >= tested["p_value"]).all()
    gender = out[(out["kind"] == "sentence") & (out["attribute"] == "gender")].iloc[0]
    assert gender["significant"] and gender["groups"] == "female 30, male 30"
    age = out[(out["kind"] == "sentence") & (out["attribute"] == "age group")]
    assert not age["significant"].any()
    # digit strings: 15 speakers, all of them with an even number, so every one is male
    digits = out[(out["kind"] == "digits") & (out["attribute"] == "gender")].iloc[0]
    assert np.isnan(digits["p_value"]) and "untestable" in digits["note"]


def test_group_difference_recovers_a_planted_effect_with_a_speaker_interval():
    table = _population_like(2.0, n_speakers=80)
    d = speakers.group_difference(table[table["kind"] == "sentence"], "si_sdr_improvement", "gender", "female",
                                  "male", n_boot=1000)
    assert d["ci_low"] < 2.0 < d["ci_high"] and d["ci_low"] > 0 and d["cohen_d"] > 0.8
    assert d["speakers_high"] == d["speakers_low"] == 40
    null = speakers.group_difference(_population_like(0.0, n_speakers=80, seed=4), "si_sdr_improvement", "gender",
                                     "female", "male", n_boot=1000)
    assert null["ci_low"] < 0 < null["ci_high"]
    with pytest.raises(errors.ParameterError, match="at least two"):
        speakers.group_difference(table[table["speaker"].isin(["s000", "s001", "s002"])], "si_sdr_improvement",
                                  "gender", "female", "male")


# ---------------------------------------------------------------- power
def test_vectorised_permutation_test_agrees_with_the_chapter_test():
    rng = np.random.default_rng(2)
    for labels in (np.array(["a"] * 12 + ["b"] * 9), np.array(["x"] * 8 + ["y"] * 6 + ["z"] * 10)):
        values = rng.normal(0, 1, labels.size) + 0.5 * (labels == labels[0])
        table = pd.DataFrame({"speaker": [f"s{i}" for i in range(labels.size)], "group": labels, "v": values})
        expected = evaluation.permutation_test(table, "v", "group", n_perm=4999, seed=1)["p_value"]
        got = speakers.permutation_p_values(values[None, :], labels, n_perm=4999, seed=7)[0]
        assert got == pytest.approx(expected, abs=0.02)


def test_power_is_one_for_a_large_effect_and_alpha_for_none():
    assert speakers.permutation_power([30, 30], 1.0, 1.5, n_sim=300) > 0.97
    null = speakers.permutation_power([47, 54], 1.0, 0.0, n_sim=2000, seed=3)
    assert 0.03 < null < 0.07
    null3 = speakers.permutation_power([42, 15, 44], 2.0, 0.0, n_sim=2000, seed=4)
    assert 0.03 < null3 < 0.07
    with pytest.raises(errors.ParameterError, match="two groups"):
        speakers.permutation_power([50], 1.0, 1.0)


def test_minimum_detectable_difference_matches_normal_theory_and_scales_with_spread():
    mde = speakers.minimum_detectable_difference([50, 50], 1.0, n_sim=600)
    theory = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * np.sqrt(2 / 50)
    assert mde == pytest.approx(theory, rel=0.15)
    assert speakers.minimum_detectable_difference([50, 50], 3.0, n_sim=600) == pytest.approx(3 * mde, rel=0.02)
    assert speakers.permutation_power([50, 50], 1.0, mde, n_sim=2000, seed=9) == pytest.approx(0.8, abs=0.06)
    # fewer speakers, larger detectable difference; a third group left midway makes it harder still
    assert speakers.minimum_detectable_difference([10, 10], 1.0, n_sim=600) > 2 * mde
    assert speakers.minimum_detectable_difference([50, 50, 50], 1.0, n_sim=600) > mde
    # two speakers against two can be split only six ways: no difference ever reaches p <= 0.05
    assert speakers.minimum_detectable_difference([2, 2], 1.0, n_sim=100) == np.inf


def test_power_table_covers_every_testable_attribute():
    table = _population_like(1.0)
    out = speakers.power_table(table, ["gender", "age group"], ["si_sdr_improvement", "pesq_improvement"], by="kind",
                               n_sim=200)
    sentence = out[out["kind"] == "sentence"].set_index(["attribute", "metric"])
    assert sentence["detectable"].notna().all()
    ratio = sentence["detectable / spread"]
    assert ratio.loc[("gender", "si_sdr_improvement")] == ratio.loc[("gender", "pesq_improvement")]
    spread = speakers.pooled_spread(table[table["kind"] == "sentence"], "si_sdr_improvement", "gender")
    assert sentence.loc[("gender", "si_sdr_improvement"), "spread"] == pytest.approx(spread)
    digits = out[(out["kind"] == "digits") & (out["attribute"] == "gender")]
    assert digits["detectable"].isna().all()


# ---------------------------------------------------------------- the report's mistake
def test_clip_level_p_values_equal_a_one_way_anova_on_the_clips():
    rng = np.random.default_rng(0)
    labels = np.array(["a", "a", "b", "b", "b", "c"])
    clips = rng.normal(0, 1, (labels.size, 7)) + rng.normal(0, 1, (labels.size, 1))
    means = clips.mean(axis=1)
    ss = ((clips - means[:, None]) ** 2).sum(axis=1)
    got = speakers.clip_level_p_values(means, ss, 7, labels)[0]
    expected = stats.f_oneway(*[clips[labels == g].ravel() for g in "abc"]).pvalue
    assert got == pytest.approx(expected, rel=1e-9)


def test_clip_level_tests_find_effects_that_are_not_there_on_the_real_audiomnist_speakers(data_home):
    from digitdenoise import data

    meta = data.audiomnist_metadata(data_home, download=False)
    assert len(meta) == 60
    out = speakers.clip_versus_speaker_false_positives(meta, ["gender", "room", "continent"], clips=500,
                                                       speaker_sd=2.0, clip_sd=4.0, n_sim=200).set_index("attribute")
    assert out.loc["gender", "groups"] == "female 12, male 48" and out.loc["gender", "clips"] == 30000
    assert (out["clip-level false positives"] > 0.5).all()
    assert (out["speaker-level false positives"] < 0.12).all()
    # without speaker effects, clips are independent and both tests keep their level
    flat = speakers.clip_versus_speaker_false_positives(meta, ["gender"], clips=50, speaker_sd=0.0, clip_sd=4.0,
                                                        n_sim=300)
    assert flat["clip-level false positives"].iloc[0] < 0.12


def test_variance_components_recover_the_planted_spreads():
    rng = np.random.default_rng(1)
    rows = [{"speaker": s, "v": u + rng.normal(0, 3.0)} for s, u in enumerate(rng.normal(0, 2.0, 400))
            for _ in range(5)]
    speaker_sd, clip_sd = speakers.variance_components(pd.DataFrame(rows), "v")
    assert speaker_sd == pytest.approx(2.0, rel=0.15) and clip_sd == pytest.approx(3.0, rel=0.05)
    icc, deff = speakers.design_effect(500, 2.0, 4.0)
    assert icc == pytest.approx(0.2) and deff == pytest.approx(100.8)
