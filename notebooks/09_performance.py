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
# * how to export the model to one self-contained TensorFlow Lite file, and how to check that it denoises
#   like the Keras model;
# * what a network's receptive field along time is, how a streaming denoiser turns it into an exact
#   block-by-block output, and what its algorithmic latency is made of;
# * what a small model trades for its speed (parameters, multiply-adds, latency, quality), and how to
#   measure what one change is worth against a control run: a look-ahead, full-resolution detail, or a
#   teacher (knowledge distillation);
# * what it costs to prepare features, train the models and build this book.
# ```
#
# How fast is each method, on what machine, at what memory cost? The figures of the first sections come
# from `make bench` (`bench/run.py`), which measured every method in the same run on the machine named
# below; the page only reads and plots its `bench/results/bench.json`. Every inference measurement ran in
# its own process pinned to one or two cores, after a warm-up call, and is the median of several repeats.
# The later sections read other recorded runs (the export engines, the small model), each named with its
# date where it is used: compare numbers within one run, not across runs.
# One section runs live code instead: it exports the release model and streams audio through it, which
# takes seconds.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample (test clips of the deployment section)
profile = "default"  # smoke, default or full
data_home = None
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
snr_db = -8.0  # SNR of the noisy test clips that the deployment section exports and streams (dB)
bench_file = "bench/results/bench.json"  # written by `make bench`
export_bench_file = "bench/results/export_parity.json"  # recorded engine speeds (bench/export_parity.py)
export_bench_small_file = "bench/results/export_parity-small.json"  # the same for the small model (--model-dir)
small_bench_file = "bench/results/small_model.json"  # recorded size and speed of both models (bench/small_model.py)
small_generalisation_file = "bench/results/generalisation-small.json"  # the small model on the generalisation benchmark
variant_files = ["bench/results/generalisation-small-centred0.json",  # the small model's first stage fine-tuned
                 "bench/results/generalisation-small-centred3.json",  # unchanged (the control), then variants
                 "bench/results/generalisation-small-centred5.json",  # that look ahead, one that refines at full
                 "bench/results/generalisation-small-refine8.json",  # resolution and one that learns from the
                 "bench/results/generalisation-small-distil.json"]  # release model (make small-variants)
deploy_clips = 8  # test clips for the export and streaming checks
block_frames = 8  # STFT frames per block of the streaming denoiser (a multiple of 8)
target_rtf = 0.005  # the book's speed target for its best model: real-time factor on one core
target_speedup = 20.0  # ... and how many times faster than the reference method (DeepFilterNet3)

# %% tags=["remove-input"]
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
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
# long a listener waits for the first cleaned sample. The benchmark measures throughput only; the section
# on streaming below works out the delay.
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
             "layers, or a longer hop. That means retraining and re-checking quality: the trade that the small "
             "model at the end of this page makes, in the open, with its quality measured beside its speed.")
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
#   costs {glue:text}`pad_cost9` dB of SI-SDR improvement on this page's deployment clips (measured below:
#   {glue:text}`pad_scores9`; a test guards the path), and clips shorter than 0.5 s are
#   mirrored up to 0.5 s so the model has some noise-only context; chapter 5's quality bar scores this
#   path next to the evaluation's one-second windows. This is not the padding chapter 3 calls harmless:
#   there clean clips are zero-padded *before* noise is mixed over the whole window, so in training the
#   padded frames are noisy like the rest; here noisy audio would be padded with exact zeros *after* the
#   noise is in it, something the model never saw.
# - **A compiled graph** instead of Keras' layer-by-layer Python calls (chapter 5's `denoise_batch`).
# - **bfloat16 arithmetic** in the network on CPUs with native bfloat16 instructions (AVX-512 BF16 or
#   AMX): in this benchmark's run the network ran {glue:text}`bf16_gain` times faster in bfloat16 with the
#   same SI-SDR (tested). A CPU without those instructions emulates bfloat16, and then it is *slower* than
#   float32 (the engine table further down may show it); so the `denoise` command and the service read the
#   CPU's flags (`precision="auto"`) and use bfloat16 only where the CPU has them.
#
# What remains is the network itself: {glue:text}`net_share`% of a float32 call, {glue:text}`net_gmac`
# G multiply-adds per second of audio at an effective {glue:text}`net_gflops` GFLOP/s on one core
# (counting the arithmetic of a direct convolution; the convolution library is already using faster
# algorithms, so this is not a loop waiting to be vectorised). The STFT, the mask and the inverse STFT
# are a few per cent, and a sampling profile of the whole deploy path (`bench/profile_deploy.py` under
# py-spy) finds nearly all of its time inside TensorFlow's graph execution: the Python around the model
# is not where the time goes. {glue:text}`arith9`
#
# ## Deploying the model: export and streaming
#
# The measurements above answer how much audio the best model gets through per second, inside a Python
# process with TensorFlow. Putting the model to work raises two more questions. Can it run *without*
# TensorFlow, in a phone app, a browser or a small container? And how long does a listener wait for the
# cleaned sound when the audio arrives live, a few milliseconds at a time? This section answers both,
# live, on the release model that the `denoise` command and the service use
# (`inference.default_model_dir()`). The first cell below loads it, with a few noisy test clips to work on.

# %% tags=["remove-input"]
import time

from digitdenoise import config, data, evaluation, export, features, inference, streaming, training

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
deploy_dir = run.artifacts_dir / "deploy"  # the exported file goes here, never into the repository
deploy_dir.mkdir(parents=True, exist_ok=True)

# %% tags=["hide-input"]
model_dir = inference.default_model_dir()
model, info = training.load_denoiser(model_dir)
sr = model.cfg.sample_rate
# the release model works at FSDD's 8 kHz: another dataset's clips are used only if they share its rate
clip_data = run.dataset if data.spec(run.dataset).working_rate == sr else "fsdd"
test = evaluation.build_test_set(clip_data, run.data_home, seed=run.seed,
                                 clips_per_speaker=run["clips_per_speaker"], max_clips=deploy_clips)
noisy_fixed = test.noisy("recording", run.snr_db)
clips = [noisy_fixed[i, :n] for i, n in enumerate(test.lengths)]  # each clip at its real length

# %% tags=["remove-cell"]
glue("dep_clips", len(clips), display=False)
glue("dep_data", clip_data.upper() if clip_data == "fsdd" else clip_data, display=False)
glue("dep_snr", f"{run.snr_db:g}", display=False)
glue("dep_model", info.get("model", model.model_name), display=False)
glue("dep_params", f"{model.network.count_params():,}", display=False)
# what padding does at inference: the clips at their own length, mirrored (the denoise command's path), against
# the same clips zero-padded to the one-second window (digital silence after the noise), scored on real lengths
mirrored = training.denoise_signals(model, clips)
n_win = model.cfg.n_samples
zero_padded = training.denoise_batch(model, features.batch_fixed_length(clips, n_win)[0])
as_window = features.batch_fixed_length(mirrored, n_win)[0]
pad_scores = {name: evaluation.si_sdr_table(test.clean, noisy_fixed, est, test.lengths)["si_sdr_improvement"].mean()
              for name, est in (("mirrored", as_window), ("zero-padded", zero_padded))}
glue("pad_cost9", f"{pad_scores['mirrored'] - pad_scores['zero-padded']:.1f}", display=False)
glue("pad_scores9", f"{pad_scores['mirrored']:+.1f} dB mirrored against {pad_scores['zero-padded']:+.1f} dB zero-padded",
     display=False)

# %% [markdown]
# The examples use {glue:text}`dep_clips` test clips of {glue:text}`dep_data`'s held-out speakers, each
# mixed at its real length with a real noise recording at {glue:text}`dep_snr` dB (chapter 6's
# `recording` condition).
#
# ### One file for any TFLite interpreter
#
# TensorFlow Lite (now called LiteRT) runs a model stored as one flat file of operators and constants,
# with a small interpreter that exists for phones, microcontrollers and plain Python. The
# export below puts the *whole* path into that file, waveform in and waveform out: the STFT, the scaled
# log-magnitude image, the U-Net, the complex mask and the inverse STFT. The caller needs nothing but the
# interpreter and a short JSON sidecar that records the feature settings.
#
# The converter accepts only its **built-in** operators (the alternative, TensorFlow's "select ops",
# would ship much of TensorFlow inside the app), and three parts of the Keras graph have none, so
# `export.export_forward` rewrites them with the same weights. The complex mask $c + id$ is applied to
# the noisy STFT bin $a + ib$ in real arithmetic, as
#
# $$
# (a + ib)(c + id) = (ac - bd) + i\,(ad + bc);
# $$
#
# the inverse real FFT of each frame becomes one matrix product with a fixed matrix $M$ of cosines and
# sines, $x = [\operatorname{Re} X,\ \operatorname{Im} X]\, M$ (the overlap-add becomes a few shifted
# sums); and the trained weights are frozen into constants of the graph, because a bare interpreter
# would leave Keras' variables uninitialised. `export.to_tflite` converts, runs the file once on a noise
# probe and refuses to write it if its output differs from the Keras model's by more than a tolerance.
#
# The next cell exports the release model into this run's artifacts folder and denoises the test clips
# with both engines. `export.TFLiteDenoiser` stands in for the Keras model wherever the library denoises,
# so the same `training.denoise_signals` call runs either.

# %%
tflite_path = export.to_tflite(model_dir, deploy_dir / "model.tflite")
engine = export.TFLiteDenoiser(tflite_path, num_threads=1)
keras_out = training.denoise_signals(model, clips)
tflite_out = training.denoise_signals(engine, clips)

# %% [markdown]
# **What to look for**: the last column, the largest difference between the two engines' output samples
# on each clip, next to the size of the samples themselves (the column before it).

# %% tags=["hide-input"]
parity = pd.DataFrame({
    "speaker": test.clips["speaker"], "digit": test.clips["digit"],
    "seconds": [c.size / sr for c in clips],
    "peak |Keras output|": [np.max(np.abs(k)) for k in keras_out],
    "max |TFLite − Keras|": [np.max(np.abs(t - k)) for t, k in zip(tflite_out, keras_out)]})
parity.set_index(["speaker", "digit"]).style.format(
    {"seconds": "{:.2f}", "peak |Keras output|": "{:.3f}", "max |TFLite − Keras|": "{:.1e}"})

# %% tags=["remove-cell"]
max_diff = parity["max |TFLite − Keras|"].max()
glue("dep_tfl_diff", f"{max_diff:.1e}", display=False)
glue("dep_tfl_rel", f"{max_diff / parity['peak |Keras output|'].max():.0e}", display=False)
glue("dep_tfl_mb", f"{tflite_path.stat().st_size / 1e6:.1f}", display=False)
glue("dep_keras_mb", f"{(model_dir / 'model.keras').stat().st_size / 1e6:.1f}", display=False)
glue("dep_weights_mb", f"{4 * model.network.count_params() / 1e6:.1f}", display=False)
glue("dep_irfft_mb", f"{4 * 2 * model.cfg.n_freqs * model.cfg.n_fft / 1e6:.2f}", display=False)

# %% [markdown]
# Over these clips the two engines differ by at most {glue:text}`dep_tfl_diff`, about
# {glue:text}`dep_tfl_rel` times the largest output sample: float32 rounding, because the rewritten graph
# adds and multiplies in a different order, far below anything a listener could hear or a metric of
# chapter 6 could resolve. The file `model.tflite` holds {glue:text}`dep_tfl_mb` MB, nearly all of it the
# {glue:text}`dep_params` weights of the {glue:text}`dep_model` network at four bytes each
# ({glue:text}`dep_weights_mb` MB), and most of the rest the constant matrix of the inverse FFT
# ({glue:text}`dep_irfft_mb` MB); the Keras archive it came from holds {glue:text}`dep_keras_mb` MB.
# What the file does not need is the TensorFlow runtime, which makes up most of the Keras model's
# memory (the memory table above).
#
# ### Speed of the engines (recorded)
#
# Is the TFLite file also faster? An honest answer needs each engine timed alone, on one pinned core and
# one thread, with repeats; inside a book build that shares its cores, the timings would be noise. The
# script `bench/export_parity.py` does it properly, in about a minute;
# `python bench/export_parity.py --out bench/results/export_parity.json` records its results where this
# page looks, and `--model-dir models/release/general-small_tcn --out bench/results/export_parity-small.json`
# the same for the small model of the next part. It times the Keras graph in float32 and bfloat16, the
# TFLite file, ONNX Runtime if installed, and the streaming denoiser. Where the TFLite file wins, the
# `denoise` command and the service can run it instead of Keras: `denoise --engine tflite` converts the
# model once, checks it against Keras as above and keeps the file in its cache. {glue:md}`dep_bench_note`
#
# **What to look for**, if a table follows: the real-time factor of each engine, for the test windows as
# one batch and for one clip per call (where fixed costs per call count), all on one thread; for the small
# model, whether the engine matters more or less than for the U-Net when the network itself is cheap.

# %% tags=["hide-input"]
export_bench = Path(export_bench_file)
if export_bench.is_file():
    recorded = json.loads(export_bench.read_text())
    engine_rows = []
    for who, file in (("release model", export_bench), ("small model", Path(export_bench_small_file))):
        if not file.is_file():
            continue
        run_record = json.loads(file.read_text())
        engine_rows += [{"model": who, "engine": r["engine"], "recorded": run_record.get("date", "")[:10],
                         **{f"RTF, {k}": v["rtf_median"] for k, v in r.items() if isinstance(v, dict)}}
                        for r in run_record.get("speed", []) if "error" not in r]
    engines_all = pd.DataFrame(engine_rows).set_index(["model", "engine"])
    engines = engines_all.loc["release model"]
    display(engines_all.round(4))
else:
    print(f"{export_bench} not found: no recorded engine speeds to show.")

# %% tags=["remove-cell"]
if export_bench.is_file():
    stamp = recorded.get("date") or time.strftime("%Y-%m-%d", time.localtime(export_bench.stat().st_mtime))
    label = "recorded on" if "date" in recorded else "file written on"
    per_call = engines.get("RTF, one clip per call")
    fastest = (f" On one clip per call the fastest engine was {per_call.idxmin()} "
               f"(RTF {per_call.min():.4f})."
               if per_call is not None and per_call.notna().any() else "")
    parity_rec = recorded.get("parity", {})
    agree = (f" Its parity check on {parity_rec['clips']} clips found a largest difference of "
             f"{parity_rec['tflite_max_abs_diff']:.1e} between TFLite and Keras."
             if "tflite_max_abs_diff" in parity_rec else "")
    bf16_note = ""
    if per_call is not None and {"keras float32", "keras bfloat16"} <= set(per_call.dropna().index):
        f32, b16 = per_call["keras float32"], per_call["keras bfloat16"]
        if b16 > f32:  # emulated bfloat16: the CPU of that run lacked the instructions
            bf16_note = (f" There bfloat16 was {b16 / f32:.1f} times *slower* than float32 (RTF {b16:.4f} against "
                         f"{f32:.4f}): what a CPU without native bfloat16 instructions does, and why "
                         "`precision=\"auto\"` checks for them.")
    glue("dep_bench_note", Markdown(f"The table below is a recorded run ({label} {stamp[:10]}, read from "
         f"`{export_bench}`), not measured during this build.{fastest}{agree}{bf16_note}"), display=False)
else:
    glue("dep_bench_note", Markdown(f"This checkout has no `{export_bench}`, so this page shows no engine speeds; "
         "run the command above to record them."), display=False)

# %% [markdown]
# ### Streaming: how far the model looks ahead
#
# A live denoiser receives audio in small pieces and must return cleaned audio as it goes, with a
# bounded delay. The U-Net is convolutional along time, so each output STFT frame depends on a *window* of
# input frames around it, its **receptive field** along time: the frames before it (its context) and the
# frames after it (its **look-ahead**). The network is *non-causal*: its convolutions are centred, and
# every pooling level doubles how far one more convolution sees, so an output frame needs input from
# hundreds of milliseconds in the future. `streaming.time_reach` works the field out from the layers.
#
# A streaming denoiser that gives *exactly* the whole-clip output therefore cannot release a frame
# before its look-ahead has arrived. `streaming.StreamingDenoiser` collects the input, computes STFT
# frames as their samples complete, and runs the network on one block of $B$ frames at a time, together
# with the context before it and the $L$ look-ahead frames after it; it overlap-adds the block's inverse
# STFT and releases every sample that no later frame can still change. Blocks are a multiple of
# {glue:text}`dep_grid` frames, the step of the U-Net's deepest level, so every block sees its input
# aligned as in a whole-clip pass. The oldest sample of a block has waited for the block, the look-ahead
# and one STFT window of $N$ samples (less one hop $h$, which the block's last frame shares with it), so
# the **algorithmic latency** is
#
# $$
# \text{latency} = \underbrace{B\,h}_{\text{block}} + \underbrace{L\,h}_{\text{look-ahead}}
#   + \underbrace{(N - h)}_{\text{window} - \text{hop}} = (B + L - 1)\,h + N \ \text{samples}.
# $$
#
# Computation time comes on top, and each block's network call must finish within a block's duration for
# the stream to keep up (`bench/export_parity.py` times the streaming denoiser too). The next cell asks for
# the field, feeds the test clips, played back to back as one live signal, to a streaming denoiser in
# pieces of random sizes (as a sound card with an irregular buffer might deliver them), and denoises the
# same signal in one whole-clip call for comparison.

# %%
reach = streaming.time_reach(model.network)
live = np.concatenate(clips)
stream = streaming.StreamingDenoiser(model, block_frames=block_frames)
rng = np.random.default_rng(run.seed)
pieces, progress, start = [], [], 0
while start < live.size:
    size = int(rng.integers(1, 400))  # an irregular piece of input, up to 50 ms at 8 kHz
    pieces.append(stream.process(live[start:start + size]))
    start += size
    progress.append((min(start, live.size), sum(p.size for p in pieces)))  # samples in, samples out
pieces.append(stream.flush())
streamed = np.concatenate(pieces)
whole = training.denoise_signals(model, [live])[0]
print(f"receptive field: {reach.context} frames back, {reach.lookahead} ahead, on a grid of {reach.grid}")
print(f"latency: {stream.latency_samples} samples = {stream.latency_ms:.0f} ms")

# %% tags=["remove-cell"]
cfg9, hop = model.cfg, model.cfg.hop_length
ms = 1000 / sr  # milliseconds per sample
glue("dep_grid", reach.grid, display=False)
glue("dep_grid_ms", f"{reach.grid * hop * ms:.0f}", display=False)
glue("dep_field_ms", f"{(reach.context + reach.grid + reach.lookahead) * hop * ms:.0f}", display=False)
glue("dep_context", reach.context, display=False)
glue("dep_field_ahead", reach.lookahead, display=False)
glue("dep_lookahead", stream.lookahead, display=False)  # L: at least the field's look-ahead
glue("dep_reach_ms", f"{stream.lookahead * hop * ms:.0f}", display=False)
glue("dep_block", stream.block_frames, display=False)
glue("dep_hop", hop, display=False)
glue("dep_hop_ms", f"{hop * ms:g}", display=False)
glue("dep_nfft", cfg9.n_fft, display=False)
glue("dep_block_ms", f"{stream.block_frames * hop * ms:.0f}", display=False)
glue("dep_window_ms", f"{(cfg9.n_fft - hop) * ms:.0f}", display=False)
glue("dep_latency_samples", f"{stream.latency_samples:,}", display=False)
glue("dep_latency_ms", f"{stream.latency_ms:.0f}", display=False)
glue("dep_live_s", f"{live.size / sr:.1f}", display=False)
glue("dep_pieces", len(pieces) - 1, display=False)
glue("dep_stream_diff", f"{np.max(np.abs(streamed - whole)):.1e}", display=False)
glue("dep_stream_len", "the same length as" if streamed.size == live.size else "a different length from",
     display=False)
glue("dep_causal_ms", f"{((stream.block_frames - 1) * hop + cfg9.n_fft) * ms:.0f}", display=False)
glue("dep_frame_ms", f"{cfg9.n_fft * ms:.0f}", display=False)

# %% [markdown]
# The U-Net's field reaches {glue:text}`dep_context` frames back and {glue:text}`dep_field_ahead` frames
# ahead, at a hop of {glue:text}`dep_hop` samples ({glue:text}`dep_hop_ms` ms) per frame. With blocks
# of $B$ = {glue:text}`dep_block` frames, $L$ = {glue:text}`dep_lookahead`, $h$ = {glue:text}`dep_hop`
# and $N$ = {glue:text}`dep_nfft`, the formula gives
# {glue:text}`dep_latency_samples` samples, **{glue:text}`dep_latency_ms` ms**: {glue:text}`dep_block_ms`
# ms of block, {glue:text}`dep_reach_ms` ms of look-ahead and {glue:text}`dep_window_ms` ms of window.
# The {glue:text}`dep_live_s` s signal went in as {glue:text}`dep_pieces` pieces of random sizes; the
# streamed output has {glue:text}`dep_stream_len` the input and differs from the whole-clip output by at
# most {glue:text}`dep_stream_diff`, float32 rounding again. Carrying the right state (the frames of
# context, the unfinished overlap-add) makes block-by-block processing exact, not an approximation.
#
# {numref}`fig-stream-reach` shows both sides of the latency. On the left, one sample in the middle of
# the signal is changed by a click, and both versions are denoised whole; the curve is how much each
# output frame changed, in dB below the output's peak. On the right, how many samples the streaming
# denoiser had released against how many it had received, after each piece. **What to look for**: on
# the left, how far *before* the click (negative times) the output changes, and that beyond some
# distance it does not change at all (no curve drawn: the samples are bit for bit the same); on the
# right, the distance between the staircase and the dotted diagonal of an instantaneous denoiser.

# %% mystnb={"figure": {"caption": "Left: change of the whole-clip output, per STFT hop, when one input sample in the middle of the signal is changed, in dB below the output's peak (gaps: no change at all); dashed lines: the network's reach, dotted line: the streaming latency. Right: output samples released against input samples received, after each irregular piece (staircase), with the diagonal of an instantaneous denoiser and that diagonal shifted by the latency.", "name": "fig-stream-reach"}} tags=["hide-input"]
centre = live.size // 2
clicked = live.copy()
clicked[centre] += 0.5 * np.max(np.abs(live))  # one sample changed: a click
pair = np.asarray(model(np.stack([live, clicked]), training=False))  # one batch: same rounding in both rows
change = np.abs(pair[1] - pair[0])
changed = np.flatnonzero(change)
per_hop = change[: change.size // hop * hop].reshape(-1, hop).max(axis=1)
t_ms = (np.arange(per_hop.size) * hop + hop / 2 - centre) * ms
level = np.where(per_hop > 0, 20 * np.log10(np.maximum(per_hop, 1e-30) / np.max(np.abs(pair[0]))), np.nan)

fig, (ax_click, ax_stair) = plt.subplots(1, 2, figsize=(12, 3.8))
ax_click.plot(t_ms, level, lw=1)
for edge in (-stream.lookahead, reach.context):  # look-ahead before the click, context after it
    ax_click.axvline(edge * hop * ms, ls="--", color="grey", lw=0.8,
                     label="network's reach" if edge < 0 else None)
ax_click.axvline(-stream.latency_ms, ls=":", color="black", label="streaming latency")
ax_click.legend(loc="upper right", fontsize="small")
ax_click.set(xlim=(-1.4 * stream.latency_ms, 1.4 * stream.latency_ms),
             xlabel="Time relative to the click (ms)", ylabel="Change of the output (dB re peak)",
             title="Which outputs one input sample reaches")
received, released = np.array(progress).T / sr
ax_stair.step(received, released, where="post", label="streaming denoiser")
lim = live.size / sr
ax_stair.plot([0, lim], [0, lim], ls=":", color="black", label="no delay")
ax_stair.plot([0, lim], [-stream.latency_ms / 1000, lim - stream.latency_ms / 1000], ls="--", color="grey",
              label="delayed by the latency")
ax_stair.set(xlim=(0, lim), ylim=(0, lim), xlabel="Input received (s)", ylabel="Output released (s)",
             title="Samples out against samples in")
ax_stair.legend(loc="upper left", fontsize="small")
fig.tight_layout()
plt.show()

# %% tags=["remove-cell"]
from digitdenoise import models, zoo

small_dir = Path(model_dir).parent / "general-small_tcn"  # make release-small writes it there
small_trained = (small_dir / "model.keras").is_file()
small = (training.load_denoiser(small_dir)[0] if small_trained
         else models.build_denoiser("small_tcn", model.cfg))  # the latency depends on the layers alone
small_reach = streaming.time_reach(small.network)
small_stream = streaming.StreamingDenoiser(small, block_frames=small_reach.grid)
glue("small_context", small_reach.context, display=False)
glue("small_ahead", small_reach.lookahead, display=False)
glue("small_latency_ms", f"{small_stream.latency_ms:.0f}", display=False)
glue("small_trained_note", Markdown("" if small_trained else "Its training on the general recipe (`make release-small`) "
     "has not been recorded yet, so this section states its latency, which depends on the layers alone, and no "
     "quality."), display=False)

# %% tags=["remove-cell"]
back_ms, ahead_ms = (centre - changed[0]) * ms, (changed[-1] - centre) * ms
glue("dep_back_ms", f"{back_ms:.0f}", display=False)
glue("dep_ahead_ms", f"{ahead_ms:.0f}", display=False)
glue("dep_back_vs_latency", "less than" if back_ms < stream.latency_ms else "not less than", display=False)
lag = np.array([i - o for i, o in progress]) * ms
glue("dep_lag_max", f"{lag.max():.0f}", display=False)
steady = np.array([i for i, _ in progress]) > stream.latency_samples  # after the first output
glue("dep_lag_min", f"{(lag[steady] if steady.any() else lag).min():.0f}", display=False)

# %% [markdown]
# On the left, the click changes the output from {glue:text}`dep_back_ms` ms before it to
# {glue:text}`dep_ahead_ms` ms after it, and not one sample outside that span. The span is a little wider
# than the network's reach (dashed) because the click falls into several overlapping STFT frames, each
# output frame is spread back over a whole window, and a frame at the start of a pooling block needs the
# same look-ahead as the block's last frame. It reaches back {glue:text}`dep_back_vs_latency` the latency
# (dotted): an exact streaming denoiser cannot release a sample that a later input could still change, and
# the latency is the longest it holds a sample back. On the right, the output trails the input by between
# {glue:text}`dep_lag_min` and {glue:text}`dep_lag_max` ms once it has started: the staircase runs along
# the dashed line in steps of whole blocks, whatever the sizes of the input pieces.
#
# **Why hundreds of milliseconds, and what a causal model would change.** The look-ahead is the price of
# the U-Net's design, not of streaming. Its convolutions are centred, so every one of them looks as far
# ahead as back, and each pooling level doubles the span of a step: at the deepest level one step is
# {glue:text}`dep_grid` frames ({glue:text}`dep_grid_ms` ms), and the few convolutions there account for
# much of the reach. That is why every output frame depends on up to {glue:text}`dep_field_ms` ms of input
# around it, and also part of why the model denoises well: it hears how a word continues before deciding
# what is noise. A **causal** network (convolutions padded on the past side only, or recurrent layers, as
# in the real-time peers of chapter 6, RNNoise {cite:p}`valin2018rnnoise` and DeepFilterNet3
# {cite:p}`schroeter2023deepfilternet3`, which look ahead by a few short frames at most) has $L = 0$, or
# close to it. The formula then leaves the block and the window: {glue:text}`dep_causal_ms` ms with this
# STFT and blocks of {glue:text}`dep_block` frames, and down to one window, {glue:text}`dep_frame_ms` ms,
# for a network that can update frame by frame. The book's small model, `small_tcn` (the zoo table of
# chapter 5), is built that way: causal convolutions after a shift of a few frames. For it
# `streaming.time_reach` finds {glue:text}`small_context` frames of context and {glue:text}`small_ahead`
# of look-ahead, and no pooling in time, so blocks may be a single frame: a latency of
# **{glue:text}`small_latency_ms` ms**, against {glue:text}`dep_latency_ms` ms for the U-Net. It streams
# exactly too (the library's tests compare it with whole-clip processing). What it costs in quality is a
# separate question: without the future, a network usually removes less noise.
# {glue:md}`small_trained_note` One more difference from the `denoise` command: its do-no-harm guard (chapter 6) judges the
# whole output against the whole input, which a stream never has, so the streaming denoiser returns the
# model's output unguarded.
#
# ### Size against quality
#
# What does a much smaller network, with a few frames of look-ahead instead of dozens, give up? Cost
# comes in three currencies: **parameters** (memory and download size), **multiply-adds per second of
# audio** (MAC/s, the arithmetic the model needs whatever machine runs it) and the **real-time factor**
# measured on one thread of this machine (RTF, chapter 9's first section), which also counts everything
# that is not arithmetic. A convolution layer with $k$ taps, $C_\text{in}$ input and $C_\text{out}$
# output channels, applied to $F$ bands at $R$ frames per second, costs
#
# $$\text{MAC/s} = k \, C_\text{in} \, C_\text{out} \, F \, R,$$
#
# so a model that first compresses the spectrum into a few bands and keeps few channels in its long
# temporal layers saves the arithmetic where the U-Net spends it: wide layers over many frequency rows. The table sets the two models side by side:
# parameters and MAC/s counted from the layers, RTF and the speed-up over DeepFilterNet3 from the
# **recorded** run of `bench/small_model.py` ({glue:text}`small_bench_date`, one thread, 20 FSDD clips),
# the latency worked out above, each checkpoint's training (from its `train_config.json`) and the quality
# bar of chapter 5 (SI-SDR improvement, FSDD test speaker, white noise at -8 dB) from its `quality.json`. What to look for: how the ratios of cost
# compare with the ratio of quality.

# %% tags=["remove-input"]
small_bench = json.loads(Path(small_bench_file).read_text()) if Path(small_bench_file).is_file() else None
trade_rows = []
for key, label, folder, latency_ms in (("release model (mask_unet)", "release model (mask_unet)", Path(model_dir),
                                        stream.latency_ms),
                                       ("small model (small_tcn)", "small model (small_tcn)", small_dir,
                                        small_stream.latency_ms)):
    row = {"model": label}
    if small_bench is not None:
        size = small_bench["models"][key]
        clips_rtf = small_bench["rtf"]["20 FSDD clips (1 s each)"]["methods"][key]
        row.update({"parameters": f"{size['parameters']:,}", "M MAC/s": round(size["macs_per_audio_s"] / 1e6, 1),
                    "RTF, one thread": clips_rtf["rtf"]["median"],
                    "x faster than DeepFilterNet3": round(clips_rtf["speed_vs_deepfilternet3"], 1)})
    row["latency (ms)"] = round(latency_ms)
    config_file = folder / "train_config.json"
    if config_file.is_file():
        trained = json.loads(config_file.read_text())
        train_stages = zoo.training_stages(folder)  # the model's own stages, earliest first
        start = train_stages[0]["init_from"]
        row["training"] = (f"{sum(st['seconds'] for st in train_stages) / 60:.0f} min"
                           + (f" in {len(train_stages)} stages" if len(train_stages) > 1 else "") + ", "
                           + (f"fine-tuned from {Path(start).name}" if start else "from scratch")
                           + f", stopped by {trained['stopped']}")
    else:
        row["training"] = "not trained yet"
    quality_file = folder / "quality.json"
    row["quality bar, SI-SDR impr. (dB)"] = (
        round(json.loads(quality_file.read_text())["results"]["model"]["si_sdr_improvement_db"], 2)
        if quality_file.is_file() else "not trained yet")
    trade_rows.append(row)
trade = pd.DataFrame(trade_rows).set_index("model")
from digitdenoise import generalisation

small_gen_path = Path(small_generalisation_file)
unseen_col = "unseen noises, 0 dB, SI-SDR impr. (dB)"
if small_gen_path.is_file():  # one run scored both models on the same mixtures
    small_gen = generalisation.load_recorded(str(small_gen_path))
    unseen = generalisation.unseen_noise_means(small_gen)
    role = {Path(small_gen.raw["model"]["dir"]).name: "release model",  # the benchmark's --model-dir
            Path(small_gen.raw["previous_model"]["dir"]).name: "previous release model"}
    trade[unseen_col] = [round(unseen[role[Path(d).name]], 2) if Path(d).name in role else np.nan
                         for d in (model_dir, small_dir)]
    if trade[unseen_col].notna().all():
        gap = trade[unseen_col].iloc[0] - trade[unseen_col].iloc[1]
        glue("trade_unseen", f"On the unseen noises of chapter 6's generalisation benchmark (speechocean762 test "
             f"speakers, 0 dB, recorded {small_gen.raw['date'][:10]}, both models on the same mixtures in one run) the "
             f"small model is {gap:.1f} dB behind", display=False)
    else:  # the recording scored other folders than this table's: say so rather than print nan
        glue("trade_unseen", f"The recorded generalisation run ({small_generalisation_file}) scored "
             f"{' and '.join(sorted(role))}, not both models of this table, so its column stays empty until "
             "make bench-generalisation-small is run again", display=False)
else:
    glue("trade_unseen", "The small model has not been scored on chapter 6's generalisation benchmark yet "
         "(make bench-generalisation-small)", display=False)
glue("small_bench_date", small_bench["date"][:10] if small_bench else "not recorded", display=False)
if small_bench is not None:
    big, little = (small_bench["models"][k] for k in ("release model (mask_unet)", "small model (small_tcn)"))
    glue("trade_param_ratio", f"{big['parameters'] / little['parameters']:.1f}", display=False)
    glue("trade_mac_ratio", f"{big['macs_per_audio_s'] / little['macs_per_audio_s']:.0f}", display=False)
    rtfs = small_bench["rtf"]["20 FSDD clips (1 s each)"]["methods"]
    rtf_ratio = rtfs["release model (mask_unet)"]["rtf"]["median"] / rtfs["small model (small_tcn)"]["rtf"]["median"]
    glue("trade_rtf_ratio", f"{rtf_ratio:.0f}", display=False)
    # this table's timings come from small_model.py's own run, not from bench.json: say how they differ
    release_here = rtfs["release model (mask_unet)"]
    first_detail = next((r["detail"] for r in bench.get("rtf", [])
                         if r["method"] == "best model" and r["cores"] == 1 and "rtf" in r), None)
    host_note = ("on the same host" if small_bench.get("machine", {}).get("platform") == m.get("platform")
                 else "on another host")
    glue("trade_machine_note", Markdown(
        f"Mind which run a number comes from: this table's speeds are from `bench/small_model.py`'s own run "
        f"({small_bench['date'][:10]}, {small_bench.get('precision', 'float32')}, one thread), {host_note} than "
        f"the first section's `bench.json` ({bench['date'][:10]}"
        + (f", {first_detail}): there the release model's one-core RTF was {best_rtf:.4f}, "
           f"here {release_here['rtf']['median']:.4f}." if first_detail and np.isfinite(best_rtf) else ").")
        + " Ratios hold within one run; compare rows of one table, not numbers across the two."), display=False)
    glue("trade_overhead", ": less than the arithmetic alone predicts, because at this size the fixed work around "
         "the network (STFT, inverse STFT, the framework's per-call overhead) is no longer small next to it"
         if rtf_ratio < 0.8 * big["macs_per_audio_s"] / little["macs_per_audio_s"] else
         ", about as much as the arithmetic predicts", display=False)
else:
    for key in ("trade_param_ratio", "trade_mac_ratio", "trade_rtf_ratio", "trade_overhead"):
        glue(key, "n/a", display=False)
    glue("trade_machine_note", Markdown(""), display=False)
quality_cells = trade["quality bar, SI-SDR impr. (dB)"]
if all(isinstance(v, float) for v in quality_cells):
    glue("trade_quality", Markdown(f"and on the quality bar it gives up {quality_cells.iloc[0] - quality_cells.iloc[1]:.1f} dB "
         "of SI-SDR improvement"), display=False)
else:
    glue("trade_quality", Markdown("and what it gives up in quality will be measured once `make release-small` has trained "
         "it; until then the table can only show the cost side"), display=False)
trade

# %% [markdown]
# The small model has {glue:text}`trade_param_ratio` times fewer parameters and needs
# {glue:text}`trade_mac_ratio` times fewer multiply-adds, and runs {glue:text}`trade_rtf_ratio` times
# faster{glue:text}`trade_overhead`, {glue:md}`trade_quality`. {glue:text}`trade_unseen`.
# {glue:md}`trade_machine_note`
#
# ### How much is the future worth, how much the detail, and how much a teacher?
#
# Where does the small model lose its distance to the release model? Two suspects follow from its design,
# a third from how it learns, and each can be tested by changing one thing and fine-tuning.
#
# **The future.** The latency formula has one term the small model's designer can turn freely: the
# look-ahead $L$. `small_tcn` has a second way to look ahead besides shifting its input: `centred=N` makes
# the first $N$ of its temporal blocks centred, so a block with $k$ taps spaced $d$ frames apart reaches
# $d\,(k-1)/2$ frames ahead (and as many back) instead of $d\,(k-1)$ back. With $k = 5$ and dilations
# $d_i = 1, 2, 4, 8, 16$ the look-ahead adds up to
#
# $$L = \sum_{i=1}^{N} d_i \, \frac{k-1}{2} = 2 \sum_{i=1}^{N} d_i \text{ frames}, \qquad
# \text{latency} = L \cdot \text{hop} + n_\text{fft} \text{ samples},$$
#
# which the look-ahead column of the table below confirms for each recorded variant.
#
# **The detail.** The encoder's first layer halves the {glue:text}`small_bins` frequency bins, and by the
# temporal blocks each frame is {glue:text}`small_bottleneck` numbers ({glue:text}`small_bands` bands of
# {glue:text}`small_band_hz` Hz). A whistle, an alarm or a hum's harmonics put their energy into one or two
# bins, which the mask must cut out while keeping the speech in the bins beside them. `refine=C` adds a
# residual stage at full resolution: a causal convolution over the decoder's output and the input image
# ($C$ channels, 2 frames × 3 bins), whose result a 1×1 convolution adds back,
#
# $$\mathbf{h}' = \mathbf{h} + W_\text{out}\,\phi\!\left(W * [\mathbf{h}; \mathbf{X}]\right),
# \qquad W_\text{out} = 0 \text{ at the start},$$
#
# so the refined network starts as exactly the causal one and costs a few hundred parameters, still
# under the budget of 100,000.
#
# **The teacher.** The release model already knows how to clean these mixtures. *Knowledge distillation*
# {cite:p}`hinton2015distilling` trains a small *student* towards a large *teacher*'s outputs as well as
# towards the truth. Here the student's output $\hat{s}$ is scored against the clean clip $s$ and against
# the release model's output $t$ for the same noisy input,
#
# $$\mathcal{L} = (1 - w)\,\mathcal{L}_\text{SI-SDR}(s, \hat{s}) + w\,\mathcal{L}_\text{SI-SDR}(t, \hat{s}),$$
#
# with the teacher's weight $w$ = {glue:text}`teacher_w` in the recorded run (`losses.DistillationLoss`,
# `digitdenoise train --teacher --teacher-weight`). The teacher's output is a target that a
# network can actually reach from that input, and it shows what the teacher learned to leave alone; the
# clean term keeps the student from copying the teacher's mistakes. The network does not change, so neither
# does the latency; training costs one teacher pass per batch more.
#
# Each variant starts from the weights of the small model's first stage (trained from scratch on the general
# recipe) and is fine-tuned on the release model's second-stage recipe (`make small-variants`). Fine-tuning
# is itself more training, which might help on its own, so the same command also fine-tunes stage 1 without
# any change: the **control**. An option's own worth is a variant's gain minus the control's. The
# table sets the variants beside stage 1: look-ahead and latency worked out live by `streaming.time_reach`
# from the layers (`variants.variant_runs`), and the mean SI-SDR improvement on chapter 6's unseen noises
# (speechocean762 test speakers, 0 dB) from **recorded** runs of the generalisation benchmark, each of which
# scored the variant and stage 1 on the same mixtures. The column *gain over stage 1* is a run's gain on those
# mixtures. **What to look for**: how the gain grows with the latency, what the detail and the teacher buy at
# no latency, and how much of the distance to the release model each covers.

# %% tags=["remove-input"]
from digitdenoise import variants

bottleneck = variants.bottleneck_width(small.network)
glue("small_bins", small.network.input_shape[1], display=False)
glue("small_bottleneck", bottleneck["features"], display=False)
glue("small_bands", bottleneck["bands"], display=False)
glue("small_band_hz", f"{model.cfg.sample_rate / 2 / bottleneck['bands']:.0f}", display=False)
stage2_label = variants.made_as(small_dir)  # the variant recipe that fine-tuned stage 2, if any
runs = variants.variant_runs(variant_files, model.cfg)  # recorded files only, in the parameter's order
worth = variants.own_worth(runs)
distilled_runs = runs[runs["teacher"] != ""]
teacher_w = variants.teacher_weight(runs)
glue("teacher_w", f"{teacher_w:g}" if teacher_w is not None else "(no distilled run recorded yet)", display=False)
glue("distil_minutes", f"{distilled_runs['train_minutes'].iloc[0]:.0f} minutes on the recorded machine"
     if not distilled_runs.empty else "twice as long as the other variants", display=False)
stage1_unseen = float(runs["causal_db"].iloc[0]) if not runs.empty else np.nan  # every run scored stage 1
la_rows = [{"model": "small model, stage 1 (trained from scratch)", "look-ahead (frames)": small_reach.lookahead,
            "latency (ms)": round(small_stream.latency_ms), unseen_col: round(stage1_unseen, 2)}]
names = {"control": "stage 1 fine-tuned, nothing changed (the control)",
         "distilled": "stage 1 fine-tuned towards the release model's output (distilled)"}
for run in runs.itertuples():
    name = names.get(run.label, f"stage 1 fine-tuned as {run.label}")
    if run.label == stage2_label:
        name += ": the book's small model (stage 2)"
    la_rows.append({"model": name, "look-ahead (frames)": run.lookahead_frames, "latency (ms)": round(run.latency_ms),
                    unseen_col: round(run.unseen_db, 2), "gain over stage 1 (dB)": round(run.gain_db, 2),
                    "own worth (dB)": round(worth[run.label], 2) if run.label in worth.index else "",
                    "fine-tuning": (f"{run.epochs:.0f} epochs, " if run.epochs == run.epochs else "")
                                   + f"{run.train_minutes:.0f} min, recorded {run.date}"})
unseen_known = small_gen_path.is_file() and trade[unseen_col].notna().all()
if unseen_known:
    la_rows.append({"model": "release model (mask_unet)", "look-ahead (frames)": stream.lookahead,
                    "latency (ms)": round(stream.latency_ms), unseen_col: trade[unseen_col].iloc[0]})
la_table = pd.DataFrame(la_rows).set_index("model").fillna("")  # blank: not applicable
ahead = runs[(runs["centred"] > 0) & ~runs["control"]]
detail = runs[(runs["refine"] > 0) & (runs["centred"] == 0)]
taught = runs[(runs["teacher"] != "") & (runs["centred"] == 0) & (runs["refine"] == 0)]
control = runs[runs["control"]]
if unseen_known and not runs.empty:
    release_unseen = trade[unseen_col].iloc[0]
    distance = release_unseen - stage1_unseen
    parts = []
    if not control.empty:
        parts.append(f"The control, fine-tuned without any change, gains {control['gain_db'].iloc[0]:.1f} dB by the "
                     "extra training alone.")
    else:
        parts.append("Without a control run (stage 1 fine-tuned the same way) part of each gain may be the "
                     "extra training rather than the option.")

    def gained(row, named=True):  # its gain, and its own worth beside the control where there is one
        own = f", {worth[row['label']]:.1f} dB of it its own," if row["label"] in worth.index else ""
        return (f"({row['label']}) " if named else "") + f"gains {row['gain_db']:.1f} dB over stage 1{own}"

    def nothing_of_its_own(row):  # within a tenth of a dB of the control
        return row["label"] in worth.index and abs(worth[row["label"]]) < 0.1

    if not ahead.empty:
        best = ahead.loc[ahead["gain_db"].idxmax()]
        parts.append(
            f"The best look-ahead variant {gained(best)} at a latency of {best['latency_ms']:.0f} ms instead of "
            f"{small_stream.latency_ms:.0f} ms, "
            + ("longer than the U-Net's" if best["latency_ms"] > stream.latency_ms else "still shorter than the U-Net's")
            + f" ({stream.latency_ms:.0f} ms): it covers {100 * best['gain_db'] / distance:.0f}% of the distance from "
            "stage 1 to the release model.")
    if not detail.empty:
        ref = detail.loc[detail["gain_db"].idxmax()]
        if nothing_of_its_own(ref):
            verdict = ("so the refinement itself bought nothing: with the input image at full resolution beside "
                       "it, the network learned no sharper mask in the same training. The detail lost in the encoder "
                       "is not what holds the small model back.")
        else:
            verdict = ("so full-resolution detail is worth more than the look-ahead." if not ahead.empty and
                       ref["gain_db"] > ahead["gain_db"].max() else
                       "less than the look-ahead buys." if not ahead.empty else "the detail alone.")
        parts.append(f"The refined variant {gained(ref)} with no more latency ({ref['latency_ms']:.0f} ms), "
                     + verdict)
    if not taught.empty:
        pupil = taught.loc[taught["gain_db"].idxmax()]
        own = worth.get(pupil["label"])
        if nothing_of_its_own(pupil) and not control.empty:
            vs = variants.per_noise_against_control(runs, pupil["label"])
            step_db = 0.3  # a gain or loss this large on one recording counts as one
            up, down = vs[vs >= step_db], vs[vs <= -step_db]
            verdict = ("so on average the teacher's outputs taught it nothing that the clean targets did not. The "
                       f"mean hides a trade, though: noise by noise against the control it gains {step_db:g} dB or more on "
                       f"{len(up)} of the {len(vs)} unseen recordings (most on {vs.index[-1]}, {vs.iloc[-1]:+.1f} dB) "
                       f"and loses as much on {len(down)} (most on {vs.index[0]}, {vs.iloc[0]:+.1f} dB): the student "
                       "copies the teacher where a network of its size can, and is pulled away from the clean target "
                       "where it cannot.")
        elif nothing_of_its_own(pupil):
            verdict = ("so the teacher's outputs taught it nothing that the clean targets did not: the student "
                       "already reaches what its size allows on these targets.")
        elif own is not None and own < 0:
            verdict = ("so the teacher cost more than it taught: pulled towards the teacher's outputs, the student "
                       "also learned what the teacher gets wrong.")
        else:
            verdict = ("the only option here that helps at the small model's own latency and size; the teacher's "
                       "outputs are easier targets than the clean clips.")
        parts.append(f"The distilled variant {gained(pupil, named=pupil['label'] != 'distilled')} with the same "
                     "network and latency, " + verdict)
    parts.append(f"The rest of the {distance:.1f} dB from stage 1 to the release model lies in capacity (the temporal "
                 f"blocks see each frame as {bottleneck['features']} numbers, and the network has "
                 f"{small.network.count_params():,} parameters against the U-Net's {model.network.count_params():,}) "
                 "and in training (each variant was only fine-tuned for the epochs in the "
                 "table).")
    if stage2_label in set(runs["label"]):
        chosen = runs[runs["label"] == stage2_label].iloc[0]
        parts.append(f"The book's small model (stage 2) is the {stage2_label} run itself "
                     f"({chosen['unseen_db']:.2f} dB, {release_unseen - chosen['unseen_db']:.1f} dB behind the release "
                     "model): causal, because a short latency is what a small model is for in a live setting. The "
                     "other variants stay in `runs/` and their scores in `bench/results/`.")
    else:
        parts.append("The book keeps a causal small model, because a short latency is what a small model is for in a "
                     "live setting; the variants stay in `runs/` and their scores in `bench/results/`.")
    glue("la_reading", Markdown(" ".join(parts)), display=False)
    found = [f"looking ahead ({best['label']}, {best['latency_ms']:.0f} ms) buys {best['gain_db']:.1f} dB"
             for best in ([ahead.loc[ahead["gain_db"].idxmax()]] if not ahead.empty else [])]
    found += [f"full-resolution refinement ({ref['label']}, no added latency) {ref['gain_db']:.1f} dB"
              for ref in ([detail.loc[detail["gain_db"].idxmax()]] if not detail.empty else [])]
    found += [f"a teacher (no added latency) {pupil['gain_db']:.1f} dB"
              for pupil in ([taught.loc[taught["gain_db"].idxmax()]] if not taught.empty else [])]
    small_unseen = trade[unseen_col].iloc[1]
    glue("summary_small", Markdown(
        f"The causal small model streams with {small_stream.latency_ms:.0f} ms of latency and is "
        f"{release_unseen - small_unseen:.1f} dB behind the release model on the unseen noises; fine-tuned "
        "variants of its first stage measure what closes the gap: "
        + "; ".join(found or ["none recorded yet"])
        + (f", against {control['gain_db'].iloc[0]:.1f} dB for the same fine-tuning alone." if not control.empty else ".")),
        display=False)
else:
    glue("summary_small", Markdown("The causal small model streams with "
                                   f"{small_stream.latency_ms:.0f} ms of latency; what it gives up in quality on the "
                                   "unseen noises has not been recorded yet."), display=False)
    glue("la_reading", Markdown("The variants have not been recorded yet (`make small-variants`), so the table "
                                "shows the first stage alone."), display=False)
la_table

# %% [markdown]
# {glue:md}`la_reading`
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
# * `export.to_tflite` writes the whole waveform-to-waveform model as one {glue:text}`dep_tfl_mb` MB
#   TensorFlow Lite file of built-in operators, which matches the Keras model on the test clips to
#   {glue:text}`dep_tfl_diff`. Fed block by block with its state carried along, `StreamingDenoiser`
#   reproduces the whole-clip output (to {glue:text}`dep_stream_diff`); the U-Net's look-ahead of
#   {glue:text}`dep_lookahead` frames sets its algorithmic latency, block + look-ahead + window − hop, to
#   {glue:text}`dep_latency_ms` ms with {glue:text}`dep_block`-frame blocks. Only a causal network could
#   bring that down substantially.
# * {glue:md}`summary_small`
# * Features are prepared fastest by {glue:text}`feat_best9`; a default build of the book takes
#   {glue:text}`book_total9`, {glue:text}`book_top_share9`% of it in {glue:text}`book_top9`.
#
# ## Exercises
#
# Each exercise reruns this appendix with the project's runner (it reads `bench/results/bench.json` and
# runs the deployment section's short checks, so it takes well under a minute in any profile) or asks you
# to edit one cell.
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
# 4. **Your own arithmetic.** Using the RTF formula at the top of the appendix and the one-core RTFs in
#    the table, work out how long the best model and DeepFilterNet3 would each take to clean one hour of
#    recordings. Then, in the cell that builds the `rtf` table, add the line
#    `rtf["audio s per s"] = 1 / rtf["rtf"]` just before the line `table = ...`, add `"audio s per s"` to
#    the `values` list of that line, run the appendix again and check your answer against the new columns.
# 5. **Bigger blocks.** Run `digitdenoise run --chapters 9 --profile default -p block_frames 32`. Work out
#    the new latency with the formula first, then compare it with the page. Does the streamed output still
#    match the whole-clip output? How do the staircase's steps change, and why might a deployment accept
#    the longer delay (count the network calls: each call has fixed costs, as exercise 3 shows)? Then try
#    `-p block_frames 12` and explain the error with the U-Net's pooling grid.
# 6. **How exact is exact?** In the cell that calls `export.to_tflite`, add `tolerance=1e-9` to the call
#    and run the appendix again. The export now refuses to write the file: what difference does the error
#    report, and why does a graph with the same weights differ at all? Looking at the peak outputs in the
#    parity table, which tolerance would you choose, and why is the default of `1e-4` safe?
# 7. **Spend the small model's parameters your way.** `small_tcn` takes options through
#    `digitdenoise train --network KEY=VALUE`: `lookahead` (frames of future input), `refine` (channels of a
#    full-resolution stage before the mask), `channels` (the encoder widths, e.g. `[8,16,16,16]`) and
#    `dilations`. First predict, with the formulas of this appendix, what each option does to the latency
#    and to the parameter count (`models.small_tcn((128, None, 1), lookahead=12).count_params()` checks the
#    count without training). Then train one variant with `make release-small`'s command, adding
#    `--network ...` and a new `--out` folder, and compare its `history.csv` with the committed model's
#    epoch by epoch: a 30-minute run on a laptop says whether an idea is worth a longer one.
# 8. **A latency budget.** A video call tolerates about 150 ms of delay in total. Using the look-ahead
#    formula of the section on the future and the detail, find the largest `centred` whose latency fits
#    that budget, and check your answer with
#    `streaming.time_reach(models.small_tcn((128, None, 1), centred=N, lookahead=0))`. Then find its row
#    in the table (if it is missing, `make small-variants SMALL_VARIANTS=centredN` records it in about an
#    hour): is the gain per millisecond of delay larger or smaller than for `centred=5`, and why might the
#    first blocks (the shortest dilations) give the most for the least delay?
# 9. **Detail, counted.** Before looking at the table, work out what `refine=8` costs: its parameters
#    (a 2 × 3 convolution over the 8 decoder channels and the input image, a 1×1 convolution back to 8
#    channels, their biases) and its multiply-adds per second with the formula of "Size against quality"
#    (128 bins, 125 frames a second), and check the count with
#    `models.small_tcn((128, None, 1), refine=8).count_params()`. Then read the recorded run noise by
#    noise: `generalisation.load_recorded("bench/results/generalisation-small-refine8.json").by_noise`
#    holds each method's mean per noise recording (`release model` is the variant there, `previous release
#    model` the causal one). On which recordings does the refinement gain most? Compute each recording's
#    share of energy in its five strongest STFT bins (`librosa.stft` of the file in the Hu test split) and
#    check whether the gain follows it.
# 10. **How much teacher?** The distilled variant weighed the teacher's output by $w$ =
#     {glue:text}`teacher_w` and the clean clip by $1 - w$. Before training anything, predict what $w = 1$ (the teacher alone) would do to the
#     student on noises where the teacher itself does badly (find them in
#     `generalisation.load_recorded("bench/results/generalisation.json").by_noise`: the release model's
#     lowest means at 0 dB), and what $w = 0$ is (look at the control). Then check the loss arithmetic on
#     three arrays of your own with `losses.DistillationLoss(w)(np.stack([clean, teacher], -1), estimate)`,
#     and if you have the time (the recorded run took {glue:text}`distil_minutes`), run the
#     `digitdenoise train` command that
#     `make -n small-variants SMALL_VARIANTS=distil` prints, with `--teacher-weight 1.0` and a new `--out`
#     folder, score it as the Makefile does and compare the two runs noise by noise.
