import numpy as np
import pytest

from digitdenoise import metrics
from digitdenoise.errors import ParameterError

from conftest import ROOT


def test_snr_of_known_mixture():
    rng = np.random.default_rng(0)
    s = rng.standard_normal(10000)
    n = rng.standard_normal(10000)
    n *= np.sqrt(np.sum(s**2) / np.sum(n**2)) / 10 ** (6 / 20)  # 6 dB below the signal
    assert metrics.snr_db(s, s + n) == pytest.approx(6.0, abs=1e-9)
    assert metrics.snr_db(s, s) > 150  # identical: essentially infinite


def test_active_mask_finds_the_burst():
    sr = 8000
    x = np.zeros(sr)
    x[3000:5000] = np.sin(np.arange(2000) * 0.3)
    mask = metrics.active_mask(x, sr)
    assert mask.shape == x.shape
    assert mask[3200:4800].all() and not mask[:2800].any() and not mask[5200:].any()


def test_segmental_snr_clamps_and_uses_active_frames():
    sr = 8000
    rng = np.random.default_rng(1)
    clean = np.zeros(sr)
    clean[2000:6000] = rng.standard_normal(4000)
    noisy = clean + 0.1 * rng.standard_normal(sr)  # about 20 dB while active
    seg = metrics.segmental_snr_db(clean, noisy, sr)
    assert seg == pytest.approx(20, abs=1.0)
    # over all frames the silent ones pull it towards the -10 dB floor
    assert metrics.segmental_snr_db(clean, noisy, sr, active_only=False) < seg - 5
    huge = metrics.segmental_snr_db(clean, clean + 1e-9, sr)
    assert huge == pytest.approx(35.0)


def test_misaligned_pairs_are_refused():
    with pytest.raises(ParameterError, match="equal length"):
        metrics.snr_db(np.ones(10), np.ones(11))
    with pytest.raises(ParameterError, match="1-D"):
        metrics.snr_db(np.ones((2, 5)), np.ones((2, 5)))


# ---------------------------------------------------------------- the report's spectrogram SNR (chapter 6)
def test_spectrogram_snr_identical_gives_inf_and_bad_inputs_are_refused():
    spec = np.abs(np.random.default_rng(2).standard_normal((128, 126)))
    assert metrics.spectrogram_snr_db(spec, spec) == np.inf
    with pytest.raises(ParameterError, match="all-zero"):
        metrics.spectrogram_snr_db(np.zeros((4, 5)), spec[:4, :5])
    with pytest.raises(ParameterError, match="shape"):
        metrics.spectrogram_snr_db(spec, spec[:, :-1])
    with pytest.raises(ParameterError, match="finite"):
        metrics.spectrogram_snr_db(spec, np.full_like(spec, np.nan))


def test_spectrogram_snr_is_a_plain_energy_ratio_and_halving_the_error_adds_6_02_db():
    rng = np.random.default_rng(3)
    clean = np.abs(rng.standard_normal((128, 126)))
    error = rng.standard_normal(clean.shape)
    error *= np.sqrt(np.sum(clean**2) / np.sum(error**2)) / 10 ** (5 / 20)  # error 5 dB below the clean energy
    first = metrics.spectrogram_snr_db(clean, clean + error)
    assert first == pytest.approx(5.0, abs=1e-9)
    assert metrics.spectrogram_snr_db(clean, clean + error / 2) - first == pytest.approx(20 * np.log10(2), abs=1e-9)
    assert 20 * np.log10(2) == pytest.approx(6.02, abs=0.005)


def test_spectrogram_snr_scaling_behaviour():
    rng = np.random.default_rng(4)
    clean = np.abs(rng.standard_normal((64, 40)))
    estimate = np.abs(clean + 0.3 * rng.standard_normal(clean.shape))
    base = metrics.spectrogram_snr_db(clean, estimate)
    # one constant on both (the report's scaling to [0, 1]) cancels ...
    assert metrics.spectrogram_snr_db(clean / 37.0, estimate / 37.0) == pytest.approx(base, abs=1e-9)
    # ... a constant on the estimate alone does not: not scale-invariant, unlike SI-SDR
    assert abs(metrics.spectrogram_snr_db(clean, 0.5 * estimate) - base) > 1.0
    assert metrics.spectrogram_snr_db(clean, np.zeros_like(clean)) == 0.0  # silence scores exactly 0 dB


SR = 8000


@pytest.fixture(scope="module")
def mixtures(fsdd_table):
    """Six held-out FSDD clips (nicolas) in one-second windows, white noise at -8 dB over each real length."""
    from digitdenoise import data

    rows = fsdd_table[fsdd_table["speaker"] == "nicolas"].sort_values("clip_id").iloc[::50].head(6)
    clean, lengths = data.load_waveforms(rows, SR, SR, cache=False)
    rng = np.random.default_rng(0)
    noisy = np.empty_like(clean)
    for i, (c, n) in enumerate(zip(clean, lengths)):
        noise = rng.standard_normal(c.size).astype(np.float32)
        noisy[i] = c + np.sqrt(np.sum(c[:n] ** 2) / np.sum(noise[:n] ** 2) * 10 ** 0.8) * noise
    return clean, noisy, lengths


def test_report_spectrogram_has_the_reports_layout():
    from digitdenoise.features import FeatureConfig

    report_cfg = FeatureConfig(sample_rate=22050, n_fft=2048, hop_length=512)  # the report's STFT
    y = np.random.default_rng(5).standard_normal(22050).astype(np.float32)
    assert metrics.report_spectrogram(y, report_cfg).shape == (1024, 44)  # its feature tensors: 1024 x 44
    cfg = FeatureConfig()
    spec = metrics.report_spectrogram(y[:8000], cfg, length=3000)
    assert spec.shape == (128, 1 + 3000 // 64)
    assert np.allclose(metrics.report_spectrogram(y[:8000], cfg, domain="power"),
                       metrics.report_spectrogram(y[:8000], cfg) ** 2)
    with pytest.raises(ParameterError, match="domain"):
        metrics.report_spectrogram(y, cfg, domain="mel")


def test_report_metric_on_real_clips(mixtures):
    from digitdenoise import baselines
    from digitdenoise.features import FeatureConfig

    cfg = FeatureConfig()
    clean, noisy, lengths = mixtures
    irm = baselines.ideal_ratio_mask(clean, noisy, cfg)
    for c, x, e, n in zip(clean, noisy, irm, lengths):
        # the noisy input against itself improves nothing, in any domain
        for domain in metrics.SPECTROGRAM_DOMAINS:
            assert metrics.report_snr_improvement_db(c, x, x, cfg, length=n, domain=domain) == 0.0
        # an input at -8 dB waveform SNR is also well below 0 dB on linear magnitudes
        level = metrics.spectrogram_snr_db(metrics.report_spectrogram(c, cfg, length=n),
                                           metrics.report_spectrogram(x, cfg, length=n))
        assert -12 < level < -3
        # the oracle mask improves both metrics
        assert metrics.report_snr_improvement_db(c, x, e, cfg, length=n) > 5
        assert metrics.si_sdr_db(c[:n], e[:n]) - metrics.si_sdr_db(c[:n], x[:n]) > 5
        scaled = metrics.report_spectrogram(c, cfg, length=n, domain="scaled_log")
        assert scaled.min() >= 0 and scaled.max() <= 1


def test_report_metric_can_disagree_in_sign_with_si_sdr(mixtures):
    from scipy import ndimage

    from digitdenoise import features
    from digitdenoise.features import FeatureConfig

    cfg = FeatureConfig()
    clean, noisy, lengths = mixtures
    for c, x, n in zip(clean, noisy, lengths):
        si_in = metrics.si_sdr_db(c[:n], x[:n])
        # an over-smoothed (blurred) noisy magnitude with the noisy phase: the spectrogram gets closer to the
        # clean one, the waveform gets further from the clean speech
        spec = features.stft(x, cfg)
        smooth = ndimage.gaussian_filter(np.abs(spec), (2, 4))  # 2 bins x 4 frames
        blurred = features.reconstruct_with_phase(smooth, spec, cfg, length=c.size)
        assert metrics.report_snr_improvement_db(c, x, blurred, cfg, length=n) > 0.3
        assert metrics.si_sdr_db(c[:n], blurred[:n]) - si_in < -0.3
        # a near-silent output: 0 dB on the spectrograms beats the noisy input, SI-SDR collapses
        quiet = 1e-4 * np.random.default_rng(6).standard_normal(c.size)
        level_in = metrics.spectrogram_snr_db(metrics.report_spectrogram(c, cfg, length=n),
                                              metrics.report_spectrogram(x, cfg, length=n))
        assert metrics.report_snr_improvement_db(c, x, quiet, cfg, length=n) == pytest.approx(-level_in, abs=0.01)
        assert metrics.si_sdr_db(c[:n], quiet[:n]) - si_in < -10
        # and a scaled copy of the input: SI-SDR improvement 0, the spectrogram SNR "improves"
        assert metrics.si_sdr_db(c[:n], 0.5 * x[:n]) - si_in == pytest.approx(0.0, abs=1e-4)
        assert metrics.report_snr_improvement_db(c, x, 0.5 * x, cfg, length=n) > 1


def test_recorded_report_metric_reads_the_committed_run_and_names_a_bad_file(tmp_path):
    from digitdenoise.errors import DataError

    raw, table = metrics.recorded_report_metric(ROOT / metrics.REPORT_METRIC_RECORDED)
    assert table.index[0] == "noisy input" and table.index[-1] == "oracle IRM"
    assert raw["report_value_db"] == metrics.REPORT_CLAIMED_DB
    assert table.loc["noisy input", "SI-SDR impr. (dB)"] == 0
    assert (table["signs disagree (% of clips)"].between(0, 100)).all()
    # the input is the clean speech plus noise: louder than the clean speech, never quieter
    assert table.loc["noisy input", "output level re clean (dB)"] > 0
    with pytest.raises(DataError, match="make report-metric"):
        metrics.recorded_report_metric(tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"results": {"x": {}}}')
    with pytest.raises(DataError, match="other.json is not a report-metric recording"):
        metrics.recorded_report_metric(tmp_path / "other.json")


def test_kept_level_reads_the_scale_of_the_speech_in_an_estimate(mixtures):
    clean, noisy, lengths = mixtures
    s, n = clean[0][: lengths[0]], noisy[0][: lengths[0]]
    assert metrics.kept_level_db(s, s) == pytest.approx(0.0, abs=1e-9)
    assert metrics.kept_level_db(s, 0.5 * s) == pytest.approx(-6.02, abs=0.01)
    # noise added on top (independent of the speech) barely moves it: it measures the speech kept
    assert abs(metrics.kept_level_db(s, n)) < 0.5
    with pytest.raises(ParameterError, match="silent reference"):
        metrics.kept_level_db(np.zeros(100), np.ones(100))


def test_voiced_share_tells_a_spoken_digit_from_white_noise(mixtures):
    clean, _, lengths = mixtures
    digit = clean[0][: lengths[0]]
    hiss = np.random.default_rng(3).standard_normal(digit.size).astype(np.float32) * 0.1
    assert metrics.voiced_share(digit, SR) > 0.4
    assert metrics.voiced_share(hiss, SR) < 0.1
    with pytest.raises(ParameterError, match="non-silent"):
        metrics.voiced_share(np.zeros(800), SR)


def test_background_drop_separates_noise_removed_from_speech_removed(mixtures):
    clean, noisy, _ = mixtures
    s, x = clean[0], noisy[0]  # one-second windows: the padding after the digit is silent in the clean clip
    perfect = metrics.background_drop_db(s, x, s, SR)
    assert perfect["background"] > 100 and perfect["speech"] == pytest.approx(0.0, abs=1e-9)
    untouched = metrics.background_drop_db(s, x, x, SR)
    assert untouched["background"] == pytest.approx(0.0, abs=1e-9) and untouched["speech"] > 3  # noise on top
    halved = metrics.background_drop_db(s, x, 0.5 * s, SR)
    assert halved["speech"] == pytest.approx(-6.02, abs=0.01)
    with pytest.raises(ParameterError, match="no silent frames"):
        metrics.background_drop_db(x, x, x, SR)


def test_speech_share_under_noise_reads_where_the_noise_spectrum_is_above(mixtures):
    clean, noisy, lengths = mixtures
    s = clean[0][: lengths[0]].astype(np.float64)
    n = noisy[0][: lengths[0]] - s  # white noise 8 dB above the digit
    share = metrics.speech_share_under_noise(s, n, SR, 1024)
    assert 0.0 < share < 1.0
    assert metrics.speech_share_under_noise(s, 1e-3 * n, SR, 1024) < share  # a quieter noise covers less
    assert metrics.speech_share_under_noise(s, 1e3 * n, SR, 1024) == pytest.approx(1.0)
    with pytest.raises(ParameterError, match="non-silent speech"):
        metrics.speech_share_under_noise(np.zeros(800), n[:800], SR, 256)
