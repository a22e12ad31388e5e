"""speechocean762: read English by 226 Mandarin-L1 speakers, children and adults (chapters 4-7).

The general model's voices (chapter 5) and the main test population of chapters 6 and 7. The project
uses a documented subset of the corpus (every utterance that is only digits, such as "ZERO THREE FIVE
ONE", plus about 24 s of other sentences per speaker): :data:`MANIFEST` lists those 1,690 utterances with
their speaker, the corpus's own train/test side and a checksum of their audio samples.

Layout in the data home (the corpus's own)::

    <data home>/speechocean762/WAVE/SPEAKERnnnn/<utterance>.{flac,WAV}
    <data home>/speechocean762/{train,test}/{text,utt2spk,spk2age,spk2gender}

**Speaker split** (fixed rule, :func:`split_of`): the corpus's test speakers are the *test* split; of its
training speakers, those whose number is a multiple of 8 are *validation* (19 speakers), the rest
*train* (106). No test speaker is ever trained or tuned on.

**Download** (:func:`ensure`): each missing file comes from the corpus's public repository at a pinned
commit, one file at a time; audio is checked against the manifest's checksum of its 16-bit samples (the
same for the repository's WAV and a FLAC copy), so a damaged file is never used.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from .._io import atomic_path
from ..config import check_choice, default_data_home
from ..errors import AudioFileError, DataError

NAME = "speechocean762"
DESCRIPTION = "speechocean762 (Zhang et al. 2021): 226 speakers reading English, digit strings included"
COMMIT = "613968e3b0b789fc33936fb5eba1973176ba7d11"
BASE_URL = f"https://raw.githubusercontent.com/jimbozhang/speechocean762/{COMMIT}/"
SAMPLE_RATE = 16000
MANIFEST = Path(__file__).with_name("speechocean762_manifest.csv")
META_FILES = ("text", "utt2spk", "spk2age", "spk2gender")
VALIDATION_MODULUS = 8  # corpus-train speakers whose number is a multiple of this validate
AGE_GROUPS = (("children (6-12)", 0, 12), ("teenagers (13-19)", 13, 19), ("adults (20+)", 20, 200))
DIGIT_WORDS = ("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE")
_SPEAKER = re.compile(r"^\d{4}$")


def root(data_home: str | Path | None = None) -> Path:
    """``<data home>/speechocean762`` (it may not exist yet; chapter 4)."""
    home = Path(data_home).expanduser() if data_home else default_data_home()
    return home / NAME


def manifest() -> pd.DataFrame:
    """The utterances the project uses: ``utt, speaker, corpus_split, pcm_sha256, n_samples`` (at 16 kHz)
    (chapter 4)."""
    table = pd.read_csv(MANIFEST, dtype=str)
    table["n_samples"] = table["n_samples"].astype(int)
    return table


def split_of(speaker: str, corpus_split: str) -> str:
    """The book's split of a speaker: ``test`` for the corpus's test speakers; ``validation`` for its
    training speakers numbered a multiple of 8; ``train`` otherwise (chapter 4)."""
    if not _SPEAKER.match(str(speaker)):
        raise DataError(f"speechocean762 speaker ids are four digits, got {speaker!r}.")
    check_choice("corpus split", corpus_split, ("train", "test"))
    if corpus_split == "test":
        return "test"
    return "validation" if int(speaker) % VALIDATION_MODULUS == 0 else "train"


def age_group(age: float | int | None) -> str | None:
    """Children 6-12, teenagers 13-19, adults 20+ (chapter 7): the ages at which the voice changes
    most (the vocal tract lengthens through childhood and the voice breaks in the teens)."""
    if age is None or pd.isna(age):
        return None
    for label, lo, hi in AGE_GROUPS:
        if lo <= int(age) <= hi:
            return label
    return None


def pcm_sha256(path: str | Path) -> str:
    """Checksum (first 16 hex digits of SHA-256) of a file's 16-bit samples, whatever its container:
    a WAV and its lossless FLAC copy give the same value (chapter 4)."""
    try:
        samples, _ = sf.read(str(path), dtype="int16", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioFileError(f"{path}: cannot be read as audio ({exc}); delete it and fetch it again.") from None
    return hashlib.sha256(np.ascontiguousarray(samples).tobytes()).hexdigest()[:16]


def audio_path(folder: Path, utt: str, speaker: str) -> Path | None:
    """The audio file of one utterance (FLAC or WAV, any case), or ``None`` if it is not there (chapter 4)."""
    speaker_dir = folder / "WAVE" / f"SPEAKER{speaker}"
    for suffix in (".flac", ".WAV", ".wav"):
        candidate = speaker_dir / f"{utt}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _read_kaldi(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            key, _, value = line.strip().partition(" " if "\t" not in line else "\t")
            out[key.strip()] = value.strip()
    return out


def ensure(data_home: str | Path | None = None, *, download: bool = True, progress: bool = False,
           splits: tuple[str, ...] = ("train", "validation", "test"), utterances=None, audio: bool = True) -> Path:
    """Make sure the metadata and the manifest's utterances of ``splits`` (or only ``utterances``, a list
    of utterance ids) are in the data home; download what is missing from the corpus repository, file by
    file (chapter 4). ``audio=False`` checks the metadata only. Returns the corpus folder."""
    from tqdm.auto import tqdm

    from ..data import _fetch

    folder = root(data_home)
    for side in ("train", "test"):
        for name in META_FILES:
            target = folder / side / name
            if target.is_file():
                continue
            if not download:
                raise DataError(f"{target} is missing; run `digitdenoise fetch speechocean762` on a machine with "
                                "internet, or point $DIGITDENOISE_DATA_HOME at a folder that holds speechocean762/.")
            got = _fetch(BASE_URL + f"{side}/{name}", None, f"speechocean762-{COMMIT[:8]}-{side}-{name}")
            with atomic_path(target) as tmp:
                tmp.write_bytes(Path(got).read_bytes())
    if not audio:
        return folder
    table = manifest()
    table = table[[split_of(s, c) in splits for s, c in zip(table["speaker"], table["corpus_split"])]]
    if utterances is not None:
        wanted = set(map(str, utterances))
        unknown = sorted(wanted - set(manifest()["utt"]))
        if unknown:
            raise DataError(f"utterances {unknown[:3]} are not in the speechocean762 manifest.")
        table = table[table["utt"].isin(wanted)]
    missing = [row for row in table.itertuples(index=False) if audio_path(folder, row.utt, row.speaker) is None]
    if missing and not download:
        raise DataError(f"{len(missing)} speechocean762 utterances are missing under {folder / 'WAVE'} "
                        f"(e.g. {missing[0].utt}); run `digitdenoise fetch speechocean762`.")
    for row in tqdm(missing, desc="speechocean762", disable=not progress or not missing):
        relative = f"WAVE/SPEAKER{row.speaker}/{row.utt}.WAV"
        got = Path(_fetch(BASE_URL + relative, None, f"speechocean762-{COMMIT[:8]}-{row.utt}.WAV"))
        if pcm_sha256(got) != row.pcm_sha256:
            got.unlink(missing_ok=True)
            raise DataError(f"{BASE_URL + relative}: the downloaded audio does not match the manifest's checksum "
                            f"({row.pcm_sha256}); the download was damaged or the file changed. Try again.")
        with atomic_path(folder / relative) as tmp:
            tmp.write_bytes(got.read_bytes())
    return folder


def load_utterances(data_home: str | Path | None = None, *, splits: tuple[str, ...] | None = None,
                    kind: str | None = None, download: bool = True, audio: bool = True) -> pd.DataFrame:
    """One row per utterance of the manifest (chapters 4-7): ``clip_id, utt, path, dataset, speaker,
    corpus_split, split, text, kind`` (``digits`` or ``sentence``), ``digits`` (the digit string, e.g.
    ``"0351"``, for digit utterances), ``gender`` (``f``/``m``), ``age``, ``age_group``, ``sample_rate``,
    ``n_samples``, ``duration_s``. ``splits`` and ``kind`` filter the rows. With ``audio=False`` only the
    metadata must be present (durations come from the manifest and ``path`` is where the file is or will
    be): read the audio of the rows you need with :func:`read`, which fetches just those files."""
    if splits is not None:
        for s in splits:
            check_choice("split", s, ("train", "validation", "test"))
    if kind is not None:
        check_choice("kind", kind, ("digits", "sentence"))
    folder = ensure(data_home, download=download, splits=splits or ("train", "validation", "test"), audio=audio)
    meta: dict[str, dict[str, str]] = {name: {} for name in META_FILES}
    for side in ("train", "test"):
        for name in META_FILES:
            meta[name].update(_read_kaldi(folder / side / name))
    rows = []
    for row in manifest().itertuples(index=False):
        split = split_of(row.speaker, row.corpus_split)
        if splits is not None and split not in splits:
            continue
        text = meta["text"].get(row.utt)
        if text is None:
            raise DataError(f"{folder}/{{train,test}}/text has no transcript for utterance {row.utt}; "
                            "the metadata files are incomplete: delete them and fetch again.")
        words = text.upper().split()
        is_digits = bool(words) and all(w in DIGIT_WORDS for w in words)
        age = meta["spk2age"].get(row.speaker)
        path = audio_path(folder, row.utt, row.speaker) or folder / "WAVE" / f"SPEAKER{row.speaker}" / f"{row.utt}.WAV"
        rows.append({
            "clip_id": f"{NAME}/{row.utt}", "utt": row.utt, "path": str(path), "dataset": NAME,
            "speaker": row.speaker, "corpus_split": row.corpus_split, "split": split, "text": text,
            "kind": "digits" if is_digits else "sentence",
            "digits": "".join(str(DIGIT_WORDS.index(w)) for w in words) if is_digits else "",
            "gender": meta["spk2gender"].get(row.speaker), "age": int(age) if age is not None else None,
            "n_samples": int(row.n_samples),
        })
    table = pd.DataFrame(rows)
    if kind is not None:
        table = table[table["kind"] == kind]
    if table.empty:
        raise DataError(f"no speechocean762 utterances for splits={splits} kind={kind}.")
    table["age"] = table["age"].astype("Int64")
    table["age_group"] = [age_group(a) for a in table["age"]]
    table["sample_rate"] = SAMPLE_RATE
    table["duration_s"] = table["n_samples"] / SAMPLE_RATE
    return table.sort_values(["split", "speaker", "utt"]).reset_index(drop=True)


def read(table: pd.DataFrame, sr: int | None = None, data_home: str | Path | None = None, *,
         download: bool = True) -> list[np.ndarray]:
    """The audio of the rows of a :func:`load_utterances` table, at ``sr`` (chapters 4-6); only these
    utterances are fetched if they are missing."""
    from ..data import read_clips

    folder = ensure(data_home, download=download, utterances=list(table["utt"]))
    paths = [audio_path(folder, u, s) for u, s in zip(table["utt"], table["speaker"])]
    return read_clips(paths, sr)
