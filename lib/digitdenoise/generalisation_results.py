"""Reading a recorded run of the generalisation benchmark (chapter 6; chapter 5 and appendix 9 read it
too): the JSON that ``bench/generalisation.py`` writes, its tables, the unseen-noise means of the first
bar (pooled, or the Hu test files and the Speech Commands set apart), one cell's means, the exact mixtures
of a cell rebuilt for listening, and methods side by side.

Split out of :mod:`digitdenoise.generalisation`, which re-exports every name.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError

if TYPE_CHECKING:  # only for annotations: generalisation imports this module
    from .generalisation import Mixtures

__all__ = ["RECORDED", "Recorded", "load_recorded", "unseen_noise_means", "unseen_noise_cells", "cell_means",
           "replay_cell", "compare_methods"]


RECORDED = "bench/results/generalisation.json"


@dataclasses.dataclass
class Recorded:
    """A recorded run of ``bench/generalisation.py`` (chapter 6): the raw JSON and its tables."""

    raw: dict[str, Any]
    summary: pd.DataFrame  # per source, family, SNR and method
    by_noise: pd.DataFrame  # per source, noise, SNR and method
    bars: pd.DataFrame

    @property
    def model_name(self) -> str:
        return "release model"


def load_recorded(path: str = RECORDED) -> Recorded:
    """Read a generalisation benchmark JSON (chapter 6) with a clear error when it is missing or is not
    one; the chapter shows these recorded figures because the benchmark takes about half an hour."""
    import json
    from pathlib import Path

    file = Path(path)
    if not file.is_file():
        raise DataError(f"{file} not found: run `make bench-generalisation` (about 30 minutes) to record it.")
    try:
        raw = json.loads(file.read_text())
        tables = {k: pd.DataFrame(raw[k]["data"], columns=raw[k]["columns"]) if isinstance(raw[k], dict)
                  else pd.DataFrame(raw[k]) for k in ("summary", "by_noise")}
        return Recorded(raw, tables["summary"], tables["by_noise"], pd.DataFrame(raw["bars"]))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataError(f"{file} is not a generalisation benchmark result ({type(exc).__name__}: {exc}); "
                        "record it again with `make bench-generalisation`.") from None


def unseen_noise_means(recorded: Recorded, *, snr_db: float = 0.0, sets: tuple[str, ...] = ("hu", "sc")) -> pd.Series:
    """Mean SI-SDR improvement per method on the benchmark's unseen non-speech noises (the Hu test split,
    ``hu/...``, and the cross-corpus Speech Commands set, ``sc/...``) with the speechocean762 test speakers at
    ``snr_db``: the condition of the first generalisation bar (chapter 6) and of the small model's bar
    (appendix 9). Weighted by clips, so it equals the mean over the clips. ``sets=("hu",)`` keeps the Hu test
    files only (chapter 6: for a model whose training started from one that heard the Speech Commands
    recordings, they are the only clean test)."""
    t = unseen_noise_cells(recorded, snr_db=snr_db, sets=sets)
    weighted = (t["si_sdri"] * t["clips"]).groupby(t["method"]).sum() / t.groupby("method")["clips"].sum()
    return weighted.rename("si_sdri")


def unseen_noise_cells(recorded: Recorded, *, snr_db: float = 0.0, sets: tuple[str, ...] = ("hu", "sc")) -> pd.DataFrame:
    """The rows of ``recorded.by_noise`` that :func:`unseen_noise_means` averages (chapter 6, appendix 9): the
    speechocean762 test speakers (digit strings and sentences) with each unseen non-speech noise recording
    of ``sets`` (``hu/...``, ``sc/...``) at ``snr_db``, one row per source, noise and method; a clear error if
    there are none."""
    unknown = sorted(set(sets) - {"hu", "sc"})
    if unknown or not sets:
        raise ParameterError(f"sets={sets!r}: choose from 'hu' (the Hu test files) and 'sc' (the Speech Commands set).")
    t = recorded.by_noise
    t = t[t["source"].isin(["so-digits", "so-sentences"]) & t["noise"].str.match(rf"({'|'.join(sets)})/")
          & (t["snr_db"] == snr_db)]
    if t.empty:
        raise DataError(f"the recorded benchmark has no unseen-noise cells at {snr_db:g} dB.")
    return t


def cell_means(recorded: Recorded, source: str, noise: str, snr_db: float, *, metric: str = "si_sdri") -> pd.Series:
    """Every method's mean ``metric`` in one cell (clean-speech source, noise recording, SNR) of a recorded
    run, indexed by method (chapter 6 reads the peers in the release model's worst cell); a clear error when
    the run holds no such cell."""
    t = recorded.by_noise
    t = t[(t["source"] == source) & (t["noise"] == noise) & (t["snr_db"] == snr_db)]
    if t.empty:
        raise DataError(f"the recorded benchmark has no cell {noise} on {source} at {snr_db:+g} dB.")
    return t.set_index("method")[metric]


def replay_cell(recorded: Recorded, data_home, source: str, noise: str, *, sr: int = 8000) -> Mixtures:
    """The exact mixtures of one (source, noise) cell of a recorded run, rebuilt from the data home with the
    run's own settings (chapter 6 listens to them)."""
    import re

    from .generalisation import make_mixtures, test_noises, test_speech

    command = recorded.raw.get("command", "")
    setting = {key: re.search(rf"--{key} (\S+)", command) for key in ("fsdd-clips", "sentences", "seed")}
    seed = int(setting["seed"].group(1)) if setting["seed"] else 0
    speech = test_speech(data_home, sr=sr, seed=seed, lazy=True,
                         fsdd_clips=int(setting["fsdd-clips"].group(1)) if setting["fsdd-clips"] else 120,
                         so_sentences=int(setting["sentences"].group(1)) if setting["sentences"] else 200)
    noises, families = test_noises(data_home, sr=sr, seed=seed)
    if noise not in noises:
        raise ParameterError(f"noise {noise!r} is not in the benchmark; choose one of {sorted(noises)}.")
    data_ = recorded.raw["test_data"]
    return make_mixtures(speech, noises, families, snrs=data_["snrs_db"], clips=data_["clips_per_cell"], seed=seed,
                         only=(source, noise))


def compare_methods(recorded: Recorded, methods: dict[str, str]) -> pd.DataFrame:
    """Side by side, from one recorded benchmark (chapter 5 compares the release model's two stages): one
    row per ``{label: method}`` with the mean SI-SDR improvement on the unseen non-speech noises with the
    speechocean762 test speakers at 0 dB and its ratio to the oracle IRM's (the first bar), the mean per
    noise family over every source and SNR, the number of cells (source, noise, SNR; competing talkers at
    0 dB and below aside) where the mean is worse than the input (the fourth bar), and the pocketsphinx
    word accuracy on speech with no added noise (%). Means are weighted by clips, so they are means over
    clips. A clear error names a method the run does not hold."""
    unseen = unseen_noise_means(recorded)
    known = set(recorded.by_noise["method"])
    family_of = {noise: family for family, names in recorded.raw["test_data"]["noises"].items() for noise in names}
    by_noise = recorded.by_noise.assign(family=recorded.by_noise["noise"].map(family_of))
    words = recorded.raw.get("no_added_noise", {}).get("methods", {})
    rows = []
    for label, method in methods.items():
        if method not in known:
            raise DataError(f"the recorded benchmark has no method {method!r}; it holds {', '.join(sorted(known))}.")
        t = by_noise[by_noise["method"] == method]
        row = {"method": label, "unseen noises, 0 dB (dB)": unseen[method],
               "ratio to the IRM": unseen[method] / unseen["oracle IRM"]}
        for family, group in t.groupby("family"):
            row[f"{family} (dB)"] = float((group["si_sdri"] * group["clips"]).sum() / group["clips"].sum())
        cells = t[~((t["family"] == "talkers") & (t["snr_db"] <= 0))]
        row["cells worse than the input"] = int((cells["si_sdri"] < 0).sum())
        row["of cells"] = len(cells)
        accuracy = words.get(method, {}).get("word_accuracy")
        row["word accuracy, no added noise (%)"] = np.nan if accuracy is None else 100 * accuracy
        rows.append(row)
    return pd.DataFrame(rows).set_index("method")
