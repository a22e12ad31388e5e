"""Signal measurements: SNR (chapter 2), SI-SDR (chapter 5), PESQ and ESTOI (chapter 6), and the student
report's spectrogram-domain SNR (chapter 6).

Conventions: ``clean`` is the reference speech, ``noisy`` the signal under test of the same length;
the *noise* is ``noisy - clean``. All results are in dB. Arrays are 1-D.
"""

from __future__ import annotations

import numpy as np

from .config import check_choice
from .errors import ParameterError

_EPS = 1e-20
# A frame is speech-active when its energy is within this many dB of the clip's loudest frame. 40 dB
# marks nearly every frame active on AudioMNIST (its room noise floor sits about 30 dB below the
# vowels); 25 dB keeps quiet consonants and drops the pauses. Chapter 2 shows the sensitivity.
ACTIVE_THRESHOLD_DB = 25.0


def _pair(clean: np.ndarray, noisy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    clean = np.asarray(clean, dtype=np.float64)
    noisy = np.asarray(noisy, dtype=np.float64)
    if clean.ndim != 1 or noisy.ndim != 1:
        raise ParameterError(f"expected 1-D signals, got shapes {clean.shape} and {noisy.shape}.")
    if clean.shape != noisy.shape:
        raise ParameterError(
            f"clean and noisy must be aligned and of equal length, got {clean.size} and {noisy.size} "
            "samples (a length or alignment mismatch is the classic SNR pitfall, chapter 2)."
        )
    if clean.size == 0:
        raise ParameterError("empty signals have no SNR.")
    return clean, noisy


def power_ratio_db(signal: np.ndarray, noise: np.ndarray) -> float:
    """``10 log10(sum signal^2 / sum noise^2)`` for two arrays of any shape (chapter 2)."""
    ps = float(np.sum(np.square(np.asarray(signal, dtype=np.float64))))
    pn = float(np.sum(np.square(np.asarray(noise, dtype=np.float64))))
    return 10.0 * np.log10((ps + _EPS) / (pn + _EPS))


def snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    """Whole-clip SNR of ``noisy`` against ``clean`` (chapter 2): silence counts as signal time."""
    clean, noisy = _pair(clean, noisy)
    return power_ratio_db(clean, noisy - clean)


def _frames(x: np.ndarray, frame: int) -> np.ndarray:
    n = x.size // frame
    if n == 0:
        return x[None, :]
    return x[: n * frame].reshape(n, frame)


def active_mask(clean: np.ndarray, sr: int, *, frame_ms: float = 20.0,
                threshold_db: float = ACTIVE_THRESHOLD_DB) -> np.ndarray:
    """Boolean per-sample mask of speech-active frames (chapter 2).

    A frame of ``frame_ms`` is active when its energy is within ``threshold_db`` of the loudest frame
    of the clip. Samples past the last whole frame follow the last frame.
    """
    clean = np.asarray(clean, dtype=np.float64)
    frame = max(1, int(round(sr * frame_ms / 1000)))
    energy = np.sum(np.square(_frames(clean, frame)), axis=1)
    level = 10 * np.log10(energy + _EPS)
    active = level >= level.max() - threshold_db
    mask = np.repeat(active, frame)
    if mask.size < clean.size:
        mask = np.concatenate([mask, np.full(clean.size - mask.size, active[-1])])
    return mask[: clean.size]


def active_snr_db(clean: np.ndarray, noisy: np.ndarray, sr: int, **mask_kwargs) -> float:
    """SNR over speech-active samples only (chapter 2): how loud the noise is *while someone speaks*."""
    clean, noisy = _pair(clean, noisy)
    mask = active_mask(clean, sr, **mask_kwargs)
    return power_ratio_db(clean[mask], (noisy - clean)[mask])


def segmental_snr_db(clean: np.ndarray, noisy: np.ndarray, sr: int, *, frame_ms: float = 20.0,
                     floor_db: float = -10.0, ceiling_db: float = 35.0, active_only: bool = True,
                     threshold_db: float = ACTIVE_THRESHOLD_DB) -> float:
    """Segmental SNR (chapter 2): the mean of per-frame SNRs, each clamped to ``[floor_db, ceiling_db]``.

    With ``active_only`` the mean runs over speech-active frames (see :func:`active_mask`), the usual
    choice for short clips with leading and trailing silence.
    """
    clean, noisy = _pair(clean, noisy)
    frame = max(1, int(round(sr * frame_ms / 1000)))
    c = _frames(clean, frame)
    n = _frames(noisy - clean, frame)
    seg = 10 * np.log10((np.sum(c**2, axis=1) + _EPS) / (np.sum(n**2, axis=1) + _EPS))
    seg = np.clip(seg, floor_db, ceiling_db)
    if active_only:
        energy = 10 * np.log10(np.sum(c**2, axis=1) + _EPS)
        seg = seg[energy >= energy.max() - threshold_db]
    return float(np.mean(seg))


def align_pair(clean: np.ndarray, noisy: np.ndarray, sr: int, *, max_lag_s: float = 0.1
               ) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Undo a delay and a gain between a clean clip and a noisy file made from it (chapter 2).

    Noisy files are often saved with an offset, a different length or peak normalisation. Measured
    as they are, the clean speech itself leaks into the "noise" and the SNR collapses. This finds the
    delay (within ``max_lag_s``) by cross-correlation, crops both to their overlap and divides the
    noisy signal by its least-squares gain on the clean one. Returns ``(clean, noisy, lag, gain)``,
    where ``noisy[n] ~ gain * clean[n - lag]`` before correction.
    """
    from scipy import signal

    clean = np.asarray(clean, dtype=np.float64)
    noisy = np.asarray(noisy, dtype=np.float64)
    if clean.ndim != 1 or noisy.ndim != 1 or clean.size == 0 or noisy.size == 0:
        raise ParameterError("align_pair expects two non-empty 1-D signals.")
    max_lag = int(round(max_lag_s * sr))
    corr = signal.correlate(noisy, clean, mode="full", method="fft")
    lags = signal.correlation_lags(noisy.size, clean.size, mode="full")
    window = np.abs(lags) <= max_lag
    lag = int(lags[window][np.argmax(np.abs(corr[window]))])
    if lag >= 0:
        n = min(clean.size, noisy.size - lag)
        c, x = clean[:n], noisy[lag:lag + n]
    else:
        n = min(clean.size + lag, noisy.size)
        c, x = clean[-lag:-lag + n], noisy[:n]
    denom = float(np.dot(c, c))
    if denom == 0.0:
        raise ParameterError("the clean clip is silent over the overlap; nothing to align.")
    gain = float(np.dot(x, c) / denom)
    if gain == 0.0:
        raise ParameterError("the noisy signal is uncorrelated with the clean clip; are they a pair?")
    return c, x / gain, lag, gain


def speech_dominated_share(clean: np.ndarray, noise: np.ndarray, n_fft: int, hop_length: int) -> float:
    """Share of the clean speech energy that lies in time-frequency bins where speech is louder than
    the noise (local SNR > 0 dB), in [0, 1] (chapter 2). Two mixtures at the same SNR can differ
    widely here: noise that overlaps the speech spectrum buries more of it."""
    import librosa

    clean = np.asarray(clean, dtype=np.float32)
    noise = np.asarray(noise, dtype=np.float32)
    if clean.shape != noise.shape:
        raise ParameterError(f"clean {clean.shape} and noise {noise.shape} must have the same shape.")
    s = np.abs(librosa.stft(clean, n_fft=n_fft, hop_length=hop_length)) ** 2
    n = np.abs(librosa.stft(noise, n_fft=n_fft, hop_length=hop_length)) ** 2
    total = float(s.sum())
    if total == 0.0:
        raise ParameterError("the clean clip is silent.")
    return float(s[s > n].sum() / total)


def long_term_spectrum_db(y: np.ndarray, sr: int, n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """Long-term average power spectrum (Welch) in dB per Hz re full scale: ``(frequencies, level)``
    (chapters 2 and 3)."""
    from scipy import signal

    y = np.asarray(y, dtype=np.float64)
    f, p = signal.welch(y, fs=sr, nperseg=min(n_fft, y.size), scaling="density")
    return f, 10 * np.log10(p + 1e-20)


def speech_share_under_noise(speech: np.ndarray, noise: np.ndarray, sr: int, n_fft: int) -> float:
    """Share of the speech's long-term energy that lies in frequency bands where the noise's long-term
    spectrum (:func:`long_term_spectrum_db`, Welch, ``n_fft`` points) is above the speech's (chapter 2): a
    coarse, time-averaged cousin of :func:`speech_dominated_share` (which works bin by bin and frame by
    frame). Both signals at their mixing levels; a clear error for a silent speech signal."""
    _, speech_db = long_term_spectrum_db(speech, sr, n_fft)
    _, noise_db = long_term_spectrum_db(noise, sr, n_fft)
    power = 10 ** (speech_db / 10)
    if not np.any(np.asarray(speech)):
        raise ParameterError("speech_share_under_noise needs a non-silent speech signal.")
    return float(power[noise_db > speech_db].sum() / power.sum())


def si_sdr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019; chapters 5 and 6).

    Both signals are made zero-mean; the reference is scaled by the least-squares factor that best
    explains the estimate, and the ratio of that target's energy to the residual's is returned.
    """
    ref, est = _pair(reference, estimate)
    ref = ref - ref.mean()
    est = est - est.mean()
    energy = float(np.dot(ref, ref))
    if energy == 0.0:
        raise ParameterError("SI-SDR is undefined for a silent reference.")
    target = (np.dot(est, ref) / energy) * ref
    return power_ratio_db(target, est - target)


def kept_level_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """How much of the reference an estimate keeps, in dB (chapter 6): the least-squares factor of the
    reference in the estimate (the scale SI-SDR fits), ``20 log10 |<estimate, reference> / <reference,
    reference>|``. 0 dB keeps the speech at its level; -6 dB keeps half its amplitude; a denoiser that
    removes part of the speech along with the noise scores well below 0. Unlike SI-SDR it ignores what
    else the estimate contains (the noise left in)."""
    ref, est = _pair(reference, estimate)
    energy = float(np.dot(ref, ref))
    if energy == 0.0:
        raise ParameterError("the kept level is undefined for a silent reference.")
    return float(20 * np.log10(abs(np.dot(est, ref)) / energy + _EPS))


def voiced_share(y: np.ndarray, sr: int, *, fmin: float = 70.0, fmax: float = 500.0,
                 threshold_db: float = ACTIVE_THRESHOLD_DB) -> float:
    """Share of a signal's active frames in which the pYIN pitch tracker (``librosa.pyin``) finds a
    pitch between ``fmin`` and ``fmax`` Hz (chapter 6): near 1 for a vowel, a cry or a hum, near 0 for
    hiss, water or clicks. Active frames are those within ``threshold_db`` of the loudest, so silence
    between sounds does not count as unvoiced. A sound that has a voice's pitch is what a denoiser that
    learned "keep the harmonic sound" keeps."""
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0 or not np.any(y):
        raise ParameterError(f"voiced_share needs a non-silent 1-D signal, got shape {y.shape}.")
    frame, hop = 2048 if sr > 16000 else 1024 if sr > 8000 else 512, 128 if sr <= 8000 else 256
    _, voiced, _ = librosa.pyin(y, fmin=fmin, fmax=fmax, sr=sr, frame_length=frame, hop_length=hop)
    rms = librosa.feature.rms(y=y, frame_length=frame, hop_length=hop)[0][: voiced.size]
    level = 20 * np.log10(rms + 1e-10)
    active = level >= level.max() - threshold_db
    return float(np.mean(voiced[: level.size][active]))


def background_drop_db(clean: np.ndarray, noisy: np.ndarray, estimate: np.ndarray, sr: int, *,
                       frame_ms: float = 20.0, threshold_db: float = ACTIVE_THRESHOLD_DB) -> dict[str, float]:
    """Where a denoiser's output changed the level (chapter 6), in dB: ``background``, how much quieter
    the estimate is than the noisy input in the frames where the clean clip is silent (more than
    ``threshold_db`` below its loudest frame: pure noise there), and ``speech``, the estimate's level
    minus the clean clip's in its speech frames (0: the speech kept at its level, negative: some of it
    removed, positive: noise left on top)."""
    clean, noisy = _pair(clean, noisy)
    _, estimate = _pair(clean, estimate)
    active = active_mask(clean, sr, frame_ms=frame_ms, threshold_db=threshold_db)
    if active.all():
        raise ParameterError("the clean clip has no silent frames, so there is no background to measure.")
    silent = ~active
    return {"background": power_ratio_db(noisy[silent], estimate[silent]),
            "speech": power_ratio_db(estimate[active], clean[active])}


def pesq_mode(sr: int) -> str:
    """The PESQ band the book uses at a sample rate (chapter 6): narrow-band (P.862) at 8 kHz,
    wide-band (P.862.2) at 16 kHz. Other rates have no PESQ."""
    modes = {8000: "nb", 16000: "wb"}
    if int(sr) not in modes:
        raise ParameterError(f"PESQ is defined at 8000 or 16000 Hz, not {sr} Hz; resample first.")
    return modes[int(sr)]


def pesq_score(clean: np.ndarray, estimate: np.ndarray, sr: int) -> float:
    """PESQ (ITU-T P.862 MOS-LQO via the ``pesq`` package) of ``estimate`` against ``clean``; narrow-band
    at 8 kHz, wide-band at 16 kHz (chapter 6).

    PESQ cannot score every clip: a clip too short for its time alignment or one in which it finds no
    utterance. Such clips return NaN rather than raising, so callers can *count* them; chapter 6 reports
    the count per method.
    """
    from pesq import pesq as _pesq
    from pesq import PesqError

    ref, est = _pair(clean, estimate)
    mode = pesq_mode(sr)
    if not (np.isfinite(ref).all() and np.isfinite(est).all()) or not est.any():
        return float("nan")
    peak = max(np.abs(ref).max(), np.abs(est).max(), 1e-9)
    try:  # PESQ levels-aligns internally; a common scale only avoids clipping in its int16 path
        return float(_pesq(int(sr), (ref / peak).astype(np.float32), (est / peak).astype(np.float32), mode))
    except (PesqError, ValueError):  # ValueError: the C code hit a NaN on a degenerate (e.g. near-silent) clip
        return float("nan")


def estoi_score(clean: np.ndarray, estimate: np.ndarray, sr: int) -> float:
    """Extended STOI (Jensen & Taal 2016, ``pystoi`` with ``extended=True``) in [0, 1] (chapter 6).

    STOI works on 384 ms segments after dropping silent frames, so a single spoken digit (often under
    half a second) is too short to score reliably; chapter 6 passes per-speaker concatenations of the
    test clips instead. Signals shorter than 0.5 s raise a clear error.
    """
    from pystoi import stoi

    ref, est = _pair(clean, estimate)
    if ref.size < 0.5 * sr:
        raise ParameterError(f"ESTOI needs at least 0.5 s of audio, got {ref.size / sr:.2f} s; "
                             "concatenate clips (chapter 6 does it per speaker).")
    return float(stoi(ref, est, int(sr), extended=True))


# ---------------------------------------------------------------- chapter 6: the report's own metric
SPECTROGRAM_DOMAINS = ("magnitude", "power", "scaled_log")
#: The student report's headline (seed 000, section 4.3): mean "SNR improvement" on its AudioMNIST test set.
REPORT_CLAIMED_DB = 0.52


def spectrogram_snr_db(clean_spec: np.ndarray, estimate_spec: np.ndarray) -> float:
    """SNR between two spectrograms, ``10 log10(sum C^2 / sum (C - E)^2)`` in dB (chapter 6): the student
    report's metric, with the clean spectrogram ``C`` as the signal and its difference from the estimate
    ``E`` as the noise. See :func:`report_snr_improvement_db` for which spectrogram the report used.

    Arrays of any (equal) shape. A common factor on both spectrograms cancels, but a factor on the
    estimate alone does not: an all-zero estimate scores exactly 0 dB. Identical spectrograms give
    ``+inf`` (no cap); an all-zero clean spectrogram, like non-finite values, raises a ParameterError.
    """
    c = np.asarray(clean_spec, dtype=np.float64)
    e = np.asarray(estimate_spec, dtype=np.float64)
    if c.shape != e.shape:
        raise ParameterError(f"the spectrograms differ in shape: {c.shape} and {e.shape}; compute both with the "
                             "same STFT over the same frames.")
    if c.size == 0 or not (np.isfinite(c).all() and np.isfinite(e).all()):
        raise ParameterError("spectrogram SNR needs non-empty, finite spectrograms.")
    signal = float(np.sum(np.square(c)))
    if signal == 0.0:
        raise ParameterError("spectrogram SNR is undefined for an all-zero clean spectrogram.")
    error = float(np.sum(np.square(c - e)))
    return float("inf") if error == 0.0 else float(10.0 * np.log10(signal / error))


def to_spectrogram_domain(magnitude: np.ndarray, cfg, domain: str = "magnitude") -> np.ndarray:
    """A linear STFT magnitude in one of :data:`SPECTROGRAM_DOMAINS` (chapter 6): unchanged, squared
    (power), or the log-magnitude mapped to about [0, 1] by the models' fixed front end
    (:class:`digitdenoise.models.Frontend`, what this book's ``report_cae`` is trained to output)."""
    check_choice("domain", domain, SPECTROGRAM_DOMAINS)
    magnitude = np.asarray(magnitude, dtype=np.float64)
    if domain == "magnitude":
        return magnitude
    if domain == "power":
        return magnitude**2
    from .models import Frontend  # imports TensorFlow; only this domain needs it

    return Frontend(cfg).scale(np.log(magnitude + cfg.log_floor))


def report_spectrogram(y: np.ndarray, cfg, *, length: int | None = None, domain: str = "magnitude") -> np.ndarray:
    """The spectrogram the report's metric compares (chapter 6): the STFT of ``y`` (one clip, or a batch
    ``(..., samples)``) with ``cfg``'s window and hop, the Nyquist bin dropped, in ``domain`` (see
    :func:`report_snr_improvement_db`). With ``length`` only the ``1 + length // hop`` frames whose centres
    lie within the clip's first ``length`` samples are kept, so padding after a clip does not count."""
    from .features import stft

    spec = np.abs(stft(y, cfg))[..., : cfg.n_fft // 2, :]
    if length is not None:
        if int(length) < 1:
            raise ParameterError(f"length must be a positive number of samples, got {length}.")
        spec = spec[..., : 1 + int(length) // cfg.hop_length]
    return to_spectrogram_domain(spec, cfg, domain)


def report_snr_improvement_db(clean: np.ndarray, noisy: np.ndarray, estimate: np.ndarray, cfg, *,
                              length: int | None = None, domain: str = "magnitude") -> float:
    """The student report's "SNR improvement" of one clip (chapter 6), from waveforms:
    ``spectrogram_snr_db(C, E) - spectrogram_snr_db(C, X)`` for the spectrograms (:func:`report_spectrogram`)
    of the clean clip ``C``, the estimate ``E`` and the noisy input ``X``. The report averages it over its
    test clips; chapter 6 sets it beside SI-SDR improvement.

    **What the report says.** Its evaluation section states only that the denoised spectrograms were
    compared with the clean ones to compute an SNR improvement, 0.52 dB on average over the test set; no
    formula, no spectrogram type. The reading here is the one its pipeline points to:

    * *Spectrogram*: the linear STFT **magnitude** with the Nyquist bin dropped. The report's feature
      tensors, 1024 x 44, are exactly that for one second at 22.05 kHz with a 2048-point FFT and hop 512
      (1025 bins less one). That is the layout of seed 004's published preprocessing, which the report's
      description follows and which drops the top bin of ``|STFT|``; no logarithm is mentioned.
    * *Scaling to [0, 1]* (its sigmoid output needs it): the seed-004 recipe divides clean and noisy
      spectrograms by one constant. A constant common to both spectrograms cancels in the ratio, so none
      is applied here.
    * *Improvement*: SNR of the denoised spectrogram minus SNR of the noisy one, both against the clean
      one, per clip, then averaged (the plain meaning of "improvement" over the input).
    * *Frames*: those covering the clip's real ``length`` (all frames when ``None``), matching the book's
      SI-SDR at each clip's real length. The report used whole one-second windows, but there the zero
      padding after a clip is silence in clean and noisy alike; only an estimate's own output there counts.
    * *Estimate*: the STFT of the output waveform, so that masks, oracles and classical methods are scored
      the same way. The report scored its network's output spectrogram before resynthesis; for a model that
      predicts a magnitude, ``bench/report_metric.py`` scores that too.

    **Alternatives left open** (``domain`` selects the first two): the *power* spectrogram (the report's
    figure of clean and noisy spectrograms calls them power spectrograms, but that is a display);
    ``"scaled_log"``, the log-magnitude mapped to about [0, 1] by the models' front end, which is what this
    book's rebuilt ``report_cae`` is trained on; per-clip min-max scaling with separate constants for the
    clean and the estimated spectrogram (then the constants no longer cancel; not implemented); and
    "improvement" meaning the output SNR alone (:func:`spectrogram_snr_db` of ``C`` and ``E``).

    **Why it can disagree with SI-SDR improvement** (chapter 6): it is not scale-invariant (a silent output
    scores 0 dB, a gain of about +7 dB over FSDD mixtures at -8 dB); it ignores phase (an over-smoothed
    magnitude with the noisy phase raises it while the waveform moves further from the clean speech); and
    on linear magnitudes the loudest bins dominate the sums.
    """
    c = report_spectrogram(clean, cfg, length=length, domain=domain)
    x = report_spectrogram(noisy, cfg, length=length, domain=domain)
    e = report_spectrogram(estimate, cfg, length=length, domain=domain)
    return spectrogram_snr_db(c, e) - spectrogram_snr_db(c, x)


REPORT_METRIC_RECORDED = "bench/results/report_metric.json"  # written by bench/report_metric.py
_REPORT_ROW_ORDER = ("input", "model network output", "model", "oracle")


def recorded_report_metric(path=REPORT_METRIC_RECORDED):
    """The recorded comparison of the report's metric with SI-SDR (chapter 6; ``make report-metric``):
    ``(raw JSON, table)`` with one row per method (input first, then the report's own model, the other
    models and the oracle) and the means, 95% intervals and sign-disagreement shares of both metrics.
    The output's level against the clean speech (mean over clips of the energy ratio in dB; NaN in
    recordings made before it was measured) shows what a scale-invariant score cannot see.
    A missing or foreign file is a :class:`~digitdenoise.errors.DataError` naming it and the command."""
    import json
    from pathlib import Path

    import pandas as pd

    from .errors import DataError

    file = Path(path)
    if not file.is_file():
        raise DataError(f"{file} not found: run `make report-metric` (a few minutes) to record it.")
    try:
        raw = json.loads(file.read_text())
        results = raw["results"]
        rows = [{"method": name,
                 "report's metric, spectrogram SNR impr. (dB)": r["spectrogram_snr_improvement_db"]["mean"],
                 "95% CI (report's metric)": "{:.2f} to {:.2f}".format(*r["spectrogram_snr_improvement_db"]["ci95"]),
                 "SI-SDR impr. (dB)": r["si_sdr_improvement_db"]["mean"],
                 "95% CI (SI-SDR)": "{:.2f} to {:.2f}".format(*r["si_sdr_improvement_db"]["ci95"]),
                 "signs disagree (% of clips)": 100 * r["sign_disagreement_share"],
                 "output level re clean (dB)": (r.get("output_level_re_clean_db") or {}).get("mean", float("nan"))}
                for name, r in sorted(results.items(), key=lambda item: (
                    _REPORT_ROW_ORDER.index(item[1].get("kind", "model")), not item[0].startswith("report_cae"),
                    item[0]))]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{file} is not a report-metric recording ({type(exc).__name__}: {exc}); run "
                        "`make report-metric` again.") from None
    return raw, pd.DataFrame(rows).set_index("method")
