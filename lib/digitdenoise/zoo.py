"""The converged seed models (chapter 5).

``make release-zoo`` trains each of the four seed rebuilds (``report_cae``, ``seed_unet``, ``mel_cnn``,
``minimal_cae``) until its validation score stops improving, on the FSDD recipe of the previous release
``fsdd-mask_unet``, and commits the weights with their configuration, history and ``quality.json`` under
``models/release/zoo/<name>``. Chapter 5 loads them for every comparison (and trains only one short live
run), chapter 6 evaluates them beside the release model. This module finds them and says whether each
one's learning curve had flattened. ``make release-zoo-si-sdr`` retrains a seed on the release model's
loss instead of its own (``<name>-si_sdr``, :func:`book_loss_runs`), the same data and budget.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pandas as pd

from . import models
from .errors import DataError

ZOO_FOLDER = Path("models") / "release" / "zoo"
SEEDS: tuple[str, ...] = tuple(name for name, entry in models.ZOO.items() if entry.seed != "this book")
VALIDATION_COLUMN = "val_si_sdr_improvement_db"  # the trainer's per-epoch score in dB (training.train_model)
TAIL_SHARE = 0.2  # the last fifth of the epochs ...
FLAT_DB = 0.2  # ... must gain less than this for a curve to count as flattened
BOOK_LOSS = "si_sdr"  # the release model's loss, on which make release-zoo-si-sdr retrains a seed


@dataclasses.dataclass(frozen=True)
class Convergence:
    """Whether a learning curve had flattened (chapter 5): ``tail_gain_db`` is the best validation
    SI-SDR improvement of the whole run minus the best before its last ``tail_epochs`` epochs."""

    epochs: int
    tail_epochs: int
    tail_gain_db: float
    flattened: bool
    recorded: bool = True  # False: the history has no per-epoch SI-SDR (runs older than the column)

    @property
    def verdict(self) -> str:
        if not self.recorded:
            return "no per-epoch SI-SDR recorded"
        if math.isnan(self.tail_gain_db):
            return "too few epochs to tell"
        return "flattened" if self.flattened else "still improving"


def convergence(history: pd.DataFrame, *, share: float = TAIL_SHARE, threshold_db: float = FLAT_DB) -> Convergence:
    """The book's convergence criterion on a training history (chapter 5): the last ``share`` of the
    epochs (at least one) gained less than ``threshold_db`` dB of validation SI-SDR improvement over the
    best epoch before them. Fewer than two epochs, or a history without the per-epoch SI-SDR column,
    cannot be judged (NaN gain, not flattened)."""
    n = len(history)
    tail = max(1, math.ceil(share * n))
    if VALIDATION_COLUMN not in history.columns:
        return Convergence(n, tail, float("nan"), False, recorded=False)
    if n < 2:
        return Convergence(n, tail, float("nan"), False)
    scores = history[VALIDATION_COLUMN].astype(float)
    gain = float(scores.max() - scores.iloc[:-tail].max())
    return Convergence(n, tail, gain, gain < threshold_db)


def release_zoo(folder: str | Path = ZOO_FOLDER, *, sample_rate: int | None = None) -> dict[str, Path]:
    """The converged seed checkpoints in ``folder`` as ``{name: path}`` (chapter 5), in the zoo's order.
    Only complete folders count (weights, configuration and history), and with ``sample_rate`` only
    those whose features are at that rate; unless all four seeds qualify the result is empty, so a
    chapter either compares all converged seeds or none."""
    folder = Path(folder)
    found = {}
    for name in SEEDS:
        path = folder / name
        if not _complete(path, sample_rate):
            return {}
        found[name] = path
    return found


def _complete(path: Path, sample_rate: int | None) -> bool:
    if not all((path / f).is_file() for f in ("model.keras", "feature_config.json", "history.csv")):
        return False
    rate = json.loads((path / "feature_config.json").read_text()).get("sample_rate")
    return sample_rate is None or rate == sample_rate


def book_loss_label(name: str) -> str:
    """How the book names seed ``name`` retrained on the release model's loss (chapter 5)."""
    return f"{name} ({BOOK_LOSS} loss)".replace("si_sdr", "SI-SDR")


def comparison_name(names, seed: str) -> str | None:
    """The name under which seed ``seed`` appears among ``names`` (a chapter's methods or models): the seed
    itself or its run on the book's loss, ``"<seed> (SI-SDR loss)"``, whichever chapter 5 passed on
    (chapters 6 and 8); ``None`` when neither is there."""
    return next((name for name in names if name.split(" (")[0] == seed), None)


def book_loss_runs(folder: str | Path = ZOO_FOLDER, *, sample_rate: int | None = None) -> dict[str, Path]:
    """Seeds retrained end to end on the release model's loss (negative SI-SDR of the waveform) by ``make
    release-zoo-si-sdr``, as ``{book_loss_label(name): path}`` (chapter 5). They sit beside the own-loss
    runs as ``<name>-si_sdr``; complete folders only, and with ``sample_rate`` only those at that rate. The
    same architecture under two losses separates what the network can do from what its loss asks of it."""
    folder = Path(folder)
    return {book_loss_label(name): folder / f"{name}-{BOOK_LOSS}" for name in SEEDS
            if _complete(folder / f"{name}-{BOOK_LOSS}", sample_rate)}


def describe(path: str | Path) -> dict:
    """One committed zoo checkpoint in a table row (chapter 5): epochs, training minutes, why training
    stopped, the epoch kept, the convergence verdict, the epochs after which the run was extended from its
    kept weights (``digitdenoise train --extend``: its optimiser restarted there; empty where never) and the
    recorded quality bar (``quality.json``: SI-SDR improvement at -8 dB white noise on the FSDD test
    speaker), where present."""
    path = Path(path)
    info = json.loads((path / "train_config.json").read_text())
    history = pd.read_csv(path / "history.csv")
    conv = convergence(history)
    row = {"epochs": len(history), "training time (min)": round(info.get("train_seconds", float("nan")) / 60, 1),
           "stopped by": info.get("stopped", "?"), "epoch kept": info.get("best_epoch"),
           "last-fifth gain (dB)": round(conv.tail_gain_db, 2), "curve": conv.verdict,
           "extended after epoch": ", ".join(str(e["after_epoch"]) for e in info.get("extensions", []))}
    quality = path / "quality.json"
    if quality.is_file():
        model_row = json.loads(quality.read_text())["results"]["model"]
        row["quality bar, SI-SDR impr. (dB)"] = round(model_row["si_sdr_improvement_db"], 2)
    return row


def score_with_precise_bn(folder: str | Path, prepared, *, batches: int, batch_size: int = 16, seed: int = 0,
                          lengths=None) -> float:
    """Mean validation SI-SDR improvement (dB) of the saved seed model in ``folder`` once its batch-norm
    statistics are re-estimated on ``batches`` batches of its own training mixtures (chapter 5).

    It asks of an own-loss seed what ``--precise-bn`` gave the run on the book's loss: was the model let
    down by its normalising statistics, or by its loss? The model is loaded fresh (the caller's copy stays
    as it was). ``prepared`` is the chapter's :func:`training.prepare_data` result: its training clips,
    noise source and speakers make the calibration mixtures (only the noise kinds the seed's own
    recipe uses), its validation pairs are scored, over ``lengths`` samples each (default: whole pairs)."""
    import numpy as np

    from . import evaluation, noise, training

    model, info = training.load_denoiser(folder)
    own_kinds = training.TrainConfig(model=model.model_name).kinds
    available = noise.OnTheFlyMixer(prepared.train_clean, prepared.source, seed=seed).kinds
    calibration = noise.OnTheFlyMixer(prepared.train_clean, prepared.source, seed=seed,
                                      kinds=[k for k in own_kinds if k in available],
                                      speakers=getattr(prepared, "train_speakers", None))
    training.precise_batch_norm(model, calibration, batches=batches, batch_size=batch_size, seed=seed)
    if lengths is None:
        lengths = np.full(len(prepared.val_clean), prepared.val_clean.shape[-1])
    estimate = training.denoise_batch(model, prepared.val_noisy)
    return float(evaluation.si_sdr_table(prepared.val_clean, prepared.val_noisy, estimate,
                                         lengths)["si_sdr_improvement"].mean())


def training_stages(folder: str | Path) -> list[dict]:
    """The training stages that made the checkpoint in ``folder``, earliest first (chapters 5, 6 and 9):
    each ``{"name", "seconds", "init_from"}``, following each stage's ``init_from`` back while the earlier
    folder is one of this model's own stages (its name extends this folder's, as ``general-mask_unet-stage1``
    does ``general-mask_unet``) and holds a ``train_config.json``. The first stage's ``init_from`` says where
    the whole chain started. A clear error when ``folder`` has no ``train_config.json``."""
    folder = Path(folder)
    if not (folder / "train_config.json").is_file():
        raise DataError(f"{folder / 'train_config.json'} not found: {folder} is not a trained checkpoint folder.")
    stages, current = [], folder
    while True:
        info = json.loads((current / "train_config.json").read_text())
        start = info["train_config"].get("init_from")
        stages.append({"name": current.name, "seconds": float(info["train_seconds"]), "init_from": start})
        earlier = folder.parent / Path(start).name if start else None
        if earlier is None or not earlier.name.startswith(folder.name) or not (earlier / "train_config.json").is_file():
            return stages[::-1]
        current = earlier


@dataclasses.dataclass(frozen=True)
class RestartEffect:
    """What the first extension of a recorded run did (chapter 5, "Going on after a stop"): validation
    SI-SDR improvements in dB at the epoch kept before the restart, in the first epoch after it and at best
    after it, the standard deviation of the last five epochs before it (the ordinary noise between epochs),
    and whether an epoch after it beat the kept validation loss (and so became the epoch kept)."""

    after_epoch: int
    kept_epoch: int
    kept_db: float
    first_after_db: float
    best_after_db: float
    epochs_after: int
    spread_db: float
    new_epoch_kept: bool

    @property
    def dip_db(self) -> float:
        """How far the first epoch after the restart fell below the kept epoch (negative: it rose)."""
        return self.kept_db - self.first_after_db


def restart_effect(history: pd.DataFrame, info: dict) -> RestartEffect | None:
    """The effect of the first ``--extend`` restart recorded in ``info`` (a ``train_config.json``) on the
    run's ``history`` (chapter 5); ``None`` for a run never extended, one with no epoch after its restart,
    or a history without the per-epoch SI-SDR. The epoch kept before the restart is the one with the lowest
    validation loss, the rule the trainer keeps epochs by."""
    extensions = info.get("extensions") or []
    if not extensions or VALIDATION_COLUMN not in history:
        return None
    after = int(extensions[0]["after_epoch"])
    before, later = history[history["epoch"] <= after], history[history["epoch"] > after]
    if before.empty or later.empty:
        return None
    kept = before.loc[before["val_loss"].idxmin()]
    return RestartEffect(after, int(kept["epoch"]), float(kept[VALIDATION_COLUMN]),
                         float(later[VALIDATION_COLUMN].iloc[0]), float(later[VALIDATION_COLUMN].max()), len(later),
                         float(before[VALIDATION_COLUMN].tail(5).std()),
                         bool(later["val_loss"].min() < kept["val_loss"] - 1e-6))
