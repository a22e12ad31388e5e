import numpy as np
import pytest

from digitdenoise import baselines, data, evaluation, features, metrics, noise
from digitdenoise.errors import DataError, ParameterError


def test_si_sdr_properties(fsdd_table):
    clean = data.read_audio(fsdd_table["path"][7])[0]
    assert metrics.si_sdr_db(clean, clean) > 100
    assert metrics.si_sdr_db(clean, 0.3 * clean) > 100  # scale does not matter
    noisy, _ = noise.mix_at_snr(clean, noise.coloured_noise("white", clean.size, seed=0), 0)
    assert metrics.si_sdr_db(clean, noisy) == pytest.approx(metrics.si_sdr_db(clean, 5 * noisy), abs=1e-6)
    # for noise uncorrelated with the speech, SI-SDR is close to the SNR
    assert metrics.si_sdr_db(clean, noisy) == pytest.approx(0.0, abs=0.5)
    with pytest.raises(ParameterError, match="silent reference"):
        metrics.si_sdr_db(np.zeros(10), np.ones(10))


def test_oracle_masks_improve_and_keep_length(fsdd_table):
    cfg = features.FeatureConfig()
    clips = data.read_clips(fsdd_table["path"][:6])
    for clean in clips:
        noisy, _ = noise.mix_at_snr(clean, noise.coloured_noise("white", clean.size, seed=1), -8)
        before = metrics.si_sdr_db(clean, noisy)
        irm = baselines.ideal_ratio_mask(clean, noisy, cfg)
        psm = baselines.phase_sensitive_mask(clean, noisy, cfg)
        assert irm.shape == clean.shape == psm.shape
        assert metrics.si_sdr_db(clean, irm) > before + 5
        assert metrics.si_sdr_db(clean, psm) > before + 5
    with pytest.raises(ParameterError, match="same shape"):
        baselines.ideal_ratio_mask(clips[0], clips[0][:-1], cfg)


def test_eval_mixtures_exact_snr_over_the_real_length(fsdd_table):
    table = fsdd_table.head(8)
    clean, lengths = data.load_waveforms(table, 8000, 8000, cache=False)
    noisy = evaluation.eval_mixtures(clean, lengths, noise.NoiseSource(8000), "pink", -8.0, seed=1)
    for c, x, n in zip(clean, noisy, lengths):
        assert metrics.snr_db(c[:n], x[:n]) == pytest.approx(-8.0, abs=0.01)
        if n < c.size:
            assert np.abs(x[n:]).max() > 0  # noise continues over the padding
    again = evaluation.eval_mixtures(clean, lengths, noise.NoiseSource(8000), "pink", -8.0, seed=1)
    assert np.array_equal(noisy, again)
    t = evaluation.si_sdr_table(clean, noisy, clean, lengths)
    assert (t["si_sdr_out"] > 100).all() and (t["si_sdr_improvement"] > 100).all()


def test_snr_gain():
    clean, n = np.ones(100), np.full(100, 2.0)
    g = noise.snr_gain(clean, n, 0.0)
    assert metrics.snr_db(clean, clean + g * n) == pytest.approx(0.0)
    with pytest.raises(DataError, match="silent"):
        noise.snr_gain(np.zeros(3), n[:3], 0.0)


def test_mixer_babble_excludes_the_clips_own_speaker():
    sr, n = 8000, 4000
    t = np.arange(n) / sr
    speakers = ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"]
    freq = {"a": 500, "b": 900, "c": 1300, "d": 1700, "e": 2100}
    clean = np.stack([np.sin(2 * np.pi * freq[s] * t) for s in speakers]).astype(np.float32)
    mixer = noise.OnTheFlyMixer(clean, noise.NoiseSource(sr), kinds=["babble"], snr_range=(0, 0), seed=0,
                                speakers=speakers, babble_pool=8)
    for i, spk in enumerate(speakers):
        for epoch in range(3):
            noisy, c, kind, snr = mixer.pair(i, epoch)
            spectrum = np.abs(np.fft.rfft(noisy - c))
            assert spectrum[int(freq[spk] * n / sr)] < 1e-3 * spectrum.max()
    with pytest.raises(ParameterError, match="entries for"):
        noise.OnTheFlyMixer(clean, noise.NoiseSource(sr), speakers=speakers[:-1])


def test_score_clips_with_precomputed_input_scores_matches_scoring_from_scratch(fsdd_table):
    cfg = features.FeatureConfig()
    clips = data.read_clips(fsdd_table["path"][:4])
    n = max(len(c) for c in clips)
    clean = np.stack([np.pad(c, (0, n - len(c))) for c in clips]).astype(np.float32)
    lengths = np.array([len(c) for c in clips])
    rng = np.random.default_rng(0)
    noisy = clean + 0.05 * rng.standard_normal(clean.shape).astype(np.float32)
    estimate = baselines.ideal_ratio_mask(clean, noisy, cfg)
    fresh = evaluation.score_clips(clean, estimate, noisy, lengths, 8000)
    table, _ = evaluation.evaluate_methods(
        [evaluation.Method("irm", "oracle", lambda x, c, l: baselines.ideal_ratio_mask(c, x, cfg))],
        clean, noisy, lengths, fsdd_table.iloc[:4], 8000)
    for column in fresh.columns:
        np.testing.assert_allclose(table[column].to_numpy(), fresh[column].to_numpy(), rtol=1e-12)
    assert list(fresh.columns[:6]) == ["si_sdr", "si_sdr_in", "snr", "snr_in", "pesq", "pesq_in"]
    assert (fresh["si_sdr_improvement"] > 0).all()


def test_statistics_names_stay_reachable_through_evaluation():
    """The statistics moved to statistics.py are the same objects as evaluation.<name>, listed in its __all__."""
    from digitdenoise import statistics

    moved = ["mean_ci", "group_summary", "bootstrap_ci", "speaker_bootstrap_ci", "permutation_test",
             "attribute_tests", "speaker_group_summary", "association", "paired_gap", "within_speaker_spread_test"]
    for name in moved:
        assert getattr(evaluation, name) is getattr(statistics, name), name
        assert getattr(statistics, name).__module__ == "digitdenoise.statistics", name
    assert set(moved) <= set(evaluation.__all__)
    assert all(hasattr(evaluation, name) for name in evaluation.__all__)
    assert evaluation.mean_ci([1.0, 2.0, 3.0])[0] == pytest.approx(2.0)
