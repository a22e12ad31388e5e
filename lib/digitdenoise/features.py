"""From waveform to features and back (chapter 3).

One :class:`FeatureConfig` records every parameter (sample rate, clip length, STFT, mel) so a model
saved with its config can always rebuild its inputs. Spectrograms are ``(frequency, time)`` arrays;
batches are ``(batch, frequency, time)``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Sequence

import librosa
import numpy as np

from .config import check_choice, check_number
from .errors import ParameterError

WINDOWS = ("hann", "hamming", "blackman")


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """Every feature parameter in one place (chapter 3).

    ``duration_s`` is the fixed clip length the models see (shorter clips are zero-padded at the end,
    longer ones cut). ``log_floor`` is added before the logarithm. Defaults suit 8 kHz FSDD; use
    :meth:`for_sample_rate` to scale the window lengths for 16 kHz.
    """

    sample_rate: int = 8000
    duration_s: float = 1.0
    n_fft: int = 256
    hop_length: int = 64
    win_length: int | None = None
    window: str = "hann"
    n_mels: int = 64
    fmin: float = 0.0
    fmax: float | None = None
    log_floor: float = 1e-5

    def __post_init__(self) -> None:
        check_number("sample_rate", self.sample_rate, minimum=1000, maximum=384000, integer=True)
        check_number("duration_s", self.duration_s, minimum=0.05, maximum=60)
        check_number("n_fft", self.n_fft, minimum=16, maximum=65536, integer=True)
        check_number("hop_length", self.hop_length, minimum=1, maximum=self.n_fft, integer=True)
        if self.win_length is not None:
            check_number("win_length", self.win_length, minimum=2, maximum=self.n_fft, integer=True)
        check_choice("window", self.window, WINDOWS)
        check_number("n_mels", self.n_mels, minimum=1, maximum=1024, integer=True)
        check_number("log_floor", self.log_floor, minimum=1e-12, maximum=1.0)
        if self.fmax is not None and self.fmax > self.sample_rate / 2:
            raise ParameterError(f"fmax={self.fmax} is above the Nyquist frequency {self.sample_rate / 2}.")

    @classmethod
    def for_sample_rate(cls, sample_rate: int, **kwargs: Any) -> "FeatureConfig":
        """A config whose window and hop span the same milliseconds as the 8 kHz defaults (32/8 ms)."""
        factor = sample_rate / 8000
        n_fft = int(2 ** round(np.log2(256 * factor)))
        defaults = {"sample_rate": sample_rate, "n_fft": n_fft, "hop_length": n_fft // 4}
        defaults.update(kwargs)
        return cls(**defaults)

    @property
    def n_samples(self) -> int:
        """Samples in one fixed-length clip."""
        return int(round(self.duration_s * self.sample_rate))

    @property
    def n_frames(self) -> int:
        """STFT frames of one fixed-length clip (centred frames)."""
        return 1 + self.n_samples // self.hop_length

    @property
    def n_freqs(self) -> int:
        """Frequency bins of the linear STFT."""
        return self.n_fft // 2 + 1

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "FeatureConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ParameterError(f"unknown feature parameters {sorted(unknown)}; known: {sorted(known)}.")
        return cls(**values)


def fix_length(y: np.ndarray, n_samples: int) -> np.ndarray:
    """Zero-pad at the end or cut to exactly ``n_samples`` (chapter 3)."""
    y = np.asarray(y, dtype=np.float32)
    if y.size >= n_samples:
        return y[:n_samples].copy()
    return np.pad(y, (0, n_samples - y.size))


def batch_fixed_length(clips: Sequence[np.ndarray], n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack clips into a ``(batch, n_samples)`` float32 array; also return each clip's original
    length (capped at ``n_samples``) so outputs can be cut back (chapter 3)."""
    if len(clips) == 0:
        raise ParameterError("batch_fixed_length needs at least one clip.")
    batch = np.stack([fix_length(c, n_samples) for c in clips])
    lengths = np.array([min(len(c), n_samples) for c in clips], dtype=np.int64)
    return batch, lengths


def stft(y: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """Complex STFT ``(..., n_freqs, frames)`` with the config's window (chapter 3)."""
    return librosa.stft(np.asarray(y, dtype=np.float32), n_fft=cfg.n_fft, hop_length=cfg.hop_length,
                        win_length=cfg.win_length, window=cfg.window, center=True)


def istft(spec: np.ndarray, cfg: FeatureConfig, length: int | None = None) -> np.ndarray:
    """Inverse STFT (chapter 3). With the default Hann window and hop n_fft/4 the pair
    :func:`stft` / :func:`istft` reconstructs a signal to float precision."""
    return librosa.istft(spec, hop_length=cfg.hop_length, win_length=cfg.win_length, n_fft=cfg.n_fft,
                         window=cfg.window, center=True, length=length).astype(np.float32)


def log_magnitude(spec: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """``log(|S| + floor)`` of a complex STFT (natural log; chapter 3)."""
    return np.log(np.abs(spec) + cfg.log_floor).astype(np.float32)


def mel_filterbank(cfg: FeatureConfig) -> np.ndarray:
    """The ``(n_mels, n_freqs)`` mel filterbank matching the config (chapter 3)."""
    return librosa.filters.mel(sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin,
                               fmax=cfg.fmax).astype(np.float32)


def log_mel(y: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """Log mel power spectrogram ``(..., n_mels, frames)`` of a waveform (chapter 3)."""
    power = np.abs(stft(y, cfg)) ** 2
    mel = np.einsum("mf,...ft->...mt", mel_filterbank(cfg), power)
    return np.log(mel + cfg.log_floor**2).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Normaliser:
    """Per-frequency mean and standard deviation of log features, fitted on *training* clips only.

    Unlike per-clip min-max scaling it keeps level differences between clips (a quiet clip stays
    quiet), and it is a fixed function that can be undone exactly (chapter 3).
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray) -> "Normaliser":
        """Fit on a ``(batch, freq, time)`` array of log features."""
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 3:
            raise ParameterError(f"Normaliser.fit expects (batch, freq, time), got shape {features.shape}.")
        mean = features.mean(axis=(0, 2))
        std = features.std(axis=(0, 2))
        return cls(mean.astype(np.float32)[:, None], np.maximum(std, 1e-3).astype(np.float32)[:, None])

    def transform(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.std).astype(np.float32)

    def inverse(self, features: np.ndarray) -> np.ndarray:
        return (features * self.std + self.mean).astype(np.float32)

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.ravel().tolist(), "std": self.std.ravel().tolist()}

    @classmethod
    def from_dict(cls, values: dict[str, list[float]]) -> "Normaliser":
        return cls(np.asarray(values["mean"], np.float32)[:, None], np.asarray(values["std"], np.float32)[:, None])


def minmax_per_clip(features: np.ndarray) -> np.ndarray:
    """The seeds' per-clip min-max scaling to [0, 1], kept to show what it destroys (chapter 3)."""
    features = np.asarray(features, dtype=np.float32)
    axes = tuple(range(features.ndim - 2, features.ndim))
    lo = features.min(axis=axes, keepdims=True)
    hi = features.max(axis=axes, keepdims=True)
    return (features - lo) / np.maximum(hi - lo, 1e-12)


def reconstruct_with_phase(magnitude: np.ndarray, phase_source: np.ndarray, cfg: FeatureConfig,
                           length: int | None = None) -> np.ndarray:
    """Waveform from an estimated magnitude and the phase of another STFT, usually the noisy input
    (chapter 3: the 'noisy phase' inversion used by the models)."""
    if magnitude.shape != phase_source.shape:
        raise ParameterError(f"magnitude {magnitude.shape} and phase source {phase_source.shape} differ in shape.")
    return istft(magnitude * np.exp(1j * np.angle(phase_source)), cfg, length=length)


def griffin_lim(magnitude: np.ndarray, cfg: FeatureConfig, *, n_iter: int = 32, length: int | None = None,
                seed: int = 0) -> np.ndarray:
    """Waveform from a magnitude alone by Griffin-Lim phase estimation (chapter 3), as the seeds do."""
    n_iter = check_number("n_iter", n_iter, minimum=1, integer=True)
    return librosa.griffinlim(magnitude, n_iter=n_iter, hop_length=cfg.hop_length, win_length=cfg.win_length,
                              n_fft=cfg.n_fft, window=cfg.window, center=True, length=length,
                              random_state=seed).astype(np.float32)


def log_magnitude_batch(waveforms: np.ndarray, cfg: FeatureConfig, *, chunk: int = 128) -> np.ndarray:
    """Log-magnitude STFTs of a ``(batch, n_samples)`` array: ``(batch, n_freqs, frames)`` (chapter 3).

    Clips are transformed ``chunk`` at a time: one call per chunk avoids a Python loop per clip, and
    keeping the complex intermediate small avoids the memory traffic that makes a single call on
    thousands of clips slower than the loop (measured in chapter 3).
    """
    waveforms = np.asarray(waveforms, dtype=np.float32)
    if waveforms.ndim != 2:
        raise ParameterError(f"log_magnitude_batch expects (batch, n_samples), got {waveforms.shape}.")
    chunk = check_number("chunk", chunk, minimum=1, integer=True)
    out = np.empty((waveforms.shape[0], cfg.n_freqs, 1 + waveforms.shape[1] // cfg.hop_length), np.float32)
    for start in range(0, waveforms.shape[0], chunk):
        out[start:start + chunk] = log_magnitude(stft(waveforms[start:start + chunk], cfg), cfg)
    return out


def energy_above(y: np.ndarray, sr: int, cutoff_hz: float) -> float:
    """Share of a signal's energy above ``cutoff_hz`` (chapter 3: what resampling to a lower rate
    removes). Zero when ``cutoff_hz`` is at or above the Nyquist frequency."""
    y = np.asarray(y, dtype=np.float64)
    if cutoff_hz >= sr / 2:
        return 0.0
    power = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(y.size, 1 / sr)
    total = power.sum()
    return float(power[freqs > cutoff_hz].sum() / total) if total > 0 else 0.0


def duration_report(durations_s, window_s: float) -> dict[str, float]:
    """What a fixed window of ``window_s`` does to clips of the given durations (chapter 3): share of
    clips cut, mean seconds cut from those, and mean share of the window that is padding."""
    d = np.asarray(durations_s, dtype=np.float64)
    if d.size == 0:
        raise ParameterError("duration_report needs at least one duration.")
    cut = d > window_s
    return {
        "window_s": float(window_s),
        "clips_cut_share": float(cut.mean()),
        "mean_cut_s": float((d[cut] - window_s).mean()) if cut.any() else 0.0,
        "max_cut_s": float((d - window_s).max()) if cut.any() else 0.0,
        "mean_padding_share": float(np.clip(1 - d / window_s, 0, 1).mean()),
    }


def log_magnitude_files(paths: Sequence[str], cfg: FeatureConfig, *, workers: int = 2, chunk: int = 64) -> np.ndarray:
    """Log-magnitude STFTs straight from audio files: ``(n, n_freqs, frames)`` at ``cfg``'s rate and
    window (chapter 3; the appendix measures it). Each worker thread decodes, resamples, fixes the
    length and transforms a chunk of files; soundfile, soxr and NumPy's FFT release the GIL, so the
    threads overlap decoding and transforming instead of running one after the other."""
    from concurrent.futures import ThreadPoolExecutor

    from .data import read_audio

    paths = list(paths)
    if not paths:
        raise ParameterError("log_magnitude_files got no files.")
    workers = check_number("workers", workers, minimum=1, integer=True)
    out = np.empty((len(paths), cfg.n_freqs, 1 + cfg.n_samples // cfg.hop_length), np.float32)

    def work(start: int) -> None:
        block = np.stack([fix_length(read_audio(p, cfg.sample_rate)[0], cfg.n_samples) for p in paths[start:start + chunk]])
        out[start:start + len(block)] = log_magnitude(stft(block, cfg), cfg)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(work, range(0, len(paths), chunk)))
    return out
