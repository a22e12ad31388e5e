"""The general training recipe's data: many voices, many noises, many microphones (chapters 4 and 5).

Chapter 4's :class:`~digitdenoise.noise.OnTheFlyMixer` trains the FSDD models on four voices, four
recordings (two more are held out) and three noise colours. A model trained that way learns *those* conditions: on new voices
and everyday noises it can make speech worse (chapter 6 measures it). This module holds what the
general model trains on instead:

* **generated noise families** beyond three colours: a random spectral tilt, band-limited noise, mains
  hum with harmonics, amplitude-modulated noise, clicks and sirens and alarms (:data:`FAMILIES`), so that
  a noise's shape, not one recording, is what the model learns to remove. They live in
  :mod:`digitdenoise.families` and are re-exported here, so ``augment.draw_family`` and the rest keep working;
* **babble from sentences** of 1-6 training talkers (:func:`sentence_babble`), with the digit's speaker
  the louder one when few talkers compete (:meth:`Recipe.snr_bounds`);
* **channel variation** (:func:`random_channel`): a random microphone-like tilt, band limits and level,
  applied to the speech so that the target is the speech *as that microphone heard it*;
* **clean inputs** (``clean_share``): speech with no added noise whose target is itself, which teaches
  the model to leave speech alone when there is nothing to remove ("do no harm").

:class:`GeneralMixer` draws one training pair as a pure function of ``(seed, epoch, index)``, like the
FSDD mixer, so a run is reproducible and resumable.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from .config import check_number
from .errors import DataError, ParameterError
# the generated noise families (families.py) were split out of this module; their names stay reachable as
# augment.<name> for the chapters, the benchmarks and the tests
from .families import (FAMILIES, TONAL_KINDS, _rng, _unit, band_noise,  # noqa: F401
                       clicks, draw_family, hum, modulated_noise, tilt_noise, tonal_noise)
from .noise import coloured_noise, excerpt, mix_at_snr

__all__ = [
    # defined here
    "sentence_babble", "random_channel", "SPEED_RANGE", "SECOND_NOISE_SHARE", "SECOND_NOISE_BELOW_DB", "perturbed_recording", "Recipe", "GeneralMixer",
    "speech_windows", "GeneralData", "ABLATIONS", "ablated", "prepare_general", "ABLATION_RECORDED",
    "recorded_ablation",
    # re-exported from families.py
    "FAMILIES", "TONAL_KINDS", "tilt_noise", "band_noise", "hum", "modulated_noise", "clicks", "tonal_noise",
    "draw_family",
]


def sentence_babble(pool: Sequence[np.ndarray], pool_speakers: Sequence[str], n_samples: int, n_talkers: int,
                    seed=None, *, exclude_speaker: str | None = None) -> np.ndarray:
    """Babble of ``n_talkers`` different speakers (chapter 4): one random utterance of each, looped from
    a random offset, at levels within 3 dB of each other, summed; unit RMS. The target's own speaker
    (``exclude_speaker``) is never among them."""
    n_talkers = check_number("n_talkers", n_talkers, minimum=1, integer=True)
    rng = _rng(seed)
    speakers = np.asarray([str(s) for s in pool_speakers])
    candidates = sorted(set(speakers) - {exclude_speaker})
    if len(candidates) < n_talkers:
        raise ParameterError(f"babble of {n_talkers} talkers needs as many other speakers; the pool has "
                             f"{len(candidates)}.")
    out = np.zeros(n_samples)
    for speaker in rng.choice(candidates, size=n_talkers, replace=False):
        options = np.flatnonzero(speakers == speaker)
        clip = np.asarray(pool[int(rng.choice(options))], np.float64)
        rms = np.sqrt(np.mean(clip**2))
        if rms == 0:
            continue
        looped = np.tile(clip, int(np.ceil(n_samples / clip.size)) + 1)
        start = int(rng.integers(0, clip.size))
        out += looped[start:start + n_samples] / rms * 10 ** (rng.uniform(-3, 3) / 20)
    return _unit(out)


def random_channel(clip: np.ndarray, sr: int, seed=None) -> np.ndarray:
    """The clip as another microphone and room might pass it (chapter 4): a random spectral tilt
    (+-3 dB per octave around 1 kHz), a random high-pass (30-300 Hz) and, half the time, a low-pass
    between 2.4 kHz and Nyquist, applied in the frequency domain with smooth edges."""
    rng = _rng(seed)
    n = clip.size
    hz = np.fft.rfftfreq(n, 1 / sr)
    octaves = np.log2(np.maximum(hz, 1.0) / 1000.0)
    gain_db = rng.uniform(-3, 3) * octaves
    high_pass = rng.uniform(30, 300)
    gain = 10 ** (gain_db / 20) / np.sqrt(1 + (high_pass / np.maximum(hz, 1e-3)) ** 4)
    if rng.random() < 0.5:
        low_pass = rng.uniform(2400, sr / 2)
        gain = gain / np.sqrt(1 + (hz / low_pass) ** 8)
    return np.fft.irfft(np.fft.rfft(clip) * gain, n=n).astype(np.float32)


SPEED_RANGE = (0.5, 2.0)  # perturbed_recording plays a noise this many times faster (log-uniform)
SECOND_NOISE_SHARE = 1 / 3  # ... and this often adds an excerpt of a second recording ...
SECOND_NOISE_BELOW_DB = (0.0, 10.0)  # ... this many dB below the first


def perturbed_recording(recordings: dict[str, np.ndarray], name: str, n_samples: int, sr: int,
                        seed=None) -> np.ndarray:
    """A training noise recording made into a new one (chapter 4): a unit-RMS excerpt of ``name`` played
    ``r`` times faster, ``r`` log-uniform in :data:`SPEED_RANGE` (every pitch, formant and rhythm moves
    by the same factor: an alarm at 1.2 kHz beeping twice a second becomes one at 2.4 kHz beeping four
    times), passed through :func:`random_channel` (another microphone), and a third of the time mixed
    with an excerpt of another recording 0-10 dB below it. A few dozen recordings become a family of noises
    whose pitches and rates no single recording pins down, so a model learns the *kind* of noise rather
    than its exact frequencies."""
    from scipy.signal import resample

    if name not in recordings:
        raise ParameterError(f"perturbed_recording: no recording named {name!r}; the recordings are "
                             f"{', '.join(sorted(recordings)) or 'none'}.")
    rng = _rng(seed)
    low, high = np.log(SPEED_RANGE[0]), np.log(SPEED_RANGE[1])
    rate = float(np.exp(rng.uniform(low, high)))
    source = excerpt(recordings[name], int(np.ceil(n_samples * rate)), rng).astype(np.float64)
    if not np.any(source):  # a silent stretch of the recording: nothing to perturb
        return excerpt(recordings[name], n_samples, rng)
    noise = resample(source, n_samples)  # band-limited (FFT) resampling: no aliasing when sped up
    noise = random_channel(noise, sr, rng).astype(np.float64)
    if rng.random() < SECOND_NOISE_SHARE:
        names = sorted(recordings)
        other = excerpt(recordings[names[int(rng.integers(len(names)))]], n_samples, rng)
        noise = _unit(noise) + 10 ** (-rng.uniform(*SECOND_NOISE_BELOW_DB) / 20) * _unit(other)
    return _unit(noise).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How the general model's training pairs are drawn (chapter 5); saved with the model.

    ``weights`` gives the share of each condition: ``recording`` (a training noise recording),
    ``white``, each generated family of :data:`FAMILIES`, ``babble`` and ``clean`` (no added noise).
    SNRs are uniform in ``snr_range`` over the whole window, except babble with few talkers, whose SNR
    starts at ``babble_min_snr`` (1, 2 talkers): one competing voice is never louder than the digit's
    speaker, and each of two is at most about 1 dB louder, so "the target" stays well defined. ``gain_db`` is the range of the overall level change and
    ``channel_share`` the share of clips passed through :func:`random_channel` first."""

    weights: tuple[tuple[str, float], ...] = (("recording", 0.34), ("white", 0.08), ("tilt", 0.07), ("band", 0.05),
                                              ("hum", 0.04), ("modulated", 0.04), ("clicks", 0.03),
                                              ("tonal", 0.05), ("babble", 0.20), ("clean", 0.10))
    snr_range: tuple[float, float] = (-10.0, 20.0)
    babble_talkers: tuple[int, int] = (1, 6)
    babble_min_snr: tuple[float, float] = (0.0, -4.0)
    gain_db: tuple[float, float] = (-20.0, 6.0)
    channel_share: float = 0.5
    noise_perturb_share: float = 0.0  # share of noise recordings played through perturbed_recording

    def __post_init__(self):
        known = {"recording", "white", "babble", "clean", *FAMILIES}
        names = [k for k, _ in self.weights]
        unknown = sorted(set(names) - known)
        if unknown or len(set(names)) != len(names):
            raise ParameterError(f"recipe weights name unknown or repeated conditions {unknown or names}; "
                                 f"choose from {sorted(known)}.")
        if any(w < 0 for _, w in self.weights) or sum(w for _, w in self.weights) <= 0:
            raise ParameterError("recipe weights must be non-negative and not all zero.")
        lo, hi = self.snr_range
        check_number("snr_range[0]", lo, minimum=-30, maximum=60)
        check_number("snr_range[1]", hi, minimum=lo, maximum=60)
        check_number("babble_talkers[0]", self.babble_talkers[0], minimum=1, integer=True)
        check_number("babble_talkers[1]", self.babble_talkers[1], minimum=self.babble_talkers[0], integer=True)
        check_number("channel_share", self.channel_share, minimum=0, maximum=1)
        check_number("noise_perturb_share", self.noise_perturb_share, minimum=0, maximum=1)

    @property
    def kinds(self) -> list[str]:
        return [k for k, w in self.weights if w > 0]

    @property
    def probabilities(self) -> np.ndarray:
        w = np.array([w for _, w in self.weights if w > 0], np.float64)
        return w / w.sum()

    def snr_bounds(self, kind: str, n_talkers: int = 0) -> tuple[float, float]:
        """The SNR range of one condition (babble with 1 or 2 talkers starts higher)."""
        lo, hi = self.snr_range
        if kind == "babble" and n_talkers <= len(self.babble_min_snr):
            lo = max(lo, self.babble_min_snr[n_talkers - 1])
        return lo, hi

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["weights"] = {k: w for k, w in self.weights}
        if not d["noise_perturb_share"]:  # recipes saved before the option compare equal
            del d["noise_perturb_share"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Recipe":
        d = dict(d)
        d["weights"] = tuple((k, float(w)) for k, w in d["weights"].items())
        for key in ("snr_range", "babble_talkers", "babble_min_snr", "gain_db"):
            d[key] = tuple(d[key])
        return cls(**d)


class GeneralMixer:
    """Training pairs of the general recipe (chapter 5): ``pair(index, epoch)`` mixes clean window
    ``index`` with a condition drawn from ``recipe``; every draw is a pure function of
    ``(seed, epoch, index)``.

    ``clean`` holds fixed-length speech windows ``(n, samples)`` and ``speakers`` their speakers;
    ``recordings`` the training noise recordings (unit RMS); ``babble_pool`` / ``babble_speakers`` the
    utterances babble is made from (training voices only)."""

    def __init__(self, clean: np.ndarray, speakers: Sequence[str], recordings: dict[str, np.ndarray],
                 babble_pool: Sequence[np.ndarray], babble_speakers: Sequence[str], sr: int, *,
                 recipe: Recipe | None = None, seed: int = 0):
        clean = np.asarray(clean, np.float32)
        if clean.ndim != 2 or clean.shape[0] == 0:
            raise ParameterError(f"GeneralMixer needs clean windows as (n, samples), got {clean.shape}.")
        if len(speakers) != clean.shape[0]:
            raise ParameterError(f"speakers has {len(speakers)} entries for {clean.shape[0]} windows.")
        if len(babble_pool) != len(babble_speakers):
            raise ParameterError("babble_pool and babble_speakers must have the same length.")
        energy = np.sum(np.square(clean, dtype=np.float64), axis=1)
        if np.any(energy == 0):
            raise DataError(f"clean windows {np.flatnonzero(energy == 0)[:5].tolist()} are silent.")
        self.recipe = recipe or Recipe()
        if "recording" in self.recipe.kinds and not recordings:
            raise ParameterError("the recipe draws noise recordings but none were given.")
        if "babble" in self.recipe.kinds:
            distinct = len(set(map(str, babble_speakers)))
            if distinct - 1 < self.recipe.babble_talkers[1]:
                raise ParameterError(f"the recipe's babble has up to {self.recipe.babble_talkers[1]} talkers, but the "
                                     f"babble pool has {distinct} speakers (a target's own voice is left out); give "
                                     "more speakers or lower babble_talkers.")
        self.clean, self.speakers = clean, [str(s) for s in speakers]
        self.recordings = dict(recordings)
        self._names = sorted(self.recordings)
        self.babble_pool, self.babble_speakers = list(babble_pool), [str(s) for s in babble_speakers]
        self.sr, self.seed = int(sr), int(seed)

    def __len__(self) -> int:
        return self.clean.shape[0]

    def noise(self, kind: str, n_samples: int, rng: np.random.Generator, *, speaker: str | None = None
              ) -> tuple[np.ndarray, str, int]:
        """A unit-RMS noise of condition ``kind``: ``(noise, detailed name, babble talkers)``."""
        if kind == "recording":
            name = self._names[int(rng.integers(len(self._names)))]
            if self.recipe.noise_perturb_share and rng.random() < self.recipe.noise_perturb_share:
                return (perturbed_recording(self.recordings, name, n_samples, self.sr, rng),
                        f"{name} (perturbed)", 0)
            return excerpt(self.recordings[name], n_samples, rng), name, 0
        if kind == "white":
            return coloured_noise("white", n_samples, rng), "white", 0
        if kind == "babble":
            lo, hi = self.recipe.babble_talkers
            n = int(rng.integers(lo, hi + 1))
            return (sentence_babble(self.babble_pool, self.babble_speakers, n_samples, n, rng, exclude_speaker=speaker),
                    f"babble-{n}", n)
        return draw_family(kind, n_samples, self.sr, rng), kind, 0

    def describe(self, index: int, epoch: int = 0) -> dict[str, Any]:
        """What :meth:`pair` draws for ``(index, epoch)``, without the audio: condition and SNR."""
        return self._draw(index, epoch)[2]

    def _draw(self, index: int, epoch: int):
        rng = np.random.default_rng([self.seed, int(epoch), int(index), 0x6E]) 
        recipe = self.recipe
        kind = recipe.kinds[int(rng.choice(len(recipe.kinds), p=recipe.probabilities))]
        clean = self.clean[index].astype(np.float64)
        if rng.random() < recipe.channel_share:
            clean = random_channel(clean, self.sr, rng).astype(np.float64)
        info: dict[str, Any] = {"kind": kind, "snr_db": None, "noise": "none"}
        if kind == "clean":
            noisy = clean.copy()
        else:
            noise, name, talkers = self.noise(kind, clean.size, rng, speaker=self.speakers[index])
            snr = float(rng.uniform(*recipe.snr_bounds(kind, talkers)))
            noisy = mix_at_snr(clean.astype(np.float32), noise, snr)[0].astype(np.float64)
            info.update(snr_db=snr, noise=name)
        gain = 10 ** (rng.uniform(*recipe.gain_db) / 20)
        peak = max(np.max(np.abs(noisy)), np.max(np.abs(clean))) * gain
        if peak > 0.99:  # keep the mixture within full scale, as a real recording would be
            gain *= 0.99 / peak
        return (noisy * gain).astype(np.float32), (clean * gain).astype(np.float32), info

    def pair(self, index: int, epoch: int = 0) -> tuple[np.ndarray, np.ndarray, str, float | None]:
        """``(noisy, clean target, condition, SNR in dB or None for clean)`` for ``(index, epoch)``."""
        noisy, clean, info = self._draw(index, epoch)
        return noisy, clean, info["noise"], info["snr_db"]


def speech_windows(signals: Sequence[np.ndarray], sr: int, *, seconds: float = 1.0, min_active: float = 0.25,
                   min_fill: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Cut utterances into fixed windows of ``seconds`` (chapter 5): consecutive, the last one kept if it
    is at least ``min_fill`` full (zero-padded), and only windows where speech is active in at least
    ``min_active`` of the samples (:func:`~digitdenoise.metrics.active_mask` on the utterance). Returns
    ``(windows (n, samples), index of the source utterance per window)``."""
    from .metrics import active_mask

    n = int(round(seconds * sr))
    out, source = [], []
    for k, y in enumerate(signals):
        y = np.asarray(y, np.float32)
        if y.size == 0 or not np.any(y):
            continue
        active = active_mask(y, sr)
        for start in range(0, y.size, n):
            piece = y[start:start + n]
            if piece.size < min_fill * n or active[start:start + n].mean() < min_active:
                continue
            out.append(np.pad(piece, (0, n - piece.size)))
            source.append(k)
    if not out:
        raise DataError("no speech windows found (every window was too short or too quiet).")
    return np.stack(out), np.asarray(source)


@dataclasses.dataclass
class GeneralData:
    """Everything the general recipe trains and validates on (chapter 5): the training mixer, fixed
    validation pairs (unseen voices and noises), what each validation pair is, and the data splits."""

    cfg: Any
    mixer: GeneralMixer
    val_noisy: np.ndarray
    val_clean: np.ndarray
    val_info: Any  # DataFrame: source, speaker, kind, noise, snr_db
    splits: dict[str, Any]


def _utterances_at(table, sr: int, *, progress: bool = False) -> list[np.ndarray]:
    """Utterances of a table read at ``sr``, cached in ``$DIGITDENOISE_CACHE/utterances`` (16-bit)."""
    import hashlib
    import json
    from pathlib import Path

    from ._io import atomic_path
    from .config import cache_dir
    from .data import read_clips

    key_src = json.dumps([sr, list(table["clip_id"]), [Path(p).stat().st_size for p in table["path"]]])
    key = hashlib.sha1(key_src.encode()).hexdigest()[:16]
    target = cache_dir() / "utterances" / f"{sr}-{len(table)}-{key}.npz"
    if target.is_file():
        with np.load(target) as stored:
            flat, offsets = stored["samples"], stored["offsets"]
        return [flat[a:b].astype(np.float32) / 32767.0 for a, b in zip(offsets[:-1], offsets[1:])]
    signals = read_clips(table["path"], sr, progress=progress)
    quantised = [np.round(np.clip(y, -1, 1) * 32767).astype(np.int16) for y in signals]
    offsets = np.concatenate([[0], np.cumsum([q.size for q in quantised])])
    with atomic_path(target, suffix=".npz") as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, samples=np.concatenate(quantised), offsets=offsets)
    return [q.astype(np.float32) / 32767.0 for q in quantised]


#: What an ablation run can leave out of the general recipe (chapter 5's ablation table).
ABLATIONS = ("speechocean762-voices", "babble", "families", "channel", "clean")


def ablated(recipe: Recipe, without: Sequence[str]) -> Recipe:
    """``recipe`` with the ingredients named in ``without`` (:data:`ABLATIONS`) left out (chapter 5):
    ``babble``, ``families`` (the generated noise families) and ``clean`` set their weights to zero,
    ``channel`` turns off the random channel and the random level. ``speechocean762-voices`` is a choice
    of training voices, made in :func:`prepare_general`, so it leaves the recipe as it is."""
    unknown = sorted(set(without) - set(ABLATIONS))
    if unknown:
        raise ParameterError(f"cannot leave out {unknown}: choose from {', '.join(ABLATIONS)}.")
    zero = set()
    if "babble" in without:
        zero.add("babble")
    if "families" in without:
        zero.update(FAMILIES)
    if "clean" in without:
        zero.add("clean")
    changes: dict[str, Any] = {"weights": tuple((k, 0.0 if k in zero else w) for k, w in recipe.weights)}
    if "channel" in without:
        changes.update(channel_share=0.0, gain_db=(0.0, 0.0))
    return dataclasses.replace(recipe, **changes)


def prepare_general(data_home=None, *, recipe: Recipe | None = None, seed: int = 0, val_fsdd_clips: int = 100,
                    val_windows: int = 200, val_recipe: Recipe | None = None, speechocean762_voices: bool = True,
                    progress: bool = False) -> GeneralData:
    """The general recipe's data (chapter 5), from the data home:

    * voices: FSDD's training speakers (its speaker split, chapter 4) and speechocean762's training
      speakers, whose utterances (sentences and digit strings) are cut into one-second windows at FSDD's
      8 kHz (:func:`speech_windows`);
    * noise: the Hu training files; babble from speechocean762 training utterances;
    * validation: ``val_fsdd_clips`` clips of FSDD's validation speaker and ``val_windows`` windows of
      speechocean762's validation speakers, each mixed once (fixed seed) by the same recipe from the Hu
      *validation* files and validation voices' babble. Test speakers and test noises are not read.

    ``val_recipe`` (default: ``recipe``) draws the validation pairs, so ablation runs that change the
    training recipe still choose their epoch on the same pairs; ``speechocean762_voices=False`` trains on
    FSDD's voices only (speechocean762 still supplies babble and the validation voices).
    """
    import pandas as pd

    from . import data
    from .datasets import hu_nonspeech, speechocean762
    from .features import FeatureConfig

    recipe = recipe or Recipe()
    cfg = FeatureConfig.for_sample_rate(data.spec("fsdd").working_rate)
    sr, n = cfg.sample_rate, cfg.n_samples
    fsdd = data.assign_split(data.load_clips("fsdd", data_home), seed=seed)
    fsdd_train = fsdd[fsdd["split"] == "train"].reset_index(drop=True)
    fsdd_val = fsdd[fsdd["split"] == "validation"].reset_index(drop=True)
    if len(fsdd_val) > val_fsdd_clips:
        fsdd_val = data.subsample(fsdd_val, val_fsdd_clips, seed=seed)
    fsdd_train_clean, _ = data.load_waveforms(fsdd_train, sr, n, progress=progress)
    fsdd_val_clean, _ = data.load_waveforms(fsdd_val, sr, n, progress=progress)

    so = speechocean762.load_utterances(data_home, splits=("train", "validation"))
    so_audio = _utterances_at(so, sr, progress=progress)
    parts = {}
    for split in ("train", "validation"):
        rows = np.flatnonzero(so["split"].to_numpy() == split)
        windows, source = speech_windows([so_audio[i] for i in rows], sr)
        parts[split] = (windows, list(so["speaker"].iloc[rows[source]]), [so_audio[i] for i in rows],
                        list(so["speaker"].iloc[rows]))
    train_windows, train_speakers, babble_pool, babble_speakers = parts["train"]
    if not speechocean762_voices:
        train_windows, train_speakers = train_windows[:0], []
    clean = np.concatenate([fsdd_train_clean, train_windows])
    speakers = [f"fsdd/{s}" for s in fsdd_train["speaker"]] + [f"so/{s}" for s in train_speakers]
    mixer = GeneralMixer(clean, speakers, hu_nonspeech.load("train", sr, data_home), babble_pool,
                         [f"so/{s}" for s in babble_speakers], sr, recipe=recipe, seed=seed)

    val_so, val_so_speakers, val_pool, val_pool_speakers = parts["validation"]
    pick = np.linspace(0, len(val_so) - 1, num=min(val_windows, len(val_so))).round().astype(int)
    val_clean_in = np.concatenate([fsdd_val_clean, val_so[pick]])
    val_speakers = [f"fsdd/{s}" for s in fsdd_val["speaker"]] + [f"so/{val_so_speakers[i]}" for i in pick]
    val_mixer = GeneralMixer(val_clean_in, val_speakers, hu_nonspeech.load("validation", sr, data_home), val_pool,
                             [f"so/{s}" for s in val_pool_speakers], sr, recipe=val_recipe or recipe, seed=seed + 1000)
    pairs = [val_mixer._draw(i, 0) for i in range(len(val_mixer))]
    val_info = pd.DataFrame([{"speaker": s, **p[2]} for s, p in zip(val_speakers, pairs)])
    splits = {
        "fsdd": {split: sorted(fsdd.loc[fsdd["split"] == split, "speaker"].unique()) for split in data.SPLITS},
        "speechocean762": {"rule": "corpus test speakers: test; corpus train speakers numbered a multiple of "
                                   f"{speechocean762.VALIDATION_MODULUS}: validation; the rest: train",
                           **{split: int(so.loc[so["split"] == split, "speaker"].nunique())
                              for split in ("train", "validation")}},
        "hu-nonspeech": {"rule": "file number a multiple of 5: test; ending in 3: validation; the rest: train",
                         **{split: len(hu_nonspeech.file_names(split)) for split in ("train", "validation", "test")}},
        "speech-commands-noise": "test only (cross-corpus), never trained on",
        "training_windows": {"fsdd": int(len(fsdd_train_clean)), "speechocean762": int(len(train_windows))},
        "validation_pairs": int(len(pairs)),
    }
    return GeneralData(cfg, mixer, np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]), val_info, splits)


ABLATION_RECORDED = "bench/results/ablation.json"


def recorded_ablation(path=None):
    """The recorded ablation of the general recipe (chapter 5; ``make ablation``): one row per model
    (the starting model, the release model, a short run with the full recipe and one without each
    ingredient) with its mean SI-SDR improvement per test noise family and over all test noise, the share
    of mixtures it made worse, and how far its output on clean speech is from the input (dB, higher is
    closer). A clear error names ``make ablation`` when the file is missing."""
    import json
    from pathlib import Path

    import pandas as pd

    path = Path(path) if path is not None else Path(__file__).resolve().parents[2] / ABLATION_RECORDED
    if not path.is_file():
        raise DataError(f"{path} is missing: run `make ablation` to record the ablation runs.")
    rows = json.loads(path.read_text())["rows"]
    table = pd.DataFrame([{"model": r["model"], **r["si_sdri_by_family"],
                           "made worse": r["share_worse_than_input"],
                           "clean speech: output vs input (dB)": r["clean_output_vs_input_db"],
                           "epochs": r["epochs"], "minutes": None if r["train_seconds"] is None
                           else r["train_seconds"] / 60} for r in rows])
    return table.set_index("model")
