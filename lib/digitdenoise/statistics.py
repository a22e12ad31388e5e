"""Confidence intervals and tests: the statistics behind every number the book prints (chapters 2, 6 and 7).

Every mean the book prints comes with a 95% confidence interval and the number of observations
behind it: a Student-t interval for independent values (:func:`mean_ci`, :func:`group_summary`,
chapter 2) and a percentile bootstrap (:func:`bootstrap_ci`, chapter 6). Chapter 7 adds speaker-level
resampling and tests, because clips of one speaker are not independent (:func:`speaker_bootstrap_ci`,
:func:`permutation_test`, :func:`attribute_tests`, :func:`speaker_group_summary`, :func:`association`,
:func:`paired_gap`, :func:`within_speaker_spread_test`).

Only numbers and tables go in and out: running and scoring the denoisers is :mod:`evaluation`'s job,
and :mod:`evaluation` re-exports these names so ``evaluation.mean_ci`` and the like keep working.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .config import check_number
from .errors import ParameterError


# ---------------------------------------------------------------- chapter 2: independent values
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


# ---------------------------------------------------------------- chapter 6: the bootstrap
def bootstrap_ci(values, *, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Mean and percentile bootstrap confidence interval ``(mean, low, high)`` of independent values,
    NaNs dropped (chapter 6). Fewer than two values give a NaN interval."""
    check_number("n_boot", n_boot, minimum=100, integer=True)
    check_number("level", level, minimum=0.5, maximum=0.999)
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    if x.size < 2:
        return float(x.mean()), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(x.mean()), float(lo), float(hi)


# ---------------------------------------------------------------- chapter 7: speaker-level statistics
def _speaker_table(per_clip: pd.DataFrame, value: str, speaker: str, group: str | None = None) -> pd.DataFrame:
    for col in [value, speaker] + ([group] if group else []):
        if col not in per_clip.columns:
            raise ParameterError(f"column {col!r} not in the table; columns are {list(per_clip.columns)}.")
    df = per_clip.dropna(subset=[value] + ([group] if group else []))
    agg = df.groupby(speaker, observed=True)[value].agg(["mean", "size"]).rename(columns={"size": "clips"})
    if group:
        groups = df.groupby(speaker, observed=True)[group].nunique()
        mixed = groups[groups > 1].index.tolist()
        if mixed:
            raise ParameterError(f"{group!r} varies within speaker(s) {mixed[:5]}; a speaker-level test needs one "
                                 "value per speaker (use a clip-level factor such as digit differently).")
        agg[group] = df.groupby(speaker, observed=True)[group].first()
    return agg


def speaker_bootstrap_ci(per_clip: pd.DataFrame, value: str, *, speaker: str = "speaker", n_boot: int = 2000,
                         level: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Mean of per-speaker means of ``value`` with a percentile bootstrap CI that resamples *speakers*,
    not clips (chapter 7): clips of one speaker share a voice, a microphone and a room, so they are not
    independent, and a clip-level interval would be far too narrow. With one speaker the interval is NaN.
    Returns ``mean``, ``ci_low``, ``ci_high``, ``speakers``, ``clips``."""
    check_number("n_boot", n_boot, minimum=100, integer=True)
    table = _speaker_table(per_clip, value, speaker)
    means = table["mean"].to_numpy(np.float64)
    out = {"mean": float(means.mean()) if means.size else float("nan"), "ci_low": float("nan"),
           "ci_high": float("nan"), "speakers": int(means.size), "clips": int(table["clips"].sum())}
    if means.size >= 2:
        rng = np.random.default_rng(seed)
        boots = means[rng.integers(0, means.size, size=(n_boot, means.size))].mean(axis=1)
        out["ci_low"], out["ci_high"] = (float(q) for q in np.quantile(boots, [(1 - level) / 2, (1 + level) / 2]))
    return out


def _between_share(values: np.ndarray, labels: np.ndarray) -> float:
    """Eta squared: the share of the variance of ``values`` explained by the group ``labels``."""
    total = np.sum((values - values.mean()) ** 2)
    if total == 0:
        return 0.0
    between = sum(values[labels == g].size * (values[labels == g].mean() - values.mean()) ** 2 for g in np.unique(labels))
    return float(between / total)


def permutation_test(per_clip: pd.DataFrame, value: str, group: str, *, speaker: str = "speaker", n_perm: int = 5000,
                     seed: int = 0) -> dict[str, Any]:
    """Speaker-level permutation test of whether ``group`` (a speaker attribute) explains ``value``
    (chapter 7).

    Each speaker contributes one number, the mean of its clips; the attribute labels are shuffled across
    speakers ``n_perm`` times. The statistic is eta squared, the share of between-speaker variance the
    groups explain (for two groups this orders permutations exactly as the difference of means does).
    Returns the p-value ``(1 + #{perm >= observed}) / (1 + n_perm)``, eta squared, the difference between
    the largest and smallest group mean (dB, the effect size a reader can picture) and the counts.
    """
    check_number("n_perm", n_perm, minimum=99, integer=True)
    table = _speaker_table(per_clip, value, speaker, group)
    values, labels = table["mean"].to_numpy(np.float64), table[group].astype(str).to_numpy()
    n_groups = len(np.unique(labels))
    result = {"speakers": int(values.size), "groups": n_groups, "clips": int(table["clips"].sum())}
    if n_groups < 2 or values.size < 3:
        return {**result, "eta_squared": float("nan"), "range_db": float("nan"), "p_value": float("nan")}
    observed = _between_share(values, labels)
    rng = np.random.default_rng(seed)
    perms = np.array([_between_share(values, rng.permutation(labels)) for _ in range(n_perm)])
    group_means = pd.Series(values).groupby(labels).mean()
    return {**result, "eta_squared": observed, "range_db": float(group_means.max() - group_means.min()),
            "p_value": float((1 + np.sum(perms >= observed - 1e-12)) / (1 + n_perm))}


def attribute_tests(per_clip: pd.DataFrame, attributes: Sequence[str], value: str, *, speaker: str = "speaker",
                    min_speakers: int = 3, n_perm: int = 5000, alpha: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """One speaker-level :func:`permutation_test` per attribute, with Holm's correction for testing several
    attributes at once (chapter 7). Groups with fewer than ``min_speakers`` speakers are left out of the
    test (they are flagged in the figures, not ranked); an attribute with fewer than two such groups is
    reported as untestable, with the reason."""
    from statsmodels.stats.multitest import multipletests

    rows = []
    for attribute in attributes:
        table = _speaker_table(per_clip, value, speaker, attribute)
        sizes = table[attribute].astype(str).value_counts()
        kept = sizes[sizes >= min_speakers].index
        usable = per_clip[per_clip[attribute].astype(str).isin(kept)]
        row = {"attribute": attribute, "groups tested": len(kept), "groups too small": int((sizes < min_speakers).sum())}
        if len(kept) < 2:
            row.update(speakers=int(sizes[kept].sum()), eta_squared=np.nan, range_db=np.nan, p_value=np.nan,
                       note=f"untestable: fewer than two groups with at least {min_speakers} speakers")
        else:
            res = permutation_test(usable, value, attribute, speaker=speaker, n_perm=n_perm, seed=seed)
            row.update(speakers=res["speakers"], eta_squared=res["eta_squared"], range_db=res["range_db"],
                       p_value=res["p_value"], note="")
        rows.append(row)
    out = pd.DataFrame(rows)
    testable = out["p_value"].notna()
    out["p_holm"] = np.nan
    out["significant"] = False
    if testable.any():
        reject, adjusted, _, _ = multipletests(out.loc[testable, "p_value"], alpha=alpha, method="holm")
        out.loc[testable, "p_holm"] = adjusted
        out.loc[testable, "significant"] = reject
    return out


def speaker_group_summary(per_clip: pd.DataFrame, by: str | Sequence[str], value: str, *, speaker: str = "speaker",
                          min_speakers: int = 3, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per group of ``by``: speakers, clips, the mean of speaker means and a speaker-bootstrap 95% CI, and
    ``flagged`` where the group has fewer than ``min_speakers`` speakers (chapter 7). A group with a single
    speaker falls back to a clip-level bootstrap, marked in ``ci_over``."""
    by = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, g in per_clip.dropna(subset=[value]).groupby(by, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        res = speaker_bootstrap_ci(g, value, speaker=speaker, n_boot=n_boot, seed=seed)
        ci_over = "speakers"
        if res["speakers"] < 2:
            _, res["ci_low"], res["ci_high"] = bootstrap_ci(g[value], n_boot=n_boot, seed=seed)
            ci_over = "clips"
        rows.append((*key, res["speakers"], res["clips"], res["mean"], res["ci_low"], res["ci_high"], ci_over,
                     res["speakers"] < min_speakers))
    return pd.DataFrame(rows, columns=[*by, "speakers", "clips", "mean", "ci_low", "ci_high", "ci_over", "flagged"])


def association(table: pd.DataFrame, a: str, b: str) -> tuple[pd.DataFrame, float]:
    """Cross-tabulation of two speaker attributes and Cramér's V (0: independent, 1: one determines the
    other) — chapter 7's measure of how tangled two attributes are (chapter 1 shows the tables)."""
    from scipy.stats.contingency import association as _association

    counts = pd.crosstab(table[a], table[b])
    if min(counts.shape) < 2:
        return counts, float("nan")
    return counts, float(_association(counts.to_numpy(), method="cramer"))


def paired_gap(per_clip: pd.DataFrame, value: str, high, low, *, by: str = "digit", speaker: str = "speaker",
               n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float, str]:
    """Mean of ``value`` for ``by == high`` minus ``by == low``, paired within speakers, with a 95% bootstrap
    interval (chapter 7): ``(gap, low, high, what was resampled)``. With two or more speakers that have both
    levels, each speaker contributes one difference and speakers are resampled, so each pair stays
    together; with one speaker its clips are resampled within each level; with one clip per level the
    interval is NaN."""
    check_number("n_boot", n_boot, minimum=100, integer=True)
    for column in (value, by, speaker):
        if column not in per_clip.columns:
            raise ParameterError(f"column {column!r} not in the table; columns are {list(per_clip.columns)}.")
    cells = per_clip.groupby([speaker, by])[value].mean().unstack(by)
    missing = [level for level in (high, low) if level not in cells.columns]
    if missing:
        raise ParameterError(f"{by} {missing} not in the table; it has {sorted(cells.columns)}.")
    cells = cells[[high, low]].dropna()
    if len(cells) >= 2:
        return (*bootstrap_ci(cells[high] - cells[low], n_boot=n_boot, seed=seed), "speakers")
    a, b = (per_clip.loc[per_clip[by] == level, value].dropna().to_numpy(np.float64) for level in (high, low))
    if min(a.size, b.size) < 2:
        return float(a.mean() - b.mean()), float("nan"), float("nan"), "nothing (one clip per level)"
    rng = np.random.default_rng(seed)
    boot = (a[rng.integers(0, a.size, (n_boot, a.size))].mean(axis=1)
            - b[rng.integers(0, b.size, (n_boot, b.size))].mean(axis=1))
    low_q, high_q = np.quantile(boot, [0.025, 0.975])
    return float(a.mean() - b.mean()), float(low_q), float(high_q), "clips"


def within_speaker_spread_test(per_clip: pd.DataFrame, value: str, *, by: str = "digit", speaker: str = "speaker",
                               n_perm: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Spread (largest minus smallest) of the means of ``value`` per level of ``by`` (each a mean of speaker
    means) and its permutation p-value when the ``by`` labels are shuffled among each speaker's own clips
    (chapter 7). Shuffling within speakers keeps every speaker's voice in every level, and taking the
    spread of all levels accounts for picking the best and worst level after looking. The p-value is NaN
    where shuffling cannot change the spread."""
    check_number("n_perm", n_perm, minimum=99, integer=True)
    df = per_clip.dropna(subset=[value])
    x, spk = df[value].to_numpy(np.float64), pd.factorize(df[speaker])[0]
    level = pd.factorize(df[by])[0]
    if x.size == 0:
        raise ParameterError(f"no finite values of {value!r} to test.")
    n_s, n_l = spk.max() + 1, level.max() + 1

    def spread(labels):
        cell = spk * n_l + labels
        n = np.bincount(cell, minlength=n_s * n_l).reshape(n_s, n_l)
        total = np.bincount(cell, weights=x, minlength=n_s * n_l).reshape(n_s, n_l)
        with np.errstate(invalid="ignore"):
            means = np.nanmean(np.where(n > 0, total / np.maximum(n, 1), np.nan), axis=0)
        return float(means.max() - means.min())

    observed = spread(level)
    if n_l < 2 or (n_s == 1 and np.bincount(level).max() < 2):
        return observed, float("nan")
    rng = np.random.default_rng(seed)
    rows = [np.flatnonzero(spk == s) for s in range(n_s)]
    hits = 0
    for _ in range(n_perm):
        shuffled = level.copy()
        for r in rows:
            shuffled[r] = rng.permutation(level[r])
        hits += spread(shuffled) >= observed - 1e-12
    return observed, (1 + hits) / (1 + n_perm)
