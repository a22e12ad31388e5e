"""Saved denoisers and what their folders record (chapters 5-9): saving and loading a checkpoint with its
feature and training configuration, reading that configuration back, following a model's training stages
to the weights it started from (did any of them hear the Speech Commands recordings?), and the models
chapter 5 passed on to chapters 6-8 for a run.

Split out of :mod:`digitdenoise.training`, which re-exports every name (``training.load_denoiser`` and so on).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ._io import atomic_path, write_json
from .errors import DataError, ParameterError

if TYPE_CHECKING:  # only for annotations: training imports this module, and keras loads TensorFlow
    import keras

    from .models import Denoiser
    from .training import TrainConfig

# TensorFlow is imported inside the functions that load or save a model, so that reading what a folder
# records (saved_info, heard_speech_commands_noise) costs a chapter without a model nothing (chapter 4)

__all__ = ["save_denoiser", "load_denoiser", "saved_info", "heard_speech_commands_noise", "chapter5_folders",
           "load_chapter5_models", "config_fingerprint", "recorded_state", "schedule_step"]


def _save(model: keras.Model, target: Path) -> None:
    with atomic_path(target, suffix=".keras") as tmp:
        model.save(tmp)


def save_denoiser(model: Denoiser, out_dir: str | Path, tcfg: TrainConfig | None = None,
                  extra: dict | None = None) -> Path:
    """Save a denoiser with its feature and training configuration side by side (chapter 5)."""
    out_dir = Path(out_dir)
    _save(model, out_dir / "model.keras")
    write_json(out_dir / "feature_config.json", model.feature_config)
    info = {"model": model.model_name, "parameters": int(model.network.count_params()), **(extra or {})}
    if tcfg is not None:
        info["train_config"] = tcfg.to_dict()
    write_json(out_dir / "train_config.json", info)
    return out_dir


def load_denoiser(path: str | Path) -> tuple[Denoiser, dict]:
    """Load a saved denoiser folder (``model.keras`` + configs); clear errors for a missing or broken
    one (chapters 5-7, the CLI and the benchmarks)."""
    path = Path(path)
    model_file = path / "model.keras" if path.is_dir() else path
    if not model_file.is_file():
        raise DataError(f"no saved model at {model_file}; run chapter 5 (or `make release-model`) first.")
    try:
        import importlib

        import keras

        importlib.import_module(f"{__package__}.models")  # registers the book's layers and Denoiser with Keras
        model = keras.models.load_model(model_file)
    except Exception as exc:  # keras raises many types for a broken archive
        raise DataError(f"{model_file} cannot be loaded as a denoiser ({type(exc).__name__}: {exc}).") from None
    return model, saved_info(model_file.parent)


def saved_info(folder: str | Path) -> dict:
    """A saved model folder's ``train_config.json`` (recipe, parameters, training time), or ``{}`` where it
    has none (chapters 5-9; :func:`load_denoiser` returns it beside the model)."""
    info_file = Path(folder) / "train_config.json"
    return json.loads(info_file.read_text()) if info_file.is_file() else {}


def config_fingerprint(config: dict) -> str:
    """The identity of a training run's configuration (``TrainConfig.to_dict()``, as saved in
    ``train_config.json``): everything but ``epochs`` and ``time_budget_s``, which a resumed or extended
    run may raise (chapter 5)."""
    import hashlib

    keep = {k: v for k, v in config.items() if k not in ("epochs", "time_budget_s")}
    return hashlib.sha1(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:12]


def schedule_step(state: dict, loss: float, label, tcfg: TrainConfig) -> bool:
    """One epoch's step of the training schedule (chapter 5), on the run's ``state`` in place: a validation
    ``loss`` better than the best so far (by more than 1e-6) becomes the best, kept as epoch ``label``, and
    resets the counters; otherwise the epochs without improvement count up, and every ``tcfg.lr_patience``
    of them halve the learning rate (by ``tcfg.lr_factor``, not below ``tcfg.min_lr``). Returns whether the
    epoch is the new best. Training and :func:`recorded_state`'s replay share it."""
    if state["best"] is None or loss < state["best"] - 1e-6:
        state.update(best=loss, best_epoch=label, wait=0, lr_wait=0)
        return True
    state["wait"] += 1
    state["lr_wait"] += 1
    if state["lr_wait"] >= tcfg.lr_patience:
        state["lr"] = max(tcfg.min_lr, state["lr"] * tcfg.lr_factor)
        state["lr_wait"] = 0
    return False


def recorded_state(folder: str | Path, tcfg: TrainConfig) -> dict:
    """The training state of the finished run in ``folder``, rebuilt from what is committed of it
    (``model.keras``, ``train_config.json``, ``history.csv``) when its resumable checkpoint is gone, as on a
    fresh clone (chapter 5; ``digitdenoise train --extend``).

    The history is replayed through the run's rules: the best validation loss and its epoch, the epochs
    since it (``wait``, ``lr_wait``) and the learning rate after the last epoch's halving, so an extended
    run goes on as the run would have. The training seconds carry on, so a time budget stays cumulative.
    What is not committed cannot be rebuilt: the extension starts from the kept (best) weights rather than
    the last epoch's, with the optimiser's moments at zero; ``extensions`` records each such restart.
    Clear errors for a folder that holds no finished run or one trained with another configuration."""
    folder = Path(folder)
    files = [folder / "model.keras", folder / "train_config.json", folder / "history.csv"]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise DataError(f"{folder} holds no finished run to extend (missing {', '.join(missing)}); train it "
                        "without --extend first.")
    info = json.loads(files[1].read_text())
    if config_fingerprint(info.get("train_config") or {}) != tcfg.fingerprint():
        raise ParameterError(f"{folder} holds a run with a different configuration; extend it with the options "
                             "it was trained with (its train_config.json), or use another folder.")
    if tcfg.average_weights:
        raise ParameterError(f"{folder}: a weight-averaged run cannot be extended (the running mean of its "
                             "weights is not committed); resume it from its checkpoint instead.")
    import pandas as pd

    table = pd.read_csv(files[2])
    missing = [c for c in ("epoch", "val_loss", "learning_rate") if c not in table.columns]
    if missing or table.empty:
        raise DataError(f"{files[2]} " + (f"has no column {', '.join(missing)}" if missing else "is empty")
                        + ": it is not a history this version can replay, so the run cannot be extended.")
    required = {"epoch", "val_loss", "learning_rate"}  # kept even where NaN: an epoch with a NaN loss counts
    rows = [{k: v.item() if hasattr(v, "item") else v for k, v in row.items() if k in required or not pd.isna(v)}
            for row in table.to_dict("records")]  # plain ints and floats
    recorded = info.get("epochs_run")
    if recorded is not None and recorded != len(rows) or (
            recorded is None and "epoch_seconds" in table and table["epoch_seconds"].sum() > info.get(
                "train_seconds", float("inf")) + 1.0):
        raise DataError(f"{files[2]} holds {len(rows)} epochs, not the "
                        + (f"{recorded} " if recorded is not None else "")
                        + "epochs the run saved beside it recorded: an extension was interrupted and its "
                        "checkpoint is gone, or the file was edited. Restore the folder's history.csv (git "
                        "checkout) to extend the saved run, or delete the folder to train afresh.")
    state = {"fingerprint": tcfg.fingerprint(), "epoch": -1, "best": None, "best_epoch": None, "wait": 0,
             "lr_wait": 0, "lr": tcfg.lr, "history": [], "seconds": 0.0}
    for row in rows:
        if state["epoch"] >= 0 and not math.isclose(state["lr"], row["learning_rate"], rel_tol=1e-6):
            raise DataError(f"{files[2]}: epoch {row['epoch']} trained at learning rate {row['learning_rate']:g}, but "
                            f"the run's rules (lr_patience {tcfg.lr_patience}, factor {tcfg.lr_factor:g}) give "
                            f"{state['lr']:g}; the history does not replay, so the run cannot be extended.")
        state["lr"] = float(row["learning_rate"])  # the rate the epoch trained at
        schedule_step(state, float(row["val_loss"]), int(row["epoch"]), tcfg)
        state["epoch"] = int(row["epoch"]) - 1
        state["history"].append(row)
    if state["best_epoch"] != info.get("best_epoch"):
        raise DataError(f"{files[2]} does not replay to the epoch {folder} kept ({info.get('best_epoch')}, "
                        f"replayed: {state['best_epoch']}); the history and the weights are from different runs.")
    state["seconds"] = float(info.get("train_seconds", sum(r.get("epoch_seconds", 0.0) for r in rows)))
    state["stopped"] = info.get("stopped")
    state["extensions"] = [*info.get("extensions", []),
                           {"after_epoch": state["epoch"] + 1, "seconds_before": round(state["seconds"], 1)}]
    return state


def _nothing_left(state: dict, tcfg: TrainConfig) -> tuple[str, str] | None:
    """``(why it stopped, a message)`` when a resumed or extended run has nothing left to train under
    ``tcfg``'s patience, epochs and time budget; ``None`` when it has."""
    if state["epoch"] < 0:
        return None
    if state["wait"] >= tcfg.patience:
        return ("early stopping", f"it stopped early ({state['wait']} epochs without a better validation loss; "
                                  f"patience {tcfg.patience})")
    if state["epoch"] + 1 >= tcfg.epochs:
        return ("epochs", f"it has run {state['epoch'] + 1} epochs already (epochs={tcfg.epochs}); raise --epochs")
    if tcfg.time_budget_s is not None and state["seconds"] >= tcfg.time_budget_s:
        return ("time budget", f"it has trained {state['seconds']:.0f} s already (time budget "
                               f"{tcfg.time_budget_s:.0f} s, cumulative); raise --time-budget")
    return None


def _refuse_stale_checkpoint(out_dir: Path, state: dict) -> None:
    """A resumable checkpoint older than the run recorded beside it (the folder's ``history.csv`` has more
    epochs, e.g. an extension pulled from git) would overwrite that run: refuse it, saying what to do."""
    import pandas as pd

    history = out_dir / "history.csv"
    if history.is_file() and len(pd.read_csv(history)) > len(state["history"]):
        raise ParameterError(f"{out_dir}: its checkpoint (after epoch {state['epoch'] + 1}) is older than the run "
                             "recorded in its history.csv; delete checkpoint.keras and state.json there to go on "
                             "from the recorded run with --extend, or use another folder.")


def _trained_on_speech_commands(config: dict) -> bool:
    recipe = config.get("recipe") or {}
    if recipe:
        return not str(recipe.get("splits", {}).get("speech-commands-noise", "")).startswith("test only")
    return "recording" in config.get("kinds", ())


def heard_speech_commands_noise(folder: str | Path, *, through_init: bool = True) -> bool:
    """Whether the model saved in ``folder`` trained on parts of the six Speech Commands noise recordings
    (``noise/``), itself or through the weights it started from (chapter 6). Each stage's recorded recipe
    says it: the general recipe keeps them as a cross-corpus test set (its splits say "test only"), while
    the FSDD recipes cut training windows from them (noise kind ``recording``). The stages are followed
    back through ``init_from``: a model fine-tuned from one that heard them has heard them too, since its
    weights began as that model's. A starting folder that is not on this machine (a run folder of the
    maintainers, say) counts as having heard them, since nothing here shows that it did not. A folder
    without a ``train_config.json`` is not a trained checkpoint and returns ``False``. ``through_init=False``
    asks about the folder's own training only."""
    root = Path(__file__).resolve().parents[2]
    current, visited = Path(folder), set()
    config = saved_info(current).get("train_config")
    if not config:
        return False
    while True:
        if _trained_on_speech_commands(config):
            return True
        start = config.get("init_from") if through_init else None
        if not start:
            return False
        earlier = next((c for c in (Path(start), root / start) if (c / "train_config.json").is_file()), None)
        if earlier is None:
            return True  # weights from a folder this machine lacks: unknown, so not claimed unseen
        if earlier.resolve() in visited:
            return False
        visited.add(earlier.resolve())
        config = saved_info(earlier).get("train_config") or {}


def chapter5_folders(artifacts_dir: str | Path) -> dict[str, Path]:
    """The folders of the models chapter 5 passed on for this run, under the names chapters 6-8 give them:
    each zoo model's, and the best model's as ``"<name> (best)"`` (the release checkpoint or chapter 5's
    own), from the run's ``models.json`` (chapter 6 reads their recorded recipes); a clear error naming
    chapter 5 when it is missing."""
    manifest_file = Path(artifacts_dir) / "models.json"
    if not manifest_file.is_file():
        raise DataError(f"{manifest_file} not found: run chapter 5 (05_training) for this dataset and profile first.")
    manifest = json.loads(manifest_file.read_text())
    from .models import BEST_MODEL

    return {**{name: Path(path) for name, path in manifest["zoo"].items()},
            f"{BEST_MODEL} (best)": Path(manifest["best"])}


def load_chapter5_models(artifacts_dir: str | Path, *, seeds: Sequence[str] | None = None
                         ) -> tuple[dict[str, Denoiser], str, str]:
    """The models chapter 5 saved for this run: ``({name: model}, best_name, best_source)``; the best
    model appears as ``"<name> (best)"`` (chapters 6-8, the CLI). With ``seeds`` only the best model and
    the zoo models of those names (on either loss, e.g. ``"report_cae"`` also finds
    ``"report_cae (SI-SDR loss)"``) are loaded: each model takes about a second to load. A missing
    manifest is a clear error naming chapter 5."""
    manifest_file = Path(artifacts_dir) / "models.json"
    if not manifest_file.is_file():
        raise DataError(f"{manifest_file} not found: run chapter 5 (05_training) for this dataset and profile first.")
    manifest = json.loads(manifest_file.read_text())
    from . import models

    unknown = sorted(set(seeds or ()) - set(models.ZOO))
    if unknown:
        raise ParameterError(f"seeds={unknown}: not models of the zoo; choose from {', '.join(models.ZOO)}.")
    wanted = {name: path for name, path in manifest["zoo"].items() if seeds is None or name.split(" (")[0] in seeds}
    loaded = {name: load_denoiser(path)[0] for name, path in wanted.items()}
    best_name = f"{models.BEST_MODEL} (best)"
    loaded[best_name] = load_denoiser(manifest["best"])[0]
    return loaded, best_name, manifest.get("best_source", manifest["best"])
