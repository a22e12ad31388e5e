import numpy as np
import pytest

from digitdenoise import data, features
from digitdenoise.errors import ParameterError


@pytest.mark.parametrize("which", ["fsdd", "audiomnist-sample"])
def test_stft_round_trip_on_real_clips(which, fsdd_table, sample_table):
    table = fsdd_table.iloc[::300] if which == "fsdd" else sample_table
    sr = data.spec(which).working_rate
    cfg = features.FeatureConfig.for_sample_rate(sr)
    for path in table["path"]:
        y, _ = data.read_audio(path, sr)
        back = features.istft(features.stft(y, cfg), cfg, length=len(y))
        assert np.max(np.abs(back - y)) < 1e-4


def test_config_scaling_serialisation_and_validation():
    cfg16 = features.FeatureConfig.for_sample_rate(16000)
    assert (cfg16.n_fft, cfg16.hop_length) == (512, 128)
    cfg = features.FeatureConfig()
    assert cfg.n_samples == 8000 and cfg.n_freqs == 129 and cfg.n_frames == 126
    assert features.FeatureConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ParameterError, match="hop_length"):
        features.FeatureConfig(hop_length=0)
    with pytest.raises(ParameterError, match="Nyquist"):
        features.FeatureConfig(fmax=5000)
    with pytest.raises(ParameterError, match="unknown feature parameters"):
        features.FeatureConfig.from_dict({"nfft": 256})
    with pytest.raises(ParameterError, match="window='boxcar'"):
        features.FeatureConfig(window="boxcar")


def test_stft_shapes_match_config(fsdd_table):
    cfg = features.FeatureConfig()
    y = features.fix_length(data.read_audio(fsdd_table["path"][0])[0], cfg.n_samples)
    spec = features.stft(y, cfg)
    assert spec.shape == (cfg.n_freqs, cfg.n_frames)
    assert features.log_mel(y, cfg).shape == (cfg.n_mels, cfg.n_frames)
    assert features.log_magnitude(spec, cfg).dtype == np.float32


def test_fix_length_and_batching():
    assert features.fix_length(np.ones(5), 8).tolist() == [1, 1, 1, 1, 1, 0, 0, 0]
    assert features.fix_length(np.arange(10), 4).tolist() == [0, 1, 2, 3]
    batch, lengths = features.batch_fixed_length([np.ones(3), np.ones(12)], 10)
    assert batch.shape == (2, 10) and lengths.tolist() == [3, 10]
    with pytest.raises(ParameterError):
        features.batch_fixed_length([], 10)


def test_normaliser_keeps_level_differences_and_inverts():
    rng = np.random.default_rng(0)
    quiet, loud = rng.normal(-5, 1, (4, 6, 20)), rng.normal(0, 1, (4, 6, 20))
    feats = np.concatenate([quiet, loud]).astype(np.float32)
    norm = features.Normaliser.fit(feats)
    z = norm.transform(feats)
    assert z[:4].mean() < z[4:].mean() - 1  # a quiet clip stays quiet
    assert np.allclose(norm.inverse(z), feats, atol=1e-4)
    again = features.Normaliser.from_dict(norm.to_dict())
    assert np.allclose(again.transform(feats), z)
    mm = features.minmax_per_clip(feats)
    assert np.allclose(mm[:4].mean(), mm[4:].mean(), atol=0.1)  # per-clip min-max erases the level


def test_inversions(fsdd_table):
    cfg = features.FeatureConfig()
    y = data.read_audio(fsdd_table["path"][5])[0]
    spec = features.stft(y, cfg)
    same = features.reconstruct_with_phase(np.abs(spec), spec, cfg, length=len(y))
    assert np.max(np.abs(same - y)) < 1e-4
    gl = features.griffin_lim(np.abs(spec), cfg, n_iter=8, length=len(y))
    assert gl.shape == y.shape and np.isfinite(gl).all()
    with pytest.raises(ParameterError, match="differ in shape"):
        features.reconstruct_with_phase(np.abs(spec)[:, :-1], spec, cfg)


def test_log_magnitude_files_matches_the_two_step_pipeline(fsdd_table):
    from digitdenoise import data, features

    cfg = features.FeatureConfig.for_sample_rate(8000)
    table = fsdd_table.head(70)
    waves, _ = data.load_waveforms(table, cfg.sample_rate, cfg.n_samples, cache=False)
    expected = features.log_magnitude_batch(waves, cfg)
    for workers in (1, 2):
        got = features.log_magnitude_files(table["path"], cfg, workers=workers, chunk=16)
        assert got.shape == expected.shape and np.allclose(got, expected, atol=1e-6)
