"""Evaluating denoisers on the same noisy clips (chapters 5 and 6).

The evaluation mixtures and per-clip SI-SDR of chapter 5's quality bar, chapter 6's methods side by side
(the method registry, per-clip scores, summary tables with bootstrap intervals), chapter 6's test set
with the noise of every test condition, and the quality bar itself.

The statistics that every summary relies on (confidence intervals, chapter 7's speaker-level tests) live
in :mod:`digitdenoise.statistics`; they are re-exported here, so ``evaluation.mean_ci``,
``evaluation.permutation_test`` and the rest keep working.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError
from .statistics import (association, attribute_tests, bootstrap_ci, group_summary, mean_ci,  # noqa: F401
                         paired_gap, permutation_test, speaker_bootstrap_ci, speaker_group_summary,
                         within_speaker_spread_test)

# the statistics (statistics.py) were split out of this module; their names stay reachable as
# evaluation.<name> for the chapters, the benchmarks and the tests
__all__ = [
    # defined here
    "eval_mixtures", "si_sdr_table", "FAMILIES", "Method", "standard_methods", "score_clips", "evaluate_methods",
    "summarise", "wide_table", "estoi_by_speaker", "MAIN_NOISES", "HELD_OUT_NOISE", "TestSet", "build_test_set",
    "quality_bar_mixtures", "quality_bar", "quality_bar_row", "recorded_quality_bar",
    # re-exported from statistics.py
    "mean_ci", "group_summary", "bootstrap_ci", "speaker_bootstrap_ci", "permutation_test", "attribute_tests",
    "speaker_group_summary", "association", "paired_gap", "within_speaker_spread_test",
]


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


def estoi_by_method(estimates: dict[str, dict[str, np.ndarray]], clean: np.ndarray, lengths: np.ndarray,
                    speakers: Sequence[str], sr: int, *, workers: int = 2) -> pd.DataFrame:
    """:func:`estoi_by_speaker` for every ``{condition: {method: estimate}}``, one row per (method,
    condition): mean ESTOI over the speakers, the number of speakers and the mean seconds of audio per
    speaker (chapter 6). ESTOI's work is NumPy that releases the interpreter lock, so ``workers`` threads
    score several methods at once; the rows come back in the order of ``estimates``."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(condition, name, estimate) for condition, kept in estimates.items() for name, estimate in kept.items()]

    def one(job):
        condition, name, estimate = job
        scores = estoi_by_speaker(clean, estimate, lengths, speakers, sr)
        return {"method": name, "noise": condition, "ESTOI": scores["estoi"].mean(), "speakers": len(scores),
                "seconds per speaker": scores["seconds"].mean()}

    with ThreadPoolExecutor(max(1, int(workers))) as pool:
        return pd.DataFrame(list(pool.map(one, jobs)), columns=["method", "noise", "ESTOI", "speakers",
                                                                "seconds per speaker"])


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
