"""Run parameters, profiles and directories shared by every chapter.

A chapter's ``parameters`` cell holds plain values (papermill can override them); the chapter then
calls :func:`resolve` which validates them and fills in what the profile implies. The three
profiles are

``smoke``    every chapter on a tiny subset, for CI (minutes in all);
``default``  the published book on a 2-core laptop (its nine chapters within 10 minutes);
``full``     everything the dataset has (a GPU helps).
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from pathlib import Path
from typing import Any

from .errors import ParameterError

DATA_HOME_ENV = "DIGITDENOISE_DATA_HOME"
CACHE_ENV = "DIGITDENOISE_CACHE"

# What each profile means, per knob. ``None`` means "no limit".
PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {
        "clips_per_speaker": 6,      # clips read per speaker for clip-level statistics
        "snr_pairs": 60,             # clean/noisy pairs for SNR analyses
        "generator_checks": 200,     # mixtures drawn to check the generator
        "epochs": 1,
        "clips_per_epoch": 32,       # training clips per epoch (None: all)
        "zoo_seconds": None,         # time budget of chapter 5's live run, and of each zoo model where no
                                     # converged checkpoint exists (None: epochs decide)
        "val_clips": 14,             # validation clips, one noise type each (round robin)
        "eval_clips": 8,             # test clips per noise type in chapter 6's main comparison (None: all)
        "sweep_clips": 4,            # test clips per noise type and SNR in chapter 6's SNR sweep
        "bar_clips": 8,              # test clips for chapter 5's quality bar against the oracle (None: all)
        "sweep_snrs": (-5.0, 5.0),
        "n_boot": 200,               # bootstrap resamples for confidence intervals
    },
    "default": {
        "clips_per_speaker": None,
        "snr_pairs": 600,
        "generator_checks": 1000,
        "epochs": 20,
        "clips_per_epoch": 256,
        "zoo_seconds": 30,
        "val_clips": 140,
        "eval_clips": 48,
        "sweep_clips": 12,
        "bar_clips": None,
        "sweep_snrs": (-10.0, -5.0, 0.0, 5.0, 10.0),
        "n_boot": 2000,
    },
    "full": {
        "clips_per_speaker": None,
        "snr_pairs": None,
        "generator_checks": 5000,
        "epochs": 60,
        "clips_per_epoch": None,
        "zoo_seconds": None,
        "val_clips": 700,
        "eval_clips": None,
        "sweep_clips": 200,
        "bar_clips": None,
        "sweep_snrs": (-15.0, -10.0, -5.0, 0.0, 5.0, 10.0),
        "n_boot": 5000,
    },
}

DATASET_NAMES = ("fsdd", "audiomnist", "audiomnist-sample")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Validated parameters of one chapter run (see :func:`resolve`). Taught in every chapter."""

    dataset: str
    profile: str
    data_home: Path
    artifacts_dir: Path
    seed: int
    snr_db: float
    settings: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.settings[key]


def default_data_home() -> Path:
    """The data home: ``$DIGITDENOISE_DATA_HOME`` if set, else a per-user data folder (chapter 1)."""
    env = os.environ.get(DATA_HOME_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "digitdenoise" / "data"


def cache_dir() -> Path:
    """Where derived files (feature caches, downloads in progress) go: ``$DIGITDENOISE_CACHE`` or
    ``~/.cache/digitdenoise``. Never inside the data home, which is treated as read-only (chapter 3)."""
    env = os.environ.get(CACHE_ENV)
    path = Path(env).expanduser() if env else Path.home() / ".cache" / "digitdenoise"
    return path


def check_choice(name: str, value: Any, choices: tuple[str, ...] | list[str]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise a :class:`ParameterError` naming
    the parameter and the valid values (every chapter's parameter check)."""
    if not isinstance(value, str) or value not in choices:
        raise ParameterError(
            f"parameter {name}={value!r} is not valid: choose one of {', '.join(map(repr, choices))}."
        )
    return value


def check_number(name: str, value: Any, *, minimum: float | None = None, maximum: float | None = None,
                 integer: bool = False) -> float | int:
    """Validate a numeric parameter (no strings, no booleans, inside the bounds) and return it
    (every chapter's parameter check)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "an integer" if integer else "a number"
        raise ParameterError(f"parameter {name}={value!r} must be {kind}, not {type(value).__name__}.")
    if integer and int(value) != value:
        raise ParameterError(f"parameter {name}={value!r} must be a whole number.")
    if value != value:  # NaN
        raise ParameterError(f"parameter {name} is NaN; give a finite number.")
    if minimum is not None and value < minimum:
        raise ParameterError(f"parameter {name}={value!r} must be >= {minimum}.")
    if maximum is not None and value > maximum:
        raise ParameterError(f"parameter {name}={value!r} must be <= {maximum}.")
    return int(value) if integer else float(value)


def resolve(*, dataset: str = "fsdd", profile: str = "default", data_home: str | os.PathLike | None = None,
            artifacts_dir: str | os.PathLike | None = None, seed: int = 0, snr_db: float = -8.0,
            **overrides: Any) -> RunConfig:
    """Validate a chapter's parameters and merge them with its profile (every chapter, first cell).

    ``overrides`` replace profile settings by name (``epochs=3``); unknown names are refused so a
    typo in a papermill ``-p`` flag does not pass silently. ``artifacts_dir=None`` means
    ``artifacts/<dataset>-<profile>``, the folder ``digitdenoise run`` uses, so a chapter opened live in
    Jupyter finds what earlier chapters wrote there.
    """
    check_choice("profile", profile, tuple(PROFILES))
    check_choice("dataset", dataset, DATASET_NAMES)
    seed = check_number("seed", seed, minimum=0, integer=True)
    snr_db = check_number("snr_db", snr_db, minimum=-60, maximum=60)
    settings = dict(PROFILES[profile])
    for key, value in overrides.items():
        if key not in settings:
            raise ParameterError(
                f"unknown parameter {key!r}; known profile settings: {', '.join(sorted(settings))}."
            )
        if value is None:
            settings[key] = None
            continue
        minimum = 1 if key in ("epochs", "clips_per_speaker", "snr_pairs", "generator_checks", "clips_per_epoch",
                               "zoo_seconds", "val_clips") else None
        settings[key] = check_number(key, value, minimum=minimum, integer=True)
    home = Path(data_home).expanduser() if data_home else default_data_home()
    return RunConfig(dataset=dataset, profile=profile, data_home=home,
                     artifacts_dir=Path(artifacts_dir or f"artifacts/{dataset}-{profile}").expanduser(),
                     seed=seed, snr_db=snr_db,
                     settings=settings)
