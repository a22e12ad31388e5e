"""Every speaker a test speaker, and what a speaker-level test can find (chapter 7).

Three pieces, all used by chapter 7:

* **the population**: speechocean762's test speakers (children, teenagers and adults of both genders,
  never trained or tuned on) read at the model's rate, each utterance mixed with *one* noise excerpt
  drawn from the utterance's own id and the seed, so every method and every rerun hears the same mixture
  (:func:`select_population`, :func:`population_noises`, :func:`population_mixtures`,
  :func:`score_population`); the tests over speaker groups are :mod:`statistics`'s, with Holm's
  correction applied over the whole family of tests (:func:`population_tests`) and an effect size with
  an interval for two-group attributes (:func:`group_difference`);
* **power**: the smallest difference between groups that the speaker-level permutation test finds
  with 80% probability at a run's group sizes and between-speaker spread, by simulation
  (:func:`permutation_power`, :func:`minimum_detectable_difference`, :func:`power_table`);
* **the report's mistake**: on real speaker metadata, per-clip values with speaker random effects and no
  attribute effect at all, tested once clip by clip and once speaker by speaker
  (:func:`clip_versus_speaker_false_positives`).
"""

from __future__ import annotations

import zlib
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .config import check_choice, check_number
from .errors import DataError, ParameterError

METRICS = ("si_sdr_improvement", "pesq_improvement", "estoi_improvement")
METRIC_LABELS = {"si_sdr_improvement": "SI-SDR (dB)", "pesq_improvement": "PESQ", "estoi_improvement": "ESTOI"}
KINDS = ("digits", "sentence")
POPULATION_NOISES = ("hu-test", "white", "pink")
MAX_SECONDS = 4.0  # sentences are cut to this, as in the generalisation benchmark (chapter 6)
ATTRIBUTES = ("gender", "age group")


# ---------------------------------------------------------------- the population
def select_population(utterances: pd.DataFrame, *, per_speaker: int | None = 4, max_speakers: int | None = None,
                      seed: int = 0) -> pd.DataFrame:
    """Chapter 7's population from a speechocean762 utterance table (``load_utterances``, test split):
    at most ``per_speaker`` utterances of each kind (digit strings, sentences) per speaker, drawn with
    ``seed``, and at most ``max_speakers`` speakers, taken in turn from each (gender, reads digit strings)
    stratum so that a small run still has both genders and some digit strings. Adds ``gender`` as
    ``female``/``male`` and ``age group``; rows without gender or age are dropped (counted in
    ``attrs["dropped"]``)."""
    for column in ("utt", "speaker", "kind", "gender", "age_group"):
        if column not in utterances.columns:
            raise ParameterError(f"the utterance table has no {column!r} column; "
                                 "pass speechocean762.load_utterances().")
    if per_speaker is not None:
        check_number("per_speaker", per_speaker, minimum=1, integer=True)
    table = utterances.dropna(subset=["gender", "age_group"])
    dropped = len(utterances) - len(table)
    if table.empty:
        raise DataError("no utterance has both a gender and an age group.")
    speakers = table.groupby("speaker").agg(gender=("gender", "first"),
                                            digits=("kind", lambda k: bool((k == "digits").any())))
    if max_speakers is not None and len(speakers) > check_number("max_speakers", max_speakers, minimum=2, integer=True):
        order = speakers.sample(frac=1.0, random_state=seed)
        order = order.assign(_rank=order.groupby(["gender", "digits"]).cumcount()).sort_values("_rank", kind="stable")
        table = table[table["speaker"].isin(order.index[:max_speakers])]
    if per_speaker is not None:
        table = (table.sample(frac=1.0, random_state=seed).groupby(["speaker", "kind"], group_keys=False)
                 .head(per_speaker))
    out = table.sort_values(["speaker", "kind", "utt"]).reset_index(drop=True)
    out["gender"] = out["gender"].map({"f": "female", "m": "male"}).fillna(out["gender"])
    out["age group"] = out["age_group"]
    out.attrs["dropped"] = dropped
    return out


def population_noises(kind: str, sr: int, data_home=None, *, seconds: float = 30.0, seed: int = 0
                      ) -> dict[str, np.ndarray]:
    """The noise of chapter 7's population, unit RMS at ``sr``: ``hu-test`` (the 20 Hu test files, which
    no model of the book trained on; only those are fetched), or ``white`` / ``pink`` (``seconds`` of
    generated noise)."""
    from . import noise
    from .datasets import hu_nonspeech

    check_choice("population_noise", kind, POPULATION_NOISES)
    if kind == "hu-test":
        return hu_nonspeech.load("test", sr, data_home)
    rng = np.random.default_rng([seed, 7])
    return {kind: noise.coloured_noise(kind, int(seconds * sr), rng)}


def utterance_rng(seed: int, utt: str) -> np.random.Generator:
    """The random stream of one utterance's noise draw: it depends on the seed and the utterance id only,
    not on which other utterances a run includes (chapter 7)."""
    return np.random.default_rng([int(seed), zlib.crc32(str(utt).encode())])


def population_mixtures(table: pd.DataFrame, signals: Sequence[np.ndarray], noises: dict[str, np.ndarray], *,
                        snr_db: float, sr: int, seed: int = 0, max_seconds: float | None = MAX_SECONDS):
    """One mixture per utterance (chapter 7): the utterance (a sentence cut to ``max_seconds``) plus one
    excerpt of one noise, both drawn by :func:`utterance_rng`, at ``snr_db`` over the whole utterance.
    Returns :class:`generalisation.Mixtures` whose table carries ``clip_id, speaker, kind, gender,
    age, age group, text, noise, snr_db``, ready for :func:`score_population`."""
    from .generalisation import Mixtures
    from .noise import excerpt, mix_at_snr

    snr_db = check_number("snr_db", snr_db, minimum=-30, maximum=30)
    if len(table) != len(signals):
        raise ParameterError(f"{len(table)} table rows for {len(signals)} signals.")
    if not noises:
        raise ParameterError("no noise to mix with.")
    names = sorted(noises)
    limit = None if max_seconds is None else int(max_seconds * sr)
    rows, clean_out, noisy_out = [], [], []
    for row, clean in zip(table.to_dict("records"), signals):
        clean = np.asarray(clean, np.float32)
        if row["kind"] == "sentence" and limit is not None:
            clean = clean[:limit]
        rng = utterance_rng(seed, row["utt"])
        name = names[int(rng.integers(len(names)))]
        noisy, _ = mix_at_snr(clean, excerpt(noises[name], clean.size, rng), snr_db)
        rows.append({**{k: row[k] for k in ("clip_id", "speaker", "kind", "gender", "age", "age group", "text")},
                     "noise": name, "snr_db": float(snr_db), "seconds": clean.size / sr})
        clean_out.append(clean)
        noisy_out.append(noisy)
    out = pd.DataFrame(rows)
    out["index"] = np.arange(len(out))
    return Mixtures(out, clean_out, noisy_out, sr)


def score_population(model, mixtures, *, name: str = "release model", guard_db: tuple[float, float] | None = None,
                     cache: bool = True, progress=None) -> pd.DataFrame:
    """Run a denoiser on every population mixture and score it (chapter 7) with the generalisation
    benchmark's code (:func:`generalisation.model_method`, with the do-no-harm guard ``guard_db`` as the
    ``denoise`` command applies it, and :func:`generalisation.run_methods`): one row per utterance with
    SI-SDR, PESQ and ESTOI of the input and the output and their improvements. With ``cache`` the scores
    are kept under ``$DIGITDENOISE_CACHE/generalisation/``, keyed by the exact mixtures, the model's
    weights and the guard, so a rerun with the same model and settings reuses them."""
    from .generalisation import model_method, run_methods

    method = model_method(name, model, guard_db=guard_db)
    per_clip, failures, _ = run_methods([method], mixtures, pesq=True, estoi=True, progress=progress, cache=cache)
    if failures:
        raise DataError(f"{name} failed on the population: {failures}")
    return per_clip


# ---------------------------------------------------------------- tests over the population
def population_tests(per_clip: pd.DataFrame, attributes: Sequence[str] = ATTRIBUTES,
                     metrics: Sequence[str] = METRICS, *, by: str = "kind", min_speakers: int = 3,
                     n_perm: int = 5000, alpha: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """Chapter 7's family of speaker-level tests: :func:`statistics.attribute_tests` for every level of
    ``by`` (digit strings, sentences) and every metric, then Holm's correction over the *whole* family
    (every attribute, metric and level tested), not only over the attributes of one call. Adds the group
    sizes of each test (``groups``, e.g. ``female 47, male 54``: the groups tested, or all groups of an
    untestable attribute)."""
    from statsmodels.stats.multitest import multipletests

    from .statistics import attribute_tests

    parts = []
    for level, part in per_clip.groupby(by, sort=True):
        for metric in metrics:
            usable = part.dropna(subset=[metric])
            if usable.empty:
                continue
            res = attribute_tests(usable, list(attributes), metric, min_speakers=min_speakers, n_perm=n_perm,
                                  alpha=alpha, seed=seed)
            sizes = []
            for a in res["attribute"]:
                counts = usable.groupby(a)["speaker"].nunique()
                tested = counts[counts >= min_speakers]
                sizes.append(", ".join(f"{g} {n}" for g, n in (tested if len(tested) >= 2 else counts).items()))
            parts.append(res.assign(**{by: level, "metric": metric, "groups": sizes}))
    if not parts:
        raise DataError("no finite values to test.")
    out = pd.concat(parts, ignore_index=True).drop(columns=["p_holm", "significant"])
    out["p_holm"], out["significant"] = np.nan, False
    testable = out["p_value"].notna()
    if testable.any():
        reject, adjusted, _, _ = multipletests(out.loc[testable, "p_value"], alpha=alpha, method="holm")
        out.loc[testable, "p_holm"], out.loc[testable, "significant"] = adjusted, reject
    out = out.rename(columns={"range_db": "range"})
    columns = [by, "metric", "attribute", "speakers", "groups", "groups tested", "groups too small", "eta_squared",
               "range", "p_value", "p_holm", "significant", "note"]
    return out[columns]


def speaker_means(per_clip: pd.DataFrame, value: str, attribute: str, *, speaker: str = "speaker") -> pd.DataFrame:
    """One row per speaker: the mean of ``value`` over its clips, its number of clips and its
    ``attribute`` (chapter 7). An attribute that varies within a speaker is refused."""
    for column in (value, attribute, speaker):
        if column not in per_clip.columns:
            raise ParameterError(f"column {column!r} not in the table; columns are {list(per_clip.columns)}.")
    df = per_clip.dropna(subset=[value, attribute])
    if (df.groupby(speaker)[attribute].nunique() > 1).any():
        raise ParameterError(f"{attribute!r} varies within speakers; it is not a speaker attribute.")
    return df.groupby(speaker).agg(mean=(value, "mean"), clips=(value, "size"), **{attribute: (attribute, "first")})


def group_difference(per_clip: pd.DataFrame, value: str, attribute: str, high, low, *, speaker: str = "speaker",
                     n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Effect size of a two-group comparison (chapter 7): the mean of speaker means of group ``high``
    minus that of ``low``, a 95% interval that resamples speakers within each group, and Cohen's d (the
    difference over the pooled standard deviation of speaker means)."""
    check_number("n_boot", n_boot, minimum=100, integer=True)
    table = speaker_means(per_clip, value, attribute, speaker=speaker)
    a = table.loc[table[attribute] == high, "mean"].to_numpy(np.float64)
    b = table.loc[table[attribute] == low, "mean"].to_numpy(np.float64)
    if a.size < 2 or b.size < 2:
        raise ParameterError(f"{attribute}: {high!r} has {a.size} and {low!r} has {b.size} speakers; "
                             "each needs at least two.")
    rng = np.random.default_rng(seed)
    boot = (a[rng.integers(0, a.size, (n_boot, a.size))].mean(axis=1)
            - b[rng.integers(0, b.size, (n_boot, b.size))].mean(axis=1))
    pooled = np.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2))
    lo, hi = np.quantile(boot, [0.025, 0.975])
    diff = float(a.mean() - b.mean())
    return {"difference": diff, "ci_low": float(lo), "ci_high": float(hi),
            "cohen_d": diff / pooled if pooled > 0 else float("nan"), "speakers_high": int(a.size),
            "speakers_low": int(b.size)}


# ---------------------------------------------------------------- power
def _group_sum_statistic(values: np.ndarray, labels: np.ndarray, n_groups: int) -> np.ndarray:
    """``sum_g S_g^2 / n_g`` for rows of ``values`` (sims, N) under each row of ``labels`` (perms, N):
    an array (sims, perms). With the group sizes fixed, as under permutation, it orders permutations
    exactly as eta squared does (eta^2 = (this - N mean^2) / total sum of squares)."""
    out = np.zeros((values.shape[0], labels.shape[0]))
    for g in range(n_groups):
        member = (labels == g).astype(np.float64)
        size = member[0].sum()
        out += (values @ member.T) ** 2 / size
    return out


def permutation_p_values(values: np.ndarray, labels: np.ndarray, *, n_perm: int = 199, seed: int = 0) -> np.ndarray:
    """Speaker-level permutation p-values of eta squared for many data sets at once (chapter 7): each
    row of ``values`` holds one value per speaker, ``labels`` the speakers' groups (shared by all rows).
    The same test as :func:`statistics.permutation_test`, vectorised for simulations: the ``n_perm``
    shuffles are shared by all rows, ``p = (1 + #{perm >= observed}) / (1 + n_perm)``."""
    check_number("n_perm", n_perm, minimum=19, integer=True)
    values = np.atleast_2d(np.asarray(values, np.float64))
    codes, _ = pd.factorize(pd.Series(labels).astype(str))
    if values.shape[1] != codes.size:
        raise ParameterError(f"{values.shape[1]} values per row for {codes.size} labels.")
    rng = np.random.default_rng(seed)
    perms = np.stack([codes[rng.permutation(codes.size)] for _ in range(n_perm)])
    n_groups = int(codes.max()) + 1
    observed = _group_sum_statistic(values, codes[None, :], n_groups)[:, 0]
    shuffled = _group_sum_statistic(values, perms, n_groups)
    scale = np.maximum(np.abs(observed), 1.0)
    return (1 + np.sum(shuffled >= (observed - 1e-9 * scale)[:, None], axis=1)) / (1 + n_perm)


def _shift_pattern(group_sizes: Sequence[int]) -> np.ndarray:
    """Per group, its shift in units of the difference: for two groups 0 and 1; for more, the two
    smallest groups at -1/2 and +1/2 and the others midway (0), the hardest case for a given range."""
    sizes = np.asarray(group_sizes)
    pattern = np.zeros(sizes.size)
    if sizes.size == 2:
        pattern[1] = 1.0
    else:
        smallest = np.argsort(sizes, kind="stable")[:2]
        pattern[smallest[0]], pattern[smallest[1]] = -0.5, 0.5
    return pattern


def _check_sizes(group_sizes: Sequence[int]) -> np.ndarray:
    sizes = np.asarray([check_number("group size", int(n), minimum=1, integer=True) for n in group_sizes])
    if sizes.size < 2 or sizes.sum() < 3:
        raise ParameterError(f"a test needs at least two groups and three speakers, got sizes {list(sizes)}.")
    return sizes


def permutation_power(group_sizes: Sequence[int], spread: float, difference: float, *, alpha: float = 0.05,
                      n_sim: int = 400, n_perm: int = 199, seed: int = 0) -> float:
    """Power of the speaker-level permutation test (chapter 7): the share of ``n_sim`` simulated data sets
    in which it rejects at ``alpha``. Speaker means are normal with standard deviation ``spread`` around
    their group's mean; groups differ by ``difference`` (two groups), or for more groups the two smallest
    differ by ``difference`` and the others sit midway. ``difference=0`` gives the false-positive rate,
    which should be about ``alpha``."""
    sizes = _check_sizes(group_sizes)
    check_number("spread", spread, minimum=0)
    check_number("alpha", alpha, minimum=0.001, maximum=0.5)
    check_number("n_sim", n_sim, minimum=10, integer=True)
    labels = np.repeat(np.arange(sizes.size), sizes)
    base = np.random.default_rng([seed, 1]).standard_normal((n_sim, labels.size)) * spread
    shifted = base + difference * _shift_pattern(sizes)[labels]
    return float(np.mean(permutation_p_values(shifted, labels, n_perm=n_perm, seed=seed) <= alpha))


def minimum_detectable_difference(group_sizes: Sequence[int], spread: float, *, power: float = 0.8,
                                  alpha: float = 0.05, n_sim: int = 400, n_perm: int = 199, seed: int = 0,
                                  tolerance: float = 0.01) -> float:
    """The smallest difference between groups (in the units of ``spread``) that the speaker-level
    permutation test detects with probability ``power`` at level ``alpha`` (chapter 7), found by
    bisection on :func:`permutation_power` with the same simulated speakers and shuffles at every
    difference, so power rises smoothly with it. The answer is proportional to ``spread``; ``tolerance``
    is relative to it. Groups so small that the test can never reach ``alpha`` (two speakers against
    two: six ways to split them) give ``inf``: no difference is detectable."""
    check_number("power", power, minimum=0.05, maximum=0.99)
    check_number("spread", spread, minimum=0)
    if spread == 0:
        return 0.0
    sizes = _check_sizes(group_sizes)

    def power_at(d):
        return permutation_power(sizes, 1.0, d, alpha=alpha, n_sim=n_sim, n_perm=n_perm, seed=seed)

    harmonic = np.sqrt(1 / np.sort(sizes)[0] + 1 / np.sort(sizes)[1])
    low, high = 0.0, 4.0 * harmonic
    while power_at(high) < power:
        low, high = high, 2 * high
        if high > 1e3:
            return float("inf")
    while high - low > tolerance:
        middle = (low + high) / 2
        low, high = (middle, high) if power_at(middle) < power else (low, middle)
    return float(high * spread)


def pooled_spread(per_clip: pd.DataFrame, value: str, attribute: str, *, speaker: str = "speaker") -> float:
    """The standard deviation of speaker means within groups of ``attribute`` (pooled over groups):
    the between-speaker spread a test of that attribute must see through (chapter 7)."""
    table = speaker_means(per_clip, value, attribute, speaker=speaker)
    resid = table["mean"] - table.groupby(attribute)["mean"].transform("mean")
    dof = len(table) - table[attribute].nunique()
    if dof < 1:
        return float("nan")
    return float(np.sqrt(np.sum(resid ** 2) / dof))


def power_table(per_clip: pd.DataFrame, attributes: Sequence[str], metrics: Sequence[str], *, by: str | None = None,
                min_speakers: int = 3, power: float = 0.8, alpha: float = 0.05, n_sim: int = 400, n_perm: int = 199,
                seed: int = 0) -> pd.DataFrame:
    """For every attribute the chapter tests (per level of ``by`` and per metric), the run's group sizes
    (groups of at least ``min_speakers`` speakers, as :func:`statistics.attribute_tests` keeps), the
    pooled between-speaker spread, the observed range of group means, and the minimum detectable
    difference at ``power`` and ``alpha`` (chapter 7; ``inf`` where the groups are too small for the test
    ever to reach ``alpha``). The difference in units of the spread depends on
    the group sizes only, so it is simulated once per attribute and scaled for each metric."""
    rows, unit_cache = [], {}
    levels = per_clip.groupby(by, sort=True) if by else [(None, per_clip)]
    for level, part in levels:
        for attribute in attributes:
            for metric in metrics:
                usable = part.dropna(subset=[metric, attribute])
                if usable.empty:
                    continue
                table = speaker_means(usable, metric, attribute)
                sizes = table[attribute].astype(str).value_counts()
                kept = sizes[sizes >= min_speakers].sort_index()
                row = {**({by: level} if by else {}), "attribute": attribute, "metric": metric,
                       "groups": ", ".join(f"{g} {n}" for g, n in kept.items()), "speakers": int(kept.sum())}
                if len(kept) < 2:
                    rows.append({**row, "spread": np.nan, "observed range": np.nan, "detectable": np.nan,
                                 "detectable / spread": np.nan})
                    continue
                table = table[table[attribute].astype(str).isin(kept.index)]
                spread = pooled_spread(table.reset_index(), "mean", attribute)
                key = tuple(kept.to_numpy())
                if key not in unit_cache:
                    unit_cache[key] = minimum_detectable_difference(key, 1.0, power=power, alpha=alpha, n_sim=n_sim,
                                                                    n_perm=n_perm, seed=seed)
                means = table.groupby(attribute)["mean"].mean()
                unit = unit_cache[key]
                rows.append({**row, "spread": spread, "observed range": float(means.max() - means.min()),
                             "detectable": unit * spread if np.isfinite(unit) else np.inf, "detectable / spread": unit})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the report's mistake
def clip_level_p_values(speaker_mean: np.ndarray, speaker_ss: np.ndarray, clips: int, labels: np.ndarray
                        ) -> np.ndarray:
    """One-way ANOVA p-values that treat every clip as independent (the student report's unit; chapter 7),
    computed from each speaker's clip mean and within-speaker sum of squares, for rows of data sets
    (sims, speakers) with ``clips`` clips per speaker. For two groups it equals a pooled t-test."""
    codes, _ = pd.factorize(pd.Series(labels).astype(str))
    speaker_mean, speaker_ss = np.atleast_2d(speaker_mean), np.atleast_2d(speaker_ss)
    n_groups, n_total = int(codes.max()) + 1, codes.size * clips
    grand = speaker_mean.mean(axis=1, keepdims=True)
    between = np.zeros(speaker_mean.shape[0])
    within = speaker_ss.sum(axis=1)
    for g in range(n_groups):
        member = codes == g
        group_mean = speaker_mean[:, member].mean(axis=1, keepdims=True)
        between += member.sum() * clips * (group_mean[:, 0] - grand[:, 0]) ** 2
        within += clips * np.sum((speaker_mean[:, member] - group_mean) ** 2, axis=1)
    f = (between / (n_groups - 1)) / (within / (n_total - n_groups))
    return stats.f.sf(f, n_groups - 1, n_total - n_groups)


def clip_versus_speaker_false_positives(metadata: pd.DataFrame, attributes: Sequence[str], *, clips: int = 500,
                                        speaker_sd: float = 2.0, clip_sd: float = 4.0, min_speakers: int = 3,
                                        alpha: float = 0.05, n_sim: int = 400, n_perm: int = 199,
                                        seed: int = 0) -> pd.DataFrame:
    """The report's mistake, simulated on real speaker metadata (chapter 7). Each data set gives every
    speaker a random effect (standard deviation ``speaker_sd``) and ``clips`` clips around it (``clip_sd``)
    and **no attribute effect at all**; for each attribute (groups of at least ``min_speakers``
    speakers, as the chapter tests) it is tested once treating clips as independent
    (:func:`clip_level_p_values`) and once with the speaker-level permutation test. Returns, per
    attribute, the groups and the share of the ``n_sim`` data sets each test calls significant: a test
    that keeps its level shows about ``alpha``."""
    check_number("clips", clips, minimum=2, integer=True)
    check_number("n_sim", n_sim, minimum=10, integer=True)
    rng = np.random.default_rng([seed, 3])
    rows = []
    for attribute in attributes:
        if attribute not in metadata.columns:
            raise ParameterError(f"attribute {attribute!r} not in the metadata; it has {list(metadata.columns)}.")
        labels = metadata[attribute].dropna().astype(str)
        sizes = labels.value_counts()
        kept = sizes[sizes >= min_speakers]
        if len(kept) < 2:
            continue
        labels = labels[labels.isin(kept.index)].to_numpy()
        n = labels.size
        # each speaker's clip mean and within-speaker sum of squares, drawn from their exact distributions
        # (normal, and clip_sd^2 times chi-squared with clips - 1 degrees of freedom) instead of from
        # speakers x clips values: the same data sets in distribution, without the memory and time
        means = rng.normal(0, speaker_sd, (n_sim, n)) + rng.normal(0, clip_sd / np.sqrt(clips), (n_sim, n))
        ss = clip_sd ** 2 * rng.chisquare(clips - 1, (n_sim, n))
        clip_p = clip_level_p_values(means, ss, clips, labels)
        speaker_p = permutation_p_values(means, labels, n_perm=n_perm, seed=seed)
        rows.append({"attribute": attribute, "groups": ", ".join(f"{g} {k}" for g, k in kept.sort_index().items()),
                     "speakers": int(n), "clips": int(n * clips),
                     "clip-level false positives": float(np.mean(clip_p <= alpha)),
                     "speaker-level false positives": float(np.mean(speaker_p <= alpha))})
    return pd.DataFrame(rows)


def variance_components(per_clip: pd.DataFrame, value: str, *, speaker: str = "speaker") -> tuple[float, float]:
    """``(speaker_sd, clip_sd)`` of ``value`` by the method of moments (chapter 7): ``clip_sd`` is the pooled
    standard deviation of clips around their speaker's mean, ``speaker_sd`` the standard deviation of the
    speakers' true means (the variance of speaker means less the part their clips' noise explains, at
    least 0). They set the simulation of the report's mistake to this run's real spread."""
    df = per_clip.dropna(subset=[value])
    groups = df.groupby(speaker)[value]
    n, means = groups.size(), groups.mean()
    dof = int((n - 1).sum())
    if dof < 1 or len(means) < 2:
        raise ParameterError(f"{value}: need at least two speakers and a speaker with two clips.")
    clip_var = float(((df[value] - groups.transform("mean")) ** 2).sum() / dof)
    speaker_var = float(means.var(ddof=1) - clip_var * np.mean(1.0 / n))
    return float(np.sqrt(max(speaker_var, 0.0))), float(np.sqrt(clip_var))


def design_effect(clips: int, speaker_sd: float, clip_sd: float) -> tuple[float, float]:
    """``(intraclass correlation, design effect)`` for ``clips`` clips per speaker (chapter 7): the ICC is
    the share of a clip's variance that its speaker explains, and the design effect
    ``1 + (clips - 1) * ICC`` is how many times a clip-level analysis overstates the amount of independent
    information."""
    icc = speaker_sd ** 2 / (speaker_sd ** 2 + clip_sd ** 2) if speaker_sd or clip_sd else float("nan")
    return float(icc), float(1 + (clips - 1) * icc)
