"""AudioMNIST (Becker et al.): 60 speakers x 10 digits x 50 takes at 48 kHz, rich speaker metadata
(chapters 1-4).

The book's second digit corpus: ten times the speakers of FSDD, each described by age, gender, accent,
native language, origin and recording room in ``audioMNIST_meta.txt``. That file is hand-typed and
inconsistent (``german`` and ``German``, ``vr-romm``, an age of 1234, a continent that disagrees with the
country); :func:`clean_audiomnist_metadata` tidies it and keeps each raw value beside its cleaned form.

Layout in the data home (the corpus's own; ``audiomnist-sample`` is a few real clips in the same layout)::

    <data home>/audiomnist/data/{NN}/{digit}_{NN}_{take}.wav
    <data home>/audiomnist/data/audioMNIST_meta.txt

**Download** (:func:`download_archive`): the archive of the soerenab/AudioMNIST repository on GitHub at the
pinned commit :data:`AUDIOMNIST_COMMIT`; the metadata file alone (:func:`find_audiomnist_metadata`) comes
from the same commit, checked against :data:`AUDIOMNIST_META_SHA256`. The generic digit-corpus layer
(:mod:`digitdenoise.data`: ``ensure_dataset``, ``load_clips``, splits) calls this module.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from .._io import atomic_dir, atomic_path
from ..config import default_data_home
from ..errors import DataError

NAME = "audiomnist"
DESCRIPTION = "AudioMNIST (Becker et al.), 60 speakers (MIT)"
AUDIOMNIST_COMMIT = "ce04129aaa56d47d11a8d9cc1247bac2cafac9b7"
AUDIOMNIST_ARCHIVE = f"https://github.com/soerenab/AudioMNIST/archive/{AUDIOMNIST_COMMIT}.zip"
AUDIOMNIST_META_URL = (
    f"https://raw.githubusercontent.com/soerenab/AudioMNIST/{AUDIOMNIST_COMMIT}/data/audioMNIST_meta.txt"
)
AUDIOMNIST_META_SHA256 = "0c2e6efb246d9e3ea4f678d7bf97be3f9fd717e9c58ffaec644eeccd75ebd80f"
SAMPLE_RATE = 48000
N_SPEAKERS = 60
N_CLIPS = 30000


def wav_files(root: str | Path) -> list[Path]:
    """The clips of an AudioMNIST folder, ``data/NN/*.wav``, sorted (chapter 1)."""
    return sorted((Path(root) / "data").glob("*/*.wav"))


def metadata_file(root: str | Path) -> Path:
    """Where an AudioMNIST folder keeps its speaker metadata: ``data/audioMNIST_meta.txt`` (chapter 1)."""
    return Path(root) / "data" / "audioMNIST_meta.txt"


def download_archive(root: str | Path) -> Path:
    """Download the repository archive and copy its clips and metadata file into ``root``, atomically
    (chapter 1; called by :func:`digitdenoise.data.ensure_dataset`)."""
    import pooch

    from ..data import _CLIP_NAME, _fetch

    root = Path(root)
    files = _fetch(AUDIOMNIST_ARCHIVE, None, f"audiomnist-{AUDIOMNIST_COMMIT[:10]}.zip", pooch.Unzip())
    wavs = [Path(f) for f in files if f.endswith(".wav") and _CLIP_NAME.match(Path(f).name)]
    meta = [Path(f) for f in files if f.endswith("audioMNIST_meta.txt")]
    if len(wavs) != N_CLIPS or not meta:
        raise DataError(f"the AudioMNIST archive has {len(wavs)} clips and {len(meta)} metadata "
                        f"files; expected {N_CLIPS} and 1.")
    with atomic_dir(root) as tmp:
        for w in wavs:
            (tmp / "data" / w.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy2(w, tmp / "data" / w.parent.name / w.name)
        shutil.copy2(meta[0], tmp / "data" / "audioMNIST_meta.txt")
    return root


# --------------------------------------------------------------------------------------------------
# Speaker metadata

AUDIOMNIST_ACCENT_SPELLING = {
    "german": "German",
    "Brasilian": "Brazilian",
    "Egyptian_American?": "Egyptian-American",
}
AUDIOMNIST_COUNTRY_SPELLING = {"Spanien": "Spain"}
# The metadata gives "Europe" for speakers from Syria and India; continents follow the country.
COUNTRY_CONTINENT = {
    "Germany": "Europe", "Spain": "Europe", "Italy": "Europe", "Poland": "Europe", "Denmark": "Europe",
    "France": "Europe", "Syria": "Asia", "India": "Asia", "China": "Asia", "South Korea": "Asia",
    "Brazil": "South America", "Egypt": "Africa", "South Africa": "Africa",
}
PLAUSIBLE_AGE = (10, 100)


# Canonical room names are the file's majority spellings; only real variants are rewritten.
CANONICAL_ROOMS = {"vr-room": "vr-room", "kino": "Kino", "ruheraum": "Ruheraum", "library": "library"}


def _clean_room(raw: str) -> str:
    room = str(raw).strip()
    key = room.lower().replace("romm", "room")
    return CANONICAL_ROOMS.get(key, room)


def clean_audiomnist_metadata(raw: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Tidy AudioMNIST's ``audioMNIST_meta.txt`` (chapter 1). One row per speaker, indexed by the
    two-digit speaker id, keeping each raw value beside its cleaned form:

    * ``age``: integer years; impossible values (such as ``1234``) become missing;
    * ``accent``: spelling variants merged (``german`` -> ``German``, ``Brasilian`` -> ``Brazilian``);
    * ``room``: ``vr-room``, ``VR-Room``, ``VR-room`` and ``vr-romm`` are one room (the majority spelling
      of each room is kept);
    * ``origin``: split into ``continent`` / ``country`` / ``city``, country spellings normalised and
      the continent taken from the country where the file disagrees;
    * ``native_speaker``: boolean; ``recording_date``: a timestamp.
    """
    if not isinstance(raw, dict) or not raw:
        raise DataError("AudioMNIST metadata must be a non-empty JSON object keyed by speaker id.")
    rows = []
    for speaker, rec in raw.items():
        if not isinstance(rec, dict):
            raise DataError(f"AudioMNIST metadata for speaker {speaker!r} is not an object.")
        origin_parts = [p.strip() for p in str(rec.get("origin", "")).split(",")]
        origin_parts += [""] * (3 - len(origin_parts))
        continent_raw, country_raw, city = origin_parts[0], origin_parts[1], ", ".join(origin_parts[2:]).strip(", ")
        country = AUDIOMNIST_COUNTRY_SPELLING.get(country_raw, country_raw)
        try:
            age = int(str(rec.get("age")).strip())
        except ValueError:
            age = None
        if age is not None and not PLAUSIBLE_AGE[0] <= age <= PLAUSIBLE_AGE[1]:
            age = None
        accent_raw = str(rec.get("accent", "")).strip()
        native_raw = str(rec.get("native speaker", "")).strip().lower()
        rows.append({
            "speaker": f"{int(speaker):02d}" if str(speaker).isdigit() else str(speaker),
            "gender": str(rec.get("gender", "")).strip().lower() or None,
            "age": age,
            "age_raw": rec.get("age"),
            "accent": AUDIOMNIST_ACCENT_SPELLING.get(accent_raw, accent_raw),
            "accent_raw": accent_raw,
            "native_speaker": {"yes": True, "no": False}.get(native_raw),
            "continent": COUNTRY_CONTINENT.get(country, continent_raw.replace("-", " ")),
            "country": country,
            "city": city,
            "origin_raw": rec.get("origin"),
            "room": _clean_room(rec.get("recordingroom", "")),
            "room_raw": rec.get("recordingroom"),
            "recording_date": pd.to_datetime(rec.get("recordingdate"), format="%y-%m-%d-%H-%M-%S",
                                             errors="coerce"),
        })
    table = pd.DataFrame(rows).set_index("speaker").sort_index()
    table["age"] = table["age"].astype("Int64")
    table["native_speaker"] = table["native_speaker"].astype("boolean")
    return table


def read_audiomnist_metadata_file(path: str | Path) -> dict[str, Any]:
    """Parse ``audioMNIST_meta.txt`` (JSON) with a clear error for a broken file (chapter 1)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: AudioMNIST metadata file not found.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); re-download audioMNIST_meta.txt.") from None


def find_audiomnist_metadata(data_home: str | Path | None = None, *, download: bool = True) -> Path:
    """Path of ``audioMNIST_meta.txt``, whatever dataset the book uses (chapter 1).

    Looks in ``audiomnist/`` then ``audiomnist-sample/`` of the data home; otherwise downloads the
    single metadata file (checksum-verified) into ``<data home>/audiomnist-meta/``.
    """
    home = Path(data_home).expanduser() if data_home else default_data_home()
    for folder in ("audiomnist", "audiomnist-sample", "audiomnist-meta"):
        for candidate in (home / folder / "data" / "audioMNIST_meta.txt", home / folder / "audioMNIST_meta.txt"):
            if candidate.is_file():
                return candidate
    if not download:
        raise DataError(f"audioMNIST_meta.txt not found under {home} (audiomnist/data/ or audiomnist-sample/data/); "
                        "run `digitdenoise fetch audiomnist-meta`.")
    from ..data import _fetch

    fetched = Path(_fetch(AUDIOMNIST_META_URL, f"sha256:{AUDIOMNIST_META_SHA256}", "audioMNIST_meta.txt"))
    target = home / "audiomnist-meta" / "audioMNIST_meta.txt"
    with atomic_path(target) as tmp:
        shutil.copy2(fetched, tmp)
    return target


def audiomnist_metadata(data_home: str | Path | None = None, *, download: bool = True) -> pd.DataFrame:
    """The cleaned 60-speaker AudioMNIST metadata (chapter 1); see :func:`find_audiomnist_metadata`."""
    path = find_audiomnist_metadata(data_home, download=download)
    return clean_audiomnist_metadata(read_audiomnist_metadata_file(path))


def speaker_metadata(root: str | Path) -> pd.DataFrame:
    """The cleaned speaker table of an AudioMNIST folder (chapter 1); see :func:`clean_audiomnist_metadata`."""
    return clean_audiomnist_metadata(read_audiomnist_metadata_file(metadata_file(root)))


def metadata_cleaning_table(raw: dict[str, dict[str, Any]], cleaned: pd.DataFrame) -> pd.DataFrame:
    """Before/after table of every value the cleaning changed (chapter 1): field, raw, cleaned, speakers."""
    records = []
    pairs = {"age": ("age", "age"), "accent": ("accent", "accent"), "recordingroom": ("room", "room"),
             "origin": ("origin", None)}
    for speaker, rec in raw.items():
        key = f"{int(speaker):02d}" if str(speaker).isdigit() else str(speaker)
        row = cleaned.loc[key]
        for field, (label, column) in pairs.items():
            before = str(rec.get(field))
            if column is None:
                after = f"{row['continent']}, {row['country']}, {row['city']}"
            else:
                after = "<missing>" if pd.isna(row[column]) else str(row[column])
            if before != after:
                records.append({"field": label, "raw value": before, "cleaned value": after, "speaker": key})
    out = pd.DataFrame(records)
    if out.empty:
        return pd.DataFrame(columns=["field", "raw value", "cleaned value", "speakers", "n"])
    return (out.groupby(["field", "raw value", "cleaned value"])["speaker"]
            .agg(speakers=lambda s: ", ".join(sorted(s)), n="count").reset_index())
