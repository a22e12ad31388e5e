# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Evaluation
#
# The student report behind this book gave one number: "+0.52 dB SNR improvement", measured between
# spectrograms. This chapter measures what a listener, a speech-enhancement researcher and a
# downstream system would each want to know, under one protocol:
#
# * **held-out speakers** only (chapter 4's split), the same clips and the *same noise waveforms* for
#   every method;
# * metrics on each clip's real length (the zero padding of the fixed window never counts);
# * every mean with a 95% bootstrap confidence interval, every metric also as an improvement over the
#   noisy input, and the clips a metric could not score counted, not dropped silently.
#
# ```{admonition} You will learn
# :class: tip
# * how to compare denoisers fairly: same clips, same noise waveforms, real lengths, intervals;
# * what SI-SDR, PESQ and ESTOI each measure, and why plain SNR cannot rank methods;
# * how learned models compare with classical methods, pretrained peers and oracle masks;
# * whether a model generalises to voices, noises and microphones it never met, and whether it leaves
#   clean speech alone.
# ```
#
# ```{admonition} Key results of this run
# :class: important
# * White noise at the chapter's SNR: the strongest non-oracle method is **{glue:text}`winner_white`**,
#   {glue:text}`winner_white_gain` dB SI-SDR improvement (oracle IRM: {glue:text}`irm_white` dB).
# * On the generalisation benchmark's test voices, microphones and noises (recorded), the release model meets
#   {glue:text}`n_bars_met` of {glue:text}`n_bars` bars; outside the ambiguous competing-talker cases its
#   mean is below the input in {glue:text}`n_worse_cells` of {glue:text}`n_cells` cells.
# ```

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
snr_db = -8.0  # the SNR of the main comparison (dB)
peers = "deepfilternet3,rnnoise"  # pretrained peers to try (comma-separated; empty for none)
generalisation_json = "bench/results/generalisation.json"  # recorded generalisation benchmark (make bench-generalisation)
report_metric_json = "bench/results/report_metric.json"  # recorded report-metric comparison (make report-metric)

# %% tags=["remove-input"]
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import HTML, Markdown, display
from myst_nb import glue

from digitdenoise import _io, audio, config, errors, evaluation, metrics, models, plots, training, zoo

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
denoisers, best_name, best_source = training.load_chapter5_models(run.artifacts_dir)
test = evaluation.build_test_set(run.dataset, run.data_home, seed=run.seed,
                                 clips_per_speaker=run["clips_per_speaker"], max_clips=run["eval_clips"])
cfg, sr = test.cfg, test.cfg.sample_rate
methods, missing = evaluation.standard_methods(cfg, denoisers, peers=[p for p in peers.split(",") if p])
order = [m.name for m in methods]
oracle_rows = [m.name for m in methods if m.family == "oracle"]
glue("n_test", len(test.clips), display=False)
glue("test_speakers", ", ".join(sorted(test.clips["speaker"].unique())), display=False)
glue("best_source", best_source, display=False)
glue("n_methods", len(methods), display=False)
zoo_file = run.artifacts_dir / "zoo_summary.csv"  # written by chapter 5 in the same run
zoo_all = pd.read_csv(zoo_file, index_col="model") if zoo_file.is_file() else pd.DataFrame()
zoo_rows = zoo_all[zoo_all.index.isin([m for m in models.ZOO if m != models.BEST_MODEL])]
if len(zoo_rows):
    lo_min, hi_min = zoo_rows["training time (min)"].min(), zoo_rows["training time (min)"].max()
    span = f"{lo_min:.0f} to {hi_min:.0f} minutes" if round(lo_min) != round(hi_min) else f"{lo_min:.0f} minutes"
    converged_here = "curve" in zoo_rows.columns  # recorded checkpoints carry their convergence verdict
    budget_cut = (zoo_rows.index[zoo_rows["stopped by"] == "time budget"].tolist()
                  if "stopped by" in zoo_rows.columns else [])
    until = ("until their own validation loss stopped improving" if not budget_cut else
             "until their own validation loss stopped improving or, for " + ", ".join(budget_cut)
             + ", the time budget ran out")
    zoo_time6 = (f"trained (make release-zoo) {until} ({span} each; recorded checkpoints)"
                 if converged_here else f"trained for {span} each under this profile's budget in chapter 5")
else:
    zoo_time6 = "trained in chapter 5"
glue("zoo_time6", zoo_time6, display=False)
retrained6 = [name for name in denoisers if name.split(" (")[0] in zoo.SEEDS and name not in zoo.SEEDS]
report_name = zoo.comparison_name(order, "report_cae") or "report_cae"
glue("zoo_book_loss6", Markdown(("with " + ", ".join(f"`{n}`" for n in retrained6) + " in place of its own-loss run "
                        "(the same network trained on the book's loss: on its own loss it collapses, chapter 5),")
                       if retrained6 else ""), display=False)

# %% [markdown]
# ## Methods and test set
#
# {glue:text}`n_methods` methods run on {glue:text}`n_test` clips of the held-out speaker(s)
# {glue:text}`test_speakers`. The best model's row uses {glue:text}`best_source`. The other learned rows
# are the models chapter 5 compared: the four seed models, {glue:text}`zoo_time6`, {glue:md}`zoo_book_loss6` and
# `mask_unet (FSDD only)`, the book's design trained on the same FSDD data as the seeds (the previous
# release). Next to them:
#
# * **classical** enhancement, which needs no training data: spectral gating from `noisereduce`
#   {cite:p}`sainburg2020noisereduce` in its stationary and non-stationary forms, and two
#   statistical-model gains with the decision-directed a-priori SNR of Ephraim and Malah
#   {cite:p}`ephraim1984mmse`, Wiener and MMSE-STSA. For these two, the noise power in each frequency
#   band comes from the quietest fifth of the clip's frames;
# * **pretrained peers**, whose weights ship inside their packages: DeepFilterNet3
#   {cite:p}`schroeter2023deepfilternet3` and RNNoise {cite:p}`valin2018rnnoise`. Both were trained on
#   full-band 48 kHz speech. Our clips are resampled up to 48 kHz, played to each peer as one stream
#   of utterances with half a second of silence between them, and brought back down. On 8 kHz FSDD the
#   peers are handicapped: everything above 4 kHz that they learnt to use is missing;
# * **oracles**, which are given the clean speech: the ideal ratio mask and the phase-sensitive mask
#   {cite:p}`erdogan2015psm`, with the models' STFT. They are bounds on what a mask on that STFT can do,
#   not methods; the tables mark them and never count them as best.
#
# The learned rows did not see the same data, and every comparison below inherits that. The seed models
# and `mask_unet (FSDD only)` learnt from FSDD's four training voices and its noise types; the best model
# from many more voices and noises (chapter 5); the peers were trained by their authors on far more speech
# and noise than anything in this book. A gap between the seeds and `mask_unet (FSDD only)` measures
# design; a gap to the best model or the peers measures data as well.
#
# The table lists the rows in the order every table of this chapter uses, with their family and what
# training each had (the learned rows' minutes and why their training stopped, from chapter 5's record).

# %% tags=["remove-input"]
zoo_record = pd.read_csv(zoo_file, index_col="model") if zoo_file.is_file() else pd.DataFrame()


def training_note(method):
    if method.name in zoo_record.index:
        r = zoo_record.loc[method.name]
        minutes = r.get("training time (min)")
        stage = "last stage of a longer run: " if method.family == "book model" else ""  # fine-tuned further
        return stage + (f"{minutes:.0f} min" if pd.notna(minutes) else "") + (
            f", stopped by {r['stopped by']}" if isinstance(r.get("stopped by"), str) else "")
    if method.name == best_name:
        return "the release checkpoint (chapter 5)"
    return {"peer": "pretrained by its authors", "classical": "none (no training data)",
            "oracle": "none (knows the clean speech)", "input": ""}.get(method.family, "")


pd.DataFrame({"method": order, "family": [m.family for m in methods],
              "training": [training_note(m) for m in methods]}).set_index("method")

# %% tags=["hide-input"]
if missing:
    display(pd.DataFrame({"peer": list(missing), "why it has no row": list(missing.values())}).set_index("peer"))
else:
    print("every requested peer runs here")

# %% [markdown]
# ### Are the peers aligned?
#
# A peer that delays its output by a few milliseconds loses several dB of SI-SDR for nothing. Each
# peer's known delay is removed; the check below cross-correlates each output with the clean clip (at a
# high SNR, so the output is nearly the clean speech) and reports the lag that remains.

# %% tags=["hide-input"]
peer_methods = [m for m in methods if m.family == "peer"]
if peer_methods:
    from digitdenoise import baselines

    probe = np.arange(min(8, len(test.clean)))
    quiet = test.noisy("white", 20.0, probe)
    lag_rows = []
    for m in peer_methods:
        try:
            out = m.run(quiet, test.clean[probe], test.lengths[probe])
        except baselines.PeerUnavailable as exc:
            missing[m.name] = str(exc)
            continue
        lags = [baselines.estimate_delay(test.clean[i][:test.lengths[i]], out[j][:test.lengths[i]], max_lag=sr // 20)
                for j, i in enumerate(probe)]
        lag_rows.append({"peer": m.name, "clips": len(lags), "remaining lag, min (samples)": min(lags),
                         "remaining lag, max (samples)": max(lags)})
    display(pd.DataFrame(lag_rows).set_index("peer"))

# %% tags=["remove-cell"]
worst_lag = max((max(abs(r["remaining lag, min (samples)"]), abs(r["remaining lag, max (samples)"]))
                 for r in lag_rows), default=None) if peer_methods else None
if worst_lag is None:
    glue("lag_reading", "No peer runs here, so there is nothing to align.", display=False)
elif worst_lag == 0:
    glue("lag_reading", "No lag remains on any probe clip: differences between the peers and the other "
         "methods below come from their processing, not from a delay.", display=False)
else:
    glue("lag_reading", f"The largest remaining lag is {worst_lag} sample{'s' if worst_lag > 1 else ''} "
         f"({1000 * worst_lag / sr:.2f} ms). Even one sample costs SI-SDR, because the output is then compared "
         "with a slightly shifted copy of itself, so the peers' SI-SDR below may be a little pessimistic.",
         display=False)

# %% [markdown]
# {glue:text}`lag_reading`

# %% [markdown]
# ## The main comparison at the nominal SNR
#
# Every method on every noise type at the chapter's SNR. The per-clip table behind everything below is
# saved to the run's artifacts folder (`evaluation_per_clip.csv`) for chapter 7 and the benchmarks.
#
# The first table gives the SI-SDR improvement: each cell is a method's mean over the test clips in one
# noise type, with its 95% bootstrap interval. What to look for: read down a column to rank the methods
# for that noise (the best non-oracle method is in bold); a row whose interval includes 0 has not helped;
# the grey oracle rows show how much a mask on this STFT could still gain.

# %% tags=["hide-input"]
import time

failures, tables, listening = {}, [], {}
for condition in test.conditions:
    started = time.perf_counter()
    noisy = test.noisy(condition, run.snr_db)
    table, kept = evaluation.evaluate_methods(methods, test.clean, noisy, test.lengths, test.clips, sr,
                                              condition={"noise": condition, "snr_db": run.snr_db},
                                              keep=order, failures=failures)
    tables.append(table)
    listening[condition] = kept
    print(f"{condition}: {len(kept)} methods on {len(noisy)} clips in {time.perf_counter() - started:.0f} s")
per_clip = pd.concat(tables, ignore_index=True)
_io.write_text(run.artifacts_dir / "evaluation_per_clip.csv", per_clip.to_csv(index=False))
order = [o for o in order if o in set(per_clip["method"])]
if failures:
    display(pd.DataFrame({"method": list(failures), "failed with": list(failures.values())}).set_index("method"))
main = per_clip[per_clip["noise"].isin(evaluation.MAIN_NOISES)]


def show_table(metric, caption, digits=2):
    summary = evaluation.summarise(main, metric, n_boot=run["n_boot"], seed=run.seed)
    text, best = evaluation.wide_table(summary, order=order, oracle_rows=oracle_rows, digits=digits)
    text = text[[c for c in evaluation.MAIN_NOISES if c in text.columns]]
    best = best[text.columns]
    styled = text.style.apply(lambda col: np.where(best[col.name], "font-weight: bold", ""), axis=0)
    styled = styled.apply(lambda row: ["font-style: italic; color: #666" if row.name in oracle_rows else ""] * len(row),
                          axis=1)
    display(HTML(f"<p><b>{caption}</b></p>" + styled.to_html()))
    return summary


si_sdr_summary = show_table("si_sdr_improvement",
                            f"SI-SDR improvement (dB) at {run.snr_db:g} dB input SNR, mean [95% bootstrap CI]; "
                            "best non-oracle method per column in bold; oracle rows in grey italics are bounds")

# %% tags=["remove-cell"]
contending = si_sdr_summary[~si_sdr_summary["method"].isin([*oracle_rows, "noisy input"])].dropna(subset=["mean"])
column_best = []
for kind in [k for k in evaluation.MAIN_NOISES if k in set(contending["noise"])]:
    top = contending[contending["noise"] == kind].sort_values("mean").iloc[-1]
    column_best.append(f"{top['method']} in {kind} ({top['mean']:+.1f} dB)")
glue("column_best", "; ".join(column_best), display=False)
over_noises = si_sdr_summary.groupby("method")["mean"].mean()
hurting = [m for m in order if m in contending["method"].values and over_noises[m] < 0]
trained_here = {m.name for m in methods if m.family == "seed model"}
zoo_note = (f"; the seed models among them were {zoo_time6}" if set(hurting) & trained_here else "")
glue("n_hurting", (f"{len(hurting)} lower SI-SDR on average over the noise types ({', '.join(hurting)}){zoo_note}"
                   if hurting else "none lowers SI-SDR on average over the noise types"), display=False)
glue("best_over_noises", f"{over_noises.get(best_name, float('nan')):+.1f}", display=False)
glue("irm_over_noises", f"{over_noises['oracle IRM']:+.1f}" if "oracle IRM" in over_noises else "n/a", display=False)
if {"RNNoise", "DeepFilterNet3"} <= set(over_noises.index):
    glue("sweep_peer_note", f"RNNoise gains {over_noises['RNNoise']:+.1f} dB averaged over the noise types above, "
         f"DeepFilterNet3 {over_noises['DeepFilterNet3']:+.1f} dB", display=False)
else:
    glue("sweep_peer_note", "this run does not score both", display=False)

# %% [markdown]
# Per noise type, the strongest non-oracle method is {glue:text}`column_best`. Averaged over the noise
# types, the best model gains {glue:text}`best_over_noises` dB and the oracle IRM
# {glue:text}`irm_over_noises` dB. Of the other methods, {glue:text}`n_hurting`.

# %% [markdown]
# SI-SDR {cite:p}`leroux2019sdr` asks how much of the output is the clean speech, up to a gain. PESQ
# {cite:p}`rix2001pesq` models a listener's quality judgement (narrow-band at 8 kHz, wide-band at
# 16 kHz; scores from about 1 to 4.5, on the MOS-LQO scale of a listening test's mean opinion score). The
# next table gives PESQ itself, and below it the number of clips PESQ could not score per method and noise
# (it needs enough speech to align the two signals). What to look for: the noisy input's row is the
# starting point, so a method helps a listener where its score is clearly above that row.

# %% tags=["hide-input"]
pesq_summary = show_table("pesq", f"PESQ ({'narrow' if sr == 8000 else 'wide'}-band) at {run.snr_db:g} dB input SNR, "
                          "mean [95% bootstrap CI]; the noisy input's row is the starting point")
failed = pesq_summary.pivot(index="method", columns="noise", values="failed").loc[order]
failed.rename_axis(columns="clips PESQ could not score, per noise")

# %% tags=["remove-cell"]
glue("pesq_failed_total", int(failed.to_numpy().sum()), display=False)
short_ids = set(test.clips["clip_id"][test.lengths < sr // 4])
failed_ids = set(main.loc[main["pesq"].isna(), "clip_id"])
glue("n_short", len(short_ids), display=False)
glue("pesq_failure_reason", "every clip PESQ failed on is one of these short clips" if failed_ids <= short_ids else
     f"{len(failed_ids - short_ids)} of the clips PESQ failed on are longer, so length is not the only reason",
     display=False)
pesq_white = pesq_summary[pesq_summary["noise"] == "white"].set_index("method")["mean"]
pesq_rivals = pesq_white.drop(index=[m for m in [*oracle_rows, "noisy input"] if m in pesq_white.index]).dropna()
glue("pesq_input_white", f"{pesq_white.get('noisy input', float('nan')):.2f}", display=False)
glue("pesq_top_white", f"{pesq_rivals.idxmax()} ({pesq_rivals.max():.2f})" if len(pesq_rivals) else "n/a",
     display=False)
glue("pesq_best_white", f"{pesq_white.get(best_name, float('nan')):.2f}", display=False)

# %% [markdown]
# PESQ could not score {glue:text}`pesq_failed_total` (method, clip) pairs in all; they are left out of
# the PESQ means above and counted here instead of being replaced by a number. PESQ refuses signals
# shorter than a quarter of a second, and {glue:text}`n_short` of the test clips are that short:
# {glue:text}`pesq_failure_reason`. The PESQ means therefore describe
# the clips PESQ can score. In white noise the noisy input scores {glue:text}`pesq_input_white`, the best
# model {glue:text}`pesq_best_white`, and the highest non-oracle score is that of
# {glue:text}`pesq_top_white`. PESQ and SI-SDR need not rank the methods alike: PESQ punishes audible
# distortions that cost little signal energy, and forgives residual noise that is hard to hear.
#
# ### Why there is no SNR table
#
# The per-clip file also holds plain SNR, the report's metric, but the book does not rank methods by it:
# SNR is not scale-invariant, so an output of near silence scores about 0 dB, which at the chapter's
# input SNR counts as a large "improvement"; and an output with the right waveform at the wrong level
# scores badly. {glue:md}`report_snr_sentence`
#
# The table sets the two means side by side for every method, over all the main noise types. What to
# look for: rows where the two columns disagree in sign.

# %% tags=["hide-input"]
main.groupby("method", sort=False)[["snr_improvement", "si_sdr_improvement"]].mean().loc[order].round(2).rename(
    columns={"snr_improvement": "SNR improvement (dB)", "si_sdr_improvement": "SI-SDR improvement (dB)"}).rename_axis(
    columns="all main noises, mean")

# %% tags=["remove-cell"]
rep = main[(main["method"] == report_name) & (main["noise"] == "white")]
if len(rep):
    snr_gain, si_gain = rep["snr_improvement"].mean(), rep["si_sdr_improvement"].mean()
    reading = (" (a near-silent output: little error energy left, little speech either)" if snr_gain > 0 > si_gain else
               " (an output with the right waveform at the wrong level: SNR counts the level difference as error)"
               if si_gain > 0 > snr_gain else "")
    glue("report_snr_sentence", Markdown(
        f"In this run the report's autoencoder (`{report_name}`) shows a mean SNR improvement of {snr_gain:+.1f} dB in "
        f"white noise while its SI-SDR improvement is {si_gain:+.1f} dB{reading}; listening settles which of the "
        "two to believe."), display=False)
else:
    glue("report_snr_sentence", "", display=False)
both = main.groupby("method", sort=False)[["snr_improvement", "si_sdr_improvement"]].mean()
misled = [m for m in order if m in both.index and both.loc[m, "snr_improvement"] > 0 > both.loc[m, "si_sdr_improvement"]]
glue("snr_misled", (f"{len(misled)} of the methods ({', '.join(misled)}) raise SNR while lowering SI-SDR: ranked by "
                    "SNR they would look like denoisers" if misled else
                    "no method raises SNR while lowering SI-SDR"),
     display=False)

# %% [markdown]
# In this run {glue:text}`snr_misled`.

# %% [markdown]
# ### Intelligibility: ESTOI on each speaker's clips in a row
#
# STOI-type measures compare 384 ms stretches of the clean and processed envelopes. Most spoken digits
# are shorter than that, so a per-clip ESTOI {cite:p}`jensen2016estoi` would be noise; instead each test
# speaker's clips are joined (real lengths, 0.1 s of silence between them) and scored as one recording.
# The table gives the mean over test speakers (with one test speaker, that speaker's score). ESTOI runs
# from 0 to 1, higher meaning more intelligible. What to look for: each row against the noisy input's; a
# method that removes noise but also parts of the speech can score *below* its input.

# %% tags=["hide-input"]
estoi = evaluation.estoi_by_method({c: kept for c, kept in listening.items() if c in evaluation.MAIN_NOISES},
                                   test.clean, test.lengths, test.clips["speaker"], sr)
estoi_table = estoi.pivot(index="method", columns="noise", values="ESTOI").loc[order]
estoi_table[[c for c in evaluation.MAIN_NOISES if c in estoi_table]].round(3).rename_axis(
    columns=f"ESTOI over {estoi['seconds per speaker'].mean():.0f} s per speaker")

# %% tags=["remove-cell"]
estoi_mean = estoi_table[[c for c in evaluation.MAIN_NOISES if c in estoi_table]].mean(axis=1)
estoi_rivals = estoi_mean.drop(index=[m for m in [*oracle_rows, "noisy input"] if m in estoi_mean.index]).dropna()
below_input = [m for m in estoi_rivals.index if estoi_rivals[m] < estoi_mean.get("noisy input", np.nan)]
glue("estoi_input", f"{estoi_mean.get('noisy input', np.nan):.2f}", display=False)
glue("estoi_best", f"{estoi_mean.get(best_name, np.nan):.2f}", display=False)
glue("estoi_top", f"{estoi_rivals.idxmax()} ({estoi_rivals.max():.2f})" if len(estoi_rivals) else "n/a", display=False)
glue("estoi_below", (f"{len(below_input)} of the {len(estoi_rivals)} non-oracle methods score below the noisy input "
                     f"({', '.join(below_input)})" if below_input else
                     "no non-oracle method scores below the noisy input"), display=False)

# %% [markdown]
# Averaged over the noise types, the noisy input scores {glue:text}`estoi_input`, the best model
# {glue:text}`estoi_best`, and the highest non-oracle average is that of {glue:text}`estoi_top`;
# {glue:text}`estoi_below`. A higher SI-SDR does not guarantee a more intelligible output: compare this
# table with the first one.

# %% [markdown]
# ## Improvement against input SNR
#
# A method that helps at −8 dB can hurt at +10 dB, where there is little noise left to remove and every
# artefact shows. The sweep below repeats the comparison on {glue:text}`sweep_n_clips` of the test clips per
# noise type at {glue:text}`sweep_snrs` dB for a subset of methods: the best model, the report's model,
# two classical methods, DeepFilterNet3 and the oracle IRM. Of the two pretrained peers the sweep keeps
# DeepFilterNet3, the one the generalisation benchmark below compares against; RNNoise stays in the tables
# above ({glue:text}`sweep_peer_note`), because every extra method costs the build time at every SNR.
# The noise waveform of each clip is the same at every SNR, only its gain changes.

# %% tags=["hide-input"]
sweep_names = [n for n in order if n in {"noisy input", best_name, report_name, "MMSE-STSA",
                                         "spectral gating (non-stationary)", "DeepFilterNet3", "oracle IRM"}]
sweep_methods = [m for m in methods if m.name in sweep_names]
sweep_index = np.sort(np.random.default_rng(run.seed).permutation(len(test.clean))[:run["sweep_clips"]])
sweep_tables = []
for condition in evaluation.MAIN_NOISES:
    if condition not in test.sources:
        continue
    started = time.perf_counter()
    for level in run["sweep_snrs"]:
        table, _ = evaluation.evaluate_methods(
            sweep_methods, test.clean[sweep_index], test.noisy(condition, level, sweep_index), test.lengths[sweep_index],
            test.clips.iloc[sweep_index], sr, condition={"noise": condition, "snr_db": level}, failures=failures)
        sweep_tables.append(table)
    print(f"sweep, {condition}: {len(run['sweep_snrs'])} SNRs in {time.perf_counter() - started:.0f} s")
sweep = pd.concat(sweep_tables, ignore_index=True)

# %% [markdown]
# {numref}`fig-snr-sweep` has one column of panels per noise type: SI-SDR improvement on top, PESQ below,
# against the input SNR. What to look for: where a line crosses zero (from there on the method makes
# its input worse), how the lines bunch together at high SNR, where there is little left to gain, and the
# distance to the oracle IRM, which shows what is still possible at each SNR.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "SI-SDR improvement (top) and PESQ (bottom) against the input SNR, one panel per noise type and one line per method; bands are 95% confidence intervals over the sweep's clips. Oracle IRM is an upper bound.", "name": "fig-snr-sweep"}}
kinds = [k for k in evaluation.MAIN_NOISES if k in set(sweep["noise"])]
fig, axes = plt.subplots(2, len(kinds), figsize=(3.4 * len(kinds), 6.4), sharex=True, sharey="row", squeeze=False)
palette = dict(zip(sweep_names, sns.color_palette("colorblind", len(sweep_names))))
for j, kind in enumerate(kinds):
    sub = sweep[sweep["noise"] == kind]
    for i, (metric, label) in enumerate([("si_sdr_improvement", "SI-SDR improvement (dB)"), ("pesq", "PESQ (MOS-LQO)")]):
        ax = axes[i, j]
        sns.lineplot(data=sub, x="snr_db", y=metric, hue="method", hue_order=sweep_names, palette=palette,
                     errorbar=("ci", 95), n_boot=200, seed=run.seed, marker="o", ax=ax, legend=(i == 0 and j == len(kinds) - 1))
        ax.set(title=f"{kind}" if i == 0 else "", xlabel="Input SNR (dB)", ylabel=label)
        if i == 0:
            ax.axhline(0, color="black", lw=0.8)
axes[0, -1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", title="method")
plots.outer_labels_only(axes)
fig.suptitle("Improvement and quality against input SNR (held-out speakers)")
fig.tight_layout()
plt.show()

# %% tags=["remove-cell"]
glue("sweep_n_clips", len(sweep_index), display=False)
glue("sweep_snrs", ", ".join(f"{x:+g}" if x else "0" for x in run["sweep_snrs"]), display=False)
by_level = sweep.groupby(["method", "snr_db"])["si_sdr_improvement"].mean().unstack("snr_db")
low, high = by_level.columns.min(), by_level.columns.max()
glue("sweep_low", f"{low:+g}" if low else "0", display=False)
glue("sweep_high", f"{high:+g}" if high else "0", display=False)
glue("sweep_best_low", f"{by_level.loc[best_name, low]:+.1f}" if best_name in by_level.index else "n/a", display=False)
glue("sweep_best_high", f"{by_level.loc[best_name, high]:+.1f}" if best_name in by_level.index else "n/a",
     display=False)
worse_high = [m for m in sweep_names if m in by_level.index and m not in ("noisy input", *oracle_rows)
              and by_level.loc[m, high] < 0]
glue("sweep_worse_high", (f"{', '.join(worse_high)} make{'s' if len(worse_high) == 1 else ''} the input worse on "
                          "average" if worse_high else "no method of the sweep makes the input worse on average"),
     display=False)
shrinking = [m for m in by_level.index if m != "noisy input" and by_level.loc[m, high] < by_level.loc[m, low]]
others = [m for m in by_level.index if m != "noisy input" and m not in shrinking]
glue("sweep_shrink", ("for every method of the sweep, oracle included, the improvement is smaller at the cleanest "
                      "input than at the noisiest: there is less noise to take away" if not others else
                      f"the improvement is smaller at the cleanest input than at the noisiest for "
                      f"{len(shrinking)} of the {len(shrinking) + len(others)} methods; not for {', '.join(others)}"),
     display=False)

# %% [markdown]
# Averaged over the noise types, the best model gains {glue:text}`sweep_best_low` dB at
# {glue:text}`sweep_low` dB input SNR and {glue:text}`sweep_best_high` dB at {glue:text}`sweep_high` dB.
# At {glue:text}`sweep_high` dB, {glue:text}`sweep_worse_high`. In general, {glue:text}`sweep_shrink`.

# %% [markdown]
# ## Recordings held out of training
#
# The "recording" column above uses the *evaluation parts* of the Speech Commands noise recordings whose
# other parts were in the training of the models made on FSDD's recipe (chapter 4 cut each in time): the
# seed models and the previous release model. Two recordings were held out of that training entirely; the
# table compares the two cases at the same SNR. A learned model that only memorised its training noise
# would drop sharply in the column *recordings held out of training*; the classical methods and the peers,
# which never trained on either, set the reference. Which models heard these recordings is read from
# their recorded recipes, following the weights each one started from back to the first
# (`training.heard_speech_commands_noise`): a model fine-tuned from one that heard them has heard them too.

# %% tags=["hide-input"]
gen = per_clip[per_clip["noise"].isin(["recording", evaluation.HELD_OUT_NOISE])]
if evaluation.HELD_OUT_NOISE in set(gen["noise"]):
    gen_summary = evaluation.summarise(gen, "si_sdr_improvement", n_boot=run["n_boot"], seed=run.seed)
    text, _ = evaluation.wide_table(gen_summary, order=order, oracle_rows=oracle_rows)
    display(text.rename(columns={"recording": "recordings seen in training (other parts)",
                                 evaluation.HELD_OUT_NOISE: "recordings held out of training"})
            .rename_axis(columns="SI-SDR improvement (dB) [95% CI]"))

# %% tags=["remove-cell"]
if evaluation.HELD_OUT_NOISE in set(gen["noise"]):
    held = gen_summary.set_index(["method", "noise"])["mean"]
    # which models trained on parts of these recordings, read from each one's recorded recipe
    heard = {name for name, folder in training.chapter5_folders(run.artifacts_dir).items()
             if training.heard_speech_commands_noise(folder)}
    fsdd_made = next((n for n in order if n in heard and n.startswith(f"{models.BEST_MODEL} (")), None)
    parts = []
    if fsdd_made is not None:
        seen_db, held_db = held.get((fsdd_made, "recording"), np.nan), held.get((fsdd_made, evaluation.HELD_OUT_NOISE), np.nan)
        parts.append(f"The previous release model (`{fsdd_made}`) gains {seen_db:+.1f} dB on recordings whose other "
                     f"parts it trained on and {held_db:+.1f} dB on recordings it never heard: "
                     + ("no drop, so it has not merely memorised its training noise." if held_db >= seen_db else
                        f"a drop of {seen_db - held_db:.1f} dB, the price of meeting a new noise."))
    best_seen, best_held = held.get((best_name, "recording"), np.nan), held.get((best_name, evaluation.HELD_OUT_NOISE), np.nan)
    best_folder = training.chapter5_folders(run.artifacts_dir).get(best_name)
    if best_name not in heard:
        parts.append(f"The general release model (`{best_name}`), which heard neither, gains {best_seen:+.1f} and "
                     f"{best_held:+.1f} dB.")
    elif best_folder is not None and not training.heard_speech_commands_noise(best_folder, through_init=False):
        parts.append(f"The general release model (`{best_name}`) did not train on these recordings itself, but its "
                     "training started from the weights of a model that did (its recorded stages say so), so this "
                     f"is not a clean test of it: it gains {best_seen:+.1f} dB on the first kind and {best_held:+.1f} "
                     "dB on the second.")
    else:
        parts.append(f"The best model of this run (`{best_name}`, {best_source}) gains {best_seen:+.1f} dB on the "
                     f"first kind and {best_held:+.1f} dB on the second.")
    glue("held_out_reading", Markdown(" ".join(parts)), display=False)
else:
    glue("held_out_reading", Markdown("This run has no held-out recordings, so the comparison is not made."),
         display=False)

# %% [markdown]
# {glue:md}`held_out_reading` With only two held-out recordings, read this as a first check; the
# generalisation benchmark below asks the same question with many more noises.

# %% [markdown]
# ## Generalisation: new voices, microphones and noise recordings
#
# Everything above uses FSDD: the test speaker is new, but the microphone, the room and the noise
# recordings are those of training. A user's recording differs in all three. The generalisation
# benchmark (`make bench-generalisation`, which runs `bench/generalisation.py`) therefore crosses clean speech from
# FSDD's test speaker and from the *test speakers of speechocean762* {cite:p}`zhang2021speechocean762` (children and adults reading digit
# strings and sentences into their own devices) with two kinds of noise: recordings that the release
# model's recipe never trained on, the test files of G. Hu's non-speech corpus {cite:p}`hu2004nonspeech` and the six Speech Commands
# recordings {cite:p}`warden2018speechcommands` (another corpus altogether; but see the caution after the bars below), and familiar
# kinds drawn afresh, white and pink noise and one or three competing talkers from the test voices. Every
# method hears the same mixtures at each SNR of the run ({glue:text}`gen_snrs` dB). One exception
# among the compared methods: the *previous release model* (FSDD's recipe) trained on other parts of the
# six Speech Commands recordings (see the section above), so its `sc/` rows are not unseen noise for it;
# its Hu rows are.
#
# {glue:md}`gen_cost` The book shows this **recorded run** rather than repeating it: the figures below are read from
# `bench/results/generalisation.json` (run {glue:text}`gen_date`, commit {glue:text}`gen_commit`), and
# the players replay a few of its mixtures. The *release model* is the general model of chapter 5 (many
# voices and noises); the *previous release model* is the one trained on FSDD's four voices only. They
# differ in data and in training time: the release model is the previous one fine-tuned for
# {glue:text}`gen_rel_minutes` more minutes on the general recipe ({glue:text}`gen_rel_stages`). DeepFilterNet3 was trained by its
# authors on large speech and noise corpora; `noisereduce` learns nothing. The release model runs as the
# `denoise` command runs it, with its **do-no-harm guard** (`inference.no_harm_guard`): when its output
# is within {glue:text}`gen_guard` dB SI-SDR of its input, the model has found almost nothing to remove,
# and the input is passed through, blended in gradually across that range. The guard looks only at the
# model's own input and output, never at the clean speech, so it is a fair part of the method; the
# no-added-noise section below shows what it changes.
#
# The first table counts the clean speech of the benchmark: speakers and utterances per source.

# %% tags=["hide-input"]
from digitdenoise import generalisation

recorded = generalisation.load_recorded(generalisation_json)
gen_raw = recorded.raw
gen_methods = [m for m in ("release model", "previous release model", "DeepFilterNet3", "noisereduce (stationary)",
                           "oracle IRM", "oracle PSM") if m in set(recorded.summary["method"])]
speech_counts = gen_raw["test_data"]["speech"]
pd.DataFrame(speech_counts).T.rename_axis("clean speech").rename(columns={"utterances": "utterances", "speakers": "speakers"})

# %% tags=["remove-cell"]
glue("gen_date", gen_raw["date"][:10], display=False)
guard = gen_raw["model"].get("guard_db")
glue("gen_guard", "{:g} to {:g}".format(*guard) if guard else "(no guard in this recorded run)", display=False)
glue("gen_commit", gen_raw["commit"][:10], display=False)
glue("gen_mixtures", f"{gen_raw['test_data']['mixtures']:,}", display=False)
glue("gen_so_speakers", max(v["speakers"] for k, v in speech_counts.items() if k.startswith("so")), display=False)
glue("gen_hu_files", len(gen_raw["test_data"]["noises"]["hu-test"]), display=False)
glue("gen_sc_files", len(gen_raw["test_data"]["noises"]["speech-commands"]), display=False)
glue("gen_generated", len(gen_raw["test_data"]["noises"]["generated"]), display=False)
glue("gen_talkers", len(gen_raw["test_data"]["noises"]["talkers"]), display=False)
glue("gen_snrs", ", ".join(f"{x:+g}" if x else "0" for x in gen_raw["test_data"]["snrs_db"]), display=False)
timed = {m: v for m, v in gen_raw["method_seconds"].items() if isinstance(v, (int, float))}  # the rest: cached
slowest = max(timed, key=timed.get) if timed else None
minutes = gen_raw["seconds"] / 60
took = f"This run took {minutes:.0f} minute{'' if round(minutes) == 1 else 's'} on this book's machine"
cache_note = ("(`bench/generalisation.py` caches them per method version); a run from scratch computes every one, "
              "DeepFilterNet3 and PESQ on every output included.")
if not timed:
    cost = f"{took} because it reused every method's scores from earlier runs on the same mixtures {cache_note}"
elif len(timed) < len(gen_raw["method_seconds"]):
    cost = (f"{took}: it computed {len(timed)} of the {len(gen_raw['method_seconds'])} methods afresh (the slowest, "
            f"{slowest}, in {timed[slowest] / 60:.0f} min) and reused the others' scores from earlier runs on the same "
            f"mixtures {cache_note}")
else:
    cost = f"{took}; the slowest method, {slowest}, took {timed[slowest] / 60:.0f} min."
glue("gen_cost", Markdown(cost), display=False)
# the checkpoint the benchmark ran and its own stages since the previous release (zoo.training_stages)
release_folder = Path(generalisation.__file__).resolve().parents[2] / gen_raw["model"]["dir"]
release_stages = zoo.training_stages(release_folder) if (release_folder / "train_config.json").is_file() else []
glue("gen_rel_minutes", f"{sum(st['seconds'] for st in release_stages) / 60:.0f}" if release_stages else "n/a", display=False)
glue("gen_rel_stages", " then ".join(f"{st['name']}, {st['seconds'] / 60:.0f} min" for st in release_stages) or "n/a",
     display=False)

# %% [markdown]
# {glue:text}`gen_mixtures` mixtures in all: {glue:text}`gen_so_speakers` speechocean762 test speakers,
# {glue:text}`gen_hu_files` Hu test noises, {glue:text}`gen_sc_files` Speech Commands recordings,
# {glue:text}`gen_generated` generated noises and {glue:text}`gen_talkers` babble conditions. The next table
# gives the mean SI-SDR improvement at 0 dB with its 95% bootstrap interval over the clips of each cell;
# the rows are (clean-speech source, noise family), the columns are the methods. Read it row by row: a
# learned model that only knew its training conditions would fall below `noisereduce` on the unfamiliar
# rows.

# %% tags=["hide-input"]
at0 = recorded.summary[recorded.summary["snr_db"] == 0.0]
display(generalisation.condition_table(at0, gen_methods).droplevel("snr_db")
        .rename_axis(columns="SI-SDR improvement at 0 dB (dB) [95% CI]"))

# %% tags=["remove-cell"]
at0_means = at0.pivot_table(index=["source", "family"], columns="method", values="si_sdri")


def rows_ahead(rival):
    if "release model" not in at0_means or rival not in at0_means:
        return "n/a"
    ahead = (at0_means["release model"] > at0_means[rival]).sum()
    return f"{ahead} of the {len(at0_means)}"


glue("at0_vs_nr", rows_ahead("noisereduce (stationary)"), display=False)
glue("at0_vs_dfn", rows_ahead("DeepFilterNet3"), display=False)
if "release model" in at0_means:
    weakest = at0_means["release model"].idxmin()
    glue("at0_weakest", f"{weakest[1]} on {weakest[0]} ({at0_means['release model'].min():+.1f} dB)", display=False)
else:
    glue("at0_weakest", "n/a", display=False)

# %% [markdown]
# At 0 dB the release model is ahead of `noisereduce` in {glue:text}`at0_vs_nr` rows and ahead of
# DeepFilterNet3 in {glue:text}`at0_vs_dfn`; its weakest row is {glue:text}`at0_weakest`.

# %% [markdown]
# {numref}`fig-generalisation` makes the same comparison at every SNR, one panel per clean-speech source
# (rows) and noise family (columns). Look for two things: where the release model's line sits between the
# classical method and the oracle, and whether any learned line drops below zero, which means the output
# is worse than the noisy input.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Generalisation benchmark (recorded): mean SI-SDR improvement against input SNR, per clean-speech source (rows) and noise family (columns), one line per method; bands are 95% bootstrap intervals over clips. Dashed: oracles.", "name": "fig-generalisation"}}
fig = plots.improvement_vs_snr(recorded.summary, gen_methods)
plt.show()

# %% tags=["remove-cell"]
def below_zero(method):
    points = recorded.summary[recorded.summary["method"] == method]
    if not len(points):
        return "n/a"
    low = points[points["si_sdri"] < 0]
    families = sorted(low["family"].unique())
    where = (", all of them with competing talkers" if families == ["talkers"] else
             f", in {' and '.join([', '.join(families[:-1]), families[-1]] if len(families) > 1 else families)}"
             if families else "")
    return f"{len(low)} of its {len(points)} points{where}"


glue("gen_release_below", below_zero("release model"), display=False)
glue("gen_previous_below", below_zero("previous release model"), display=False)
if {"release model", "previous release model"} <= set(at0_means.columns):
    gain = at0_means["release model"] - at0_means["previous release model"]
    glue("gen_biggest_gain", f"{gain.idxmax()[1]} on {gain.idxmax()[0]} ({gain.max():+.1f} dB)", display=False)
else:
    glue("gen_biggest_gain", "rows this benchmark file does not have", display=False)

# %% [markdown]
# The release model's mean falls below zero at {glue:text}`gen_release_below`; the previous release
# model's at {glue:text}`gen_previous_below`. The previous model had heard four voices and a handful of
# noises; at 0 dB the general recipe gains most over it on {glue:text}`gen_biggest_gain`.

# %% [markdown]
# How often each method makes a clip *worse* than its input (SI-SDR below the noisy mixture's), per noise
# family and SNR, over all sources. A denoiser that is good on average can still damage one clip in five;
# this is the number a user meets. What to look for: the largest percentage in each column, and whether
# it falls at low or at high SNR.

# %% tags=["hide-input"]
per_family = recorded.summary.groupby(["family", "snr_db", "method"]).apply(
    lambda g: np.average(g["worse_than_input"], weights=g["clips"]), include_groups=False).unstack("method")
display((100 * per_family[[m for m in gen_methods if m in per_family.columns and not m.startswith("oracle")]])
        .round(0).rename_axis(columns="clips made worse than the input (%)"))

# %% tags=["remove-cell"]
def worst_share(method, talkers):
    if method not in per_family.columns:
        return "n/a"
    part = per_family[method][(per_family.index.get_level_values("family") == "talkers") == talkers]
    return f"{100 * part.max():.0f}%" if len(part) else "n/a"


for key, method in (("rel", "release model"), ("prev", "previous release model"), ("dfn", "DeepFilterNet3"),
                    ("nr", "noisereduce (stationary)")):
    glue(f"worse_{key}", worst_share(method, talkers=False), display=False)
glue("worse_rel_talkers", worst_share("release model", talkers=True), display=False)

# %% [markdown]
# Outside the competing talkers, the release model makes at most {glue:text}`worse_rel` of the clips worse
# in any (family, SNR) cell; the previous release model up to {glue:text}`worse_prev`, DeepFilterNet3 up
# to {glue:text}`worse_dfn` and `noisereduce` up to {glue:text}`worse_nr`. With competing talkers the
# release model's share reaches {glue:text}`worse_rel_talkers`, the case the next section explains.

# %% [markdown]
# ### Competing talkers
#
# With one other voice as loud as the digit's speaker (0 dB) or louder, nothing in the mixture says which
# voice is the target: a model trained to keep "the speech" must guess, and any guess is wrong half the
# time. The general recipe therefore never trains with one competing talker louder than the digit's
# speaker, nor with two that are each much louder (chapter 4): the usual case of a speaker nearest the
# microphone. The benchmark still reports 0 dB and below, where every method, DeepFilterNet3 included,
# can remove some of the digit. The table gives the mean SI-SDR improvement per babble condition (one or
# three talkers) and SNR. What to look for: the sign at each SNR, row by row.

# %% tags=["hide-input"]
talk = recorded.summary[recorded.summary["family"] == "talkers"]
talk_by_noise = recorded.by_noise[recorded.by_noise["noise"].str.startswith("babble")]
display(talk_by_noise.pivot_table(index=["noise", "snr_db"], columns="method", values="si_sdri")
        [[m for m in gen_methods if m in set(talk_by_noise["method"])]].round(2)
        .rename_axis(columns="SI-SDR improvement (dB), mean over sources"))

# %% tags=["remove-cell"]
talk_means = talk_by_noise.pivot_table(index=["noise", "snr_db"], columns="method", values="si_sdri")
if "release model" in talk_means:
    rel_talk = talk_means["release model"]
    top_snr, low_snr = rel_talk.index.get_level_values("snr_db").max(), rel_talk.index.get_level_values("snr_db").min()
    glue("talk_high", ", ".join(f"{v:+.1f} dB with {n}" for (n, x), v in rel_talk.items() if x == top_snr), display=False)
    glue("talk_low", ", ".join(f"{v:+.1f} dB with {n}" for (n, x), v in rel_talk.items() if x == low_snr), display=False)
    glue("talk_high_snr", f"{top_snr:+g}" if top_snr else "0", display=False)
    glue("talk_low_snr", f"{low_snr:+g}" if low_snr else "0", display=False)
else:
    for key in ("talk_high", "talk_low", "talk_high_snr", "talk_low_snr"):
        glue(key, "n/a", display=False)

# %% [markdown]
# At {glue:text}`talk_high_snr` dB the release model gains {glue:text}`talk_high`; at
# {glue:text}`talk_low_snr` dB, {glue:text}`talk_low`. When the other voices are louder than the digit's
# speaker no choice is safe: nothing tells the model which voice to keep.

# %% [markdown]
# ### Speech with nothing to remove
#
# A denoiser will also meet recordings that are already clean. Here the speechocean762 test speakers'
# digit strings go through each method *as recorded*, and PocketSphinx {cite:p}`huggins2006pocketsphinx`, an off-the-shelf recogniser
# restricted to the ten digit words, transcribes the result; FSDD's test clips measure how much each
# method changes a clean input (SI-SDR of the output against the input: 20 dB means the change is a
# hundredth of the signal's energy). The models work at 8 kHz, so the fair reference is the 8 kHz input;
# the original 16 kHz recordings are shown too, to separate what the bandwidth costs the recogniser from
# what denoising costs.

# %% tags=["hide-input"]
nn = gen_raw["no_added_noise"]
no_noise_rows = [{"method": "original recording (16 kHz)", "word accuracy (%)": 100 * nn["original_word_accuracy"]},
                 {"method": "input at 8 kHz", "word accuracy (%)": 100 * nn["input_word_accuracy"],
                  "SI-SDR vs input, digit strings (dB)": np.inf, "SI-SDR vs input, FSDD (dB)": np.inf}]
for name, r in nn["methods"].items():
    no_noise_rows.append({"method": name, "word accuracy (%)": 100 * r["word_accuracy"],
                          "SI-SDR vs input, digit strings (dB)": r["si_sdr_vs_input_db"],
                          "SI-SDR vs input, FSDD (dB)": r["fsdd_si_sdr_vs_input_db"]})
def vs_input(value):
    """SI-SDR against the input as shown: 60 dB and above means the output is the input, or as good as."""
    if pd.isna(value):
        return ""
    return "(the input)" if np.isinf(value) else ("≥ 60 (unchanged)" if value >= 60 else f"{value:.1f}")


no_noise = pd.DataFrame(no_noise_rows).set_index("method").round(1)
for column in ("SI-SDR vs input, digit strings (dB)", "SI-SDR vs input, FSDD (dB)"):
    no_noise[column] = no_noise[column].map(vs_input)
no_noise

# %% tags=["remove-cell"]
glue("nn_words", nn["words"], display=False)
glue("nn_utts", nn["utterances"], display=False)
glue("nn_input_acc", f"{100 * nn['input_word_accuracy']:.1f}", display=False)
glue("nn_original_acc", f"{100 * nn['original_word_accuracy']:.1f}", display=False)
rel_nn = nn["methods"].get("release model")
def db_or_unchanged(value):
    return "60 dB or more, as good as unchanged" if value >= 60 else f"{value:.1f} dB"


glue("nn_release", f"keeps its output at an SI-SDR against its input of {db_or_unchanged(rel_nn['si_sdr_vs_input_db'])} "
     f"on the digit strings ({db_or_unchanged(rel_nn['fsdd_si_sdr_vs_input_db'])} on FSDD), and the recogniser's "
     f"word accuracy on its output is {100 * rel_nn['word_accuracy']:.1f}%" if rel_nn else
     "is not in this benchmark file", display=False)
raw_nn = nn["methods"].get("release model (no guard)")
glue("nn_guard", f"Without the guard the same network keeps {raw_nn['si_sdr_vs_input_db']:.1f} dB and the word "
     f"accuracy is {100 * raw_nn['word_accuracy']:.1f}%: close to the input by the SI-SDR, yet enough of a change to "
     "cost the recogniser words (a recogniser's features react to low-level changes that SI-SDR, dominated by the "
     "loud parts, barely registers). The guard sees that the output hardly differs from the input and returns "
     "the input instead." if raw_nn else "", display=False)

# %% [markdown]
# ({glue:text}`nn_words` words in {glue:text}`nn_utts` digit strings.) What to look for: the SI-SDR
# columns say how much each method changes speech it should leave alone (higher is less change), the
# accuracy column what that change costs a recogniser. The release model {glue:text}`nn_release`, against
# {glue:text}`nn_input_acc`% on the 8 kHz input itself and {glue:text}`nn_original_acc`% on the original
# 16 kHz recordings. {glue:text}`nn_guard` PocketSphinx is a weak recogniser on these voices even on clean
# 16 kHz speech, and weaker at 8 kHz; it serves as an independent second opinion, not as the measure of
# success.
#
# ### The bars, and where the model still fails
#
# The project set itself bars for generalisation; this is how the recorded run meets them.

# %% tags=["hide-input"]
bars = recorded.bars.assign(result=lambda b: np.where(b["passed"], "met", "missed"))
display(bars[["bar", "value", "target", "result"]].set_index("bar"))

# %% tags=["remove-cell"]
release_cells = recorded.by_noise[(recorded.by_noise["method"] == "release model")
                                  & ~((recorded.by_noise["noise"].str.startswith("babble")) & (recorded.by_noise["snr_db"] <= 0))]
nonspeech_cells = release_cells[~release_cells["noise"].str.startswith("babble")]
worst_cell = nonspeech_cells.sort_values("si_sdri").iloc[0]
best_cell = nonspeech_cells[nonspeech_cells["source"] != "fsdd"].sort_values("ratio_to_irm").iloc[-1]
glue("n_bars_met", int(bars["passed"].sum()), display=False)
glue("n_bars", len(bars), display=False)
# the first bar mixes two sets; say what each gives where the model's training started from one that heard one
bar_model = release_folder if (release_folder / "train_config.json").is_file() else None
if bar_model is not None and training.heard_speech_commands_noise(bar_model):
    hu_means = generalisation.unseen_noise_means(recorded, sets=("hu",))
    sc_means = generalisation.unseen_noise_means(recorded, sets=("sc",))
    ratio = {name: m["release model"] / m["oracle IRM"] for name, m in (("hu", hu_means), ("sc", sc_means))}
    glue("gen_sc_taint", Markdown(
        "A caution on the first bar: it pools the Hu test files with the Speech Commands set, and the release "
        "model's training started from the weights of a model that trained on parts of those recordings (its "
        "recorded stages say so: `training.heard_speech_commands_noise` follows them back). "
        f"On the Hu test files alone, which no model of this book trained on, the release model reaches "
        f"{ratio['hu']:.2f} of the oracle IRM ({hu_means['release model']:+.1f} against "
        f"{hu_means['oracle IRM']:+.1f} dB); on the Speech Commands set, {ratio['sc']:.2f}. Read the pooled "
        "value with that in mind; a release model trained from random weights would make the set a clean test."),
        display=False)
else:
    glue("gen_sc_taint", Markdown(""), display=False)
glue("n_worse_cells", int((release_cells["si_sdri"] < 0).sum()), display=False)
glue("n_cells", len(release_cells), display=False)
glue("worst_cell", f"{worst_cell['noise']} on {worst_cell['source']} at {worst_cell['snr_db']:+g} dB "
                   f"({worst_cell['si_sdri']:+.1f} dB)", display=False)
glue("best_cell", f"{best_cell['noise']} on {best_cell['source']} at {best_cell['snr_db']:+g} dB "
                  f"({best_cell['si_sdri']:+.1f} dB, {100 * best_cell['ratio_to_irm']:.0f}% of the oracle IRM)",
     display=False)

# %% [markdown]
# The recorded run meets {glue:text}`n_bars_met` of the {glue:text}`n_bars` bars. {glue:md}`gen_sc_taint`
#
# Outside the ambiguous competing-talker cases, the release model's mean is below the input in
# {glue:text}`n_worse_cells` of {glue:text}`n_cells` (source, noise, SNR) cells. Among the non-speech
# noises its worst cell is {glue:text}`worst_cell` and its best, relative to the oracle,
# {glue:text}`best_cell`. Both can be heard below (the first utterance of each cell): the clean utterance,
# the mixture and each method's output, all at one gain. Listen, in the worst cell, for what kind of sound
# the noise is and whether the model removes part of the speech along with it; in the best cell, for how
# much noise is left and whether the voice sounds natural.

# %% tags=["hide-input"]
listen_gen = {}
for label, cell in (("worst", worst_cell), ("best", best_cell)):
    replay = generalisation.replay_cell(recorded, run.data_home, cell["source"], cell["noise"], sr=sr)
    at = np.flatnonzero(replay.table["snr_db"].to_numpy() == cell["snr_db"])[:1]
    noisy_sig, clean_sig = [replay.noisy[i] for i in at], [replay.clean[i] for i in at]
    sounds = {"clean": clean_sig[0], "noisy": noisy_sig[0]}
    sounds["release model"] = training.denoise_signals(denoisers[best_name], noisy_sig)[0]
    for m in generalisation.peer_methods(sr, cfg, peers=[p for p in peers.split(",") if p == "deepfilternet3"])[0]:
        if m.name in ("DeepFilterNet3", "oracle IRM"):
            sounds[m.name] = m.run(noisy_sig, clean_sig)[0]
    listen_gen[f"{label}: {cell['noise']}, {cell['source']}, {cell['snr_db']:+g} dB"] = sounds
audio.player_grid(listen_gen, sr, title="Generalisation benchmark: the release model's worst and best cells",
                  row_header="case")

# %% [markdown]
# What is it about the worst cell's noise? {numref}`fig-worst-cell` draws the first utterance of that cell
# as spectrograms: the clean digit, the noise alone (the mixture minus the clean speech, at the level it was
# mixed), the mixture and the release model's output, on one colour scale. What to look for: speech shows
# as a stack of evenly spaced horizontal lines (the harmonics of the voice's pitch) that move together, with
# darker bands between them. Two explanations of a failure can be told apart here. If the noise panel
# shows the same kind of pattern, the noise is *voiced*: a cry, a hum or a call, made the way speech is
# made. A denoiser that learned "keep harmonic sounds, remove the rest" keeps such a noise, and at a
# negative SNR the voiced noise is the louder harmonic sound, so the model may keep it and remove part of
# the digit instead: the competing-talker problem above (section "Competing talkers"), met in a recording
# with no words in it. If instead the digit survives in the output but so does much of the noise, the
# model simply failed to recognise this sound as noise. The two numbers after the figure test which
# explanation holds.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The worst cell of the generalisation benchmark (recorded run), first utterance: the clean digit, the noise alone, the mixture and the release model's output, as power spectrograms on one colour scale (dB full scale).", "name": "fig-worst-cell"}}
worst_sounds = next(iter(listen_gen.values()))
worst_panels = {"clean speech": worst_sounds["clean"], "noise alone": worst_sounds["noisy"] - worst_sounds["clean"],
                "mixture": worst_sounds["noisy"], "release model": worst_sounds["release model"]}
fig = plots.spectrogram_grid(worst_panels, sr, cfg.n_fft, cfg.hop_length, panel_size=(3.75, 3.6),
                             title=f"Worst cell: {worst_cell['noise']}, {worst_cell['source']}, {worst_cell['snr_db']:+g} dB")
plt.show()

# %% tags=["remove-cell"]
# what the figure shows, measured on the same utterance: is the noise voiced, and how much digit is left?
noise_voiced = metrics.voiced_share(worst_panels["noise alone"], sr)
digit_voiced = metrics.voiced_share(worst_panels["clean speech"], sr)
kept_db = metrics.kept_level_db(worst_panels["clean speech"], worst_panels["release model"])
voiced = noise_voiced >= 0.3
removed = kept_db < -1.0
verdict = {(True, True): "the first explanation: a voiced noise, and part of the digit removed with it",
           (True, False): "so the noise is voiced, yet the digit is kept: the second explanation, the noise left in, "
                          "not speech removed",
           (False, True): "so the noise is mostly unvoiced, yet part of the digit is removed: neither explanation "
                          "alone; the model mistook parts of the digit for this noise",
           (False, False): "the second explanation: the noise is mostly unvoiced, the digit is kept, and the model "
                           "fails by leaving the noise in"}[(voiced, removed)]
glue("worst_cell_signs", Markdown(
    f"Measured on this utterance: the pYIN pitch tracker (`metrics.voiced_share`) finds a voice-like pitch in "
    f"{noise_voiced:.0%} of the noise's active frames (the digit's: {digit_voiced:.0%}), and the part of the "
    f"model's output that lies along the digit is {kept_db:+.1f} dB against the digit itself "
    f"(`metrics.kept_level_db`; 0 dB would keep it whole). {verdict[0].upper() + verdict[1:]}."), display=False)
same_cell = generalisation.cell_means(recorded, worst_cell["source"], worst_cell["noise"], worst_cell["snr_db"])
dfn_cell, nr_cell = same_cell.get("DeepFilterNet3"), same_cell.get("noisereduce (stationary)")
peer_reading = []
if dfn_cell is not None:
    peer_reading.append(
        f"DeepFilterNet3, a larger network trained on far more voices and noises, also makes this cell worse "
        f"({dfn_cell:+.1f} dB): the failure follows from what the noise is, not only from this model's training"
        if dfn_cell < 0 else f"DeepFilterNet3, a larger network trained on far more voices and noises, gains "
        f"{dfn_cell:+.1f} dB here, so more training data can teach a model to reject such a sound")
if nr_cell is not None:
    peer_reading.append(f"stationary spectral gating (`noisereduce`), which knows nothing about voices and only "
                        f"subtracts the noise's average spectrum, {'gains' if nr_cell >= 0 else 'changes it by'} "
                        f"{nr_cell:+.1f} dB")
glue("worst_cell_peers", Markdown("In the same cell of the recorded run, " + "; ".join(peer_reading) + "."
                                  if peer_reading else ""), display=False)

# %% [markdown]
# {glue:md}`worst_cell_signs` {glue:md}`worst_cell_peers`

# %% [markdown]
# ## Downstream: does denoising help recognise the digit?
#
# The report promised denoised audio that is "usable downstream" and never measured it. Measuring it
# needs an **instrument**: a recogniser that is right on clean speech almost every time, so that what it
# gets wrong on noisy or denoised audio is the audio's fault, not its own. The book's instrument is a
# small log-mel CNN ({glue:text}`ds_params` parameters, `models/release/instrument`, `make instrument`) trained on
# FSDD takes {glue:text}`ds_trained_on`, with noise mixed into its training clips so that it is not thrown
# by the first hiss it hears ({glue:text}`ds_augmentation`); it never trained on, or
# chose anything on, takes 0-4, the clips it is tested on. It is a measuring device, not the object of
# study, so it may know the test speakers' voices from other takes (FSDD's own convention). On clean
# takes 0-4 of all six speakers it is right {glue:text}`ds_clean_acc`. A second, independent judge is
# PocketSphinx restricted to the ten digit words: off the shelf, never tuned on FSDD, and much weaker
# here ({glue:text}`ds_sphinx_clean` on the same clean clips at 8 kHz), so it serves as a second
# opinion only.
#
# `make downstream` (`bench/downstream.py`) mixed the {glue:text}`ds_n_clips` test clips of FSDD's held-out speaker with
# unseen Hu test noises at four SNRs, ran every method of this chapter's generalisation benchmark, and
# asked both judges. These are **recorded** figures (`bench/results/downstream.json`). The table shows
# 0 dB: each judge's accuracy with a Wilson 95% interval, and for the instrument the share of digits that
# denoising turned from wrong to right and from right to wrong. What to look for: the clean and noisy rows
# bracket what there is to win back; a good method wins digits back without losing others.

# %% tags=["remove-cell"]
from digitdenoise import recognition

downstream = recognition.load_downstream()
ds_raw = downstream.raw
ds_inst = downstream.fsdd[downstream.fsdd["recogniser"] == "instrument"].set_index(["snr_db", "condition"])
ds_sphinx = downstream.fsdd[downstream.fsdd["recogniser"] == "pocketsphinx"].set_index(["snr_db", "condition"])
ds_all = downstream.clean[downstream.clean["speaker"] == "all"].set_index("recogniser")
glue("ds_params", f"{ds_raw['instrument']['parameters']:,}", display=False)
glue("ds_trained_on", f"{ds_raw['instrument']['trained_on']['takes']} of all {len(ds_raw['instrument']['trained_on']['speakers'])} "
     f"speakers ({ds_raw['instrument']['trained_on']['clips']:,} clips)", display=False)
glue("ds_clean_acc", f"{100 * ds_all.loc['instrument', 'accuracy']:.1f}% of the time (95% interval "
     f"{100 * ds_all.loc['instrument', 'lo']:.1f} to {100 * ds_all.loc['instrument', 'hi']:.1f}%)", display=False)
glue("ds_augmentation", ds_raw["instrument"]["augmentation"], display=False)
glue("ds_n_clips", ds_raw["test_data"]["fsdd"]["clips"], display=False)
noisy_0 = ds_inst.loc[(0.0, "noisy")]
glue("ds_width", f"{100 * (noisy_0['hi'] - noisy_0['lo']):.0f}", display=False)
glue("ds_sphinx_clean", f"{100 * ds_all.loc['pocketsphinx', 'accuracy']:.0f}%", display=False)


def ds_pct(table, snr, condition):
    row = table.loc[(snr, condition)]
    return f"{100 * row['accuracy']:.0f}% [{100 * row['lo']:.0f}, {100 * row['hi']:.0f}]"


rel = ds_inst.loc[(0.0, "release model")]
glue("ds_0_clean", ds_pct(ds_inst, 0.0, "clean"), display=False)
glue("ds_0_noisy", ds_pct(ds_inst, 0.0, "noisy"), display=False)
glue("ds_0_release", ds_pct(ds_inst, 0.0, "release model"), display=False)
glue("ds_0_change", f"{100 * rel['change']:+.0f} points (paired 95% interval {100 * rel['change_lo']:+.0f} to "
     f"{100 * rel['change_hi']:+.0f})", display=False)
glue("ds_0_flips", f"{100 * rel['wrong_to_right']:.0f}% of the digits from wrong to right and "
     f"{100 * rel['right_to_wrong']:.0f}% from right to wrong", display=False)
peers_0 = [c for c in ("DeepFilterNet3", "noisereduce (stationary)", "previous release model") if (0.0, c) in ds_inst.index]
glue("ds_0_peers", "; ".join(f"{c} {ds_pct(ds_inst, 0.0, c)}" for c in peers_0), display=False)
glue("ds_0_sphinx", f"{ds_pct(ds_sphinx, 0.0, 'noisy')} on the noisy input and {ds_pct(ds_sphinx, 0.0, 'release model')} "
     f"after the release model", display=False)

# %% tags=["hide-input"]
downstream.at(0.0)

# %% [markdown]
# At 0 dB the instrument recognises {glue:text}`ds_0_clean` of the clean clips, {glue:text}`ds_0_noisy` of
# the noisy ones and {glue:text}`ds_0_release` after the release model: a change of
# {glue:text}`ds_0_change`, turning {glue:text}`ds_0_flips`. The others: {glue:text}`ds_0_peers`.
# PocketSphinx, much weaker, gets {glue:text}`ds_0_sphinx`. With {glue:text}`ds_n_clips` clips the
# interval on the noisy input spans {glue:text}`ds_width` points, so only large differences are settled;
# the paired change (the same clips before and after) is the sharper comparison.
#
# {numref}`fig-downstream` shows the instrument at every SNR. What to look for: the gap between the
# noisy line and the clean line, and how much of it each method closes as the noise gets louder.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Recorded: the instrument's digit accuracy on FSDD's held-out speaker (test takes 0-4, unseen Hu noises) per SNR, on clean, noisy and denoised audio; bands are Wilson 95% intervals.", "name": "fig-downstream"}}
fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
show = [c for c in ("noisy", "release model", "DeepFilterNet3", "noisereduce (stationary)", "previous release model",
                    "oracle IRM") if c in set(downstream.fsdd["condition"])]
inst = downstream.fsdd[downstream.fsdd["recogniser"] == "instrument"]
for j, condition in enumerate(show):
    g = inst[inst["condition"] == condition].sort_values("snr_db")
    ax.plot(g["snr_db"], 100 * g["accuracy"], marker="o", color=f"C{j}", label=condition,
            ls="--" if condition.startswith("oracle") else "-")
    ax.fill_between(g["snr_db"], 100 * g["lo"], 100 * g["hi"], color=f"C{j}", alpha=0.12)
clean_line = inst[inst["condition"] == "clean"]["accuracy"].mean()
ax.axhline(100 * clean_line, color="black", lw=1, ls=":", label="clean")
ax.set(xlabel="SNR of the noisy input (dB)", ylabel="Digit accuracy (%)", ylim=(0, 102),
       title="Does denoising help the instrument recognise the digit?")
ax.legend(fontsize="small", ncol=2, loc="lower right")
plt.show()

# %% tags=["remove-cell"]
ds_low = min(ds_raw["test_data"]["snrs_db"])
glue("ds_low", f"{ds_low:g}", display=False)
glue("ds_low_noisy", ds_pct(ds_inst, ds_low, "noisy"), display=False)
glue("ds_low_release", ds_pct(ds_inst, ds_low, "release model"), display=False)
so = downstream.so_digits.set_index(["snr_db", "condition"])
so_snr = float(downstream.so_digits["snr_db"].max())


def so_pct(condition):
    row = so.loc[(so_snr, condition)]
    return f"{100 * row['word_accuracy']:.0f}% [{100 * row['lo']:.0f}, {100 * row['hi']:.0f}]"


glue("ds_so_snr", f"{so_snr:g}", display=False)
glue("ds_so", f"{so_pct('noisy')} on the noisy input, {so_pct('release model')} after the release model"
     + (f", {so_pct('DeepFilterNet3')} after DeepFilterNet3" if (so_snr, "DeepFilterNet3") in so.index else "")
     + (f" and {so_pct('clean')} on the clean 8 kHz recordings" if (so_snr, "clean") in so.index else ""),
     display=False)

# %% [markdown]
# At {glue:text}`ds_low` dB the instrument gets {glue:text}`ds_low_noisy` of the noisy clips and
# {glue:text}`ds_low_release` after the release model. The oracle's line shows that a mask computed from
# the clean speech would give almost every digit back: what the models leave is room to improve, not a
# limit of the approach.
#
# The same question on other voices: PocketSphinx word accuracy on the speechocean762 test speakers' digit
# strings mixed with the same unseen noises at {glue:text}`ds_so_snr` dB (intervals resample speakers):
# {glue:text}`ds_so`. The two judges need not agree on the ranking of methods (an artefact one
# recogniser shrugs off can throw the other), which is why the book reports both.

# %% [markdown]
# ## Listen
#
# Rows are chosen by a rule, not by taste: for each noise type, the clip at which the best model's
# SI-SDR improvement is the median of the test set. The columns are the few methods worth comparing by
# ear: the best model, spectral gating, DeepFilterNet3 (where it runs) and the oracle IRM. All players
# share one gain. Listen for residual noise between the words, *musical noise* (short tonal chirps left
# where a gate opened and closed), muffled consonants (high frequencies removed with the noise) and a
# phasey, hollow timbre.

# %% tags=["hide-input"]
listen_cols = [n for n in order if n in {best_name, "spectral gating (non-stationary)", "DeepFilterNet3", "oracle IRM"}]
rows = {}
for condition in evaluation.MAIN_NOISES:
    if condition not in listening:
        continue
    scores = per_clip[(per_clip["noise"] == condition) & (per_clip["method"] == best_name)].reset_index(drop=True)
    picks = {"median": int((scores["si_sdr_improvement"] - scores["si_sdr_improvement"].median()).abs().idxmin())}
    for rule, i in picks.items():
        n = test.lengths[i]
        sounds = {"clean": test.clean[i][:n], "noisy": listening[condition]["noisy input"][i][:n]}
        sounds.update({name: listening[condition][name][i][:n] for name in listen_cols})
        rows[f"{condition}, {rule} ({scores['clip_id'][i]})"] = sounds
audio.player_grid(rows, sr, title=f"Test clips at {run.snr_db:g} dB through the methods", row_header="noise, rule (clip)")

# %% tags=["remove-cell"]
medians = per_clip[per_clip["method"] == best_name].groupby("noise")["si_sdr_improvement"].median()
glue("listen_medians", "; ".join(f"{k} {medians[k]:+.1f} dB" for k in evaluation.MAIN_NOISES if k in medians.index),
     display=False)

# %% [markdown]
# Each row is a typical clip for the best model, not a showcase: its SI-SDR improvement is the median of
# its noise type, {glue:text}`listen_medians`.

# %% [markdown]
# The report's figure, redone: clean, noisy and denoised spectrograms of the median white-noise clip on
# one colour scale, so darker really means quieter ({numref}`fig-triptych`). What to look for: in the
# noisy panel, how much of the speech's pattern (the horizontal harmonics of the vowel, the short
# high-frequency bursts of consonants) disappears under the noise; in the denoised panel, which of it
# comes back, and how dark the background between the harmonics has become.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Clean, noisy (white noise) and denoised spectrograms of the median clip, one shared dB colour scale (0 dB = full scale).", "name": "fig-triptych"}}
scores = per_clip[(per_clip["noise"] == "white") & (per_clip["method"] == best_name)].reset_index(drop=True)
i = int((scores["si_sdr_improvement"] - scores["si_sdr_improvement"].median()).abs().idxmin())
n = test.lengths[i]
panels = {"clean": test.clean[i][:n], f"noisy ({run.snr_db:g} dB white)": listening["white"]["noisy input"][i][:n],
          f"denoised ({best_name})": listening["white"][best_name][i][:n]}
fig = plots.spectrogram_grid(panels, sr, cfg.n_fft, cfg.hop_length, panel_size=(4.0, 3.4),
                             title=f"Clip {scores['clip_id'][i]}: clean, noisy and denoised")
plt.show()

# %% tags=["remove-cell"]
glue("trip_clip", str(scores["clip_id"][i]), display=False)
glue("trip_gain", f"{scores['si_sdr_improvement'][i]:+.1f}", display=False)
try:  # the whole one-second window: FSDD clips are trimmed, so the noise alone is in the padding after the digit
    levels = metrics.background_drop_db(test.clean[i], listening["white"]["noisy input"][i],
                                        listening["white"][best_name][i], sr)
    trip_levels = (f"The panels can be read in numbers too (`metrics.background_drop_db`, on the whole one-second "
                   "window): where the clean window is silent (FSDD clips are trimmed, so that is the padding after "
                   f"the digit, pure noise in the input), the output is {levels['background']:.0f} dB quieter than "
                   "the noisy input, and in the digit's frames its level differs from the clean clip's by "
                   f"{levels['speech']:+.1f} dB (below 0: some speech removed with the noise; above: noise left on "
                   "top).")
except errors.ParameterError:  # a window without a silent frame has no background to measure
    trip_levels = "This window has no silent frame, so its background level cannot be read apart from the speech."
glue("trip_levels", Markdown(trip_levels), display=False)

# %% [markdown]
# On this clip, {glue:text}`trip_clip`, the best model changes SI-SDR by {glue:text}`trip_gain` dB.
# {glue:md}`trip_levels` A spectrogram shows where energy went; it cannot show whether the phase is right, which is why the
# chapter measures SI-SDR and lets you listen rather than judging from pictures, as the report did.

# %% [markdown]
# ## What the numbers say
#
# The summary below is computed from the tables above in this run.

# %% tags=["hide-input"]
white = si_sdr_summary[si_sdr_summary["noise"] == "white"].set_index("method")
white[["n", "mean", "ci_low", "ci_high"]].loc[[o for o in order if o in white.index]].round(2)

# %% tags=["remove-cell"]
contenders = white.drop(index=[r for r in oracle_rows if r in white.index])
winner = contenders["mean"].idxmax()
glue("winner_white", winner, display=False)
glue("winner_white_gain", f"{contenders.loc[winner, 'mean']:.1f}", display=False)
if "oracle IRM" in white.index:
    glue("irm_white", f"{white.loc['oracle IRM', 'mean']:.1f}", display=False)
else:
    glue("irm_white", "n/a", display=False)
report = white.loc[report_name, "mean"] if report_name in white.index else float("nan")
on_book_loss = report_name == zoo.book_loss_label("report_cae")
report_run = ""
if on_book_loss and report_name in zoo_all.index:  # its own run: length, why it stopped, its curve
    row = zoo_all.loc[report_name]
    until = {"time budget": "its time budget ran out", "early stopping": "its validation loss stopped improving",
             "epochs": "its last epoch"}.get(row.get("stopped by"), f"it stopped ({row.get('stopped by', '?')})")
    report_run = f", trained for {row['training time (min)']:.0f} minutes until {until}"
    if isinstance(row.get("curve"), str):
        report_run += f" ({row['curve']})"
glue("report_white", Markdown(
    f"{report:.1f} dB when trained on the book's loss (`{report_name}`{report_run}; on its own loss it "
    "collapses: chapter 5 measured it)" if on_book_loss else f"{report:.1f} dB"), display=False)

# %% [markdown]
# In white noise at the chapter's SNR the strongest non-oracle method is **{glue:text}`winner_white`**,
# with a mean SI-SDR improvement of {glue:text}`winner_white_gain` dB; the oracle ideal ratio mask reaches
# {glue:text}`irm_white` dB and the report's own autoencoder, rebuilt and {glue:text}`zoo_time6`,
# {glue:md}`report_white`. Chapter 7 takes the per-clip table apart by speaker, digit and speaker
# attributes.

# %% [markdown]
# ## The report's own number
#
# The student report summed up its autoencoder in one figure: an "SNR improvement" of
# {glue:text}`rm_claim` dB on its test set. It computed that SNR between **spectrograms**, not waveforms.
# Read as plainly as the report allows (the choices are documented in `metrics.report_snr_improvement_db`): with $C$ the clean
# magnitude spectrogram, $E$ the output's and $X$ the noisy input's, each over the frames of the clip,
#
# $$\mathrm{SNR}_\mathrm{spec}(C, E) = 10 \log_{10} \frac{\sum_{f,t} C_{f,t}^2}{\sum_{f,t} (C_{f,t} - E_{f,t})^2},
# \qquad \Delta_\mathrm{spec} = \mathrm{SNR}_\mathrm{spec}(C, E) - \mathrm{SNR}_\mathrm{spec}(C, X).$$
#
# `bench/report_metric.py` computes it next to SI-SDR for the same outputs, on the clips and noise draws of
# chapter 5's quality bar ({glue:text}`rm_setting`). These are **recorded** figures
# (`bench/results/report_metric.json`, run {glue:text}`rm_date`). A model that outputs a magnitude, like the
# report's, is also scored on its network's raw output spectrogram, before the noisy phase turns it into
# sound: that is literally what the report measured. What to look for: whether the two columns rank the
# rows alike, and the last column, the share of clips on which one metric says "better" and the other "worse".

# %% tags=["remove-cell"]
from digitdenoise import metrics

glue("rm_claim", f"{metrics.REPORT_CLAIMED_DB:+.2f}", display=False)  # quoted from the report, not measured here
report_file = Path(evaluation.__file__).resolve().parents[2] / report_metric_json
report_metric, rm_rows = (metrics.recorded_report_metric(report_file) if report_file.is_file()
                          else (None, pd.DataFrame()))
if report_metric is not None:
    rm = report_metric["results"]
    glue("rm_setting", f"{report_metric['clips']} clips of {', '.join(report_metric['test_speakers'])}, "
         f"{report_metric['noise']} noise at {report_metric['snr_db']:g} dB", display=False)
    glue("rm_date", report_metric["date"][:10], display=False)
    glue("rm_value", f"{report_metric['report_value_db']:+.2f}", display=False)
    glue("rm_silence", f"{-rm['noisy input']['spectrogram_snr_out_db']:+.1f}", display=False)
    glue("rm_irm", f"{rm['oracle IRM']['spectrogram_snr_improvement_db']['mean']:+.1f}", display=False)
    glue("rm_irm_si", f"{rm['oracle IRM']['si_sdr_improvement_db']['mean']:+.1f}", display=False)
    if "report_cae" in rm:
        cae = rm["report_cae"]
        net = rm.get("report_cae (network output)", cae)
        glue("rm_cae", Markdown(f"{net['spectrogram_snr_improvement_db']['mean']:+.1f} dB on the report's metric (its "
             f"network's own output spectrogram; {cae['spectrogram_snr_improvement_db']['mean']:+.1f} dB after "
             f"resynthesis) and {cae['si_sdr_improvement_db']['mean']:+.1f} dB SI-SDR improvement"), display=False)
    else:
        glue("rm_cae", Markdown("not in this recording (run `make report-metric` after `make release-zoo`)"), display=False)
    book = f"report_cae-{zoo.BOOK_LOSS}"
    if book in rm:
        spec_book = rm.get(book + " (network output)", rm[book])["spectrogram_snr_improvement_db"]["mean"]
        si_book = rm[book]["si_sdr_improvement_db"]["mean"]
        text = (f"Retrained on the book's loss (chapter 5), the same network scores {spec_book:+.1f} dB on the "
                f"report's metric and {si_book:+.1f} dB SI-SDR improvement.")
        level = rm_rows["output level re clean (dB)"]
        masks = [n for n in rm_rows.index if "mask_unet" in n]
        if spec_book < 0 < si_book and pd.notna(level.get(book)) and masks:
            text += (f" The metrics disagree again, the other way round: its output is {level[book]:.0f} dB louder "
                     f"than the clean speech (the mask U-Nets: {level[masks].min():+.1f} to {level[masks].max():+.1f} dB). "
                     "SI-SDR rescales the output before comparing, so it cannot see the level, and a loss built on it "
                     "leaves the level free; the report's metric compares levels and punishes it. A model meant for "
                     "listeners needs both, the right waveform and the right level; a bounded mask that "
                     "multiplies the noisy input cannot make the output much louder than the input.")
        glue("rm_cae_book", text, display=False)
    else:
        glue("rm_cae_book", "", display=False)
    most = rm_rows["signs disagree (% of clips)"].idxmax()
    glue("rm_disagree", f"{most} ({rm_rows.loc[most, 'signs disagree (% of clips)']:.0f}% of its clips)", display=False)
else:
    glue("rm_cae_book", "", display=False)
    for key in ("rm_setting", "rm_date", "rm_value", "rm_silence", "rm_irm", "rm_irm_si", "rm_cae", "rm_disagree"):
        glue(key, "n/a (no recording at bench/results/report_metric.json)", display=False)

# %% tags=["hide-input"]
rm_rows.round(2) if len(rm_rows) else print("no recorded report-metric run: make report-metric")

# %% [markdown]
# The report's autoencoder, rebuilt and trained to convergence, scores {glue:md}`rm_cae` here, against
# {glue:text}`rm_value` dB in the report. {glue:text}`rm_cae_book` The oracle IRM scores {glue:text}`rm_irm` dB on the report's
# metric and {glue:text}`rm_irm_si` dB on SI-SDR. The two metrics disagree most often for
# {glue:text}`rm_disagree`.
#
# Why the numbers live on different scales:
#
# * **The report's metric is not scale-invariant.** An output of pure silence has
#   $\mathrm{SNR}_\mathrm{spec} = 0$ dB, and the noisy input here sits below that, so silence "improves"
#   the spectrogram SNR by {glue:text}`rm_silence` dB while it removes every word. A model that shrinks its
#   output earns credit for it; SI-SDR rescales the output before comparing and gives none.
# * **It is blind to phase.** It compares magnitudes only, while the listener (and SI-SDR) receives a
#   waveform built from that magnitude and the *noisy* phase. A smooth, plausible spectrogram can still
#   make a worse waveform than the input.
# * **It depends on the spectrogram's scaling.** On power or on log-magnitude spectrograms the same
#   outputs score differently (the JSON has both readings); the report does not say which it used.
#
# The report's {glue:text}`rm_claim` dB therefore cannot be set beside this book's SI-SDR figures, and
# neither can a small positive spectrogram SNR be read as "the model helps". That is why this book scores waveforms, with a
# scale-invariant metric, against the same clean speech for every method.

# %% [markdown]
# ## Summary
#
# * On the held-out FSDD speaker in white noise at the chapter's SNR, **{glue:text}`winner_white`** improves
#   SI-SDR by {glue:text}`winner_white_gain` dB on average; the oracle IRM, which knows the clean speech,
#   by {glue:text}`irm_white` dB.
# * Plain SNR rewards silence and cannot rank methods; SI-SDR, PESQ and ESTOI each measure something
#   different, and the chapter reports all three with intervals.
# * The report's {glue:text}`rm_claim` dB is a spectrogram SNR: not scale-invariant (silence alone "gains"
#   {glue:text}`rm_silence` dB here) and blind to phase. On it the converged report autoencoder scores
#   {glue:md}`rm_cae`.
# * On the generalisation benchmark's test voices, microphones and noises (recorded), the release model meets
#   {glue:text}`n_bars_met` of {glue:text}`n_bars` bars; its worst non-speech cell is {glue:text}`worst_cell`.
#
# ## Exercises
#
# 1. **Another SNR.** `digitdenoise run --chapters 5,6 -p snr_db 0` evaluates every method at 0 dB. Which
#    methods gain most from the easier input, and does the winner change?
# 2. **Without the peers.** `digitdenoise run --chapters 6 -p peers ""` drops DeepFilterNet3 and RNNoise.
#    Which conclusions of the chapter depend on them?
# 3. **Listen for artefacts.** In the "Listen" grid, compare spectral gating with the release model on the
#    median white-noise clip: listen for *musical noise* (short tonal chirps where noise was gated) and for
#    muffled consonants (high frequencies removed with the noise). Which method shows which?
# 4. **Read the generalisation table.** In the recorded benchmark, find the noise family where the release
#    model is furthest from the oracle IRM at 0 dB, and play it in the worst-case row. What kind of sound is
#    it, and which ingredient of the general recipe (chapter 4) comes closest to it?
# 5. **A louder digit against the worst cell's noise.** The worst cell above is replayed with
#    `generalisation.replay_cell(recorded, run.data_home, source, noise)`; its `table` has an `snr_db`
#    column for every SNR of the benchmark. Draw {numref}`fig-worst-cell` again for the same utterance at
#    +5 dB, and measure it with `metrics.voiced_share` and `metrics.kept_level_db` as above. Once the digit
#    is the louder sound, does the model keep it whole, and how much of the noise is left? Compare with the
#    competing-talker table at the same SNR.
