"""The trained denoiser applied to real audio files of any length, rate and channel count (the
``denoise`` command and the HTTP service; chapter 8 shows it at work, the README has the commands).

The networks are fully convolutional, so a model runs on audio of any length at its working rate: a
file up to ``CHUNK_S`` seconds goes through in one piece (padded by at most 64 ms); longer audio is cut
into pieces that overlap by ``OVERLAP_S`` seconds and are cross-faded back together in the middle of
each overlap, farther from either piece's edge than the U-Net's receptive field, so the result equals
one pass over the whole file. Input is downmixed to mono and
resampled to the model's rate; the output is resampled back to the input's rate and has the input's
length. A suppression ``strength`` from 0 to 1 (:func:`apply_strength`) limits how much is removed.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._io import atomic_path
from .errors import AudioFileError, DataError, ParameterError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")
DEFAULT_MAX_SECONDS = 600.0
CHUNK_S = 30.0  # longest piece sent through the model in one go (bounds memory for long files)
OVERLAP_S = 1.5  # overlap of consecutive pieces
FADE_S = 0.25  # cross-fade in the middle of each overlap, 0.6 s from either piece's edge: farther than the
#               mask U-Net sees (about 0.4 s either side), so the joined output equals one long pass
MODEL_ENV = "DIGITDENOISE_MODEL"
#: What runs the network (appendix 9): the Keras model, or its TensorFlow Lite export.
ENGINES = ("keras", "tflite")
#: Do no harm (chapter 6): where the model's output is this close to its input (SI-SDR of the output
#: against the input, dB), the input passes through, blended in linearly between the two values.
GUARD_DB = (15.0, 25.0)
#: Suppression strength (chapter 8): 1 is the model's full output, 0 the input unchanged.
DEFAULT_STRENGTH = 1.0


def check_strength(value, name: str = "strength") -> float:
    """``value`` as a suppression strength, a float from 0 to 1 (chapter 8; the ``--strength`` option of
    the ``denoise`` command, the service's ``strength`` parameter, the explorer's slider). Strings are
    parsed; anything else, NaN or a number outside [0, 1] is a :class:`ParameterError` naming ``name``
    and the allowed range."""
    try:
        strength = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        strength = float("nan")
    if isinstance(value, bool) or not 0.0 <= strength <= 1.0:  # NaN fails the comparison too
        raise ParameterError(f"{name} must be a number from 0 to 1 (0: the input unchanged, 1: the model's "
                             f"full suppression); got {value!r}.")
    return strength


def input_share(strength: float) -> float:
    r"""The share of the input :func:`apply_strength` mixes back in, :math:`f = (1 - s)^3` (chapter 8)."""
    return (1.0 - check_strength(strength)) ** 3


def attenuation_limit_db(strength: float) -> float:
    r"""The most a bin can be attenuated at ``strength`` :math:`s`, in dB (chapter 8):
    :math:`-20 \log_{10} (1 - s)^3 = 60 \log_{10} \frac{1}{1 - s}`; 0 at :math:`s = 0`, about 7.5 dB at 0.25,
    18 dB at 0.5, 36 dB at 0.75, 60 dB at 0.9 and no limit (``inf``) at 1."""
    share = input_share(strength)
    return float("inf") if share == 0.0 else float(20.0 * np.log10(1.0 / share))


def apply_strength(noisy: np.ndarray, estimate: np.ndarray, strength: float = DEFAULT_STRENGTH) -> np.ndarray:
    r"""Limit how much of the input a denoiser removes (chapter 8; the ``denoise`` command's ``--strength``,
    the service's ``strength`` parameter and the explorer's "suppression strength" slider).

    With strength :math:`s \in [0, 1]` the result is :math:`f\,x + (1 - f)\,\hat s` with
    :math:`f = (1 - s)^3`, :math:`x` the input and :math:`\hat s` the model's (guarded) output. Because the
    STFT is linear, this is an attenuation limit in every time-frequency bin: a bin the model keeps with
    complex gain :math:`M` comes out with gain :math:`f + (1 - f) M`, so a bin the model removes entirely
    (:math:`M = 0`) keeps the fraction :math:`f` of its input, and no bin of a mask in :math:`[0, 1]` is
    attenuated by more than :func:`attenuation_limit_db` = :math:`60 \log_{10} \frac{1}{1 - s}` dB (18 dB at
    :math:`s = 0.5`). The noise let back in is the input's own, scaled down, so its spectrum is not coloured
    by the mask (no musical noise of its own), and bins the model leaves alone (:math:`M \approx 1`) stay as
    they are. This is the
    attenuation limit of DeepFilterNet (Schröter et al.), given on a 0-1 scale whose cube spreads the
    audible range (0-40 dB) over most of the slider.

    ``strength = 1`` returns ``estimate`` itself (bit for bit: today's output) and ``strength = 0`` a copy of
    ``noisy``; in between, the output moves monotonically from the estimate towards the input."""
    s = check_strength(strength)
    noisy, estimate = np.asarray(noisy, np.float32), np.asarray(estimate, np.float32)
    if noisy.shape != estimate.shape:
        raise ParameterError(f"apply_strength: input {noisy.shape} and estimate {estimate.shape} differ in shape.")
    if s == 1.0:
        return estimate
    if s == 0.0:
        return noisy.copy()
    share = np.float32(input_share(s))
    return (share * noisy + (np.float32(1.0) - share) * estimate).astype(np.float32)


def no_harm_guard(noisy: np.ndarray, estimate: np.ndarray, guard_db: tuple[float, float] | None = GUARD_DB
                  ) -> np.ndarray:
    r"""Leave speech alone when there is little to remove (chapter 6; the ``denoise`` command and the
    service apply it to each file). The model's change to its input is measured as the SI-SDR of the
    estimate against the input, :math:`c`: a model that removed a lot of noise has a low :math:`c`, one
    that found almost nothing to remove a high one. With ``guard_db = (low, high)`` the result is
    :math:`w\,\hat s + (1 - w)\,x` with :math:`w = \min(1, \max(0, (high - c) / (high - low)))`: the
    model's estimate below ``low``, the untouched input above ``high``. On noisy speech (SNR up to about
    +10 dB) :math:`c` stays below ``low`` and nothing changes; on clean recordings it keeps the small
    distortions a model trained on noisy pairs adds from reaching a recogniser. ``None`` disables it."""
    from .metrics import si_sdr_db

    noisy, estimate = np.asarray(noisy, np.float32), np.asarray(estimate, np.float32)
    if guard_db is None or noisy.size == 0 or not np.any(noisy):
        return estimate
    low, high = guard_db
    if not high > low:
        raise ParameterError(f"guard_db={guard_db}: the second value must be above the first.")
    change = si_sdr_db(noisy, estimate)
    w = float(np.clip((high - change) / (high - low), 0.0, 1.0)) if np.isfinite(change) else 1.0
    return estimate if w == 1.0 else (w * estimate + (1.0 - w) * noisy).astype(np.float32)


def default_model_dir() -> Path:
    """The model the command and the service use unless told otherwise (chapter 8; chapter 5 made the release checkpoint):
    ``$DIGITDENOISE_MODEL`` if set, else ``models/release/general-mask_unet`` of this repository (the
    general release model: many voices and noises)."""
    import os

    env = os.environ.get(MODEL_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "models" / "release" / "general-mask_unet"


@dataclass
class Decoded:
    """Audio read from a file or bytes: mono float32 at its own rate, and what the input was (chapter 8)."""

    audio: np.ndarray
    sample_rate: int
    channels: int
    subtype: str | None


def decode(source: str | Path | bytes, *, name: str | None = None, max_seconds: float | None = DEFAULT_MAX_SECONDS
           ) -> Decoded:
    """Read audio from a path or from bytes and downmix it to mono (chapter 8; the ``denoise`` command,
    the service). Every failure is an :class:`AudioFileError` naming the input: not audio, a corrupt header,
    no samples, or longer than ``max_seconds``."""
    import soundfile as sf

    label = name or (str(source) if not isinstance(source, bytes) else "upload")
    size = len(source) if isinstance(source, bytes) else (Path(source).stat().st_size if Path(source).is_file() else None)
    if size == 0:
        raise AudioFileError(f"{label}: the file is empty (0 bytes).")
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else source
        info = sf.info(handle)
        if isinstance(source, bytes):
            handle.seek(0)
        if info.frames == 0:
            raise AudioFileError(f"{label}: the file holds no audio samples.")
        seconds = info.frames / info.samplerate
        if max_seconds is not None and seconds > max_seconds:
            raise AudioFileError(f"{label}: {seconds:.1f} s is longer than the limit of {max_seconds:g} s "
                                 "(raise it with --max-seconds).")
        data, rate = sf.read(handle, dtype="float32", always_2d=True)
    except AudioFileError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        detail = re.sub(r"<[^<>]* at 0x[0-9a-fA-F]+>", label, detail)  # never a Python object's repr
        raise AudioFileError(f"{label}: not a readable audio file ({detail}).") from None
    if data.shape[0] == 0:
        raise AudioFileError(f"{label}: the file holds no audio samples.")
    if not np.isfinite(data).all():
        raise AudioFileError(f"{label}: the audio contains NaN or infinite samples.")
    return Decoded(data.mean(axis=1).astype(np.float32), int(rate), int(data.shape[1]), info.subtype)


class Enhancer:
    """A loaded denoiser that takes mono audio at any rate and returns it denoised at the same rate and
    length (chapter 8; the ``denoise`` command, the service). Calls are serialised with a lock, so one instance
    can serve several threads. ``precision``: ``"float32"``, ``"bfloat16"`` (the network computes in
    bfloat16: same SI-SDR, faster on CPUs with AVX-512 BF16, appendix 9) or ``"auto"`` (bfloat16 where the
    CPU has it). ``engine``: ``"keras"`` (the saved model itself) or ``"tflite"`` (the folder's model
    exported once to TensorFlow Lite, checked against Keras when it is converted and cached:
    :meth:`~digitdenoise.export.TFLiteDenoiser.from_model_dir`; it computes in float32, appendix 9)."""

    def __init__(self, model_dir: str | Path | None = None, *, model=None, precision: str = "auto",
                 guard_db: tuple[float, float] | None = GUARD_DB, engine: str = "keras"):
        from . import training

        self.guard_db = guard_db
        if engine not in ENGINES:
            raise ParameterError(f"engine={engine!r}: choose {' or '.join(ENGINES)}.")
        if precision not in ("auto", *training.PRECISIONS):
            raise ParameterError(f"precision={precision!r}: choose auto, {', '.join(training.PRECISIONS)}.")
        if engine == "tflite" and precision == "bfloat16":
            raise ParameterError("the tflite engine computes in float32: leave precision at auto (or float32), or "
                                 "use the keras engine for bfloat16.")
        if engine == "tflite" and model is not None:
            raise ParameterError("engine='tflite' converts a saved model folder: pass model_dir, not a loaded model.")
        self.engine = engine
        self.precision = ("float32" if engine == "tflite" else
                          ("bfloat16" if training.cpu_has_bfloat16() else "float32") if precision == "auto" else precision)

        if model is not None:  # an already loaded denoiser (chapter 8 passes the one chapter 5 chose)
            self.model_dir, self.model, self.info = Path("(in memory)"), model, {"model": model.model_name}
        elif engine == "tflite":
            from .export import TFLiteDenoiser

            self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
            self.model = TFLiteDenoiser.from_model_dir(self.model_dir)  # a clear error if there is no model
            self.info = training.saved_info(self.model_dir)
        else:
            self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
            self.model, self.info = training.load_denoiser(self.model_dir)
        self.rate = self.model.cfg.sample_rate
        # pieces start on multiples of 8 STFT hops: the U-Net's three poolings make its output the same
        # for a shifted input only if the shift is a whole number of pooled frames
        self.unit = 8 * self.model.cfg.hop_length
        self.window = int(CHUNK_S * self.rate) // self.unit * self.unit
        self.overlap = int(OVERLAP_S * self.rate) // self.unit * self.unit
        self._lock = threading.Lock()
        self._run([np.zeros(self.model.cfg.n_samples, np.float32)])  # build the graph now, not in the first request

    def describe(self) -> dict:
        """What is loaded: model name, parameters, rate, folder (chapter 8; the service's health endpoint)."""
        return {"model": self.info.get("model", self.model.model_name), "parameters": self.info.get("parameters"),
                "sample_rate": self.rate, "window_samples": self.window, "precision": self.precision,
                "engine": self.engine,
                "model_dir": str(self.model_dir), "guard_db": list(self.guard_db) if self.guard_db else None}

    def _pieces(self, n: int) -> list[tuple[int, int]]:
        """``(start, end)`` of the pieces covering ``n`` samples: one piece, or the fewest pieces of at most
        ``window`` samples, of equal length, overlapping by ``overlap``, all starting on multiples of
        ``unit``."""
        w, o = self.window, self.overlap
        if n <= w:
            return [(0, n)]
        k = -(-(n - o) // (w - o))
        step = -(-(n - o) // (k * self.unit)) * self.unit
        starts = [j * step for j in range(k)]
        return [(s, min(n, s + step + o)) for s in starts[:-1]] + [(starts[-1], n)]

    def _assemble(self, n: int, starts: list[int], out: list[np.ndarray]) -> np.ndarray:
        """Join piece outputs into ``n`` samples: each pair of neighbours is cross-faded linearly over
        ``FADE_S`` in the middle of their overlap, where neither output is affected by its piece's edge."""
        if len(starts) == 1:
            return out[0][:n].astype(np.float32)
        fade = int(FADE_S * self.rate)
        acc, weight = np.zeros(n), np.zeros(n)
        for j, (s, o) in enumerate(zip(starts, out)):
            gain = np.ones(o.size)
            if j > 0:  # fade in, in the middle of the overlap with the previous piece
                a = (starts[j - 1] + out[j - 1].size - s - fade) // 2
                gain[:a] = 0.0
                gain[a:a + fade] = np.linspace(0.0, 1.0, fade)
            if j < len(starts) - 1:  # fade out, in the middle of the overlap with the next piece
                overlap = s + o.size - starts[j + 1]
                b = o.size - overlap + (overlap - fade) // 2
                gain[b:b + fade] = np.minimum(gain[b:b + fade], np.linspace(1.0, 0.0, fade))
                gain[b + fade:] = 0.0
            acc[s:s + o.size] += gain * o
            weight[s:s + o.size] += gain
        return (acc / np.maximum(weight, 1e-12)).astype(np.float32)

    def _run(self, pieces: list[np.ndarray]) -> list[np.ndarray]:
        from .training import denoise_signals

        with self._lock:
            return denoise_signals(self.model, pieces, precision=self.precision)

    def enhance(self, audio: np.ndarray, sample_rate: int, *, strength: float = DEFAULT_STRENGTH) -> np.ndarray:
        """Denoise mono ``audio`` at ``sample_rate``; returns float32 of the same length and rate (chapter 8).
        ``strength`` as in :func:`apply_strength` (1: full suppression, 0: the input unchanged)."""
        return self.enhance_many([audio], [sample_rate], strength=strength)[0]

    def enhance_many(self, audios: list[np.ndarray], rates: list[int], *,
                     strength: float = DEFAULT_STRENGTH) -> list[np.ndarray]:
        """Denoise several mono signals at once (chapter 8; the ``denoise`` command batches files this
        way): the pieces of all of them go through the model together, grouped by length, which for short
        files is many times faster than one model call per file. Each result has its input's rate and
        length. ``strength`` limits the suppression (:func:`apply_strength`); it is applied last, after the
        do-no-harm guard, to the output at the input's own rate, so ``strength=0`` returns the input itself."""
        import librosa

        strength = check_strength(strength)
        if len(audios) != len(rates):
            raise ParameterError(f"{len(audios)} signals but {len(rates)} sample rates.")
        prepared, plans, windows, x_all = [], [], [], []
        for audio, rate in zip(audios, rates):
            audio = np.asarray(audio, np.float32)
            if audio.ndim != 1 or audio.size == 0:
                raise ParameterError(f"enhance() needs non-empty mono audio, got shape {audio.shape}.")
            if rate <= 0:
                raise ParameterError(f"sample_rate must be positive, got {rate}.")
            x = audio if rate == self.rate else librosa.resample(audio, orig_sr=rate, target_sr=self.rate)
            x_all.append(x)
            pieces = self._pieces(x.size) if x.size else []
            starts = [s for s, _ in pieces]
            windows += [x[s:e] for s, e in pieces]
            prepared.append((audio.size, rate, x.size))
            plans.append(starts)
        out = self._run(windows) if windows else []
        results, k = [], 0
        for (length, rate, n), starts in zip(prepared, plans):
            y = self._assemble(n, starts, out[k:k + len(starts)])
            if y.size:
                y = no_harm_guard(x_all[len(results)], y, self.guard_db)
            k += len(starts)
            if y.size == 0:  # shorter than one sample at the model's rate
                results.append(apply_strength(audios[len(results)], np.zeros(length, np.float32), strength))
                continue
            if rate != self.rate:
                y = librosa.resample(y, orig_sr=self.rate, target_sr=rate)
            y = np.pad(y, (0, max(0, length - y.size)))[:length].astype(np.float32)
            results.append(apply_strength(audios[len(results)], y, strength))
        return results


def encode_wav(audio: np.ndarray, sample_rate: int, subtype: str | None = None) -> bytes:
    """WAV bytes of mono float audio, clipped to full scale (chapter 8; the service's response)."""
    import soundfile as sf

    buf = io.BytesIO()
    subtype = subtype if subtype in ("PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE") else "PCM_16"
    sf.write(buf, np.clip(audio, -1.0, 1.0), int(sample_rate), format="WAV", subtype=subtype)
    return buf.getvalue()


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int, subtype: str | None = None) -> Path:
    """Write mono audio atomically (never a half-written file), in the input's format where soundfile
    can write it, else 16-bit WAV (chapter 8; the ``denoise`` command)."""
    import soundfile as sf

    path = Path(path)
    fmt = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".aiff": "AIFF", ".aif": "AIFF"}.get(path.suffix.lower(), "WAV")
    if subtype is None or not sf.check_format(fmt, subtype):
        subtype = sf.default_subtype(fmt)
    with atomic_path(path, suffix=path.suffix or ".wav") as tmp:
        sf.write(tmp, np.clip(audio, -1.0, 1.0), int(sample_rate), format=fmt, subtype=subtype)
    return path


def collect_inputs(inputs: list[str | Path]) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Expand files and folders (recursively) into ``(file, relative output path)`` pairs, and the
    problems met on the way (a missing path, an unreadable folder) as one-line messages (chapter 8; the
    ``denoise`` command)."""
    import os

    found, problems = [], []
    for item in inputs:
        path = Path(item)
        if path.is_file():
            found.append((path, Path(path.name)))
        elif path.is_dir():
            def onerror(exc, root=path):
                problems.append(f"{exc.filename}: cannot read this folder ({exc.strerror}).")

            for dirpath, dirnames, filenames in os.walk(path, onerror=onerror):
                dirnames.sort()
                for fname in sorted(filenames):
                    if Path(fname).suffix.lower() in AUDIO_SUFFIXES:
                        full = Path(dirpath) / fname
                        found.append((full, Path(path.name) / full.relative_to(path)))
        else:
            problems.append(f"{path}: no such file or folder.")
    return found, problems


def check_output_path(source: Path, target: Path, overwrite: bool) -> None:
    """Refuse to write over an input, or over an existing output unless ``overwrite`` (chapter 8; the
    ``denoise`` command)."""
    if target.exists() and target.resolve() == source.resolve():
        raise DataError(f"{target}: the output would replace the input itself; choose another output folder.")
    if target.exists() and not overwrite:
        raise DataError(f"{target}: already exists; pass --overwrite to replace it.")
