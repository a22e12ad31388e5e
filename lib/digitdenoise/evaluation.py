"""Summaries with uncertainty (chapters 2, 6 and 7).

Every mean the book prints comes with a 95% confidence interval and the number of observations
behind it. Chapter 7 adds speaker-level resampling, because clips of one speaker are not independent.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .config import check_number
from .errors import DataError, ParameterError


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
        for _ in range(20):  # a babble draw can fall in its talkers' pauses: draw again (same rng: reproducible)
            if np.any(noise[:n]):
                break
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


# ---------------------------------------------------------------- chapter 6: methods side by side
FAMILIES = ("input", "seed model", "book model", "classical", "peer", "oracle")


@dataclasses.dataclass
class Method:
    """One row of chapter 6's comparison: a name, its family and ``run(noisy, clean, lengths) -> estimate``
    on ``(n, samples)`` batches (``lengths``: each clip's real length). Only oracles may look at
    ``clean``."""

    name: str
    family: str
    run: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ParameterError(f"method family {self.family!r} is not one of {FAMILIES}.")


def standard_methods(cfg, denoisers: dict[str, Any] | None = None, *, peers: Sequence[str] = ("deepfilternet3", "rnnoise"),
                     classical: bool = True, oracles: bool = True) -> tuple[list[Method], dict[str, str]]:
    """Chapter 6's methods in table order: the noisy input, the given denoisers (name -> model; zoo seed
    models, also as "<seed> (variant)", are labelled "seed model", everything else "book model"), the classical methods,
    the pretrained ``peers`` that can run here and the oracle masks. Returns ``(methods, missing)``
    where ``missing`` maps each peer that cannot run to the reason."""
    from . import baselines, models, training

    sr = cfg.sample_rate
    methods = [Method("noisy input", "input", lambda noisy, clean, lengths: noisy)]
    for name, model in (denoisers or {}).items():
        base = name.split(" (")[0]  # "report_cae (SI-SDR loss)": a seed retrained on the book's loss
        family = "seed model" if base in models.ZOO and models.ZOO[base].seed != "this book" else "book model"
        methods.append(Method(name, family, lambda noisy, clean, lengths, m=model: training.denoise_batch(m, noisy)))
    if classical:
        methods += [
            Method("spectral gating (stationary)", "classical",
                   lambda noisy, clean, lengths: baselines.spectral_gating(noisy, sr, stationary=True)),
            Method("spectral gating (non-stationary)", "classical",
                   lambda noisy, clean, lengths: baselines.spectral_gating(noisy, sr, stationary=False)),
            Method("Wiener (decision-directed)", "classical",
                   lambda noisy, clean, lengths: baselines.statistical_gain(noisy, cfg, rule="wiener")),
            Method("MMSE-STSA", "classical", lambda noisy, clean, lengths: baselines.statistical_gain(noisy, cfg, rule="mmse_stsa")),
        ]
    missing = {}
    for peer in peers:
        reason = baselines.peer_status(peer)
        if reason is None:
            label = {"deepfilternet3": "DeepFilterNet3", "rnnoise": "RNNoise"}[peer]
            methods.append(Method(label, "peer", lambda noisy, clean, lengths, p=peer: baselines.run_peer(p, noisy, sr, lengths=lengths)))
        else:
            missing[peer] = reason
    if oracles:
        methods += [Method("oracle IRM", "oracle", lambda noisy, clean, lengths: baselines.ideal_ratio_mask(clean, noisy, cfg)),
                    Method("oracle PSM", "oracle", lambda noisy, clean, lengths: baselines.phase_sensitive_mask(clean, noisy, cfg))]
    return methods, missing


def _clip_scores(clean, signals, lengths, sr, pesq: bool, suffix: str = "") -> pd.DataFrame:
    from . import metrics

    rows = []
    for c, e, n in zip(clean, signals, lengths):
        c, e = c[:n], e[:n]
        row = {f"si_sdr{suffix}": metrics.si_sdr_db(c, e), f"snr{suffix}": metrics.snr_db(c, e)}
        if pesq:
            row[f"pesq{suffix}"] = metrics.pesq_score(c, e, sr)
        rows.append(row)
    return pd.DataFrame(rows)


def score_clips(clean: np.ndarray, estimate: np.ndarray, noisy: np.ndarray, lengths: np.ndarray, sr: int, *,
                pesq: bool = True, input_scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-clip SI-SDR, SNR and PESQ of ``estimate`` and of the ``noisy`` input, over each clip's real
    length, and each metric's improvement (chapter 6). PESQ is NaN where it cannot score a clip. The
    input's scores depend only on the input: pass them as ``input_scores`` (columns ``si_sdr_in``,
    ``snr_in`` and ``pesq_in``, as :func:`evaluate_methods` computes them once per batch) to skip them."""
    if input_scores is None:
        input_scores = _clip_scores(clean, noisy, lengths, sr, pesq, "_in")
    out = pd.concat([_clip_scores(clean, estimate, lengths, sr, pesq), input_scores.reset_index(drop=True)], axis=1)
    out = out[[c for m in ("si_sdr", "snr", "pesq") for c in (m, f"{m}_in") if c in out.columns]]
    for m in ("si_sdr", "snr", "pesq"):
        if m in out:
            out[f"{m}_improvement"] = out[m] - out[f"{m}_in"]
    return out


def evaluate_methods(methods: Sequence[Method], clean: np.ndarray, noisy: np.ndarray, lengths: np.ndarray,
                     clips: pd.DataFrame, sr: int, *, condition: dict[str, Any] | None = None, pesq: bool = True,
                     keep: Sequence[str] = (), failures: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict]:
    """Run every method on the same ``noisy`` batch and score it against ``clean`` (chapter 6).

    ``clips`` (one row per clip: ``clip_id``, ``speaker``, ``digit``) and ``condition`` (e.g. noise and
    SNR) label the per-clip rows. A peer that fails is recorded in ``failures`` and skipped, so one
    broken package never sinks the chapter. Returns the per-clip table and ``{name: estimates}`` for the
    methods named in ``keep`` (for listening)."""
    from .baselines import PeerUnavailable

    if len(clips) != len(clean):
        raise ParameterError(f"{len(clips)} clip rows for {len(clean)} clips.")
    tables, kept = [], {}
    inputs = _clip_scores(clean, noisy, lengths, sr, pesq, "_in")  # the same for every method
    for method in methods:
        try:
            estimate = method.run(noisy, clean, lengths)
        except PeerUnavailable as exc:
            if failures is not None:
                failures[method.name] = str(exc)
            continue
        if estimate.shape != noisy.shape:
            raise ParameterError(f"{method.name} returned shape {estimate.shape} for input {noisy.shape}.")
        scores = score_clips(clean, estimate, noisy, lengths, sr, pesq=pesq, input_scores=inputs)
        labels = clips[["clip_id", "speaker", "digit"]].reset_index(drop=True)
        tables.append(pd.concat([labels.assign(**(condition or {}), method=method.name, family=method.family),
                                 scores], axis=1))
        if method.name in keep:
            kept[method.name] = estimate
    return pd.concat(tables, ignore_index=True), kept


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


def summarise(per_clip: pd.DataFrame, metric: str, by: Sequence[str] = ("method", "noise"), *, n_boot: int = 2000,
              seed: int = 0) -> pd.DataFrame:
    """Long table of ``metric`` per group of ``by``: ``n`` (clips scored), ``failed`` (clips the metric could
    not score), mean and bootstrap 95% CI (chapter 6)."""
    if metric not in per_clip.columns:
        raise ParameterError(f"metric {metric!r} not in the results; columns are {list(per_clip.columns)}.")
    rows = []
    for key, g in per_clip.groupby(list(by), sort=False, observed=True):
        mean, lo, hi = bootstrap_ci(g[metric], n_boot=n_boot, seed=seed)
        key = key if isinstance(key, tuple) else (key,)
        rows.append((*key, int(g[metric].notna().sum()), int(g[metric].isna().sum()), mean, lo, hi))
    return pd.DataFrame(rows, columns=[*by, "n", "failed", "mean", "ci_low", "ci_high"])


def wide_table(summary: pd.DataFrame, *, rows: str = "method", columns: str = "noise", order: Sequence[str] | None = None,
               oracle_rows: Sequence[str] = (), digits: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(text, best)``: ``rows`` × ``columns`` cells "mean [low, high]" and a boolean frame marking the best
    non-oracle mean per column (chapter 6 prints it in bold; oracle rows are bounds, not contenders)."""
    fmt = summary.assign(cell=[f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]" if np.isfinite(m) else "n/a"
                               for m, lo, hi in zip(summary["mean"], summary["ci_low"], summary["ci_high"])])
    text = fmt.pivot(index=rows, columns=columns, values="cell")
    means = fmt.pivot(index=rows, columns=columns, values="mean")
    if order is not None:
        order = [o for o in order if o in text.index]
        text, means = text.loc[order], means.loc[order]
    contenders = means.drop(index=[r for r in oracle_rows if r in means.index])
    best = means.eq(contenders.max(axis=0), axis=1) & ~means.index.isin(list(oracle_rows))[:, None]
    return text, best


def estoi_by_speaker(clean: np.ndarray, estimate: np.ndarray, lengths: np.ndarray, speakers: Sequence[str], sr: int,
                     *, gap_s: float = 0.1) -> pd.DataFrame:
    """ESTOI of each speaker's test clips concatenated (real lengths, ``gap_s`` of silence between) —
    single digits are too short for STOI's 384 ms analysis (chapter 6). A speaker with under 0.5 s of
    audio in all gets NaN (too short even joined)."""
    from .metrics import estoi_score

    speakers = np.asarray(speakers)
    gap = np.zeros(int(gap_s * sr), np.float32)
    rows = []
    for spk in sorted(set(speakers)):
        idx = np.flatnonzero(speakers == spk)
        ref = np.concatenate([np.concatenate([clean[i][:lengths[i]], gap]) for i in idx])
        est = np.concatenate([np.concatenate([estimate[i][:lengths[i]], gap]) for i in idx])
        score = estoi_score(ref, est, sr) if ref.size >= 0.5 * sr else float("nan")
        rows.append({"speaker": spk, "clips": len(idx), "seconds": ref.size / sr, "estoi": score})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- chapter 6: the test set
MAIN_NOISES = ("white", "pink", "recording", "babble")
HELD_OUT_NOISE = "held-out recording"


@dataclasses.dataclass
class TestSet:
    """Chapter 6's test material: held-out speakers' clips at the working rate, fixed length, with the
    noise sources of every test condition. Build it with :func:`build_test_set`."""

    cfg: Any
    clips: pd.DataFrame
    clean: np.ndarray
    lengths: np.ndarray
    train_clips: pd.DataFrame
    sources: dict[str, tuple[Any, str]]  # condition -> (NoiseSource, kind)
    seed: int

    @property
    def conditions(self) -> list[str]:
        return list(self.sources)

    def noisy(self, condition: str, snr_db: float, index: np.ndarray | None = None) -> np.ndarray:
        """The test clips (or those at ``index``) mixed with ``condition`` noise at ``snr_db`` over each
        clip's real length. The draws depend only on the seed, the clip and the condition, so every SNR
        and every method see the same noise waveform (chapter 6)."""
        if condition not in self.sources:
            raise ParameterError(f"noise condition {condition!r} unknown; have {self.conditions}.")
        source, kind = self.sources[condition]
        index = np.arange(len(self.clean)) if index is None else np.asarray(index)
        salt = 0 if condition != HELD_OUT_NOISE else 7919
        return eval_mixtures(self.clean[index], self.lengths[index], source, kind, snr_db, seed=self.seed + salt)


def build_test_set(dataset: str, data_home=None, *, seed: int = 0, clips_per_speaker: int | None = None,
                   max_clips: int | None = None, progress: bool = False, **split: Any) -> TestSet:
    """The held-out speakers' clips (at most ``max_clips``, spread over speakers and digits) and the noise
    of every chapter-6 condition (chapter 6):

    * ``white`` and ``pink``: generated;
    * ``recording``: the evaluation parts of the recordings that training saw (never the same audio);
    * ``babble``: four training speakers talking at once (no test speaker in it);
    * ``held-out recording``: the recordings no model heard at all (generalisation).

    ``split`` (``test_speakers=``, ``validation_speakers=``) replaces the seeded speaker draw (chapter 7's
    leave-one-speaker-out folds)."""
    from . import data, noise
    from .features import FeatureConfig

    spec = data.spec(dataset)
    cfg = FeatureConfig.for_sample_rate(spec.working_rate)
    clips = data.assign_split(data.load_clips(dataset, data_home, clips_per_speaker=clips_per_speaker, seed=seed),
                              seed=seed, **split)
    test = clips[clips["split"] == "test"].reset_index(drop=True)
    train = clips[clips["split"] == "train"].reset_index(drop=True)
    if test.empty:
        raise DataError(f"{dataset} has no test-split clips with seed {seed}; the split needs at least 3 speakers.")
    if max_clips is not None and len(test) > max_clips:
        test = data.subsample(test, max(1, max_clips // test["speaker"].nunique()), seed=seed)
    clean, lengths = data.load_waveforms(test, cfg.sample_rate, cfg.n_samples, progress=progress)
    recordings = noise.load_noise_recordings(noise.ensure_noise_recordings(data_home), cfg.sample_rate)
    _, eval_recs = noise.partition_recordings(recordings)
    seen = {k: v for k, v in eval_recs.items() if k not in noise.HELD_OUT_RECORDINGS}
    held = {k: v for k, v in eval_recs.items() if k in noise.HELD_OUT_RECORDINGS}
    babble_rows = train.sample(min(40, len(train)), random_state=seed)
    babble_clips, _ = data.load_waveforms(babble_rows, cfg.sample_rate, cfg.n_samples)
    main = noise.NoiseSource(cfg.sample_rate, recordings=seen, babble_clips=list(babble_clips))
    sources = {k: (main, k) for k in MAIN_NOISES if k in main.kinds}
    if held:
        sources[HELD_OUT_NOISE] = (noise.NoiseSource(cfg.sample_rate, recordings=held), "recording")
    return TestSet(cfg, test, clean, np.asarray(lengths), train, sources, seed)


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


def quality_bar_mixtures(cfg, dataset: str = "fsdd", data_home=None, *, noise_kind: str = "white",
                         snr_db: float = -8.0, seed: int = 0, max_clips: int | None = None):
    """The quality bar's test clips and noisy mixtures (chapters 5 and 6): ``(clips, clean, noisy, lengths)``
    for the held-out test speakers, with the same noise draws for every caller (:func:`quality_bar`,
    ``bench/report_metric.py``)."""
    from . import data, noise

    clips = data.assign_split(data.load_clips(dataset, data_home), seed=seed)
    test = clips[clips["split"] == "test"]
    if max_clips is not None and len(test) > max_clips:
        test = data.subsample(test, max(1, max_clips // test["speaker"].nunique()), seed=seed)
    test = test.reset_index(drop=True)
    clean, lengths = data.load_waveforms(test, cfg.sample_rate, cfg.n_samples)
    recordings = noise.load_noise_recordings(noise.ensure_noise_recordings(data_home), cfg.sample_rate)
    _, eval_recs = noise.partition_recordings(recordings)
    noisy = eval_mixtures(clean, lengths, noise.NoiseSource(cfg.sample_rate, recordings=eval_recs), noise_kind,
                          snr_db, seed=seed)
    return test, clean, noisy, lengths


def quality_bar(model, dataset: str = "fsdd", data_home=None, *, noise_kind: str = "white", snr_db: float = -8.0,
                seed: int = 0, max_clips: int | None = None) -> dict[str, Any]:
    """The book's quality bar (chapter 5; ``make bench-quality``): a denoiser against the oracle ideal ratio
    mask on the held-out test speakers, same STFT, same clips, same noise draws.

    Returns the mean SI-SDR improvement with its 95% CI for the model on the one-second evaluation windows,
    for the model on each clip alone at its own length (the path of the ``denoise`` command and the
    service), and for the oracle IRM, plus ``ratio_model_to_irm`` (on the windows) and the paired per-clip
    difference model - IRM with its 95% CI."""
    import time

    from . import baselines
    from .training import denoise_batch, denoise_signals

    cfg = model.cfg
    test, clean, noisy, lengths = quality_bar_mixtures(cfg, dataset, data_home, noise_kind=noise_kind, snr_db=snr_db,
                                                       seed=seed, max_clips=max_clips)
    start = time.perf_counter()
    windows = denoise_batch(model, noisy)
    model_seconds = time.perf_counter() - start
    own = denoise_signals(model, [x[:n] for x, n in zip(noisy, lengths)])
    own = np.stack([np.pad(y, (0, cfg.n_samples - y.size)) for y in own])
    estimates = {"model": windows, "model_own_length": own, "oracle_irm": baselines.ideal_ratio_mask(clean, noisy, cfg)}
    rows, per_clip = {}, {}
    for name, est in estimates.items():
        table = si_sdr_table(clean, noisy, est, lengths)
        per_clip[name] = table["si_sdr_improvement"].to_numpy()
        mean, lo, hi = mean_ci(per_clip[name])
        rows[name] = {"si_sdr_improvement_db": mean, "ci95": [lo, hi], "si_sdr_out_db": float(table["si_sdr_out"].mean())}
    diff = per_clip["model"] - per_clip["oracle_irm"]  # paired: same clip, same noise draw
    mean, lo, hi = mean_ci(diff)
    return {"dataset": dataset, "test_speakers": sorted(test["speaker"].unique()), "clips": int(len(test)),
            "noise": noise_kind, "snr_db": snr_db, "seed": seed, "results": rows,
            "model_minus_irm_db": {"mean": mean, "ci95": [lo, hi], "share_of_clips_model_better": float(np.mean(diff > 0))},
            "ratio_model_to_irm": rows["model"]["si_sdr_improvement_db"] / rows["oracle_irm"]["si_sdr_improvement_db"],
            "model_seconds": model_seconds, "audio_seconds": float(lengths.sum() / cfg.sample_rate),
            "window_minus_clip_snr_db": float(np.mean(10 * np.log10(lengths / cfg.n_samples)))}


def quality_bar_row(bar: dict) -> dict:
    """One row of chapter 5's quality-bar table from a :func:`quality_bar` result (measured now, or read
    back by :func:`recorded_quality_bar`): the model's SI-SDR improvement on the evaluation windows with
    its 95% CI, at each clip's own length, its ratio to the oracle IRM and the paired difference."""
    r, diff = bar["results"], bar["model_minus_irm_db"]
    return {"clips": bar["clips"], "SI-SDR impr., windows (dB)": r["model"]["si_sdr_improvement_db"],
            "95% CI": "{:.2f} to {:.2f}".format(*r["model"]["ci95"]),
            "SI-SDR impr., own length (dB)": r["model_own_length"]["si_sdr_improvement_db"],
            "ratio to the IRM": bar["ratio_model_to_irm"],
            "minus the IRM, paired (dB)": "{:+.2f} [{:+.2f}, {:+.2f}]".format(diff["mean"], *diff["ci95"])}


def recorded_quality_bar(folder) -> dict:
    """The quality bar that ``make bench-quality`` recorded for a saved model (its ``quality.json``), for
    a checkpoint whose weights are not at hand (chapter 5). Clear errors for a missing or foreign file."""
    import json
    from pathlib import Path

    target = Path(folder) / "quality.json"
    if not target.is_file():
        raise DataError(f"no recorded quality bar at {target}; run `make bench-quality` (needs the model's weights).")
    try:
        bar = json.loads(target.read_text())
        quality_bar_row(bar)
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{target} is not a quality-bar record written by bench/quality.py "
                        f"({type(exc).__name__}: {exc}); run `make bench-quality` again.") from None
    return bar


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
