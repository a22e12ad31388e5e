import numpy as np
import pytest

from digitdenoise import metrics
from digitdenoise.errors import ParameterError


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
