"""The Free Spoken Digit Dataset (FSDD) v1.0.10: 6 speakers x 10 digits x 50 takes at 8 kHz (chapters 1-4).

The book's first corpus: small enough to profile in minutes, clean enough to hear every kind of noise
added to it. Speaker metadata (gender, accent, language) comes as ``metadata.py`` in the release, a
Python dict literal that is parsed without being executed (:func:`parse_fsdd_metadata_py`).

Layout in the data home::

    <data home>/fsdd/recordings/{digit}_{speaker}_{take}.wav
    <data home>/fsdd/metadata.json     (or the release's metadata.py)

**Download** (:func:`download_archive`): the tagged release archive :data:`FSDD_ARCHIVE` from the
Jakobovski/free-spoken-digit-dataset repository on GitHub; its 3,000 recordings are copied into the data
home and ``metadata.py`` is turned into ``metadata.json``. The generic digit-corpus layer
(:mod:`digitdenoise.data`: ``ensure_dataset``, ``load_clips``, splits) calls this module.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pandas as pd

from .._io import atomic_dir, write_json
from ..errors import DataError

NAME = "fsdd"
FSDD_TAG = "v1.0.10"
DESCRIPTION = f"Free Spoken Digit Dataset {FSDD_TAG} (CC BY-SA 4.0)"
FSDD_ARCHIVE = f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/{FSDD_TAG}.zip"
SAMPLE_RATE = 8000
N_SPEAKERS = 6
N_CLIPS = 3000


def wav_files(root: str | Path) -> list[Path]:
    """The clips of an FSDD folder, ``recordings/*.wav``, sorted (chapter 1)."""
    return sorted((Path(root) / "recordings").glob("*.wav"))


def metadata_file(root: str | Path) -> Path:
    """Where an FSDD folder keeps its speaker metadata: ``metadata.json`` (chapter 1)."""
    return Path(root) / "metadata.json"


def parse_fsdd_metadata_py(source: str) -> dict[str, dict[str, str]]:
    """Read FSDD's ``metadata.py`` (a Python dict literal) without executing it (chapter 1)."""
    try:
        tree = ast.parse(source)
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "metadata" for t in node.targets):
                value = ast.literal_eval(node.value)
                if isinstance(value, dict):
                    return value
    except (SyntaxError, ValueError) as exc:
        raise DataError(f"FSDD metadata.py cannot be parsed: {exc}") from None
    raise DataError("FSDD metadata.py holds no `metadata = {...}` dictionary.")


def speaker_metadata(root: str | Path) -> pd.DataFrame:
    """FSDD's speakers, one row each (chapter 1): ``gender``, ``accent`` (e.g. ``German``), ``country``
    (ISO code from the accent field), ``language``. Reads ``metadata.json``, else the release's
    ``metadata.py``."""
    root = Path(root)
    path = metadata_file(root)
    if path.is_file():
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not valid JSON ({exc}).") from None
    elif (root / "metadata.py").is_file():
        raw = parse_fsdd_metadata_py((root / "metadata.py").read_text(encoding="utf-8"))
    else:
        raise DataError(f"FSDD speaker metadata not found: expected {path} (or metadata.py).")
    rows = []
    for speaker, rec in raw.items():
        country, _, accent = str(rec.get("accent", "")).partition("/")
        rows.append({"speaker": speaker, "gender": rec.get("gender"), "accent": accent or country,
                     "country": country, "language": rec.get("language")})
    return pd.DataFrame(rows).set_index("speaker").sort_index()


def download_archive(root: str | Path) -> Path:
    """Download the release archive and lay it out in ``root`` (``recordings/`` and ``metadata.json``),
    atomically (chapter 1; called by :func:`digitdenoise.data.ensure_dataset`)."""
    import pooch

    from ..data import _fetch

    root = Path(root)
    files = _fetch(FSDD_ARCHIVE, None, f"fsdd-{FSDD_TAG}.zip", pooch.Unzip())
    wavs = [Path(f) for f in files if f.endswith(".wav") and "/recordings/" in f.replace("\\", "/")]
    meta_py = [Path(f) for f in files if f.replace("\\", "/").endswith("/metadata.py")]
    if len(wavs) != N_CLIPS or not meta_py:
        raise DataError(f"the FSDD archive {FSDD_ARCHIVE} has {len(wavs)} recordings and "
                        f"{'a' if meta_py else 'no'} metadata.py; expected {N_CLIPS} and one.")
    metadata = parse_fsdd_metadata_py(meta_py[0].read_text(encoding="utf-8"))
    with atomic_dir(root) as tmp:
        (tmp / "recordings").mkdir()
        for w in wavs:
            shutil.copy2(w, tmp / "recordings" / w.name)
        write_json(tmp / "metadata.json", metadata)
    return root
