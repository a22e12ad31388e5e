"""G. Hu's 100 non-speech environmental sounds (chapters 4-6): the general model's real noise.

``<data home>/hu-nonspeech/n1.wav`` ... ``n100.wav``, 20 kHz mono, 0.9-8.8 s each; the corpus ships no
category labels. **Split by file** with a fixed rule (:func:`split_of`): file number *k* is *test* when
*k* is a multiple of 5 (20 files), *validation* when *k* ends in 3 (10 files), *train* otherwise (70
files). Test noises are never trained or tuned on.

Download (:func:`ensure`): each missing file from the public copy in the EMGSE repository at a pinned
commit, checked against :data:`CHECKSUMS` (SHA-256 of the file).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np

from .._io import atomic_path
from ..config import check_choice, default_data_home
from ..errors import DataError

NAME = "hu-nonspeech"
DESCRIPTION = "G. Hu's 100 non-speech environmental sounds (OSU PNL), 20 kHz"
COMMIT = "1090f029308dc202ad38be4cb0b52530c5bba59d"
BASE_URL = f"https://raw.githubusercontent.com/eric-wang135/EMGSE/{COMMIT}/noise/noise_train/"
CHECKSUMS = json.loads(Path(__file__).with_name("hu_nonspeech_sha256.json").read_text())
_FILE = re.compile(r"^n(\d+)$")


def root(data_home: str | Path | None = None) -> Path:
    """``<data home>/hu-nonspeech`` (chapter 4)."""
    home = Path(data_home).expanduser() if data_home else default_data_home()
    return home / NAME


def split_of(name: str) -> str:
    """``test`` for file numbers divisible by 5, ``validation`` for numbers ending in 3, else ``train``
    (chapter 4)."""
    m = _FILE.match(Path(name).stem)
    if m is None:
        raise DataError(f"Hu non-speech files are named n1 ... n100, got {name!r}.")
    k = int(m.group(1))
    if k % 5 == 0:
        return "test"
    return "validation" if k % 10 == 3 else "train"


def file_names(split: str | None = None) -> list[str]:
    """The file stems (``n1`` ...) of one split, or of all 100 files, in numeric order (chapter 4)."""
    if split is not None:
        check_choice("split", split, ("train", "validation", "test"))
    stems = sorted(CHECKSUMS, key=lambda s: int(s[1:]))
    return [s for s in stems if split is None or split_of(s) == split]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure(data_home: str | Path | None = None, *, download: bool = True, progress: bool = False,
           names=None) -> Path:
    """Make sure all 100 files (or only the stems in ``names``) are in the data home, downloading missing
    ones (chapter 4)."""
    from tqdm.auto import tqdm

    from ..data import _fetch

    folder = root(data_home)
    wanted = file_names() if names is None else [str(n) for n in names]
    unknown = sorted(set(wanted) - set(CHECKSUMS))
    if unknown:
        raise DataError(f"{unknown[:3]} are not Hu non-speech files (n1 ... n100).")
    missing = [s for s in wanted if not (folder / f"{s}.wav").is_file()]
    if missing and not download:
        raise DataError(f"{len(missing)} Hu non-speech files are missing in {folder} (e.g. {missing[0]}.wav); "
                        "run `digitdenoise fetch hu-nonspeech`.")
    for stem in tqdm(missing, desc=NAME, disable=not progress or not missing):
        got = _fetch(BASE_URL + f"{stem}.wav", f"sha256:{CHECKSUMS[stem]}", f"hu-nonspeech-{stem}.wav")
        with atomic_path(folder / f"{stem}.wav") as tmp:
            shutil.copy2(got, tmp)
    return folder


def load(split: str | None, sr: int, data_home: str | Path | None = None, *,
         download: bool = True) -> dict[str, np.ndarray]:
    """The noises of one split (or all with ``None``), mono at ``sr``, unit RMS, keyed ``hu/n7`` etc.
    (chapters 4-6). The prefix keeps them apart from other recordings' names."""
    from ..noise import load_noise_recordings

    stems = file_names(split)
    folder = ensure(data_home, download=download, names=stems)
    loaded = load_noise_recordings(folder, sr, names=stems)
    return {f"hu/{s}": loaded[s] for s in stems}
