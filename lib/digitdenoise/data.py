"""Datasets: where the audio is, what each clip is, who speaks it, and how speakers are split.

Taught in chapter 1 (speakers and metadata) and chapter 4 (splits). Two real datasets:

``fsdd``        Free Spoken Digit Dataset v1.0.10: 6 speakers x 10 digits x 50 takes, 8 kHz.
``audiomnist``  AudioMNIST: 60 speakers x 10 digits x 50 takes, 48 kHz, rich speaker metadata.
``audiomnist-sample``  a folder with a few real AudioMNIST clips in the original layout and the real
                metadata file (used for tests; it cannot be downloaded, use ``audiomnist``).

All of them live in a *data home* folder (``$DIGITDENOISE_DATA_HOME``)::

    <data home>/fsdd/recordings/{digit}_{speaker}_{take}.wav
    <data home>/fsdd/metadata.json
    <data home>/audiomnist/data/{NN}/{digit}_{NN}_{take}.wav
    <data home>/audiomnist/data/audioMNIST_meta.txt
    <data home>/noise/*.wav          (background-noise recordings, see ``noise``)

The library only reads the data home, except to download a missing dataset into it.

This module is the generic layer every digit corpus shares (specs, audio reading, the clip table,
splits, waveforms). What is particular to one corpus (its source, archive layout and metadata format
and cleaning) lives in its own module, :mod:`digitdenoise.datasets.fsdd` and
:mod:`digitdenoise.datasets.audiomnist`; the names defined there are re-exported here unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
import soundfile as sf

from ._io import atomic_path
from .config import DATASET_NAMES, cache_dir, check_choice, check_number, default_data_home
from .datasets import audiomnist, fsdd
from .datasets.audiomnist import (AUDIOMNIST_ACCENT_SPELLING, AUDIOMNIST_ARCHIVE, AUDIOMNIST_COMMIT,  # noqa: F401
                                  AUDIOMNIST_COUNTRY_SPELLING, AUDIOMNIST_META_SHA256, AUDIOMNIST_META_URL,
                                  CANONICAL_ROOMS, COUNTRY_CONTINENT, PLAUSIBLE_AGE, _clean_room,
                                  audiomnist_metadata, clean_audiomnist_metadata, find_audiomnist_metadata,
                                  metadata_cleaning_table, read_audiomnist_metadata_file)
from .datasets.fsdd import FSDD_ARCHIVE, FSDD_TAG, parse_fsdd_metadata_py  # noqa: F401
from .errors import AudioFileError, DataError, ParameterError

# each corpus's source, archive layout and metadata cleaning were split out of this module into
# datasets/fsdd.py and datasets/audiomnist.py; their names stay reachable as data.<name> for the
# chapters, the CLI, the benchmarks and the tests
__all__ = [
    # defined here
    "DatasetSpec", "DATASETS", "spec", "dataset_root", "read_audio", "ensure_dataset", "verify_dataset",
    "load_speaker_metadata", "load_clips", "subsample", "SPLITS", "speaker_split", "assign_split",
    "clip_statistics", "read_clips", "load_waveforms",
    # re-exported from datasets/fsdd.py
    "FSDD_TAG", "FSDD_ARCHIVE", "parse_fsdd_metadata_py",
    # re-exported from datasets/audiomnist.py
    "AUDIOMNIST_COMMIT", "AUDIOMNIST_ARCHIVE", "AUDIOMNIST_META_URL", "AUDIOMNIST_META_SHA256",
    "AUDIOMNIST_ACCENT_SPELLING", "AUDIOMNIST_COUNTRY_SPELLING", "COUNTRY_CONTINENT", "PLAUSIBLE_AGE",
    "CANONICAL_ROOMS", "_clean_room", "clean_audiomnist_metadata", "read_audiomnist_metadata_file",
    "find_audiomnist_metadata", "audiomnist_metadata", "metadata_cleaning_table",
]

# --------------------------------------------------------------------------------------------------
# Dataset descriptions (each corpus's source and archive are in its module under datasets/)

@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is and where its files sit inside the data home (chapter 1)."""

    name: str
    folder: str
    sample_rate: int
    n_speakers: int | None
    n_clips: int | None
    downloadable: bool
    description: str
    working_rate: int  # the rate the book resamples to (chapter 3): 8 kHz FSDD as is, AudioMNIST to 16 kHz


DATASETS: dict[str, DatasetSpec] = {
    "fsdd": DatasetSpec("fsdd", "fsdd", fsdd.SAMPLE_RATE, fsdd.N_SPEAKERS, fsdd.N_CLIPS, True,
                        fsdd.DESCRIPTION, 8000),
    "audiomnist": DatasetSpec("audiomnist", "audiomnist", audiomnist.SAMPLE_RATE, audiomnist.N_SPEAKERS,
                              audiomnist.N_CLIPS, True, audiomnist.DESCRIPTION, 16000),
    "audiomnist-sample": DatasetSpec("audiomnist-sample", "audiomnist-sample", audiomnist.SAMPLE_RATE, None, None,
                                     False, "a few real AudioMNIST clips with the full 60-speaker metadata", 16000),
}
assert tuple(DATASETS) == DATASET_NAMES

_CLIP_NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>[A-Za-z0-9]+)_(?P<take>\d+)\.wav$")


def spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of a dataset name, or a clear error listing the names (chapter 1)."""
    check_choice("dataset", name, DATASET_NAMES)
    return DATASETS[name]


def dataset_root(name: str, data_home: str | Path | None = None) -> Path:
    """The folder of dataset ``name`` inside the data home (it may not exist yet; chapter 1)."""
    home = Path(data_home).expanduser() if data_home else default_data_home()
    return home / spec(name).folder


# --------------------------------------------------------------------------------------------------
# Reading audio

def read_audio(path: str | Path, sr: int | None = None, *, mono: bool = True) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 in [-1, 1]; downmix to mono and resample to ``sr`` if given.

    Raises :class:`AudioFileError` naming the file for a missing, empty, corrupt or non-audio file.
    Taught in chapter 1 (levels) and chapter 3 (resampling).
    """
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such file.")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: the file is empty (0 bytes); re-download or remove it.")
    try:
        y, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioFileError(
            f"{path}: cannot be read as audio ({exc}). Check that it is a WAV/FLAC/OGG file and not "
            "truncated; re-download the dataset if it came from one."
        ) from None
    if y.shape[0] == 0:
        raise AudioFileError(f"{path}: the audio has no samples (zero length).")
    y = y.mean(axis=1) if mono else y.T
    if sr is not None and sr != file_sr:
        check_number("sr", sr, minimum=1000, maximum=384000, integer=True)
        import librosa

        y = librosa.resample(y, orig_sr=file_sr, target_sr=sr, res_type="soxr_hq").astype(np.float32)
        file_sr = sr
    return np.ascontiguousarray(y, dtype=np.float32), int(file_sr)


def _audio_info(path: Path) -> tuple[int, int]:
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioFileError(f"{path}: cannot be read as audio ({exc}); re-download the dataset.") from None
    if info.frames == 0:
        raise AudioFileError(f"{path}: the audio has no samples (zero length).")
    return int(info.samplerate), int(info.frames)


# --------------------------------------------------------------------------------------------------
# Locating and downloading

def _corpus(name: str):
    """The module that knows corpus ``name``'s layout and metadata (``audiomnist-sample`` is AudioMNIST's)."""
    return fsdd if name == "fsdd" else audiomnist


def _wav_files(root: Path, name: str) -> list[Path]:
    return _corpus(name).wav_files(root)


def _meta_file(root: Path, name: str) -> Path:
    return _corpus(name).metadata_file(root)


def ensure_dataset(name: str, data_home: str | Path | None = None, *, download: bool = True) -> Path:
    """Return the folder of dataset ``name``, downloading it into the data home if it is missing.

    A dataset already on disk is used as it is (a warning says when it has fewer clips than the
    full release). With ``download=False`` a missing dataset is an error that says how to get it.
    Taught in chapter 1.
    """
    ds = spec(name)
    home = Path(data_home).expanduser() if data_home else default_data_home()
    root = home / ds.folder
    if _wav_files(root, name) and _meta_file(root, name).is_file():
        n = len(_wav_files(root, name))
        if ds.n_clips and n < ds.n_clips:
            warnings.warn(f"{root} holds {n} of the {ds.n_clips} clips of {name}; using what is there.",
                          stacklevel=2)
        return root
    if not home.exists() and not download:
        raise DataError(
            f"data home {home} does not exist. Point ${'DIGITDENOISE_DATA_HOME'} (or the data_home "
            "parameter) at the folder that holds your datasets, or allow downloading."
        )
    if not ds.downloadable:
        raise DataError(
            f"dataset {name!r} was not found in {root} (expected data/NN/*.wav and "
            "data/audioMNIST_meta.txt); it is a local test sample and cannot be downloaded. "
            "Use dataset='audiomnist' for the full dataset."
        )
    if not download:
        raise DataError(
            f"dataset {name!r} was not found in {root}. Run `digitdenoise fetch {name}` on a machine "
            f"with internet, or set $DIGITDENOISE_DATA_HOME to a folder that holds {ds.folder}/."
        )
    return _download(name, home)


def _fetch(url: str, known_hash: str | None, fname: str, processor=None):
    import pooch

    try:
        return pooch.retrieve(url, known_hash=known_hash, fname=fname, path=cache_dir() / "downloads",
                              processor=processor, progressbar=True)
    except Exception as exc:  # network errors come in many types; say what failed and what to do
        raise DataError(
            f"could not download {url} ({type(exc).__name__}: {exc}). Check the internet connection, "
            "or copy the dataset into the data home by hand (see README, 'Offline')."
        ) from None


def _download(name: str, home: Path) -> Path:
    root = home / DATASETS[name].folder
    _corpus(name).download_archive(root)
    verify_dataset(name, home)
    return root


def verify_dataset(name: str, data_home: str | Path | None = None) -> dict[str, Any]:
    """Check a dataset folder: clip count, names, speakers, metadata parse. Returns a summary dict and
    raises :class:`DataError` on anything that would break the chapters (chapter 1)."""
    root = dataset_root(name, data_home)
    wavs = _wav_files(root, name)
    if not wavs:
        raise DataError(f"no .wav clips found for {name!r} under {root}.")
    bad = [w.name for w in wavs if not _CLIP_NAME.match(w.name)]
    if bad:
        raise DataError(f"{len(bad)} file(s) in {root} do not follow digit_speaker_take.wav, e.g. {bad[0]}.")
    meta = load_speaker_metadata(name, data_home)
    speakers = sorted({_CLIP_NAME.match(w.name)["speaker"] for w in wavs})
    missing = sorted(set(speakers) - set(meta.index))
    if missing:
        raise DataError(f"speakers {missing} of {name!r} have clips but no metadata in {_meta_file(root, name)}.")
    return {"dataset": name, "root": str(root), "clips": len(wavs), "speakers": len(speakers)}


# --------------------------------------------------------------------------------------------------
# Speaker metadata

def load_speaker_metadata(name: str, data_home: str | Path | None = None) -> pd.DataFrame:
    """Speaker metadata of a dataset, one row per speaker (chapter 1).

    FSDD: ``gender``, ``accent`` (e.g. ``German``), ``country`` (ISO code from the accent field),
    ``language``. AudioMNIST: see :func:`clean_audiomnist_metadata`.
    """
    return _corpus(name).speaker_metadata(dataset_root(name, data_home))


# --------------------------------------------------------------------------------------------------
# The clip table

def load_clips(name: str, data_home: str | Path | None = None, *, download: bool = True,
               clips_per_speaker: int | None = None, seed: int = 0) -> pd.DataFrame:
    """One row per clip: ``clip_id, path, dataset, speaker, digit, take, sample_rate, n_samples,
    duration_s`` plus the speaker's metadata columns (chapter 1).

    ``clips_per_speaker`` keeps a seeded, digit-balanced subset per speaker (for quick profiles).
    """
    root = ensure_dataset(name, data_home, download=download)
    rows = []
    for w in _wav_files(root, name):
        m = _CLIP_NAME.match(w.name)
        if m is None:
            raise DataError(f"{w}: unexpected file name; clips must be named digit_speaker_take.wav.")
        rows.append({"clip_id": f"{name}/{w.stem}", "path": str(w), "dataset": name,
                     "speaker": m["speaker"], "digit": int(m["digit"]), "take": int(m["take"])})
    table = pd.DataFrame(rows)
    if clips_per_speaker is not None:
        clips_per_speaker = check_number("clips_per_speaker", clips_per_speaker, minimum=1, integer=True)
        table = subsample(table, clips_per_speaker, seed=seed)
    info = [_audio_info(Path(p)) for p in table["path"]]
    table["sample_rate"] = [i[0] for i in info]
    table["n_samples"] = [i[1] for i in info]
    table["duration_s"] = table["n_samples"] / table["sample_rate"]
    meta = load_speaker_metadata(name, data_home)
    table = table.merge(meta, left_on="speaker", right_index=True, how="left", validate="many_to_one")
    return table.sort_values(["speaker", "digit", "take"]).reset_index(drop=True)


def subsample(table: pd.DataFrame, per_speaker: int, *, seed: int = 0) -> pd.DataFrame:
    """Keep at most ``per_speaker`` clips of each speaker, spread over the digits, reproducibly
    (the quick profiles of every chapter)."""
    rng = np.random.default_rng(seed)
    keep = []
    for _, group in table.groupby("speaker", sort=True):
        order = group.sample(frac=1.0, random_state=int(rng.integers(2**31)))
        # round-robin over digits so a small subset still covers all of them
        order = order.assign(_rank=order.groupby("digit").cumcount()).sort_values(["_rank", "digit"])
        keep.append(order.head(per_speaker).drop(columns="_rank"))
    return pd.concat(keep).sort_values(["speaker", "digit", "take"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Splits

SPLITS = ("train", "validation", "test")


def speaker_split(speakers: Iterable[str], *, seed: int = 0, test_speakers: Iterable[str] | None = None,
                  validation_speakers: Iterable[str] | None = None, test_fraction: float = 0.15,
                  validation_fraction: float = 0.15) -> dict[str, str]:
    """Assign every speaker to ``train``, ``validation`` or ``test`` so no speaker is in two splits
    (chapter 4). Deterministic given ``seed``; explicit speaker lists override the random draw.
    At least one speaker goes to each split when there are three or more speakers.
    """
    speakers = sorted(set(map(str, speakers)))
    if len(speakers) < 3:
        raise ParameterError(f"a speaker-disjoint split needs at least 3 speakers, got {len(speakers)}.")
    check_number("test_fraction", test_fraction, minimum=0, maximum=0.5)
    check_number("validation_fraction", validation_fraction, minimum=0, maximum=0.5)
    chosen: dict[str, list[str]] = {}
    for label, given in (("test", test_speakers), ("validation", validation_speakers)):
        if given is not None:
            given = [str(s) for s in given]
            unknown = sorted(set(given) - set(speakers))
            if unknown:
                raise ParameterError(f"{label}_speakers names unknown speakers {unknown}; known: {speakers}.")
            chosen[label] = given
    if set(chosen.get("test", [])) & set(chosen.get("validation", [])):
        raise ParameterError("test_speakers and validation_speakers overlap; a speaker can be in one split only.")
    rng = np.random.default_rng(seed)
    pool = [str(s) for s in rng.permutation(speakers) if s not in set(sum(chosen.values(), []))]
    for label, fraction in (("test", test_fraction), ("validation", validation_fraction)):
        if label not in chosen:
            n = max(1, int(round(fraction * len(speakers))))
            chosen[label], pool = list(pool[:n]), pool[n:]
    if not pool:
        raise ParameterError("no speakers are left for training; give fewer test/validation speakers.")
    assignment = {str(s): "train" for s in pool}
    for label in ("test", "validation"):
        assignment.update({str(s): label for s in chosen[label]})
    return dict(sorted(assignment.items()))


def assign_split(table: pd.DataFrame, *, seed: int = 0, scheme: str = "speaker", **kwargs: Any) -> pd.DataFrame:
    """Return ``table`` with a ``split`` column (chapter 4).

    ``scheme="speaker"``: speaker-disjoint (:func:`speaker_split`), the book's protocol.
    ``scheme="fsdd-official"``: FSDD's own split, takes 0-4 of every speaker are test, the rest train
    (speakers are shared, so it measures something easier).
    """
    check_choice("scheme", scheme, ("speaker", "fsdd-official"))
    out = table.copy()
    if scheme == "fsdd-official":
        out["split"] = np.where(out["take"] < 5, "test", "train")
    else:
        mapping = speaker_split(out["speaker"].unique(), seed=seed, **kwargs)
        out["split"] = out["speaker"].map(mapping)
    return out


# --------------------------------------------------------------------------------------------------
# Clip-level facts

def clip_statistics(table: pd.DataFrame, *, top_db: float = 30.0, progress: bool = False) -> pd.DataFrame:
    """Measure every clip of a clip table from its audio (chapter 1): RMS level (dBFS), peak (dBFS),
    and leading/trailing silence in seconds (``librosa.effects.trim`` at ``top_db`` below the peak).
    Returns the table with those columns added."""
    import librosa
    from tqdm.auto import tqdm

    rows = []
    for path in tqdm(table["path"], desc="clip statistics", disable=not progress):
        y, sr = read_audio(path)
        _, (start, end) = librosa.effects.trim(y, top_db=top_db)
        rows.append({
            "rms_dbfs": float(10 * np.log10(np.mean(y.astype(np.float64) ** 2) + 1e-20)),
            "peak_dbfs": float(20 * np.log10(np.max(np.abs(y)) + 1e-10)),
            "lead_silence_s": start / sr,
            "trail_silence_s": (len(y) - end) / sr,
        })
    return pd.concat([table.reset_index(drop=True), pd.DataFrame(rows)], axis=1)


def read_clips(paths: Iterable[str | Path], sr: int | None = None, *, progress: bool = False) -> list[np.ndarray]:
    """Read many clips (mono, resampled to ``sr``) in order; chapters 2-7 use it with the clip table."""
    from tqdm.auto import tqdm

    paths = list(paths)
    return [read_audio(p, sr)[0] for p in tqdm(paths, desc="reading clips", disable=not progress)]


def load_waveforms(table: pd.DataFrame, sr: int, n_samples: int, *, cache: bool = True, progress: bool = False,
                   workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-length waveforms of every clip in ``table`` at ``sr``: ``(float32 (n, n_samples), lengths)``
    (chapter 3). Clips are zero-padded at the end or cut; ``lengths`` holds each clip's resampled length
    (capped at ``n_samples``).

    With ``cache`` the result is stored in ``$DIGITDENOISE_CACHE/waveforms/`` as 16-bit integers under
    a key made of the clip ids, their file sizes, ``sr`` and ``n_samples``; a second call with the same
    clips reads that file instead of decoding and resampling again.
    """
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    sr = check_number("sr", sr, minimum=1000, maximum=384000, integer=True)
    n_samples = check_number("n_samples", n_samples, minimum=1, integer=True)
    if len(table) == 0:
        raise ParameterError("load_waveforms got an empty clip table.")
    paths = [Path(p) for p in table["path"]]
    key_src = json.dumps([sr, n_samples, list(table["clip_id"]), [p.stat().st_size for p in paths]])
    key = hashlib.sha1(key_src.encode()).hexdigest()[:16]
    cache_file = cache_dir() / "waveforms" / f"{table['dataset'].iloc[0]}-{sr}-{n_samples}-{len(paths)}-{key}.npz"
    if cache and cache_file.is_file():
        with np.load(cache_file) as stored:
            return stored["waveforms"].astype(np.float32) / 32767.0, stored["lengths"]

    def one(path: Path) -> tuple[np.ndarray, int]:
        y, _ = read_audio(path, sr)
        out = np.zeros(n_samples, np.float32)
        n = min(y.size, n_samples)
        out[:n] = y[:n]
        return out, n

    with ThreadPoolExecutor(max_workers=max(1, int(workers))) as pool:
        results = list(tqdm(pool.map(one, paths), total=len(paths), desc="decoding clips", disable=not progress))
    waveforms = np.stack([r[0] for r in results])
    lengths = np.array([r[1] for r in results], dtype=np.int64)
    if cache:
        stored = np.round(np.clip(waveforms, -1, 1) * 32767).astype(np.int16)
        with atomic_path(cache_file, suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, waveforms=stored, lengths=lengths)
        # return what the cache holds, so a first run and a cached rerun compute on identical samples
        waveforms = stored.astype(np.float32) / 32767.0
    return waveforms, lengths
