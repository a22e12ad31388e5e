"""Leave one speaker out: every FSDD speaker a test speaker (chapter 7).

FSDD has six speakers. The release split holds out one (``nicolas``), so chapter 6 can say how the model
does on one voice it never heard. To ask *who* benefits, each of the six must be a test speaker of a
model that never heard it: six folds, each trained by the same cheaper recipe (:data:`FOLD_RECIPE`, the
FSDD recipe of chapter 5 from random weights for three epochs), validated on the next speaker
in alphabetical order and tested on its own held-out speaker under chapter 6's noise conditions.

``make folds`` (``bench/folds.py``) trains the folds (resumable), scores them and records the fold plan,
budgets, training curves and the summaries of :func:`summarise` in ``bench/results/folds.json``; the book
loads that file instead of retraining.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "bench" / "results" / "folds.json"

#: One recipe for every fold (stated in chapter 7): the FSDD recipe of chapter 5 from random weights,
#: three epochs of 2,000 training pairs, the best epoch on the fold's validation speaker kept. A fixed
#: number of epochs, not a time budget, so every fold gets the same training whatever else the machine
#: is doing.
FOLD_RECIPE: dict[str, Any] = {"model": "mask_unet", "epochs": 3, "clips_per_epoch": 2000, "patience": 4,
                               "lr_patience": 2, "seed": 0}


def fold_plan(speakers: Sequence[str]) -> list[dict[str, Any]]:
    """One fold per speaker (chapter 7): ``test`` is the speaker, ``validation`` the next speaker in
    alphabetical order (wrapping round), ``train`` the rest. Every speaker is a test speaker exactly once
    and no fold trains or validates on its test speaker."""
    names = sorted(set(map(str, speakers)))
    if len(names) < 3:
        raise ParameterError(f"leave-one-speaker-out folds need at least 3 speakers, got {names}.")
    plan = []
    for i, test in enumerate(names):
        validation = names[(i + 1) % len(names)]
        plan.append({"test": test, "validation": validation,
                     "train": [s for s in names if s not in (test, validation)]})
    return plan


def train_command(fold: dict[str, Any], out_dir: str | Path, *, recipe: dict[str, Any] | None = None) -> list[str]:
    """The ``digitdenoise train`` arguments that train ``fold`` into ``out_dir`` (chapter 7); rerunning the
    command resumes from the checkpoint there."""
    r = {**FOLD_RECIPE, **(recipe or {})}
    return ["train", "--dataset", "fsdd", "--model", r["model"], "--epochs", str(r["epochs"]),
            "--clips-per-epoch", str(r["clips_per_epoch"]), "--patience", str(r["patience"]),
            "--lr-patience", str(r["lr_patience"]), "--seed", str(r["seed"]), "--test-speakers", fold["test"],
            "--validation-speakers", fold["validation"], "--out", str(out_dir)]


def evaluate_fold(model, fold: dict[str, Any], data_home=None, *, snr_db: float = -8.0, clips_per_digit: int = 10,
                  seed: int = 0, pesq: bool = True) -> pd.DataFrame:
    """Per-clip scores of one fold's model on its held-out speaker (chapter 7): ``clips_per_digit`` clips
    of each digit, mixed at ``snr_db`` with every noise condition of chapter 6 (babble from the fold's
    training speakers), each scored for the model and for the oracle IRM on the same mixture. Columns:
    ``fold``, ``clip_id``, ``speaker``, ``digit``, ``noise``, ``snr_db``, ``method`` and the metrics of
    :func:`~digitdenoise.evaluation.score_clips` plus ESTOI and its improvement."""
    from . import baselines, evaluation, metrics, training

    ts = evaluation.build_test_set("fsdd", data_home, seed=seed, test_speakers=[fold["test"]],
                                   validation_speakers=[fold["validation"]])
    index = np.asarray(_per_digit(ts.clips, clips_per_digit, seed), dtype=int)
    clips = ts.clips.iloc[index].reset_index(drop=True)
    clean, lengths, sr = ts.clean[index], ts.lengths[index], ts.cfg.sample_rate
    tables = []
    for condition in ts.conditions:
        noisy = ts.noisy(condition, snr_db, index)
        estimates = {"fold model": training.denoise_batch(model, noisy),
                     "oracle IRM": baselines.ideal_ratio_mask(clean, noisy, ts.cfg)}
        for method, estimate in estimates.items():
            scores = evaluation.score_clips(clean, estimate, noisy, lengths, sr, pesq=pesq)
            # ESTOI needs 0.5 s: shorter clips are scored over the first 0.55 s of their window (the frames
            # where the clean clip is silent are dropped by ESTOI itself)
            spans = np.minimum(np.maximum(lengths, int(0.55 * sr)), clean.shape[1])
            with warnings.catch_warnings():  # pystoi warns (and scores 1e-5) where too few frames have speech
                warnings.simplefilter("ignore", RuntimeWarning)
                scores["estoi"] = [metrics.estoi_score(c[:n], e[:n], sr) for c, e, n in zip(clean, estimate, spans)]
                scores["estoi_in"] = [metrics.estoi_score(c[:n], x[:n], sr) for c, x, n in zip(clean, noisy, spans)]
            scores["estoi_improvement"] = scores["estoi"] - scores["estoi_in"]
            labels = clips[["clip_id", "speaker", "digit"]].assign(fold=fold["test"], noise=condition,
                                                                    snr_db=snr_db, method=method)
            tables.append(pd.concat([labels, scores], axis=1))
    return pd.concat(tables, ignore_index=True)


def _per_digit(clips: pd.DataFrame, per_digit: int, seed: int) -> list[int]:
    """Row positions of ``per_digit`` clips of each digit (a fixed draw)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _, group in clips.groupby("digit", sort=True):
        positions = np.flatnonzero(clips.index.isin(group.index))
        rows += sorted(rng.choice(positions, size=min(per_digit, len(positions)), replace=False).tolist())
    return rows


def summarise(per_clip: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """What chapter 7 shows of the folds, from :func:`evaluate_fold`'s per-clip rows: ``per_speaker`` (per
    test speaker: the fold model's mean SI-SDR improvement with a bootstrap interval over its clips, each
    clip averaged over the noise types; the oracle IRM's mean; the model's share of it; mean PESQ and ESTOI
    improvements) and ``per_noise`` (per speaker, noise and method: mean SI-SDR improvement)."""
    from .statistics import bootstrap_ci

    missing = {"fold", "clip_id", "noise", "method", "si_sdr_improvement", "pesq_improvement",
               "estoi_improvement"} - set(per_clip.columns)
    if missing:
        raise DataError(f"the per-clip fold table lacks columns {sorted(missing)}; score the folds again.")
    model = per_clip[per_clip["method"] == "fold model"]
    irm = per_clip[per_clip["method"] == "oracle IRM"]
    rows = []
    for fold, mine in model.groupby("fold", sort=True):
        mean, lo, hi = bootstrap_ci(mine.groupby("clip_id")["si_sdr_improvement"].mean().to_numpy(),
                                    n_boot=n_boot, seed=seed)
        oracle = float(irm.loc[irm["fold"] == fold, "si_sdr_improvement"].mean())
        rows.append({"speaker": fold, "clips": int(mine["clip_id"].nunique()), "si_sdri": round(mean, 3),
                     "si_sdri_lo": round(lo, 3), "si_sdri_hi": round(hi, 3), "irm_si_sdri": round(oracle, 3),
                     "share_of_irm": round(mean / oracle, 4),
                     "pesqi": round(float(mine["pesq_improvement"].mean()), 4),
                     "estoii": round(float(mine["estoi_improvement"].mean()), 4)})
    grid = (per_clip.groupby(["fold", "noise", "method"])["si_sdr_improvement"].mean().round(3).reset_index()
            .rename(columns={"fold": "speaker", "si_sdr_improvement": "si_sdri"}))
    return {"per_speaker": rows, "per_noise": grid.to_dict("records")}


def load_recorded(path: str | Path = RECORDED) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """The recorded folds (chapter 7): ``(raw, per_speaker, per_noise)`` from ``bench/results/folds.json``
    (see :func:`summarise`), with a clear error naming ``make folds`` when it is missing or incomplete."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} is missing: run `make folds` to train the leave-one-speaker-out folds and "
                        "record their results.")
    raw = json.loads(path.read_text())
    if not {"folds", "per_speaker", "per_noise"} <= set(raw):
        raise DataError(f"{path} lacks the fold summaries (folds, per_speaker, per_noise); rerun `make folds`.")
    return raw, pd.DataFrame(raw["per_speaker"]).set_index("speaker"), pd.DataFrame(raw["per_noise"])
