import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from digitdenoise import data, metrics, noise
from digitdenoise.errors import DataError, ParameterError


def _psd_slope(x, fs=16000):
    f, p = signal.welch(x, fs=fs, nperseg=4096)
    band = (f > 50) & (f < 6000)
    return np.polyfit(np.log10(f[band]), np.log10(p[band]), 1)[0]


@pytest.mark.parametrize("colour, beta", [("white", 0.0), ("pink", 1.0), ("brown", 2.0)])
def test_coloured_noise_has_the_right_spectral_slope(colour, beta):
    x = noise.coloured_noise(colour, 16000 * 20, seed=1)
    assert abs(_psd_slope(x) + beta) < 0.08
    assert np.sqrt(np.mean(x.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-4)


def test_pink_falls_three_db_per_octave():
    f, p = signal.welch(noise.coloured_noise("pink", 16000 * 20, seed=2), fs=16000, nperseg=4096)
    level = lambda lo, hi: 10 * np.log10(p[(f >= lo) & (f < hi)].mean())  # noqa: E731
    # one octave up: about -3 dB in power per Hz
    assert level(1000, 1100) - level(2000, 2200) == pytest.approx(3.0, abs=0.6)


def test_generated_noise_is_seeded():
    a = noise.coloured_noise("pink", 1000, seed=5)
    assert np.array_equal(a, noise.coloured_noise("pink", 1000, seed=5))
    assert not np.array_equal(a, noise.coloured_noise("pink", 1000, seed=6))
    with pytest.raises(ParameterError, match="colour='blue'"):
        noise.coloured_noise("blue", 100)


signals = st.integers(min_value=200, max_value=4000).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(0, 2**31 - 1), st.floats(1e-3, 1.0))
)


@settings(max_examples=150, deadline=None)
@given(signals, st.floats(-30, 30, allow_nan=False), st.sampled_from(["white", "pink", "brown"]))
def test_mix_at_snr_is_exact_whole_clip(params, snr, colour):
    n, seed, amp = params
    rng = np.random.default_rng(seed)
    # a speech-like clean signal: a burst in silence
    clean = np.zeros(n, np.float32)
    clean[n // 4: n // 4 + n // 2] = amp * rng.standard_normal(n // 2)
    noisy, scaled = noise.mix_at_snr(clean, noise.coloured_noise(colour, n, rng), snr)
    assert abs(metrics.snr_db(clean, noisy) - snr) < 0.01
    assert noisy.shape == clean.shape and scaled.shape == clean.shape


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(-20, 20, allow_nan=False))
def test_mix_at_snr_is_exact_over_active_frames(seed, snr):
    rng = np.random.default_rng(seed)
    sr = 8000
    clean = np.zeros(sr, np.float32)
    clean[2000:6000] = 0.3 * np.sin(2 * np.pi * 220 * np.arange(4000) / sr) * np.hanning(4000)
    noisy, _ = noise.mix_at_snr(clean, rng.standard_normal(sr), snr, sr=sr, mode="active")
    assert abs(metrics.active_snr_db(clean, noisy, sr) - snr) < 0.01
    # with silence around the burst, the whole-clip SNR is lower than the active one
    assert metrics.snr_db(clean, noisy) < snr


def test_mix_at_snr_on_real_clip_and_recording(fsdd_table, data_home):
    clean, sr = data.read_audio(fsdd_table["path"][123])
    rec = noise.load_noise_recordings(noise.noise_folder(data_home), sr, names=["running_tap"])["running_tap"]
    for snr in (-15, -8, 0, 10):
        noisy, _ = noise.mix_at_snr(clean, noise.excerpt(rec, len(clean), seed=snr + 100), snr)
        assert metrics.snr_db(clean, noisy) == pytest.approx(snr, abs=0.01)


def test_mix_errors():
    clean = np.ones(100, np.float32)
    with pytest.raises(ParameterError, match="snr_db='-8'"):
        noise.mix_at_snr(clean, np.ones(100), "-8")
    with pytest.raises(ParameterError, match="fewer than the clean clip"):
        noise.mix_at_snr(clean, np.ones(50), -8)
    with pytest.raises(DataError, match="clean clip is silent"):
        noise.mix_at_snr(np.zeros(100), np.ones(100), -8)
    with pytest.raises(DataError, match="noise excerpt is silent"):
        noise.mix_at_snr(clean, np.zeros(100), -8)
    with pytest.raises(ParameterError, match="needs the sample rate"):
        noise.mix_at_snr(clean, np.ones(100), -8, mode="active")
    with pytest.raises(ParameterError, match="mode='loud'"):
        noise.mix_at_snr(clean, np.ones(100), -8, mode="loud")


def test_recordings_are_resampled_and_normalised(data_home):
    recs = noise.load_noise_recordings(noise.noise_folder(data_home), 8000)
    assert set(recs) == {"doing_the_dishes", "dude_miaowing", "exercise_bike", "pink_noise", "running_tap",
                         "white_noise"}
    assert len(recs["white_noise"]) == 60 * 8000
    for r in recs.values():
        assert np.sqrt(np.mean(r.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
    with pytest.raises(ParameterError, match="unknown noise recordings"):
        noise.load_noise_recordings(noise.noise_folder(data_home), 8000, names=["traffic"])
    with pytest.raises(DataError, match="does not exist"):
        noise.load_noise_recordings(data_home / "nope", 8000)


def test_excerpt_is_random_and_tiles_short_recordings():
    rec = np.arange(1000, dtype=np.float32)
    a, b = noise.excerpt(rec, 100, seed=1), noise.excerpt(rec, 100, seed=2)
    assert len(a) == 100 and not np.array_equal(a, b)
    assert np.all(np.diff(a) == 1)  # a contiguous excerpt
    assert len(noise.excerpt(rec[:30], 100, seed=0)) == 100


def test_babble_and_noise_source(fsdd_table):
    talkers = data.read_clips(fsdd_table["path"][:8])
    b = noise.babble(talkers, 12000, seed=0)
    assert b.shape == (12000,) and np.sqrt(np.mean(b.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
    with pytest.raises(ParameterError, match="needs 4 talker clips"):
        noise.babble(talkers[:2], 100)
    src = noise.NoiseSource(8000, recordings={"tap": np.random.default_rng(0).standard_normal(9000)},
                            babble_clips=talkers)
    assert src.kinds == ["white", "pink", "brown", "tap", "recording", "babble"]
    assert noise.NoiseSource(8000).kinds == ["white", "pink", "brown"]
    for kind in src.kinds:
        assert src.draw(kind, 5000, seed=1).shape == (5000,)
    with pytest.raises(ParameterError, match="noise kind='rain'"):
        src.draw("rain", 10)
    with pytest.raises(ParameterError, match="clash"):
        noise.NoiseSource(8000, recordings={"pink": np.ones(10)})


def test_mixtures_share_noise_draws_given_a_seed(fsdd_table):
    clips = data.read_clips(fsdd_table["path"][:5])
    src = noise.NoiseSource(8000)
    a = noise.mixtures(clips, src, "white", -8, seed=3)
    b = noise.mixtures(clips, src, "white", -8, seed=3)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert all(metrics.snr_db(c, x) == pytest.approx(-8, abs=0.01) for c, x in a)


def test_speed_perturb_shifts_pitch_and_tempo_together(fsdd_table, data_home):
    sr = 8000
    t = np.arange(sr) / sr
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * (t < 0.5)).astype(np.float32)[None]
    fast = noise.speed_perturb(tone, 1.1, sr)
    assert fast.shape == tone.shape
    spectrum = np.abs(np.fft.rfft(fast[0]))
    assert abs(np.argmax(spectrum) * sr / fast.shape[1] - 484) < 3  # 440 Hz played 10% faster
    active = np.flatnonzero(np.abs(fast[0]) > 0.05)
    assert abs(active[-1] / sr - 0.5 / 1.1) < 0.01  # and 10% shorter
    clips, _ = data.load_waveforms(fsdd_table.head(3), sr, sr)
    slow = noise.speed_perturb(clips, 0.9, sr)
    assert slow.shape == clips.shape and np.all(np.abs(slow).max(axis=1) > 0)
    assert np.array_equal(noise.speed_perturb(clips, 1.0, sr), clips)
    with pytest.raises(ParameterError, match="speed factor"):
        noise.speed_perturb(clips, 3.0, sr)
