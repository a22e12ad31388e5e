"""Noise: generated colours, real recordings, babble, and mixing at an exact SNR (chapters 2 and 4).

Noise types by name:

``white``, ``pink``, ``brown``   generated; power spectral density proportional to 1/f^0, 1/f^1, 1/f^2
``babble``                       a sum of several other speakers' clips (from held-out speakers)
any recording name               an excerpt of a background-noise recording (``<data home>/noise``)
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .config import check_choice, check_number, default_data_home
from .errors import DataError, ParameterError
from .metrics import active_mask

COLOURS = {"white": 0.0, "pink": 1.0, "brown": 2.0}
MIX_MODES = ("whole", "active")

# Background-noise recordings from Google's Speech Commands v0.02 (CC BY 4.0), as mirrored in a public
# tutorial repository at a pinned commit; the checksums are those of the files.
NOISE_BASE_URL = ("https://raw.githubusercontent.com/chaeyoung-lee/wids_tutorial/"
                  "7d028e7211c846244903eb59664087f1fb3e4c07/data/_background_noise_/")
NOISE_FILES = {
    "doing_the_dishes.wav": "0bd0e1871727560369c5bc59041713714e06e998fb2c75913c39eeba24f5f249",
    "dude_miaowing.wav": "1acd62f115d4c3f9daca9c5ec0c2e0c3e174a2a08be30200003a51de52b288ff",
    "exercise_bike.wav": "9a18c2a48248aa5000c27d86f8c7a1070474b9d2aa3b115ab50274de81bb291d",
    "pink_noise.wav": "dd7d4cb7df1cad6845af16426090af617d21e4a3aae28776e568d811bb126363",
    "running_tap.wav": "9df9e1144041d45e7c7a9294395ea507b68525e98446857508ecd8da035b10c2",
    "white_noise.wav": "c80270ff6d23f7aecc397ce923a6ca554157bb733d1013cd1d9391c15671b102",
}


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _unit_rms(x: np.ndarray, what: str) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    if not np.isfinite(rms) or rms == 0.0:
        raise DataError(f"{what} is silent (zero power) and cannot be used as noise.")
    return (x / rms).astype(np.float32)


def coloured_noise(colour: str, n_samples: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Gaussian noise of ``n_samples`` with PSD proportional to 1/f^beta, unit RMS (chapter 4).

    beta is 0 for white, 1 for pink (-3 dB per octave), 2 for brown (-6 dB per octave). Made by
    shaping the spectrum of white Gaussian noise with f^(-beta/2); the DC bin is set to zero.
    """
    check_choice("colour", colour, tuple(COLOURS))
    n_samples = check_number("n_samples", n_samples, minimum=2, integer=True)
    rng = _rng(seed)
    white = rng.standard_normal(n_samples)
    beta = COLOURS[colour]
    if beta == 0:
        return _unit_rms(white, "white noise")
    spectrum = np.fft.rfft(white)
    f = np.fft.rfftfreq(n_samples)
    scale = np.zeros_like(f)
    scale[1:] = f[1:] ** (-beta / 2.0)
    shaped = np.fft.irfft(spectrum * scale, n=n_samples)
    return _unit_rms(shaped, f"{colour} noise")


def noise_folder(data_home: str | Path | None = None) -> Path:
    """``<data home>/noise``, where background-noise recordings are read from (chapter 4)."""
    home = Path(data_home).expanduser() if data_home else default_data_home()
    return home / "noise"


def ensure_noise_recordings(data_home: str | Path | None = None, *, download: bool = True) -> Path:
    """Make sure the noise recordings are in the data home; download the six missing ones (chapter 4)."""
    folder = noise_folder(data_home)
    if folder.is_dir() and any(folder.glob("*.wav")):
        return folder
    if not download:
        raise DataError(f"no noise recordings (*.wav) in {folder}; run `digitdenoise fetch noise` or copy some there.")
    from ._io import atomic_path
    from .data import _fetch

    import shutil

    for name, sha in NOISE_FILES.items():
        got = _fetch(NOISE_BASE_URL + name, f"sha256:{sha}", name)
        with atomic_path(folder / name) as tmp:
            shutil.copy2(got, tmp)
    return folder


def load_noise_recordings(folder: str | Path, sr: int, *, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Read every ``*.wav`` in ``folder`` (or just ``names``), mono, resampled to ``sr``, scaled to unit
    RMS. Recordings are quiet (around -45 dBFS) and must be normalised before mixing (chapter 4)."""
    from .data import read_audio

    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"noise folder {folder} does not exist.")
    files = sorted(folder.glob("*.wav"))
    if names is not None:
        wanted = set(names)
        unknown = wanted - {f.stem for f in files}
        if unknown:
            raise ParameterError(f"unknown noise recordings {sorted(unknown)}; {folder} has "
                                 f"{sorted(f.stem for f in files)}.")
        files = [f for f in files if f.stem in wanted]
    if not files:
        raise DataError(f"no .wav noise recordings in {folder}.")
    return {f.stem: _unit_rms(read_audio(f, sr)[0], str(f)) for f in files}


def excerpt(recording: np.ndarray, n_samples: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """A random excerpt of ``n_samples`` from a long recording, tiled if the recording is shorter (chapter 4)."""
    rng = _rng(seed)
    recording = np.asarray(recording, dtype=np.float32)
    if recording.size < n_samples:
        recording = np.tile(recording, int(np.ceil(n_samples / recording.size)) + 1)
    start = int(rng.integers(0, recording.size - n_samples + 1))
    return recording[start:start + n_samples].copy()


def babble(talkers: Sequence[np.ndarray], n_samples: int, seed: int | np.random.Generator | None = None,
           *, n_talkers: int = 4) -> np.ndarray:
    """Babble noise: ``n_talkers`` clips of other speakers, each at equal level and a random offset,
    looped to ``n_samples`` and summed; unit RMS (chapter 4). Use clips of speakers held out from the
    split being corrupted, so a model never hears its target speaker as noise."""
    n_talkers = check_number("n_talkers", n_talkers, minimum=1, integer=True)
    if len(talkers) < n_talkers:
        raise ParameterError(f"babble needs {n_talkers} talker clips, got {len(talkers)}.")
    rng = _rng(seed)
    picks = rng.choice(len(talkers), size=n_talkers, replace=False)
    out = np.zeros(n_samples, dtype=np.float64)
    for i in picks:
        clip = _unit_rms(np.asarray(talkers[i], dtype=np.float32), "a babble talker clip")
        looped = np.tile(clip, int(np.ceil(n_samples / clip.size)) + 1)
        start = int(rng.integers(0, clip.size))
        out += looped[start:start + n_samples]
    return _unit_rms(out, "babble")


def snr_gain(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> float:
    """The factor to multiply ``noise`` by so that ``clean + gain * noise`` has ``snr_db`` over these
    samples (chapter 4). Both arrays must have the same length and non-zero power."""
    ps = float(np.sum(np.square(clean, dtype=np.float64)))
    pn = float(np.sum(np.square(noise, dtype=np.float64)))
    if ps == 0.0:
        raise DataError("the clean clip is silent (zero power): its SNR is undefined.")
    if pn == 0.0:
        raise DataError("the noise excerpt is silent (zero power) where it would be measured.")
    return float(np.sqrt(ps / (pn * 10.0 ** (snr_db / 10.0))))


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float, *, sr: int | None = None,
               mode: str = "whole") -> tuple[np.ndarray, np.ndarray]:
    """Scale ``noise`` so that ``clean + noise`` has exactly ``snr_db`` and return ``(noisy, scaled_noise)``.

    ``mode="whole"``: SNR over the whole clip (silence included); ``mode="active"``: SNR over
    speech-active samples only (needs ``sr``; see :func:`digitdenoise.metrics.active_mask`).
    ``noise`` must be at least as long as ``clean``; its first ``len(clean)`` samples are used.
    The mixture is not clipped (clipping would change the SNR): keep it in float. Chapter 2 and 4.
    """
    snr_db = check_number("snr_db", snr_db, minimum=-60, maximum=60)
    check_choice("mode", mode, MIX_MODES)
    clean64 = np.asarray(clean, dtype=np.float64)
    noise64 = np.asarray(noise, dtype=np.float64)
    if clean64.ndim != 1 or noise64.ndim != 1:
        raise ParameterError("mix_at_snr expects 1-D clean and noise signals.")
    if noise64.size < clean64.size:
        raise ParameterError(f"noise has {noise64.size} samples, fewer than the clean clip's {clean64.size}; "
                             "take a longer excerpt.")
    noise64 = noise64[: clean64.size]
    if mode == "active":
        if sr is None:
            raise ParameterError("mode='active' needs the sample rate sr.")
        mask = active_mask(clean64, sr)
    else:
        mask = slice(None)
    scaled = noise64 * snr_gain(clean64[mask], noise64[mask], snr_db)
    noisy = clean64 + scaled
    return noisy.astype(np.float32), scaled.astype(np.float32)


class NoiseSource:
    """Draws unit-RMS noise of any known type at one sample rate (chapters 2 and 4).

    ``recordings`` maps names to long recordings (see :func:`load_noise_recordings`);
    ``babble_clips`` are clean clips of speakers *not* in the split being corrupted.
    """

    def __init__(self, sr: int, recordings: dict[str, np.ndarray] | None = None,
                 babble_clips: Sequence[np.ndarray] | None = None, n_talkers: int = 4):
        self.sr = int(sr)
        self.recordings = dict(recordings or {})
        self.babble_clips = list(babble_clips or [])
        self.n_talkers = n_talkers
        clash = set(self.recordings) & (set(COLOURS) | {"babble", "recording"})
        if clash:
            raise ParameterError(f"recording names {sorted(clash)} clash with generated noise types; rename them.")

    @property
    def kinds(self) -> list[str]:
        """Every noise type this source can draw (chapter 4). ``recording`` draws a random one of the
        recordings each time."""
        kinds = list(COLOURS) + sorted(self.recordings)
        if self.recordings:
            kinds.append("recording")
        if len(self.babble_clips) >= self.n_talkers:
            kinds.append("babble")
        return kinds

    def draw(self, kind: str, n_samples: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """``n_samples`` of noise type ``kind``, unit RMS (chapter 4)."""
        check_choice("noise kind", kind, self.kinds)
        rng = _rng(seed)
        if kind in COLOURS:
            return coloured_noise(kind, n_samples, rng)
        if kind == "babble":
            return babble(self.babble_clips, n_samples, rng, n_talkers=self.n_talkers)
        if kind == "recording":
            kind = sorted(self.recordings)[int(rng.integers(len(self.recordings)))]
        return _unit_rms(excerpt(self.recordings[kind], n_samples, rng), f"an excerpt of {kind}")


def mixtures(clips: Sequence[np.ndarray], source: NoiseSource, kind: str, snr_db: float, *,
             seed: int = 0, mode: str = "whole") -> list[tuple[np.ndarray, np.ndarray]]:
    """Mix each clip with a fresh draw of ``kind`` noise at ``snr_db``; returns ``(clean, noisy)`` pairs.

    The draws depend only on ``seed`` and the clip's position, so every method evaluated on the same
    list sees the same noise (chapters 2, 6 and 7).
    """
    out = []
    for i, clean in enumerate(clips):
        rng = np.random.default_rng([seed, i])
        noise = source.draw(kind, len(clean), rng)
        noisy, _ = mix_at_snr(clean, noise, snr_db, sr=source.sr, mode=mode)
        out.append((np.asarray(clean, np.float32), noisy))
    return out


def speed_perturb(clips: np.ndarray, factor: float, sr: int) -> np.ndarray:
    """Clips played ``factor`` times faster (tempo and pitch together, as a tape would), kept at their
    fixed length: cut, or padded with silence (chapter 4's speaker augmentation; chapter 5's specialist
    uses it). A factor of 1.1 raises every formant by 10%, much as a shorter vocal tract does, which makes
    a handful of training speakers sound like more of them."""
    import librosa

    check_number("speed factor", factor, minimum=0.5, maximum=2.0)
    clips = np.asarray(clips, dtype=np.float32)
    if clips.ndim != 2:
        raise ParameterError(f"speed_perturb needs clips as (n_clips, n_samples), got {clips.shape}.")
    if factor == 1.0:
        return clips.copy()
    out = librosa.resample(clips, orig_sr=sr * factor, target_sr=sr, res_type="soxr_hq", axis=-1)
    n = clips.shape[1]
    return np.pad(out, ((0, 0), (0, max(0, n - out.shape[1]))))[:, :n].astype(np.float32)


class OnTheFlyMixer:
    """The training-time noisy-data generator (chapter 4).

    Holds fixed-length clean clips ``(n_clips, n_samples)``; :meth:`pair` mixes clip ``index`` for
    ``epoch`` with a noise type drawn from ``kinds`` and an SNR drawn uniformly from ``snr_range``.
    Every draw is a pure function of ``(seed, epoch, index)``: training sees fresh noise each epoch, and
    any run with the same seed sees the same noise, in any order and on any number of workers.
    The SNR is exact over the whole fixed-length window (padding included).
    """

    def __init__(self, clean: np.ndarray, source: NoiseSource, *, kinds: Sequence[str] | None = None,
                 snr_range: tuple[float, float] = (-10.0, 5.0), seed: int = 0,
                 speakers: Sequence[str] | None = None, babble_pool: int = 40):
        clean = np.asarray(clean, dtype=np.float32)
        if clean.ndim != 2 or clean.shape[0] == 0:
            raise ParameterError(f"OnTheFlyMixer needs clean clips as (n_clips, n_samples), got {clean.shape}.")
        lo, hi = (check_number("snr_range[0]", snr_range[0], minimum=-60, maximum=60),
                  check_number("snr_range[1]", snr_range[1], minimum=-60, maximum=60))
        if lo > hi:
            raise ParameterError(f"snr_range={snr_range!r}: the low end is above the high end.")
        # With ``speakers``, babble for a clip is made from the *other* speakers' clips of ``clean``.
        self.sources: dict[str, NoiseSource] = {}
        if speakers is not None:
            speakers = [str(s) for s in speakers]
            if len(speakers) != clean.shape[0]:
                raise ParameterError(f"speakers has {len(speakers)} entries for {clean.shape[0]} clips.")
            pick = np.random.default_rng([seed, 11])
            for spk in sorted(set(speakers)):
                others = [i for i, s in enumerate(speakers) if s != spk]
                chosen = pick.choice(others, size=min(babble_pool, len(others)), replace=False) if others else []
                self.sources[spk] = NoiseSource(source.sr, recordings=source.recordings,
                                                babble_clips=[clean[i] for i in chosen], n_talkers=source.n_talkers)
        self.speakers = speakers
        valid = source.kinds
        if self.sources:  # a kind is usable only if every speaker's source can draw it
            valid = [k for k in self.sources[speakers[0]].kinds if all(k in s.kinds for s in self.sources.values())]
        self.kinds = list(kinds) if kinds is not None else list(valid)
        for kind in self.kinds:
            check_choice("noise kind", kind, valid)
        energy = np.sum(np.square(clean, dtype=np.float64), axis=1)
        if np.any(energy == 0):
            raise DataError(f"clean clips {np.flatnonzero(energy == 0)[:5].tolist()} are silent and cannot be mixed.")
        self.clean, self.source, self.snr_range, self.seed = clean, source, (lo, hi), int(seed)

    def __len__(self) -> int:
        return self.clean.shape[0]

    def draw(self, index: int, epoch: int = 0) -> tuple[str, float, np.random.Generator]:
        """The noise type, SNR and random generator used for clip ``index`` in ``epoch``."""
        rng = np.random.default_rng([self.seed, int(epoch), int(index)])
        kind = self.kinds[int(rng.integers(len(self.kinds)))]
        snr = float(rng.uniform(*self.snr_range))
        return kind, snr, rng

    def pair(self, index: int, epoch: int = 0) -> tuple[np.ndarray, np.ndarray, str, float]:
        """``(noisy, clean, noise kind, SNR in dB)`` for clip ``index`` in ``epoch``."""
        kind, snr, rng = self.draw(index, epoch)
        clean = self.clean[index]
        source = self.sources[self.speakers[index]] if self.sources else self.source
        noisy, _ = mix_at_snr(clean, source.draw(kind, clean.size, rng), snr)
        return noisy, clean, kind, snr

    def batches(self, epoch: int, batch_size: int, *, shuffle: bool = True):
        """Yield ``(noisy, clean)`` float32 batches covering every clip once in ``epoch``."""
        batch_size = check_number("batch_size", batch_size, minimum=1, integer=True)
        order = np.arange(len(self))
        if shuffle:
            order = np.random.default_rng([self.seed, int(epoch), 0xFFFFFFFF]).permutation(order)
        for start in range(0, len(order), batch_size):
            pairs = [self.pair(i, epoch) for i in order[start:start + batch_size]]
            yield np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def make_pairs(table, clips: Sequence[np.ndarray], kinds: Sequence[str], snr_db: float, *, sr: int,
               recordings: dict[str, np.ndarray] | None = None, seed: int = 0, talkers_per_pool: int = 40
               ) -> list[dict]:
    """Clean/noisy pairs for analysis (chapter 2) and evaluation (chapters 6-7).

    ``table`` is the clip table whose rows match ``clips``. Each clip is mixed with every noise type in
    ``kinds`` at ``snr_db`` (whole clip). Babble for a clip is made from other speakers' clips only.
    Draws depend on ``(seed, clip position, noise type)`` alone, so every method sees the same noise.
    Returns one dict per pair: ``clip_id, speaker, digit, noise, snr_db, clean, noise_signal, noisy``.
    """
    if len(table) != len(clips):
        raise ParameterError(f"table has {len(table)} rows but {len(clips)} clips were given.")
    speakers = list(table["speaker"])
    pools: dict[str, NoiseSource] = {}
    base = NoiseSource(sr, recordings=recordings)
    if "babble" in kinds:
        rng = np.random.default_rng([seed, 7])
        for spk in sorted(set(speakers)):
            others = [i for i, s in enumerate(speakers) if s != spk]
            pick = rng.choice(others, size=min(talkers_per_pool, len(others)), replace=False) if others else []
            pools[spk] = NoiseSource(sr, recordings=recordings, babble_clips=[clips[i] for i in pick])
    out = []
    for i, (row, clean) in enumerate(zip(table.itertuples(index=False), clips)):
        for k, kind in enumerate(kinds):
            source = pools.get(row.speaker, base) if kind == "babble" else base
            rng = np.random.default_rng([seed, i, k])
            noisy, scaled = mix_at_snr(clean, source.draw(kind, len(clean), rng), snr_db)
            out.append({"clip_id": row.clip_id, "speaker": row.speaker, "digit": row.digit, "noise": kind,
                        "snr_db": float(snr_db), "clean": np.asarray(clean, np.float32), "noise_signal": scaled,
                        "noisy": noisy})
    return out


# Real recordings never heard in training: the test of generalisation to unseen noise (chapters 4, 6).
HELD_OUT_RECORDINGS = ("dude_miaowing", "running_tap")


def partition_recordings(recordings: dict[str, np.ndarray], *, held_out: Sequence[str] = HELD_OUT_RECORDINGS,
                         train_fraction: float = 0.8) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Split noise recordings into a training and an evaluation set with no shared audio (chapter 4).

    Recordings named in ``held_out`` go to evaluation whole. Every other recording is cut in time: its
    first ``train_fraction`` for training, the rest for evaluation, so a test excerpt is never a piece a
    model heard in training. Returns ``(train, evaluation)``.
    """
    check_number("train_fraction", train_fraction, minimum=0.1, maximum=0.95)
    unknown = set(held_out) - set(recordings)
    if unknown:
        raise ParameterError(f"held-out recordings {sorted(unknown)} are not among {sorted(recordings)}.")
    train, evaluation = {}, {}
    for name, rec in sorted(recordings.items()):
        if name in held_out:
            evaluation[name] = rec
            continue
        cut = int(len(rec) * train_fraction)
        train[name], evaluation[name] = rec[:cut], rec[cut:]
    return train, evaluation
