"""Chapter 6's metrics, baselines, peers and evaluation helpers, on real FSDD clips."""

from __future__ import annotations

import builtins

import numpy as np
import pandas as pd
import pytest

from digitdenoise import baselines, errors, evaluation, metrics
from digitdenoise.features import FeatureConfig

SR = 8000
CFG = FeatureConfig.for_sample_rate(SR)


@pytest.fixture(scope="module")
def clips(fsdd_table):
    from digitdenoise import data

    rows = fsdd_table[fsdd_table["speaker"] == "nicolas"].sort_values("clip_id").head(12)
    waves = data.read_clips(rows["path"], SR)
    lengths = np.array([min(w.size, SR) for w in waves])
    clean = np.zeros((len(waves), SR), np.float32)
    for i, w in enumerate(waves):
        clean[i, :lengths[i]] = w[:SR]
    return rows.reset_index(drop=True), clean, lengths


def _white(clean, lengths, snr_db, seed=0):
    rng = np.random.default_rng(seed)
    noisy = np.empty_like(clean)
    for i, (c, n) in enumerate(zip(clean, lengths)):
        noise = rng.standard_normal(c.size).astype(np.float32)
        gain = np.sqrt(np.sum(c[:n] ** 2) / np.sum(noise[:n] ** 2) / 10 ** (snr_db / 10))
        noisy[i] = c + gain * noise
    return noisy


# ---------------------------------------------------------------- metrics
def test_si_sdr_matches_fast_bss_eval(clips):
    fbe = pytest.importorskip("fast_bss_eval.numpy")  # its numpy backend: the top-level dispatcher needs torch
    _, clean, lengths = clips
    noisy = _white(clean, lengths, 0.0)
    for c, x, n in zip(clean, noisy, lengths):
        ours = metrics.si_sdr_db(c[:n], x[:n])
        ref = float(fbe.si_sdr(c[None, :n].astype(np.float64), x[None, :n].astype(np.float64), zero_mean=True)[0])
        assert ours == pytest.approx(ref, abs=1e-3)


def test_si_sdr_known_signals(clips):
    _, clean, lengths = clips
    c = clean[0][:lengths[0]]
    assert metrics.si_sdr_db(c, c) > 100
    assert metrics.si_sdr_db(c, 0.3 * c) > 100  # a scaled copy is still a perfect estimate
    x = _white(clean[:1], lengths[:1], 5.0)[0][:lengths[0]]
    assert metrics.si_sdr_db(c, 0.3 * x) == pytest.approx(metrics.si_sdr_db(c, x), abs=1e-6)
    # white noise is nearly orthogonal to speech, so SI-SDR of a mixture is close to its SNR
    assert metrics.si_sdr_db(c, x) == pytest.approx(metrics.snr_db(c, x), abs=0.3)
    assert metrics.snr_db(c, x) == pytest.approx(5.0, abs=1e-6)


def test_pesq_known_signals(clips):
    _, clean, lengths = clips
    c = clean[0][:lengths[0]]
    noisy = _white(clean[:1], lengths[:1], -5.0)[0][:lengths[0]]
    perfect, degraded = metrics.pesq_score(c, c, SR), metrics.pesq_score(c, noisy, SR)
    assert perfect > 4.0
    assert 1.0 <= degraded < 2.5
    assert metrics.pesq_score(c, 0.5 * c, SR) == pytest.approx(perfect, abs=0.05)  # level-aligned
    assert np.isnan(metrics.pesq_score(c, np.zeros_like(c), SR))  # cannot score: NaN, to be counted
    assert np.isnan(metrics.pesq_score(c[:400], c[:400], SR))  # too short for PESQ's alignment
    assert metrics.pesq_mode(16000) == "wb"
    with pytest.raises(errors.ParameterError, match="8000 or 16000"):
        metrics.pesq_score(c, c, 44100)


def test_estoi_on_concatenations(clips):
    _, clean, lengths = clips
    ref = np.concatenate([c[:n] for c, n in zip(clean, lengths)])
    noisy = np.concatenate([x[:n] for x, n in zip(_white(clean, lengths, -5.0), lengths)])
    assert metrics.estoi_score(ref, ref, SR) == pytest.approx(1.0, abs=1e-6)
    assert metrics.estoi_score(ref, noisy, SR) < 0.6
    with pytest.raises(errors.ParameterError, match="concatenate"):
        metrics.estoi_score(ref[:1000], ref[:1000], SR)
    table = evaluation.estoi_by_speaker(clean, clean, lengths, ["a"] * 6 + ["b"] * 6, SR)
    assert list(table["speaker"]) == ["a", "b"] and np.allclose(table["estoi"], 1.0)


def test_estoi_by_method_scores_every_condition_and_method_in_order_with_threads(clips):
    _, clean, lengths = clips
    speakers = ["a"] * 6 + ["b"] * 6
    estimates = {"white": {"clean": clean, "noisy": _white(clean, lengths, -5.0)},
                 "pink": {"noisy": _white(clean, lengths, 5.0)}}
    threaded = evaluation.estoi_by_method(estimates, clean, lengths, speakers, SR, workers=2)
    assert list(zip(threaded["noise"], threaded["method"])) == [("white", "clean"), ("white", "noisy"), ("pink", "noisy")]
    assert np.allclose(threaded["ESTOI"].iloc[0], 1.0) and threaded["ESTOI"].iloc[1] < threaded["ESTOI"].iloc[2] < 1.0
    assert (threaded["speakers"] == 2).all()
    serial = evaluation.estoi_by_method(estimates, clean, lengths, speakers, SR, workers=1)
    pd.testing.assert_frame_equal(threaded, serial)
    one = evaluation.estoi_by_speaker(clean, estimates["pink"]["noisy"], lengths, speakers, SR)
    assert threaded["ESTOI"].iloc[2] == pytest.approx(one["estoi"].mean())


# ---------------------------------------------------------------- classical baselines and oracles
@pytest.mark.parametrize("rule", ["wiener", "mmse_stsa"])
def test_statistical_gain_improves_white_noise(clips, rule):
    _, clean, lengths = clips
    noisy = _white(clean, lengths, 0.0)
    out = baselines.statistical_gain(noisy, CFG, rule=rule)
    assert out.shape == noisy.shape and np.isfinite(out).all()
    table = evaluation.si_sdr_table(clean, noisy, out, lengths)
    assert table["si_sdr_improvement"].mean() > 2.0


def test_statistical_gain_rejects_unknown_rule():
    with pytest.raises(errors.ParameterError, match="rule"):
        baselines.statistical_gain(np.zeros((1, SR), np.float32), CFG, rule="spectral subtraction")


def test_spectral_gating_runs_per_clip(clips):
    _, clean, lengths = clips
    noisy = _white(clean[:3], lengths[:3], 0.0)
    for stationary in (True, False):
        out = baselines.spectral_gating(noisy, SR, stationary=stationary)
        assert out.shape == noisy.shape and np.isfinite(out).all()
        assert evaluation.si_sdr_table(clean[:3], noisy, out, lengths[:3])["si_sdr_improvement"].mean() > 0


def test_oracles_beat_the_input(clips):
    _, clean, lengths = clips
    noisy = _white(clean, lengths, -8.0)
    for oracle in (baselines.ideal_ratio_mask, baselines.phase_sensitive_mask):
        assert evaluation.si_sdr_table(clean, noisy, oracle(clean, noisy, CFG), lengths)["si_sdr_improvement"].min() > 5


# ---------------------------------------------------------------- peers and delay compensation
def test_estimate_delay_finds_a_known_shift(clips):
    _, clean, lengths = clips
    c = clean[1][:lengths[1]]
    late = np.concatenate([np.zeros(37, np.float32), c])[:c.size]
    early = np.concatenate([c[25:], np.zeros(25, np.float32)])
    assert baselines.estimate_delay(c, late, max_lag=200) == 37
    assert baselines.estimate_delay(c, early, max_lag=200) == -25
    with pytest.raises(errors.ParameterError):
        baselines.estimate_delay(c, np.zeros(0), max_lag=10)


@pytest.mark.parametrize("peer", ["rnnoise", "deepfilternet3"])
def test_peer_delay_is_compensated(clips, peer):
    if baselines.peer_status(peer) is not None:
        pytest.skip(baselines.peer_status(peer))
    _, clean, lengths = clips
    noisy = _white(clean[:4], lengths[:4], 25.0)
    aligned = baselines.run_peer(peer, noisy, SR, lengths=lengths[:4])
    assert aligned.shape == noisy.shape
    for i in range(4):
        assert baselines.estimate_delay(clean[i][:lengths[i]], aligned[i][:lengths[i]], max_lag=400) == 0
        assert metrics.si_sdr_db(clean[i][:lengths[i]], aligned[i][:lengths[i]]) > 5
    expected = baselines.PEER_DELAY_48K[peer] * SR // baselines.PEER_RATE
    raw = baselines.run_peer(peer, noisy, SR, compensate=False)
    assert baselines.estimate_delay(clean[0][:lengths[0]], raw[0][:lengths[0]], max_lag=400) == expected


@pytest.mark.parametrize("peer", ["rnnoise", "deepfilternet3"])
def test_peer_on_real_length_only_is_the_same_for_one_clip(clips, peer):
    if baselines.peer_status(peer) is not None:
        pytest.skip(baselines.peer_status(peer))
    _, clean, lengths = clips
    noisy = _white(clean[2:3], lengths[2:3], 5.0)
    whole = baselines.run_peer(peer, noisy, SR)
    cut = baselines.run_peer(peer, noisy, SR, lengths=lengths[2:3])
    n = lengths[2]
    assert np.abs(whole[0, :n] - cut[0, :n]).max() < 1e-3 * np.abs(whole).max()
    assert not cut[0, n + int(baselines.PEER_MARGIN_S * SR):].any()


def test_deepfilternet3_gives_the_same_stream_whole_or_in_pieces(clips):
    """The peer is fed its 48 kHz stream in PEER_CHUNK_S pieces for speed; its state carries over, so the
    output equals one call on the whole stream, sample for sample, whatever the piece length."""
    if baselines.peer_status("deepfilternet3") is not None:
        pytest.skip(baselines.peer_status("deepfilternet3"))
    import librosa

    _, clean, lengths = clips
    noisy = _white(clean[:6], lengths[:6], 0.0)
    stream = np.concatenate([librosa.resample(x, orig_sr=SR, target_sr=baselines.PEER_RATE) for x in noisy])
    whole = baselines._run_peer_48k("deepfilternet3", stream, chunk_s=stream.size / baselines.PEER_RATE + 1)
    for chunk_s in (0.37, 1.0, baselines.PEER_CHUNK_S):
        pieces = baselines._run_peer_48k("deepfilternet3", stream, chunk_s=chunk_s)
        assert pieces.shape == whole.shape and np.array_equal(pieces, whole)


def test_missing_peer_is_reported_not_raised(monkeypatch, clips):
    real_import = builtins.__import__

    def no_rnnoise(name, *args, **kwargs):
        if name.startswith("pyrnnoise"):
            raise ImportError("No module named 'pyrnnoise'")
        return real_import(name, *args, **kwargs)

    baselines._peer_backend.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_rnnoise)
    try:
        reason = baselines.peer_status("rnnoise")
        assert reason is not None and "pip install pyrnnoise" in reason
        methods, missing = evaluation.standard_methods(CFG, peers=["rnnoise"], classical=False, oracles=False)
        assert "rnnoise" in missing and [m.name for m in methods] == ["noisy input"]
        with pytest.raises(baselines.PeerUnavailable, match="not installed"):
            baselines.run_peer("rnnoise", np.zeros((1, SR), np.float32), SR)
    finally:
        baselines._peer_backend.cache_clear()


def test_a_failing_method_is_skipped_and_recorded(clips):
    rows, clean, lengths = clips

    def broken(noisy, clean, lengths):
        raise baselines.PeerUnavailable("the peer crashed")

    methods = [evaluation.Method("noisy input", "input", lambda x, c, n: x),
               evaluation.Method("broken peer", "peer", broken)]
    failures = {}
    noisy = _white(clean[:3], lengths[:3], 0.0)
    table, _ = evaluation.evaluate_methods(methods, clean[:3], noisy, lengths[:3], rows.head(3), SR,
                                           condition={"noise": "white"}, failures=failures)
    assert failures == {"broken peer": "the peer crashed"}
    assert set(table["method"]) == {"noisy input"} and len(table) == 3
    assert np.allclose(table["si_sdr_improvement"], 0.0)


def test_wrong_output_shape_is_an_error(clips):
    rows, clean, lengths = clips
    bad = [evaluation.Method("cropper", "classical", lambda x, c, n: x[:, :100])]
    with pytest.raises(errors.ParameterError, match="cropper returned shape"):
        evaluation.evaluate_methods(bad, clean[:2], clean[:2], lengths[:2], rows.head(2), SR)


# ---------------------------------------------------------------- summaries
def test_bootstrap_ci_covers_the_mean_and_ignores_nan():
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 1.0, 400)
    mean, lo, hi = evaluation.bootstrap_ci(np.append(x, np.nan), seed=0)
    assert mean == pytest.approx(x.mean())
    assert lo < 3.0 < hi and hi - lo == pytest.approx(2 * 1.96 / np.sqrt(400), rel=0.2)
    assert evaluation.bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert np.isnan(evaluation.bootstrap_ci([np.nan])[0])


def test_summary_counts_failures_and_best_skips_oracles():
    per_clip = pd.DataFrame({
        "method": ["a"] * 4 + ["b"] * 4 + ["oracle"] * 4,
        "noise": ["white"] * 12,
        "pesq": [1.0, 1.2, np.nan, 1.1, 2.0, 2.1, 2.2, 1.9, 4.0, 4.1, 4.2, 4.3],
    })
    summary = evaluation.summarise(per_clip, "pesq", n_boot=200)
    assert dict(zip(summary["method"], summary["failed"])) == {"a": 1, "b": 0, "oracle": 0}
    text, best = evaluation.wide_table(summary, order=["a", "b", "oracle"], oracle_rows=["oracle"])
    assert best.loc["b", "white"] and not best.loc["oracle", "white"] and not best.loc["a", "white"]
    assert text.loc["a", "white"].startswith("1.10 [")
    with pytest.raises(errors.ParameterError, match="not in the results"):
        evaluation.summarise(per_clip, "stoi")


def test_run_peer_rejects_lengths_of_the_wrong_shape():
    with pytest.raises(errors.ParameterError, match="one value per clip"):
        baselines.run_peer("rnnoise", np.zeros((2, SR), np.float32), SR, lengths=np.array([SR]))
    with pytest.raises(errors.ParameterError, match="peer"):
        baselines.run_peer("speexdsp", np.zeros((1, SR), np.float32), SR)


def test_quality_bar_scores_model_and_oracle_on_the_same_clips(data_home):
    from digitdenoise import inference, training

    model, _ = training.load_denoiser(inference.default_model_dir())
    bar = evaluation.quality_bar(model, "fsdd", data_home, max_clips=12)
    r = bar["results"]
    assert bar["clips"] == 12 and bar["test_speakers"] == ["nicolas"] and bar["noise"] == "white"
    assert set(r) == {"model", "model_own_length", "oracle_irm"}
    assert bar["ratio_model_to_irm"] == pytest.approx(r["model"]["si_sdr_improvement_db"]
                                                      / r["oracle_irm"]["si_sdr_improvement_db"])
    # the trained model and the oracle both help a lot at -8 dB; the two model paths agree
    assert r["oracle_irm"]["si_sdr_improvement_db"] > 8 and r["model"]["si_sdr_improvement_db"] > 8
    assert abs(r["model"]["si_sdr_improvement_db"] - r["model_own_length"]["si_sdr_improvement_db"]) < 0.6
    for row in r.values():
        assert row["ci95"][0] <= row["si_sdr_improvement_db"] <= row["ci95"][1]
    d = bar["model_minus_irm_db"]
    assert d["mean"] == pytest.approx(r["model"]["si_sdr_improvement_db"] - r["oracle_irm"]["si_sdr_improvement_db"])
    assert d["ci95"][0] <= d["mean"] <= d["ci95"][1] and 0 <= d["share_of_clips_model_better"] <= 1
    untrained = evaluation.quality_bar(models_mask_unet(), "fsdd", data_home, max_clips=12)
    same = untrained["results"]["oracle_irm"]
    assert untrained["ratio_model_to_irm"] < 0.1
    assert same["si_sdr_improvement_db"] == pytest.approx(r["oracle_irm"]["si_sdr_improvement_db"], abs=1e-6)


def models_mask_unet():
    from digitdenoise import features, models

    return models.build_denoiser("mask_unet", features.FeatureConfig.for_sample_rate(8000))
