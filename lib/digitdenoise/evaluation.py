"""Summaries with uncertainty (chapters 2, 6 and 7).

Every mean the book prints comes with a 95% confidence interval and the number of observations
behind it. Chapter 7 adds speaker-level resampling, because clips of one speaker are not independent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .config import check_number
from .errors import ParameterError


def mean_ci(values, *, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval ``(mean, low, high)`` of independent values (chapter 2).
    With fewer than two values the interval is undefined (NaN)."""
    check_number("level", level, minimum=0.5, maximum=0.999)
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise ParameterError("mean_ci needs at least one finite value.")
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return mean, mean - half, mean + half


def group_summary(df: pd.DataFrame, by: str | list[str], value: str, *, level: float = 0.95) -> pd.DataFrame:
    """Per group: ``n``, ``mean``, ``ci_low``, ``ci_high``, ``min``, ``max`` of column ``value``
    (chapter 2: SNR by digit and speaker; later chapters: improvements)."""
    if value not in df.columns:
        raise ParameterError(f"column {value!r} not in the table; columns are {list(df.columns)}.")
    rows = []
    for key, group in df.groupby(by, sort=True, observed=True):
        mean, lo, hi = mean_ci(group[value], level=level)
        key = key if isinstance(key, tuple) else (key,)
        rows.append((*key, len(group), mean, lo, hi, float(group[value].min()), float(group[value].max())))
    names = [by] if isinstance(by, str) else list(by)
    return pd.DataFrame(rows, columns=[*names, "n", "mean", "ci_low", "ci_high", "min", "max"])


def eval_mixtures(clean: np.ndarray, lengths: np.ndarray, source, kind: str, snr_db: float, *, seed: int = 0
                  ) -> np.ndarray:
    """Noisy versions of fixed-length clean clips for evaluation (chapters 5 and 6).

    The noise fills the whole window (so a model never sees unnaturally silent padding), and it is
    scaled so that the SNR over each clip's real length, ``clean[:length]``, is exactly ``snr_db``.
    Draws depend on ``seed``, the clip's position and ``kind`` only: every method gets the same noise.
    """
    from .noise import snr_gain

    clean = np.asarray(clean, np.float32)
    out = np.empty_like(clean)
    for i, (c, n) in enumerate(zip(clean, lengths)):
        rng = np.random.default_rng([seed, i, sum(map(ord, kind))])
        noise = source.draw(kind, c.size, rng)
        out[i] = c + snr_gain(c[:n], noise[:n], snr_db) * noise
    return out


def si_sdr_table(clean: np.ndarray, noisy: np.ndarray, estimate: np.ndarray, lengths: np.ndarray) -> pd.DataFrame:
    """Per-clip SI-SDR of the noisy input and of an estimate, over each clip's real length, and the
    improvement (chapters 5 and 6)."""
    from .metrics import si_sdr_db

    rows = []
    for c, x, e, n in zip(clean, noisy, estimate, lengths):
        before, after = si_sdr_db(c[:n], x[:n]), si_sdr_db(c[:n], e[:n])
        rows.append({"si_sdr_in": before, "si_sdr_out": after, "si_sdr_improvement": after - before})
    return pd.DataFrame(rows)
