"""Variants of the small model, each fine-tuned from the committed causal ``small_tcn`` and scored against it
on the generalisation benchmark's mixtures (chapter 9: "How much is the future worth, and how much the detail?").

Each recorded run (``make small-variants``) is a ``bench/generalisation.py`` JSON whose model is the variant
and whose previous model is the causal small model it started from, so both were scored on the same
mixtures. A variant's *gain* is its mean SI-SDR improvement on the unseen noises minus the causal model's.
Fine-tuning is itself more training, so one run, the *control*, fine-tunes the causal model the same way
without changing it; an option's own worth is a variant's gain minus the control's.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import pandas as pd

from . import generalisation
from .errors import DataError

# small_tcn's options that change the network; lookahead=2 with nothing else is the causal model itself
CAUSAL = {"lookahead": 2, "centred": 0, "refine": 0}

COLUMNS = ["file", "label", "control", "centred", "refine", "teacher", "lookahead_frames", "latency_ms", "unseen_db",
           "causal_db", "gain_db", "train_minutes", "epochs", "date"]


def variant_label(network: dict, teacher: str | None = None) -> str:
    """A short name for a ``small_tcn`` variant from its builder options (chapter 9): the options that
    differ from the causal model's, or ``"control"`` when none do; ``"distilled"`` (after the options, if
    any) when it was also trained towards a ``teacher``'s output."""
    changed = {k: v for k, v in network.items() if CAUSAL.get(k) != v}
    if changed.get("lookahead") == 0 and changed.get("centred"):
        changed.pop("lookahead")  # centred variants drop the input shift: part of being centred
    options = " ".join(f"{k}={v}" for k, v in sorted(changed.items()))
    if teacher:
        return f"{options} distilled".strip()
    return options or "control"


def variant_runs(files: Sequence[str | Path], cfg, *, snr_db: float = 0.0) -> pd.DataFrame:
    """One row per recorded variant run in ``files`` (chapter 9), in their order; files not recorded
    yet are skipped. Look-ahead and latency are worked out live from the variant's layers
    (:func:`~digitdenoise.streaming.time_reach`, :class:`~digitdenoise.streaming.StreamingDenoiser`) at
    feature configuration ``cfg``; the scores are the recorded mean SI-SDR improvements on the unseen
    noises at ``snr_db`` (:func:`~digitdenoise.generalisation.unseen_noise_means`): ``unseen_db`` the
    variant's, ``causal_db`` the causal model's on the same mixtures, ``gain_db`` their difference."""
    from . import models, streaming

    rows = []
    for file in files:
        if not Path(file).is_file():
            continue
        run = generalisation.load_recorded(str(file))
        model = run.raw.get("model", {})
        if model.get("name") != "small_tcn" or "previous release model" not in run.summary["method"].values:
            raise DataError(f"{file} is not a small-model variant run (a small_tcn scored with --previous "
                            "pointing at the causal model): record it with `make small-variants`.")
        train_config = model.get("train_config", {})
        network = train_config.get("network") or {}
        variant = models.build_denoiser("small_tcn", cfg, **network)
        reach = streaming.time_reach(variant.network)
        means = generalisation.unseen_noise_means(run, snr_db=snr_db)
        label = variant_label(network, train_config.get("teacher"))
        rows.append({"file": str(file), "label": label, "control": label == "control",
                     "centred": int(network.get("centred", 0)), "refine": int(network.get("refine", 0)),
                     "teacher": train_config.get("teacher") or "",
                     "lookahead_frames": reach.lookahead,
                     "latency_ms": streaming.StreamingDenoiser(variant, block_frames=reach.grid).latency_ms,
                     "unseen_db": float(means["release model"]), "causal_db": float(means["previous release model"]),
                     "gain_db": float(means["release model"] - means["previous release model"]),
                     "train_minutes": float(model.get("train_seconds", float("nan"))) / 60,
                     "epochs": model.get("epochs_trained") or _epochs_of(model),
                     "date": str(run.raw.get("date", ""))[:10]})
    return pd.DataFrame(rows, columns=COLUMNS)


def _epochs_of(model: dict) -> int | None:
    """Epochs a recorded run trained (for runs recorded before the benchmark wrote ``epochs_trained``): its
    ``epochs`` setting where that, not the time budget, ended it, else unknown."""
    if model.get("stopped") == "epochs":
        return int(model.get("train_config", {}).get("epochs"))
    return None


def own_worth(runs: pd.DataFrame) -> pd.Series:
    """Each variant's gain minus the control's (chapter 9): what its option bought beyond the extra
    training, indexed by label; empty without a control run."""
    control = runs[runs["control"]]
    if control.empty:
        return pd.Series(dtype=float, name="own_worth_db")
    variants = runs[~runs["control"]]
    return (variants.set_index("label")["gain_db"] - float(control["gain_db"].iloc[0])).rename("own_worth_db")


def bottleneck_width(network) -> dict[str, int]:
    """How many numbers describe one frame where ``small_tcn`` looks along time (chapter 9): its bands and
    channels at the encoder's output, and their product, the features of its temporal blocks."""
    for layer in network.layers:
        if type(layer).__name__ == "Reshape" and len(layer.output.shape) == 3:  # (batch, frames, features)
            before = layer.input.shape  # (batch, frames, bands, channels)
            return {"bands": int(before[2]), "channels": int(before[3]), "features": int(layer.output.shape[-1])}
    raise DataError(f"{network.name} has no per-frame feature vector (not a small_tcn?).")


def made_as(model_dir: str | Path) -> str | None:
    """The variant label of the recipe that fine-tuned the saved ``small_tcn`` in ``model_dir`` (chapter 9):
    ``"control"`` for a plain fine-tune, ``"distilled"`` with a teacher, ``"centred=5"`` and so on; None for
    a model trained from scratch or a folder without a ``train_config.json``."""
    from .training import saved_info

    config = saved_info(model_dir).get("train_config") or {}
    if not config.get("init_from"):
        return None
    return variant_label(config.get("network") or {}, config.get("teacher"))


def teacher_weight(runs: pd.DataFrame) -> float | None:
    """The teacher weight of the first distilled run in ``runs`` (chapter 9), read from its recorded
    configuration; None without one."""
    for file in runs.loc[runs["teacher"] != "", "file"]:
        config = json.loads(Path(file).read_text())["model"].get("train_config") or {}
        return float(config["teacher_weight"])  # recorded with every teacher (TrainConfig.to_dict)
    return None


def per_noise_against_control(runs: pd.DataFrame, label: str, *, snr_db: float = 0.0) -> pd.Series:
    """Variant ``label``'s mean SI-SDR improvement minus the control's on each unseen noise recording
    (chapter 9), speechocean762 test speakers at ``snr_db``, weighted by clips like
    :func:`~digitdenoise.generalisation.unseen_noise_means`; sorted from the largest loss to the largest
    gain. A mean near zero can hide gains on some recordings and losses on others: this shows which."""
    control = runs[runs["control"]]
    chosen = runs[runs["label"] == label]
    if control.empty or chosen.empty:
        raise DataError(f"need both the control run and the {label!r} run to compare them noise by noise.")

    def per_noise(file):  # the variant is the run's --model-dir, "release model" in its tables
        t = generalisation.unseen_noise_cells(generalisation.load_recorded(file), snr_db=snr_db)
        t = t[t["method"] == "release model"]
        return (t["si_sdri"] * t["clips"]).groupby(t["noise"]).sum() / t.groupby("noise")["clips"].sum()

    return (per_noise(chosen["file"].iloc[0]) - per_noise(control["file"].iloc[0])).sort_values().rename("vs_control_db")
