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
# # 9. Appendix: speed and cost
#
# ```{admonition} You will learn
# :class: tip
# * what the real-time factor (RTF) measures, how to compute it, and what it does not tell you;
# * how to compare the speed of methods fairly: the same machine, the same run, pinned cores, a warm-up
#   and repeated measurements;
# * where the best model spends its time, and which changes to the inference path made it faster;
# * what it costs to prepare features, train the models and build this book.
# ```
#
# How fast is each method, on what machine, at what memory cost? The figures on this page come from
# `make bench` (`bench/run.py`), which measured every method in the same run on the machine named below;
# the page only reads and plots its `bench/results/bench.json`. Every inference measurement ran in its
# own process pinned to one or two cores, after a warm-up call, and is the median of several repeats.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample (this page reads the benchmark file only)
profile = "default"  # smoke, default or full
data_home = None
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
snr_db = -8.0
bench_file = "bench/results/bench.json"  # written by `make bench`
target_rtf = 0.005  # the book's speed target for its best model: real-time factor on one core
target_speedup = 20.0  # ... and how many times faster than the reference method (DeepFilterNet3)

# %% tags=["remove-input"]
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from myst_nb import glue

from digitdenoise import errors, plots

plots.book_style()
path = Path(bench_file)
if not path.is_file():
    raise errors.DataError(f"{path} not found: run `make bench` (python bench/run.py) first.")
bench = json.loads(path.read_text())
m = bench["machine"]

# %% tags=["remove-cell"]
glue("bench_date", bench["date"][:10], display=False)
glue("bench_cpu", f"{m['cpu']} ({m['cores_available']} cores), Python {m['python']}", display=False)
glue("bench_repeats9", bench.get("repeats", "several"), display=False)
glue("target_rtf9", f"{target_rtf:g}", display=False)
glue("target_speedup9", f"{target_speedup:g}", display=False)

# %% [markdown]
# ## The real-time factor
#
# Speed is reported as a **real-time factor** (RTF): the time a method takes to process a piece of audio,
# divided by how long that audio lasts,
#
# $$
# \mathrm{RTF} = \frac{\text{processing time}}{\text{audio duration}}.
# $$
#
# An RTF of 1 means the method needs exactly as long as the audio plays; below 1 it is faster than real
# time. An RTF of 0.01 means one second of audio takes 10 ms, and its reciprocal says the same the other
# way round: one second of processing cleans 1/0.01 = 100 s of audio. Lower is better, and because RTFs of
# different methods differ by orders of magnitude, the figures below use a logarithmic axis.
#
# Two cautions. The RTF depends on the machine and on how many cores the method may use as much as on the
# method, so RTFs are comparable only when measured on the same machine in the same run, as here. And the
# RTF measures *throughput*, not *delay*: it says how much audio a method gets through per second, not how
# long a listener waits for the first cleaned sample. This appendix measures throughput only.
#
# ## The machine
#
# **What to look for**: the processor and the number of cores. Every number below belongs to this machine;
# on yours, all of them will differ, and the ratios between methods may too.

# %% tags=["hide-input"]
pd.Series({"date": bench["date"], "cpu": m["cpu"], "cores": m["cores_available"],
           "platform": m["platform"], **{f"{k} version": v for k, v in m["versions"].items()}},
          name="value").to_frame()

# %% [markdown]
# Measured on {glue:text}`bench_date`, {glue:text}`bench_cpu`, each inference measurement repeated
# {glue:text}`bench_repeats9` times.
#
# ## Inference
#
# The benchmark timed the book's best model, the smallest model of chapter 5's zoo, the two pretrained
# peers of chapter 6 (DeepFilterNet3 and RNNoise) and spectral gating (`noisereduce`), each on one and on
# two cores, on two kinds of audio: the FSDD test speaker's clips (short clips, one call each)
# and a 60 s stream. The table gives the median RTF and how many times faster than DeepFilterNet3 each
# method ran on the same audio and cores.
#
# **What to look for**: the `rtf` columns for the order of the methods, and the ratio columns for the size
# of the gaps. Ratios above 1 are faster than DeepFilterNet3.

# %% tags=["hide-input"]
rows = []
for r in bench.get("rtf", []):
    if "rtf" not in r:
        continue
    for audio_name, s in r["rtf"].items():
        rows.append({"method": r["method"], "detail": r["detail"], "cores": r["cores"],
                     "audio": audio_name, "rtf": s["median"], "rtf_min": s["min"],
                     "rtf_max": s["max"], "load_s": r["load_s"], "peak_rss_mb": r["peak_rss_mb"]})
rtf = pd.DataFrame(rows)
missing = [f"{r['method']} ({r['cores']} cores): {r['missing']}" for r in bench.get("rtf", [])
           if "missing" in r]
reference = "DeepFilterNet3"  # the method every speed is compared with
ref = rtf[rtf["method"] == reference].set_index(["cores", "audio"])["rtf"]
speedup_col = f"× faster than {reference}"
rtf[speedup_col] = [ref.get((c, a), np.nan) / v
                    for c, a, v in zip(rtf["cores"], rtf["audio"], rtf["rtf"])]
best1 = rtf[(rtf["method"] == "best model") & (rtf["cores"] == 1)
            & (rtf["audio"] == "FSDD test speaker")]
table = rtf.pivot_table(index=["method", "cores"], columns="audio", values=["rtf", speedup_col])
table.round(4)

# %% tags=["remove-cell"]
glue("reference9", reference, display=False)
if len(best1):
    best_rtf, best_ratio = best1["rtf"].iloc[0], best1[speedup_col].iloc[0]
    glue("best_rtf_1core", f"{best_rtf:.4f}", display=False)
    glue("best_vs_dfn", f"{best_ratio:.1f}", display=False)
    glue("best_minute9", f"{60 * best_rtf:.2f}", display=False)
    glue("best_per_s9", f"{1 / best_rtf:.0f}", display=False)
    rtf_ok, speed_ok = best_rtf <= target_rtf, best_ratio >= target_speedup
else:
    best_rtf = np.nan
    for key in ("best_rtf_1core", "best_vs_dfn", "best_minute9", "best_per_s9"):
        glue(key, "n/a", display=False)
    rtf_ok = speed_ok = False
verdicts = {(True, True): "meets both parts", (True, False): "meets the RTF part but not the speed-up",
            (False, True): "meets the speed-up but not the RTF part",
            (False, False): "meets neither part yet"}
glue("rtf_target", verdicts[(rtf_ok, speed_ok)], display=False)
one_core = rtf[(rtf["cores"] == 1) & (rtf["audio"] == "FSDD test speaker")].sort_values("rtf")
glue("fastest9", f"{one_core['method'].iloc[0]} (RTF {one_core['rtf'].iloc[0]:.4f})", display=False)
glue("slowest9", f"{one_core['method'].iloc[-1]} (RTF {one_core['rtf'].iloc[-1]:.4f})", display=False)
by_cores = (rtf[rtf["audio"] == "FSDD test speaker"]
            .pivot_table(index="method", columns="cores", values="rtf"))
if {1, 2} <= set(by_cores.columns):
    gain2 = (by_cores[1] / by_cores[2]).sort_values(ascending=False)
    glue("two_core9", "; ".join(f"{k} {v:.1f}×" for k, v in gain2.items()), display=False)
else:
    glue("two_core9", "not measured (one core only)", display=False)

# %% [markdown]
# The figure shows the same medians as bars, with whiskers from the fastest to the slowest repeat.
#
# **What to look for**: on the logarithmic axis, each labelled step is a factor of ten. Bars to the left
# of the dotted line are faster than the target set for the best model (an RTF of
# {glue:text}`target_rtf9`). Compare the two bars of each method (does a second core help?) and the two
# panels (do short clips cost more per second of audio than a long stream?). Short whiskers mean the
# repeats agreed.

# %% mystnb={"figure": {"caption": "Median real-time factor per method on one and two cores, FSDD test speaker (left) and a 60 s stream (right), log scale; whiskers span the repeats' min to max; the dotted line marks the book's target for its best model.", "name": "fig-rtf"}} tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True, sharex=True)
methods = list(dict.fromkeys(rtf["method"]))
for ax, audio_name in zip(axes, ["FSDD test speaker", "60 s stream"]):
    for j, cores in enumerate(sorted(rtf["cores"].unique())):
        sub = (rtf[(rtf["audio"] == audio_name) & (rtf["cores"] == cores)]
               .set_index("method").reindex(methods))
        y = np.arange(len(methods)) + (j - 0.5) * 0.38
        ax.barh(y, sub["rtf"], height=0.36, label=f"{cores} core{'s' if cores > 1 else ''}",
                color=f"C{j}")
        ax.errorbar(sub["rtf"], y, xerr=[sub["rtf"] - sub["rtf_min"], sub["rtf_max"] - sub["rtf"]],
                    fmt="none", ecolor="black", elinewidth=0.7)
    ax.axvline(target_rtf, ls=":", color="black")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(plt.NullFormatter())  # decades only: minor labels collide
    ax.set(title=audio_name, xlabel="Real-time factor (processing s / audio s, log)")
axes[0].set_yticks(np.arange(len(methods)), methods)
axes[0].invert_yaxis()
axes[0].legend(loc="lower right", fontsize="small")
fig.suptitle("Inference speed of each method")
fig.tight_layout()
plt.show()

# %% [markdown]
# On one core the best model runs at a real-time factor of {glue:text}`best_rtf_1core` on the FSDD test
# speaker: a minute of such audio takes {glue:text}`best_minute9` s, or, the other way round, one second
# of processing cleans about {glue:text}`best_per_s9` s of audio. That is {glue:text}`best_vs_dfn` times
# faster than {glue:text}`reference9` in the same run. On one core and the test speaker, the fastest
# method is {glue:text}`fastest9` and the slowest {glue:text}`slowest9`.
#
# The book's target for its best model has two parts: a real-time factor of at most
# {glue:text}`target_rtf9` on one core, and {glue:text}`target_speedup9` times the speed of the reference
# method, {glue:text}`reference9`. This run {glue:text}`rtf_target`. Going from one core to two changes
# each method's speed on the test speaker by a factor (one-core RTF over two-core RTF) of:
# {glue:text}`two_core9`. A factor near 2 means the method keeps both cores busy; near 1, it runs
# essentially on one.
#
# The comparison is not like for like in every respect: the peers work at 48 kHz on full-band audio (our
# clips are resampled up for them, and the resampling is counted) and receive the test clips back to back
# as one stream, frame by frame; the book's models see 8 kHz audio, each clip on its own (batched with
# clips of the same length), and the 60 s stream in 30 s pieces; `noisereduce` processes each clip on its
# own.
#
# The next table gives what a method costs before and besides its speed: load time and peak memory
# (resident set size of the measuring process, TensorFlow included for the models). **What to look for**:
# whether memory, not speed, would limit where a method can run.

# %% tags=["hide-input"]
if missing:
    print("not measured:", *missing, sep="\n  ")
costs = rtf[rtf["audio"] == "FSDD test speaker"][
    ["method", "detail", "cores", "load_s", "peak_rss_mb"]]
costs.round(2).set_index(["method", "cores"])

# %% tags=["remove-cell"]
mem = costs[costs["cores"] == costs["cores"].min()].set_index("method")
glue("best_rss9", f"{mem.loc['best model', 'peak_rss_mb']:.0f}" if "best model" in mem.index else "n/a",
     display=False)
glue("best_load9", f"{mem.loc['best model', 'load_s']:.1f}" if "best model" in mem.index else "n/a",
     display=False)
glue("least_rss9", f"{mem['peak_rss_mb'].idxmin()} ({mem['peak_rss_mb'].min():.0f} MB)", display=False)
glue("small_rss9", f"{mem.loc['smallest zoo model', 'peak_rss_mb']:.0f}"
     if "smallest zoo model" in mem.index else "n/a", display=False)

# %% [markdown]
# On one core the best model's process peaks at {glue:text}`best_rss9` MB and takes
# {glue:text}`best_load9` s to load; the smallest footprint is {glue:text}`least_rss9`. The smallest zoo
# model peaks at {glue:text}`small_rss9` MB although it has far fewer parameters than the best model (see
# the training table below): most of a model's memory here is TensorFlow itself, not the weights.
#
# ## Where the best model's time goes
#
# `bench/run.py` also times the best model on one core along the inference path as it was before this
# appendix's measurements and as it is now, and splits one model call on a 30 s piece into its stages.
# **What to look for**: in the first table, the `speed-up` of each path over the old one; in the second,
# which stage takes nearly all of the time.

# %% tags=["hide-input"]
prof = bench.get("profile", {})
if "paths" not in prof:
    raise errors.DataError(f"{path} has no profile section: "
                           "run `python bench/run.py --only profile`.")
paths = pd.DataFrame([{"audio": a, "path": name, "real-time factor": v}
                      for a, d in prof["paths"].items() for name, v in d.items()])
before = {a: next(v for name, v in d.items() if name.startswith("before"))
          for a, d in prof["paths"].items()}
paths["speed-up"] = [before[a] / v for a, v in zip(paths["audio"], paths["real-time factor"])]
paths = paths.sort_values(["audio", "speed-up"])
order = ["STFT and log-magnitude features", "network (U-Net)", "complex mask and inverse STFT",
         "whole model call (float32)", "network in bfloat16 (instead)"]
stages = pd.Series(prof["stages"], name="real-time factor").reindex(order).to_frame()
total = prof["stages"]["whole model call (float32)"]
share = (100 * stages["real-time factor"] / total).round(0).astype(int)
stages["share of the float32 call"] = share.astype(str) + "%"
display(paths.round({"real-time factor": 4, "speed-up": 2}).set_index(["audio", "path"]))
display(stages.round(4))

# %% tags=["remove-cell"]
glue("net_share", f"{100 * prof['stages']['network (U-Net)'] / total:.0f}", display=False)
glue("net_gmac", f"{prof['network_gmac_per_audio_s']:.2f}", display=False)
glue("net_gflops", f"{prof['network_gflops_achieved']:.0f}", display=False)
bf16_gain = prof["stages"]["network (U-Net)"] / prof["stages"]["network in bfloat16 (instead)"]
glue("bf16_gain", f"{bf16_gain:.2f}", display=False)
glue("path_gains9", " and ".join(f"{p['speed-up']:.1f}× on the {p['audio']}" for _, p in
                              paths.groupby("audio").tail(1).iterrows()), display=False)
if np.isfinite(best_rtf) and not rtf_ok:
    arith = (f"Reaching the target of {target_rtf:g} would take a network with about "
             f"{100 * target_rtf / best_rtf:.0f}% of today's arithmetic, if time falls in proportion to "
             "arithmetic (the network is nearly all of the time): fewer channels in the full-resolution "
             "layers, or a longer hop. That means retraining and re-checking quality, a trade left open "
             "rather than made silently.")
elif np.isfinite(best_rtf):
    arith = f"The best model's RTF already meets the target of {target_rtf:g}; no smaller network is needed."
else:
    arith = "This benchmark file has no one-core measurement of the best model to compare with the target."
glue("arith9", arith, display=False)

# %% [markdown]
# Taken together, the changes speed the best model's path up by {glue:text}`path_gains9`.
# Three changes account for the speed-up, and the stage table says what is left:
#
# - **No one-second window.** The U-Nets are fully convolutional, so a clip only needs padding to a
#   multiple of 8 STFT frames (the three poolings), not to the one-second training window that a spoken
#   digit fills only partly (chapter 3); long audio goes through in 30 s pieces instead of one-second
#   windows that overlap by half, so each sample passes through the network about once instead of twice.
#   The padding *mirrors* the clip: appending digital silence, which the model never met in training,
#   cost most of the SI-SDR improvement (a test now guards against it), and clips shorter than 0.5 s are
#   mirrored up to 0.5 s so the model has some noise-only context; chapter 5's quality bar scores this
#   path next to the evaluation's one-second windows. This is not the padding chapter 3 calls harmless:
#   there clean clips are zero-padded *before* noise is mixed over the whole window, so in training the
#   padded frames are noisy like the rest; here noisy audio would be padded with exact zeros *after* the
#   noise is in it, something the model never saw.
# - **A compiled graph** instead of Keras' layer-by-layer Python calls (chapter 5's `denoise_batch`).
# - **bfloat16 arithmetic** in the network on CPUs that have it (this one has AVX-512 BF16): the network
#   runs {glue:text}`bf16_gain` times faster with the same SI-SDR (tested); the `denoise` command and the
#   service choose it automatically and fall back to float32 elsewhere.
#
# What remains is the network itself: {glue:text}`net_share`% of a float32 call, {glue:text}`net_gmac`
# G multiply-adds per second of audio at an effective {glue:text}`net_gflops` GFLOP/s on one core
# (counting the arithmetic of a direct convolution; the convolution library is already using faster
# algorithms, so this is not a loop waiting to be vectorised). The STFT, the mask and the inverse STFT
# are a few per cent, and a sampling profile of the whole deploy path (`bench/profile_deploy.py` under
# py-spy) finds nearly all of its time inside TensorFlow's graph execution: the Python around the model
# is not where the time goes. {glue:text}`arith9`
#
# ## Feature extraction and training
#
# The first table times four ways of turning FSDD's clips into log-magnitude features, in clips per
# second (higher is better), with the fastest and slowest of the repeats. **What to look for**: how much
# the thread pool of the pipeline gains over a plain loop, and whether a second worker helps.

# %% tags=["hide-input"]
feats = bench.get("features", {})
ft = pd.DataFrame([{"how": k, "clips/s (median)": v["clips_per_s"]["median"],
                    "min": v["clips_per_s"]["min"], "max": v["clips_per_s"]["max"]}
                   for k, v in feats.items() if isinstance(v, dict) and "clips_per_s" in v])
ft.round(0).set_index("how")

# %% tags=["remove-cell"]
speeds = ft.set_index("how")["clips/s (median)"]
pipeline = speeds[speeds.index.str.startswith("pipeline")]
loop = speeds[speeds.index.str.startswith("plain")]
glue("feat_best9", f"{pipeline.idxmax()} ({pipeline.max():.0f} clips/s)" if len(pipeline) else "n/a",
     display=False)
glue("feat_vs_loop9", f"{pipeline.max() / loop.iloc[0]:.1f}" if len(pipeline) and len(loop) else "n/a",
     display=False)
if "audiomnist" in feats:
    a = feats["audiomnist"]
    glue("am_prep_min", f"{a['extrapolated_full_prep_s'] / 60:.1f}", display=False)
    glue("am_prep_ms", f"{a['seconds_per_clip'] * 1000:.1f}", display=False)
    glue("am_clips9", a.get("measured_clips", "the"), display=False)
else:
    for key in ("am_prep_min", "am_prep_ms", "am_clips9"):
        glue(key, "n/a", display=False)

# %% [markdown]
# The fastest way is {glue:text}`feat_best9`, {glue:text}`feat_vs_loop9` times the plain loop. The
# pipeline decodes, resamples and fixes the length of each clip in a thread pool and computes the STFTs in
# chunks; the plain loop does the same one file at a time with `librosa.load`. Preparing all of AudioMNIST
# (30,000 clips at 48 kHz, resampled to 16 kHz) would take about {glue:text}`am_prep_min` min at the
# {glue:text}`am_prep_ms` ms per clip measured on the {glue:text}`am_clips9` sample clips: an
# extrapolation, not a measurement of the full set.
#
# Training speed, in clips per second through one epoch of chapter 5's recipe, next to each model's size.
# **What to look for**: whether the number of parameters predicts the speed.

# %% tags=["hide-input"]
train = bench.get("training", {})
trained = pd.DataFrame([{"model": k, "parameters": v["parameters"], "clips/s": v["clips_per_s"]}
                        for k, v in train.items() if "clips_per_s" in v]).set_index("model")
trained.round(1)

# %% tags=["remove-cell"]
glue("train_fast9", f"{trained['clips/s'].idxmax()} ({trained['clips/s'].max():.0f} clips/s, "
     f"{trained.loc[trained['clips/s'].idxmax(), 'parameters']:,} parameters)", display=False)
glue("train_slow9", f"{trained['clips/s'].idxmin()} ({trained['clips/s'].min():.0f} clips/s, "
     f"{trained.loc[trained['clips/s'].idxmin(), 'parameters']:,} parameters)", display=False)

# %% [markdown]
# The fastest to train is {glue:text}`train_fast9` and the slowest {glue:text}`train_slow9`. The
# parameter count is only a rough guide: what costs time is the arithmetic per clip, which also depends
# on how many layers work at full time-frequency resolution.
#
# ## Building this book
#
# Seconds to execute each chapter, per profile, as recorded by the runner. **What to look for**: which
# chapters dominate the build.

# %% tags=["hide-input"]
book = bench.get("book", {})
rows = [{"profile": p, "chapter": f"{t['chapter']}. {t['slug']}", "seconds": t["seconds"]}
        for p, v in book.items() for t in v["timings"]["chapters"]]
book_table = (pd.DataFrame(rows).pivot(index="chapter", columns="profile", values="seconds")
              if rows else None)
book_table.round(1) if rows else "no chapter timings recorded"

# %% tags=["remove-cell"]
if book_table is not None and "default" in book_table:
    col = book_table["default"].dropna()
    glue("book_total9", f"{col.sum() / 60:.1f} min over {len(col)} chapters", display=False)
    top = col.sort_values(ascending=False).head(2)
    glue("book_top9", " and ".join(f"{k} ({v:.0f} s)" for k, v in top.items()), display=False)
    glue("book_top_share9", f"{100 * top.sum() / col.sum():.0f}", display=False)
else:
    for key in ("book_total9", "book_top9", "book_top_share9"):
        glue(key, "n/a", display=False)

# %% [markdown]
# In the default profile the recorded chapters took {glue:text}`book_total9`; the two slowest,
# {glue:text}`book_top9`, account for {glue:text}`book_top_share9`% of it, so a rebuild that skips them
# (their artifacts kept) is far cheaper than a full one.
#
# ## Summary
#
# * The real-time factor is processing time divided by audio duration; below 1 is faster than real time,
#   and it is comparable only across methods measured on the same machine in the same run.
# * On one core the best model runs at an RTF of {glue:text}`best_rtf_1core` on the FSDD test speaker,
#   {glue:text}`best_vs_dfn` times faster than {glue:text}`reference9`; against the target of
#   {glue:text}`target_rtf9`, this run {glue:text}`rtf_target`.
# * Removing the one-second window, compiling the graph and using bfloat16 sped the best model's path up
#   by {glue:text}`path_gains9`; the network is now {glue:text}`net_share`% of a model call.
# * Features are prepared fastest by {glue:text}`feat_best9`; a default build of the book takes
#   {glue:text}`book_total9`, {glue:text}`book_top_share9`% of it in {glue:text}`book_top9`.
#
# ## Exercises
#
# Each exercise reruns this appendix with the project's runner (it only reads `bench/results/bench.json`,
# so it takes seconds in any profile) or asks you to edit one cell.
# A run with `-p` writes the executed chapter to `artifacts/<dataset>-<profile>/exercises/`, never over the
# book's own page (`--out` chooses another folder).
#
# 1. **Move the goalposts.** Run `digitdenoise run --chapters 9 --profile default -p target_rtf 0.01`.
#    Where does the dotted line fall now, which methods are to its left on one core, and what does the
#    sentence about the target say? A target is a choice; the measurements did not change.
# 2. **Another yardstick.** In the cell that builds the `rtf` table (under "Inference"), change
#    `reference = "DeepFilterNet3"` to `reference = "RNNoise"` and run the appendix again. Every ratio
#    changes (the speed-up part of the target now counts against RNNoise too); does the order of the
#    methods change? What does that tell you about reporting speed as "× faster than" a single peer?
# 3. **Short clips or a long stream?** In the same cell, change `"FSDD test speaker"` in the definition
#    of `best1` to `"60 s stream"`. How does the best model's one-core RTF differ between many short
#    calls and a few long ones, and which fixed costs per call could explain the difference?
# 4. **Your own arithmetic.** Using the formula above and the one-core RTFs in the table, work out how
#    long the best model and DeepFilterNet3 would each take to clean one hour of recordings. Then, in the
#    cell that builds the `rtf` table, add the line `rtf["audio s per s"] = 1 / rtf["rtf"]` just before
#    the line `table = ...`, add `"audio s per s"` to the `values` list of that line, run the appendix
#    again and check your answer against the new columns.
