"""Reference methods that need no training (chapter 6). For now the oracle masks: upper bounds that
know the clean speech, computed with the same STFT as the models."""

from __future__ import annotations

import numpy as np

from .errors import ParameterError
from .features import FeatureConfig, istft, stft


def _check(clean: np.ndarray, noisy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    clean, noisy = np.asarray(clean, np.float32), np.asarray(noisy, np.float32)
    if clean.shape != noisy.shape:
        raise ParameterError(f"clean {clean.shape} and noisy {noisy.shape} must have the same shape.")
    return clean, noisy


def ideal_ratio_mask(clean: np.ndarray, noisy: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """Oracle ideal ratio mask, ``sqrt(|S|^2 / (|S|^2 + |N|^2))`` applied to the noisy STFT with the noisy
    phase (chapters 5 and 6). Works on one clip or a batch ``(n, samples)``."""
    clean, noisy = _check(clean, noisy)
    s, y = stft(clean, cfg), stft(noisy, cfg)
    n = y - s
    mask = np.sqrt(np.abs(s) ** 2 / (np.abs(s) ** 2 + np.abs(n) ** 2 + 1e-12))
    return istft(mask * y, cfg, length=clean.shape[-1])


def phase_sensitive_mask(clean: np.ndarray, noisy: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """Oracle phase-sensitive mask, ``|S|/|Y| cos(angle S - angle Y)`` clipped to [0, 1] (chapter 6)."""
    clean, noisy = _check(clean, noisy)
    s, y = stft(clean, cfg), stft(noisy, cfg)
    mask = np.clip(np.abs(s) / (np.abs(y) + 1e-12) * np.cos(np.angle(s) - np.angle(y)), 0.0, 1.0)
    return istft(mask * y, cfg, length=clean.shape[-1])
