"""Library pieces behind chapters 2-4: pair alignment, speech-dominated share, waveform cache,
the on-the-fly mixer, confidence intervals and feature helpers."""

import numpy as np
import pandas as pd
import pytest

from digitdenoise import config, data, evaluation, features, metrics, noise
from digitdenoise.errors import DataError, ParameterError


def _clean(fsdd_table, i=10):
    return data.read_audio(fsdd_table["path"][i])[0]


@pytest.mark.parametrize("lag, gain", [(0, 1.0), (80, 0.5), (-37, 2.3), (400, 0.91)])
def test_align_pair_recovers_delay_and_gain(fsdd_table, lag, gain):
    clean = _clean(fsdd_table)
    sr = 8000
    noisy, _ = noise.mix_at_snr(clean, noise.coloured_noise("white", len(clean), seed=1), -8)
    shifted = np.concatenate([np.zeros(lag), noisy])[: len(noisy) + 200] if lag >= 0 else noisy[-lag:]
    shifted = gain * np.pad(shifted, (0, 100))
    naive = metrics.snr_db(clean, shifted[: len(clean)]) if len(shifted) >= len(clean) else None
    c, x, found_lag, found_gain = metrics.align_pair(clean, shifted, sr)
    assert found_lag == lag
    assert found_gain == pytest.approx(gain, rel=0.1)  # noise correlates a little with speech
    # the gain estimate carries the noise's chance correlation with the speech: within 1 dB per clip
    assert metrics.snr_db(c, x) == pytest.approx(-8, abs=1.0)
    if lag != 0 and naive is not None:
        assert abs(naive + 8) > 0.3  # the pitfall: misaligned or rescaled, speech leaks into the "noise"


def test_aligned_snr_is_unbiased_over_many_clips(fsdd_table):
    found = []
    for i in range(30):
        clean = data.read_audio(fsdd_table["path"][i * 97])[0]
        noisy, _ = noise.mix_at_snr(clean, noise.coloured_noise("pink", len(clean), seed=i), -8)
        stored = 0.7 * np.concatenate([np.zeros(160), noisy, np.zeros(50)])
        c, x, lag, _ = metrics.align_pair(clean, stored, 8000)
        assert lag == 160
        found.append(metrics.snr_db(c, x))
    assert np.mean(found) == pytest.approx(-8, abs=0.2)


def test_align_pair_errors():
    with pytest.raises(ParameterError, match="silent"):
        metrics.align_pair(np.zeros(100), np.ones(100), 8000)
    with pytest.raises(ParameterError, match="non-empty 1-D"):
        metrics.align_pair(np.zeros(0), np.ones(100), 8000)


def test_speech_dominated_share_falls_with_snr(fsdd_table):
    clean = _clean(fsdd_table)
    n = noise.coloured_noise("white", len(clean), seed=0)
    shares = []
    for snr in (10, 0, -10):
        _, scaled = noise.mix_at_snr(clean, n, snr)
        shares.append(metrics.speech_dominated_share(clean, scaled, 256, 64))
    assert 1 >= shares[0] > shares[1] > shares[2] >= 0
    with pytest.raises(ParameterError, match="same shape"):
        metrics.speech_dominated_share(clean, n[:-1], 256, 64)


def test_long_term_spectrum_of_white_noise_is_flat():
    f, level = metrics.long_term_spectrum_db(noise.coloured_noise("white", 80000, seed=0), 8000, 512)
    assert np.ptp(level[5:-5]) < 3


def test_load_waveforms_fixed_length_and_cache(fsdd_table, tmp_path, monkeypatch):
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path))
    table = fsdd_table.head(12)
    w, lengths = data.load_waveforms(table, 8000, 4000)
    assert w.shape == (12, 4000) and w.dtype == np.float32
    assert (lengths == np.minimum(table["n_samples"], 4000)).all()
    first = data.read_audio(table["path"].iloc[0])[0]
    assert np.allclose(w[0, : lengths[0]], first[: lengths[0]], atol=1 / 32767)  # the 16-bit cache quantum
    assert np.all(w[lengths < 4000][:, -1] == 0) if (lengths < 4000).any() else True
    cached = list((tmp_path / "waveforms").glob("*.npz"))
    assert len(cached) == 1
    w2, l2 = data.load_waveforms(table, 8000, 4000)
    assert np.allclose(w, w2, atol=1 / 32767) and (l2 == lengths).all()
    w16, _ = data.load_waveforms(table.head(2), 16000, 8000, cache=False)
    assert w16.shape == (2, 8000)
    with pytest.raises(ParameterError, match="empty clip table"):
        data.load_waveforms(table.head(0), 8000, 100)


def test_on_the_fly_mixer_is_exact_fresh_and_reproducible(fsdd_table):
    clean = np.stack([features.fix_length(c, 6000) for c in data.read_clips(fsdd_table["path"][:16])])
    source = noise.NoiseSource(8000, recordings={"hum": np.sin(np.arange(20000) * 0.05)},
                               babble_clips=list(clean[:6]))
    mixer = noise.OnTheFlyMixer(clean, source, snr_range=(-10, 5), seed=1)
    x0, c0, kind0, snr0 = mixer.pair(3, epoch=0)
    x0b, *_ = mixer.pair(3, epoch=0)
    x1, *_ = mixer.pair(3, epoch=1)
    assert np.array_equal(x0, x0b) and not np.array_equal(x0, x1)
    assert -10 <= snr0 <= 5 and kind0 in source.kinds
    assert metrics.snr_db(c0, x0) == pytest.approx(snr0, abs=0.01)
    batches = list(mixer.batches(0, 5))
    assert [b[0].shape[0] for b in batches] == [5, 5, 5, 1]
    kinds = {mixer.draw(i, e)[0] for i in range(16) for e in range(10)}
    assert kinds == set(source.kinds)


def test_mixer_errors(fsdd_table):
    source = noise.NoiseSource(8000)
    with pytest.raises(ParameterError, match="n_clips, n_samples"):
        noise.OnTheFlyMixer(np.ones(10), source)
    with pytest.raises(ParameterError, match="low end"):
        noise.OnTheFlyMixer(np.ones((2, 10)), source, snr_range=(5, -5))
    with pytest.raises(ParameterError, match="noise kind='babble'"):
        noise.OnTheFlyMixer(np.ones((2, 10)), source, kinds=["babble"])
    with pytest.raises(DataError, match="silent"):
        noise.OnTheFlyMixer(np.zeros((2, 10)), source)


def test_mean_ci_and_group_summary():
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(400):
        _, lo, hi = evaluation.mean_ci(rng.normal(1.0, 2.0, 30))
        covered += lo <= 1.0 <= hi
    assert 0.92 <= covered / 400 <= 0.98  # a 95% interval covers the true mean about 95% of the time
    df = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 3, "v": [1, 2, 3, 4, 5, 10, 10, 10]})
    s = evaluation.group_summary(df, "g", "v").set_index("g")
    assert s.loc["a", "mean"] == 3 and s.loc["a", "n"] == 5 and s.loc["a", "ci_low"] < 3 < s.loc["a", "ci_high"]
    assert s.loc["b", "ci_low"] == s.loc["b", "ci_high"] == 10
    assert np.isnan(evaluation.mean_ci([1.0])[1])
    with pytest.raises(ParameterError, match="column 'w'"):
        evaluation.group_summary(df, "g", "w")


def test_feature_helpers(fsdd_table):
    cfg = features.FeatureConfig()
    batch = np.stack([features.fix_length(c, cfg.n_samples) for c in data.read_clips(fsdd_table["path"][:4])])
    logmag = features.log_magnitude_batch(batch, cfg)
    assert logmag.shape == (4, cfg.n_freqs, cfg.n_frames)
    assert np.allclose(logmag[2], features.log_magnitude(features.stft(batch[2], cfg), cfg), atol=1e-5)
    t = np.arange(16000) / 16000
    tone = np.sin(2 * np.pi * 1000 * t) + np.sin(2 * np.pi * 6000 * t)
    assert features.energy_above(tone, 16000, 4000) == pytest.approx(0.5, abs=0.01)
    assert features.energy_above(tone, 16000, 8000) == 0.0
    rep = features.duration_report([0.5, 1.0, 1.5, 2.0], 1.0)
    assert rep["clips_cut_share"] == 0.5 and rep["mean_cut_s"] == 0.75 and rep["mean_padding_share"] == 0.125


def test_make_pairs_babble_never_contains_the_speaker(fsdd_table):
    table = data.subsample(fsdd_table, 3, seed=0)
    clips = data.read_clips(table["path"])
    pairs = noise.make_pairs(table, clips, ["white", "babble"], -8, sr=8000, seed=2, talkers_per_pool=10)
    assert len(pairs) == 2 * len(table)
    for p in pairs:
        assert metrics.snr_db(p["clean"], p["noisy"]) == pytest.approx(-8, abs=0.01)
    again = noise.make_pairs(table, clips, ["white", "babble"], -8, sr=8000, seed=2, talkers_per_pool=10)
    assert all(np.array_equal(a["noisy"], b["noisy"]) for a, b in zip(pairs, again))
    # give every speaker a tone of its own: a speaker's babble must not contain its own tone
    sr, n = 8000, 4000
    t = np.arange(n) / sr
    spk = ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"]
    freq = {"a": 500, "b": 900, "c": 1300, "d": 1700, "e": 2100}
    synthetic = [np.sin(2 * np.pi * freq[s_] * t).astype(np.float32) for s_ in spk]
    fake = pd.DataFrame({"clip_id": [f"x{i}" for i in range(10)], "speaker": spk, "digit": [0] * 10})
    for p in noise.make_pairs(fake, synthetic, ["babble"], 0, sr=sr, seed=1, talkers_per_pool=8):
        spectrum = np.abs(np.fft.rfft(p["noise_signal"]))
        own = spectrum[int(freq[p["speaker"]] * n / sr)]
        assert own < 1e-3 * spectrum.max(), p["speaker"]
    with pytest.raises(ParameterError, match="rows but"):
        noise.make_pairs(table, clips[:-1], ["white"], -8, sr=8000)


def test_log_magnitude_batch_chunks_agree(fsdd_table):
    cfg = features.FeatureConfig()
    w = np.random.default_rng(0).standard_normal((10, cfg.n_samples)).astype(np.float32) * 0.1
    full = features.log_magnitude_batch(w, cfg, chunk=100)
    assert np.allclose(full, features.log_magnitude_batch(w, cfg, chunk=3), atol=1e-6)
    assert full.shape == (10, cfg.n_freqs, cfg.n_frames)


def test_partition_recordings_shares_no_audio():
    recs = {name: np.arange(1000, dtype=np.float32) + 1000 * i
            for i, name in enumerate(["a", "dude_miaowing", "running_tap", "b"])}
    train, ev = noise.partition_recordings(recs)
    assert set(train) == {"a", "b"} and set(ev) == {"a", "b", "dude_miaowing", "running_tap"}
    for name in train:
        assert not set(train[name].tolist()) & set(ev[name].tolist())
        assert len(train[name]) == 800
    assert len(ev["running_tap"]) == 1000
    with pytest.raises(ParameterError, match="not among"):
        noise.partition_recordings(recs, held_out=["traffic"])


def test_quiet_native_stderr_hides_native_notes_and_shows_them_on_error(capfd):
    import os

    from digitdenoise._io import quiet_native_stderr

    with quiet_native_stderr():
        os.write(2, b"native start-up note\n")
    assert "native start-up note" not in capfd.readouterr().err
    with pytest.raises(RuntimeError, match="boom"):
        with quiet_native_stderr():
            os.write(2, b"the context of a real error\n")
            raise RuntimeError("boom")
    assert "the context of a real error" in capfd.readouterr().err
    os.write(2, b"after\n")  # the descriptor is restored
    assert "after" in capfd.readouterr().err
