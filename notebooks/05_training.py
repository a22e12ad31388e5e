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
# # 5. Models and training
#
# Convolutional denoisers, one recipe. Four rebuild the models of the projects this book grew from, each
# from its own description; the fifth, a mask U-Net, is the book's own design (and a sixth, a small
# streaming network, is appendix 9's). All of them are trained on the same speaker-disjoint split, with
# the same on-the-fly noisy mixtures from chapter 4, each until its validation loss stops improving or
# its time budget ends, and scored the same way: by how much they raise the SI-SDR of held-out validation
# mixtures {cite:p}`leroux2019sdr`. One of them also trains live in front of you, for {glue:text}`budget`.
#
# ```{admonition} You will learn
# :class: tip
# * what a denoising network can output (a magnitude, a mel gain, a real or a complex mask) and the oracle
#   masks that bound what a mask can do;
# * how the four seed models and the book's mask U-Net are built, trained and compared on one scale;
# * how to tell a model that has converged from one that ran out of time;
# * why a model trained on a few voices and noises generalises poorly, and the recipe of the general
#   release model;
# * how a learned model is measured against the oracle ideal ratio mask;
# * why a gain on validation noises need not carry over to unseen ones, and what that says about a
#   network's size against its data's variety.
# ```
#
# ```{admonition} Key results of this run
# :class: important
# * {glue:text}`zoo_until_kr`, the best seed model, **{glue:text}`best_seed`**, raises the
#   validation SI-SDR by {glue:text}`best_seed_value` dB; **{glue:text}`best_budget`** leads the table with
#   {glue:text}`best_budget_value` dB. On convergence: {glue:text}`zoo_flat`.
# * The general release model was fine-tuned in two stages for {glue:text}`rel_total_minutes` minutes on many
#   voices and noises (recorded runs); at the quality bar (white noise, {glue:text}`bar_snr` dB) the best learned row, the
#   {glue:text}`bar_best`, reaches {glue:text}`bar_best_ratio` of the oracle IRM.
# ```

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
snr_db = -8.0  # SNR of the validation mixtures (dB)
release_dir = "models/release"  # where `make release-model` puts the best model's release checkpoint
live_model = "mel_cnn"  # the model trained live in "Watching one model learn" (any zoo model)

# %% tags=["remove-input"]
import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown
from myst_nb import glue

from digitdenoise import _io, audio, config, evaluation, models, training, plots, zoo

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
prepared = training.prepare_data(run.dataset, run.data_home, seed=run.seed, clips_per_speaker=run["clips_per_speaker"],
                                 val_snr_db=run.snr_db, max_val_clips=run["val_clips"])
cfg, sr = prepared.cfg, prepared.cfg.sample_rate
model_root = run.artifacts_dir / "models"
print(f"{len(prepared.train_clean)} training clips, {len(prepared.val_noisy)} validation pairs "
      f"({', '.join(prepared.val_kinds)} at {run.snr_db:g} dB), {sr} Hz")

# %% [markdown]
# ## What a network can output: masks
#
# Write the noisy STFT as $Y = S + N$ (speech plus noise, per time-frequency bin). Most denoisers do not
# invent a clean spectrogram from nothing; they multiply $Y$ by a **mask** $M$ and invert the STFT:
# $\hat S = M \odot Y$. Four masks matter in this book:
#
# * the **ideal binary mask** keeps a bin where speech dominates and drops it otherwise:
#   $M_{\mathrm{IBM}} = [\,|S| > |N|\,]$;
# * the **ideal ratio mask** scales each bin by the share of its energy that is speech:
#   $M_{\mathrm{IRM}} = \sqrt{|S|^2 / (|S|^2 + |N|^2)}$, between 0 and 1;
# * the **phase-sensitive mask** also accounts for the angle $\theta$ between speech and mixture:
#   $M_{\mathrm{PSM}} = \frac{|S|}{|Y|}\cos\theta$, clipped to $[0, 1]$ {cite:p}`erdogan2015psm`; it is the
#   real mask that brings $\hat S$ closest to $S$ in the mean-square sense;
# * a **bounded complex mask** $M = z \, B \tanh(|z|/B) / |z|$ with $z$ the network's two output channels
#   read as a complex number: it may rotate the phase as well as scale the magnitude, and never exceeds $B$
#   ({glue:text}`mask_bound`) in magnitude. This is the output of the book's `mask_unet`.
#
# The first three are *oracles*: they need $S$ and $N$, which a denoiser never has. They are bounds, not
# methods. Here they are on one validation mixture, with the STFT of the models; the library's IRM is a few
# lines:

# %% tags=["hide-input"]
import inspect

from digitdenoise import baselines, features, metrics

print(inspect.getsource(baselines.ideal_ratio_mask))

# %%
clean_demo, noisy_demo = prepared.val_clean[0], prepared.val_noisy[0]
S, Y = features.stft(clean_demo, cfg), features.stft(noisy_demo, cfg)
ibm = features.istft((np.abs(S) > np.abs(Y - S)) * Y, cfg, length=clean_demo.size)
oracles = {"noisy input": noisy_demo, "ideal binary mask": ibm,
           "ideal ratio mask": baselines.ideal_ratio_mask(clean_demo, noisy_demo, cfg),
           "phase-sensitive mask": baselines.phase_sensitive_mask(clean_demo, noisy_demo, cfg)}
oracle_scores = pd.Series({name: metrics.si_sdr_db(clean_demo, est) for name, est in oracles.items()},
                          name="SI-SDR (dB)")
oracle_scores.round(2)

# %% tags=["remove-input"]
glue("mask_bound", f"{models.MASK_BOUND:g}", display=False)
for key, name in (("ibm", "ideal binary mask"), ("irm", "ideal ratio mask"), ("psm", "phase-sensitive mask"),
                  ("in", "noisy input")):
    glue(f"demo_{key}", f"{oracle_scores[name]:.1f}", display=False)
glue("demo_best", oracle_scores.drop("noisy input").idxmax(), display=False)

# %% [markdown]
# On this mixture ({glue:text}`demo_in` dB as it comes in) the binary mask reaches {glue:text}`demo_ibm`
# dB, the ratio mask {glue:text}`demo_irm` dB and the phase-sensitive mask {glue:text}`demo_psm` dB; the
# best of the three here is the {glue:text}`demo_best`. The binary mask keeps or drops each bin whole; the
# ratio mask keeps a fraction of the bins where speech and noise overlap, which lets some noise through;
# which of the two does better depends on the mixture. The phase-sensitive mask is designed to be the real
# mask closest to the clean STFT, because it also uses the phase. A network that predicts a real mask from
# the noisy input alone can at best approach it; a complex mask can in principle go beyond it.
#
# ## The zoo
#
# Every model is wrapped the same way (`digitdenoise.models.Denoiser`): the noisy waveform goes through
# a fixed STFT front end — log-magnitude scaled to about [0, 1] by one fixed affine map, no per-clip
# statistics — into the network, and the network's output goes back to a waveform (with the noisy phase,
# except where a complex mask corrects it).
# What differs is the network, what it outputs, and the loss it was designed with:
#
# * **report_cae** — the student report's autoencoder: three convolution + batch-norm layers, a pooling,
#   a convolution, an upsampling, a convolution and a sigmoid output; MSE between spectrograms.
# * **seed_unet** — the U-Net of the second seed: three encoder blocks (32, 64, 128 channels) of two
#   3×3 convolutions with batch-norm and ReLU, a transposed-convolution decoder with skip connections,
#   a 1×1 output; MSE.
# * **mel_cnn** — the small mel-spectrogram autoencoder of the FSDD notebook, binary cross-entropy. It
#   predicts a clean *mel* spectrogram; its ratio to the noisy mel spectrogram is spread back over the
#   linear frequencies as a gain.
# * **minimal_cae** — the minimal autoencoder of the denoise script: two convolutions and a pooling,
#   two transposed convolutions and an upsampling, sigmoid, binary cross-entropy (the seed does not give
#   widths; we use 32 and 16).
# * **mask_unet** — the book's model: a four-level U-Net whose two output channels form a bounded
#   *complex* mask, so it can correct the noisy phase as well as scale the magnitude, trained end to end
#   on the waveform with negative SI-SDR as the loss. Its batch-norm momentum (0.9) and its gradient
#   clipping (norm 1) are explained in the note below.
# * **small_tcn** — the book's small model for streaming (appendix 9): under 100 k parameters, causal
#   except for two frames of look-ahead, a band encoder, dilated causal convolutions along time and the
#   same complex-mask head. It is trained on the general recipe in two stages, from random weights and
#   then fine-tuned (`make release-small`, recorded runs), and appendix 9 sets its cost and quality beside
#   the release model's.
#
# ```{admonition} Two details of mask_unet's training (development notes)
# :class: dropdown
# Both matter on a short CPU budget. The batch-norm layers use momentum 0.9: with Keras' default 0.99
# the statistics used at inference lag so far behind the changing network that a model that works in
# training mode does nothing at inference. The gradients are clipped to norm 1: without clipping, SI-SDR
# training at this learning rate diverged in the book's development runs (the run below does not repeat
# that experiment).
# ```
#
# The table lists what the code builds: the seed project each model comes from (numbered as in the
# introduction), its number of trainable parameters, what it reads and what it outputs, its loss, and its
# optimiser settings. What to look for: the parameter counts, and the *output* column, which decides
# what a model is able to do to the noisy spectrogram.

# %% tags=["hide-input"]
zoo_table = pd.DataFrame([{
    "model": name, "from seed": e.seed, "parameters": models.build_denoiser(name, cfg).network.count_params(),
    "input": "mel" if e.input_kind == "mel" else "linear STFT", "output": e.head.replace("_", " "),
    "loss": e.loss, "learning rate": e.learning_rate, "gradient clip (norm)": e.clipnorm or "none",
    "design": e.description}
    for name, e in models.ZOO.items()]).set_index("model")
zoo_table

# %% tags=["remove-cell"]
sizes = zoo_table["parameters"].astype(int)
glue("zoo_smallest", sizes.idxmin(), display=False)
glue("zoo_smallest_params", f"{sizes.min():,}", display=False)
glue("zoo_largest", sizes.idxmax(), display=False)
glue("zoo_largest_params", f"{sizes.max():,}", display=False)
glue("zoo_size_ratio", f"{sizes.max() / sizes.min():.0f}", display=False)

# %% [markdown]
# The smallest network, {glue:text}`zoo_smallest`, has {glue:text}`zoo_smallest_params` parameters; the
# largest, {glue:text}`zoo_largest`, has {glue:text}`zoo_largest_params`, about {glue:text}`zoo_size_ratio`
# times as many. Size alone decides little: a large network trains more slowly, so one budget takes it
# less far, and what a network outputs limits what it can reach (the last column of the results table
# below).

# %% [markdown]
# ## Watching one model learn
#
# Training is a loop. Each step draws a batch of {glue:text}`batch` fresh mixtures (noise type drawn from
# {glue:text}`kinds`; SNR uniform in {glue:text}`snr_range` dB), computes the model's loss on them and
# moves the weights a little against its gradient (Adam, at the seed's learning rate). After each epoch
# the model is scored on the fixed validation pairs, the learning rate halves after
# {glue:text}`lr_patience` epochs without a better validation loss, and training stops after
# {glue:text}`patience` such epochs or when its budget runs out. Every epoch ends with a checkpoint that
# holds the optimiser state too, so an interrupted run continues where it stopped; and every epoch the
# trainer also records the **validation SI-SDR improvement** in dB, the one unit in which models with
# different losses can be compared.
#
# The next cell trains **{glue:text}`live_model`** from random weights, live, for {glue:text}`budget`, so
# that you can watch learning happen.

# %% tags=["remove-cell"]
recipe = training.TrainConfig(model=models.BEST_MODEL)
glue("batch", recipe.batch_size, display=False)
glue("kinds", ", ".join(recipe.kinds), display=False)
glue("snr_range", f"{recipe.snr_range[0]:g} to {recipe.snr_range[1]:g}", display=False)
glue("lr_patience", recipe.lr_patience, display=False)
glue("patience", recipe.patience, display=False)
glue("live_model", live_model, display=False)
glue("flat_share", f"{zoo.TAIL_SHARE:.0%}", display=False)
glue("flat_db", f"{zoo.FLAT_DB:g}", display=False)
budget = (f"{run['zoo_seconds']} s" if run["zoo_seconds"]
          else f"{run['epochs']} epoch(s) of {run['clips_per_epoch'] or 'all'} clips")
glue("budget", budget, display=False)

# %%
live_cfg = training.TrainConfig(model=live_model, epochs=run["epochs"], seed=run.seed,
                                clips_per_epoch=run["clips_per_epoch"], time_budget_s=run["zoo_seconds"])
live, live_history, _ = training.train_or_reuse(prepared, live_cfg, model_root / f"live-{live_model}")

# %% tags=["remove-cell"]
zoo_dirs = zoo.release_zoo(Path(release_dir) / "zoo", sample_rate=sr)
recorded_live = pd.read_csv(zoo_dirs[live_model] / "history.csv") if live_model in zoo_dirs else None
live_pairs = run["clips_per_epoch"] or len(prepared.train_clean)
live_final = live_history[zoo.VALIDATION_COLUMN].iloc[-1]
glue("live_epochs", len(live_history), display=False)
glue("live_seconds", f"{live_history['epoch_seconds'].sum():.0f}", display=False)
glue("live_final", f"{live_final:+.1f}", display=False)
if recorded_live is not None:
    rec_info = json.loads((zoo_dirs[live_model] / "train_config.json").read_text())
    until = ("it stopped improving" if rec_info.get("stopped") == "early stopping" else "its time budget ran out")
    glue("live_recorded", Markdown(f"The recorded run of the same model (dashed), trained by `make release-zoo` until "
         f"{until}, reached {recorded_live[zoo.VALIDATION_COLUMN].max():+.1f} dB after "
         f"{len(recorded_live)} epochs and {rec_info['train_seconds'] / 60:.0f} minutes"), display=False)
else:
    glue("live_recorded", Markdown("No converged checkpoint of this model exists at this sample rate, so there is no "
         "recorded curve to compare with"), display=False)

# %% [markdown]
# {numref}`fig-live-curve` shows the run: on the left the model's own loss on each epoch's training pairs
# and on the validation pairs; on the right its validation SI-SDR improvement against the number of
# training pairs it has seen. What to look for: both losses fall while the model learns, and the SI-SDR
# improvement starts far below zero. A spectrogram network that has just begun outputs a blurred
# spectrogram, and a blurred magnitude with the noisy phase is a poorer waveform than the input.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The live run. Left: the model's own loss per epoch on the training and validation pairs. Right: validation SI-SDR improvement against training pairs seen (log scale), this run (solid) and the recorded converged run of the same model (dashed).", "name": "fig-live-curve"}}
fig, (ax_loss, ax_db) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
ax_loss.plot(live_history["epoch"], live_history["loss"], marker="o", label="training")
ax_loss.plot(live_history["epoch"], live_history["val_loss"], marker="s", label="validation")
ax_loss.set(xlabel="Epoch", ylabel=f"Loss ({models.ZOO[live_model].loss.upper()})", title=f"{live_model}, live")
ax_loss.legend()
ax_db.plot(live_history["epoch"] * live_pairs, live_history[zoo.VALIDATION_COLUMN], marker="o", label="this run")
if recorded_live is not None:
    rec_pairs = rec_info["train_config"]["clips_per_epoch"] or len(prepared.train_clean)
    ax_db.plot(recorded_live["epoch"] * rec_pairs, recorded_live[zoo.VALIDATION_COLUMN], ls="--",
               label="recorded converged run")
ax_db.axhline(0, color="grey", lw=0.8)
ax_db.set(xscale="log", xlabel="Training pairs seen", ylabel="Validation SI-SDR improvement (dB)")
ax_db.legend()
plt.show()

# %% [markdown]
# The live run completed {glue:text}`live_epochs` epochs in {glue:text}`live_seconds` s and ends at
# {glue:text}`live_final` dB. {glue:md}`live_recorded`. A budget of seconds shows *that* a model
# learns; it does not show what the model can do. That takes a run to convergence.
#
# ## Training until the curve flattens
#
# To compare architectures rather than budgets, `make release-zoo` trained each seed model until its
# validation score stopped improving ({glue:text}`patience` epochs without a better validation loss) or
# its time budget ran out, on the FSDD recipe of the FSDD-only `mask_unet` (the previous release): the
# same training speakers, the same noise types and SNR range, the same validation speaker, each at its
# seed's learning rate; training pairs per epoch: {glue:text}`zoo_clips`. The book's criterion for a converged run: the last {glue:text}`flat_share` of its
# epochs gained less than {glue:text}`flat_db` dB of validation SI-SDR improvement. These are **recorded**
# runs: the checkpoints are in git (`models/release/zoo/`), the build loads them and measures them here; it does not repeat the training.
# {glue:md}`zoo_source_note`
#
# {numref}`fig-zoo-curves` shows each run twice: on the left its own validation loss (the quantity it is
# trained to lower and early-stopped on), divided by its first epoch's value so that MSE and cross-entropy
# share an axis; on the right its validation SI-SDR improvement, the quantity this book judges it by. What
# to look for: whether a curve has levelled off before its last epoch, and whether the two panels agree.
# A falling loss should mean a rising SI-SDR; where it does not, the model is getting better at its own
# objective and worse at producing the clean waveform.

# %% tags=["remove-cell"]
results, histories, infos, result_dirs = {}, {}, {}, {}
if zoo_dirs:
    for name, folder in zoo_dirs.items():
        results[name], infos[name] = training.load_denoiser(folder)
        histories[name], result_dirs[name] = pd.read_csv(folder / "history.csv"), folder
    retrained = zoo.book_loss_runs(Path(release_dir) / "zoo", sample_rate=sr)  # same seeds, the book's loss
    for label, folder in retrained.items():
        results[label], infos[label] = training.load_denoiser(folder)
        histories[label], result_dirs[label] = pd.read_csv(folder / "history.csv"), folder
    previous_dir = Path(release_dir) / f"fsdd-{models.BEST_MODEL}"
    if (previous_dir / "model.keras").is_file():
        fsdd_mask = f"{models.BEST_MODEL} (FSDD only)"
        results[fsdd_mask], infos[fsdd_mask] = training.load_denoiser(previous_dir)
        result_dirs[fsdd_mask] = previous_dir
    glue("zoo_source_note", Markdown(""), display=False)
    per_epoch = {name: infos[name]["train_config"].get("clips_per_epoch") for name in zoo_dirs}
    glue("zoo_clips", ", ".join(f"{name} {n:,}" if n else f"{name} all" for name, n in per_epoch.items())
         + " (each epoch a fresh random subset of the training clips)", display=False)
else:  # no converged checkpoints at this rate (AudioMNIST at 16 kHz): the profile's budget, trained here
    retrained = {}
    for name in [*zoo.SEEDS, models.BEST_MODEL]:
        tcfg = training.TrainConfig(model=name, epochs=run["epochs"], seed=run.seed,
                                    clips_per_epoch=run["clips_per_epoch"], time_budget_s=run["zoo_seconds"])
        results[name], histories[name], _ = training.train_or_reuse(prepared, tcfg, model_root / name, verbose=0)
        infos[name] = {"train_seconds": float(histories[name]["epoch_seconds"].sum()), "stopped": "budget"}
        result_dirs[name] = model_root / name
    glue("zoo_source_note", Markdown(f"**This run has no converged checkpoints at {sr} Hz** (they are trained on FSDD at "
         "8 kHz), so the seed models below were trained here under this profile's short budget: read their "
         "numbers as a budget's, not an architecture's."), display=False)
    glue("zoo_clips", f"{run['clips_per_epoch'] or len(prepared.train_clean):,} for every model", display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Each seed model's run per epoch (recorded by make release-zoo, or this run's budget where no checkpoint exists). Left: its own validation loss, scaled so that each run's first epoch is 1 (runs on the book's SI-SDR loss have no separate loss to show). Right: its validation SI-SDR improvement in dB; dashed: the run on the book's loss.", "name": "fig-zoo-curves"}}
fig, (ax_loss, ax) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
for name, h in histories.items():
    if name not in retrained:  # a run on the book's loss has no loss of its own to show on the left
        ax_loss.plot(h["epoch"], h["val_loss"] / h["val_loss"].iloc[0], marker="o", ms=3, label=name)
    if zoo.VALIDATION_COLUMN in h:
        ax.plot(h["epoch"], h[zoo.VALIDATION_COLUMN], marker="o", ms=3, label=name,
                ls="--" if name in retrained else "-")
ax_loss.set(xlabel="Epoch", ylabel="Validation loss / first epoch's", title="What each model minimises")
ax.axhline(0, color="grey", lw=0.8)
ax.set(xlabel="Epoch", ylabel="Validation SI-SDR improvement (dB)", title="What the book measures")
ax.legend(ncol=2, fontsize="small")
plt.show()

# %% tags=["remove-cell"]
disagree = []
for name, h in histories.items():
    if zoo.VALIDATION_COLUMN in h and len(h) > 2:
        best_loss = int(h["val_loss"].idxmin())
        best_db = int(h[zoo.VALIDATION_COLUMN].idxmax())
        if h.loc[best_loss, zoo.VALIDATION_COLUMN] < h[zoo.VALIDATION_COLUMN].max() - 3:  # 3 dB: beyond epoch noise
            disagree.append(f"{name} (its lowest loss, epoch {h.loc[best_loss, 'epoch']}, comes with "
                            f"{h.loc[best_loss, zoo.VALIDATION_COLUMN]:+.1f} dB; its best SI-SDR, "
                            f"{h.loc[best_db, zoo.VALIDATION_COLUMN]:+.1f} dB, came at epoch {h.loc[best_db, 'epoch']})")
glue("zoo_disagree", ("In these runs the two panels part ways for " + "; ".join(disagree) + ". Early stopping "
                      "and the choice of the kept epoch follow the model's own loss, as its seed project would "
                      "have done, so such a model is kept at the epoch its loss prefers")
     if disagree else "In these runs no model's lowest loss comes more than 3 dB below its best SI-SDR: the two "
     "panels agree", display=False)

# %% [markdown]
# {glue:text}`zoo_disagree`.

# %% [markdown]
# ## What each model achieved
#
# The next table scores every model on this chapter's validation pairs (validation speaker, every
# validation noise type, {glue:text}`val_snr` dB), mean with a 95% confidence interval, beside the record
# of its training: epochs, minutes, why it stopped, and whether its curve had flattened. The FSDD-only
# `mask_unet` is the book's own design trained on the same data (the previous release; its last stage
# continued an earlier run, so its minutes are not its whole budget). What to look for: the sign of the
# improvement, and its distance from the last column, the ceiling of the model's output format (the clean
# target itself passed through the same output head, with the noisy phase).

# %% tags=["hide-input"]
lengths = np.full(len(prepared.val_clean), cfg.n_samples)
rows = []
for name, model in results.items():
    estimate = training.denoise_batch(model, prepared.val_noisy)
    table = evaluation.si_sdr_table(prepared.val_clean, prepared.val_noisy, estimate, lengths)
    mean, lo, hi = evaluation.mean_ci(table["si_sdr_improvement"])
    ceiling = model.format_ceiling(prepared.val_noisy, prepared.val_clean)
    ceiling = (np.nan if ceiling is None else
               evaluation.si_sdr_table(prepared.val_clean, prepared.val_noisy, ceiling, lengths)["si_sdr_improvement"].mean())
    record = (zoo.describe(result_dirs[name]) if (Path(result_dirs[name]) / "train_config.json").is_file() else
              {"training time (min)": round(infos[name].get("train_seconds", np.nan) / 60, 1),
               "stopped by": infos[name].get("stopped", "?")})
    rows.append({"model": name, "parameters": model.network.count_params(), **record,
                 "SI-SDR improvement (dB)": round(mean, 2), "95% CI": f"{lo:.2f} to {hi:.2f}",
                 "ceiling of the output format (dB)": round(ceiling, 2)})
summary = pd.DataFrame(rows).set_index("model")
_io.write_text(run.artifacts_dir / "zoo_summary.csv", summary.to_csv())
summary.drop(columns=[c for c in ("epoch kept", "quality bar, SI-SDR impr. (dB)") if c in summary.columns])

# %% tags=["remove-cell"]
glue("val_snr", f"{run.snr_db:g}", display=False)
best_budget = summary["SI-SDR improvement (dB)"].idxmax()
glue("best_budget", best_budget, display=False)
glue("best_budget_value", f"{summary.loc[best_budget, 'SI-SDR improvement (dB)']:.1f}", display=False)
seeds = summary.loc[[n for n in zoo.SEEDS if n in summary.index]]
best_seed = seeds["SI-SDR improvement (dB)"].idxmax()
glue("best_seed", best_seed, display=False)
glue("best_seed_value", f"{seeds.loc[best_seed, 'SI-SDR improvement (dB)']:+.1f}", display=False)
negative = seeds.index[seeds["SI-SDR improvement (dB)"] < 0].tolist()
glue("zoo_negative", (f"{len(negative)} of the {len(seeds)} seed models ({', '.join(negative)}) still lower SI-SDR "
                      "on average" if negative else "every seed model raises SI-SDR on average"), display=False)
ceilings = summary["ceiling of the output format (dB)"].dropna()
glue("zoo_ceilings", f"{ceilings.min():.1f} to {ceilings.max():.1f}" if len(ceilings) else "n/a", display=False)
curve = seeds.get("curve", pd.Series("", index=seeds.index))
stopped_by = seeds.get("stopped by", pd.Series("", index=seeds.index))
flat = [n for n in seeds.index if curve[n] == "flattened"]
out_of_time = [n for n in seeds.index if curve[n] == "still improving" and stopped_by[n] != "early stopping"]
own_loss = [n for n in seeds.index if curve[n] == "still improving" and stopped_by[n] == "early stopping"]
unjudged = [n for n in seeds.index if n not in flat + out_of_time + own_loss]


def _names(names):
    return ", ".join(names) + (" was" if len(names) == 1 else " were")


parts = []
if flat:
    parts.append(f"{'every seed model' if len(flat) == len(seeds) else ', '.join(flat)} had flattened by the "
                 "book's criterion")
if out_of_time:
    parts.append(f"{_names(out_of_time)} still improving when the time budget ran out (more training would help)")
if own_loss:
    parts.append(f"{_names(own_loss)} stopped early because its own loss had stopped improving, while its "
                 "SI-SDR was still rising: the loss it is trained on and the score it is judged by disagree")
if unjudged:
    parts.append(f"{', '.join(unjudged)} cannot be judged (too few epochs, or no per-epoch SI-SDR)")
glue("zoo_flat", "; ".join(parts), display=False)
seed_stops = set(stopped_by.astype(str))
glue("zoo_until_kr", ("Trained until their own validation loss stopped improving (recorded runs)"
                      if seed_stops == {"early stopping"} else
                      "Trained until they stopped or their time budget ran out (recorded runs)"
                      if zoo_dirs else "Trained for this profile's short budget here"), display=False)
extended = summary["extended after epoch"].fillna("") if "extended after epoch" in summary else pd.Series(dtype=str)
extended = extended[extended != ""]
glue("zoo_extended", Markdown(
    (f"{_names(list(extended.index))} extended after epoch{'s' if len(extended) > 1 else ''} "
     f"{', '.join(extended)}: a clone of the repository keeps a run's weights, history and record but not "
     "its optimiser's state, so `make release-zoo` (or `make release-zoo-si-sdr`) went on from the weights "
     "each run had kept, with the "
     "learning rate and patience counters replayed from its history and the optimiser restarted "
     "(`digitdenoise train --extend`). The column *extended after epoch* says where")
    if len(extended) else "No run was extended after it first stopped"), display=False)


def value_range(column, fmt):
    lo, hi = summary[column].min(), summary[column].max()
    return format(lo, fmt) if lo == hi else f"{format(lo, fmt)} to {format(hi, fmt)}"


zoo_times = value_range("training time (min)", ".0f") + " minutes"
glue("zoo_times", zoo_times, display=False)

# %% [markdown]
# **{glue:text}`best_budget`** gives the largest improvement, {glue:text}`best_budget_value` dB; of the
# seed models, {glue:text}`best_seed` does best ({glue:text}`best_seed_value` dB), and
# {glue:text}`zoo_negative`. On convergence: {glue:text}`zoo_flat`. {glue:md}`zoo_extended`. The models trained for
# {glue:text}`zoo_times`. The ceiling column ({glue:text}`zoo_ceilings` dB) is far above every seed model's
# score: none of them is limited by what its output *can* express. What separates them is what they are
# trained to do. The seeds minimise an error between spectrograms (MSE or cross-entropy on scaled
# log-magnitudes), which spends its effort on the loud bins and says nothing about the waveform; the mask
# U-Net is trained on the waveform's SI-SDR itself, the measure this table reports, and may correct the
# phase.
#
# ### Going on after a stop
#
# A run killed between epochs continues where it stopped, because its checkpoint holds the optimiser's
# state as well as the weights. The repository commits less: the weights the run kept, its history and its
# record. From the history, `digitdenoise train --extend` replays everything the run's rules decided (the
# best loss, the epochs since it, the halved learning rate); what it cannot rebuild is the rest. It starts
# from the weights of the epoch the run kept, not its last epoch's, and with a fresh optimiser. Adam
# {cite:p}`kingma2015adam` keeps, for every weight, running means of its gradient $g_t$ and of its square,
# and steps by their ratio:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad
# \Delta w_t = -\eta\, \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}.$$
#
# Restarted, the moments start again from zero at $t = 1$, so the bias corrections give $\Delta w_1 = -\eta\, g_1 / (|g_1| + \epsilon)
# \approx -\eta\, \operatorname{sign}(g_1)$: every weight whose gradient is well above $\epsilon$ moves by the
# whole learning rate $\eta$, where a settled optimiser, whose $v$ remembers the size of earlier gradients,
# usually moves it less. (Keras adds its $\epsilon$, {glue:text}`adam_eps`, to $\sqrt{v_t}$ before the bias
# correction, so with its $\beta_2$ of {glue:text}`adam_beta2` it acts at $t = 1$ as
# $\epsilon / \sqrt{1-\beta_2} \approx$ {glue:text}`adam_eps_t1`; exercise 7 measures it.)
# That is why an extension goes on at the replayed, reduced learning rate rather than the initial one. In
# these runs:
# {glue:md}`restart_effect`

# %% tags=["remove-cell"]
effects = {name: zoo.restart_effect(h, infos.get(name) or {}) for name, h in histories.items()}
effects = {name: e for name, e in effects.items() if e is not None}
restart_parts = [f"{name}: {e.kept_db:+.2f} dB at the epoch it had kept ({e.kept_epoch}), {e.first_after_db:+.2f} dB "
                 f"in the first epoch after the restart and {e.best_after_db:+.2f} dB at best in the {e.epochs_after} "
                 f"after it (standard deviation of its last five epochs before the restart: {e.spread_db:.2f} dB)"
                 for name, e in effects.items()]
dips = [(e.dip_db, e.spread_db) for e in effects.values()]
gains = [e.new_epoch_kept for e in effects.values()]
fell = sum(d > 0 for d, _ in dips)
beyond = sum(d > 2 * sp for d, sp in dips)
restart_verdict = (f"The first epoch after the restart scored below the kept epoch in {fell} of {len(dips)} runs, "
                   + ("by no more than twice that standard deviation in every one: these runs cannot tell the "
                      "jolt from the ordinary noise between epochs" if not beyond else
                      f"by more than twice that standard deviation in {beyond}: the jolt shows")
                   + f"; {sum(gains)} of {len(dips)} then found a better validation loss, and so a new epoch "
                   "to keep, before they stopped.")
import keras  # already loaded by digitdenoise.training

adam = keras.optimizers.Adam()  # the optimiser every model here trains with, at Keras' defaults
glue("adam_eps", f"{adam.epsilon:.0e}", display=False)
glue("adam_beta2", f"{adam.beta_2:g}", display=False)
glue("adam_eps_t1", f"{adam.epsilon / math.sqrt(1 - adam.beta_2):.1e}", display=False)
glue("restart_effect", Markdown("; ".join(restart_parts) + ". " + restart_verdict if restart_parts
                                else "no run was extended, so there is nothing to compare."), display=False)

# %% [markdown]
# ## Same network, the book's loss
#
# That last claim can be tested. Keep a seed's network, its output head (a magnitude, with the noisy
# phase), its data, learning rate, pairs per epoch, patience and time budget, and change one thing: the
# loss. `make release-zoo-si-sdr` retrains the seed end to end on the waveform, on the release model's loss,
# the negative SI-SDR of the resynthesised output $\hat s$ against the clean $s$:
#
# $$\mathcal{L}(s, \hat s) = -10 \log_{10} \frac{\lVert \alpha s \rVert^2}{\lVert \alpha s - \hat s \rVert^2},
# \qquad \alpha = \frac{\hat s^\top s}{\lVert s \rVert^2}.$$
#
# Nothing in the network changes. The gradient now also flows through the head: the inverse of the
# scaling, the exponential that turns a log-magnitude back into a magnitude, and the inverse STFT. All
# three are differentiable, so the same optimiser sees the waveform error instead of the spectrogram error.
# The run is labelled "(SI-SDR loss)" in the table above and drawn dashed in {numref}`fig-zoo-curves`;
# it is a **recorded** run like the others (`models/release/zoo/<name>-si_sdr/`).
#
# Trained this way, the network meets a second trap, which has nothing to do with the loss: in training
# mode it improves within a few epochs, yet scored on the validation pairs as a user would run it, it can
# stay below the noisy input. The culprit is **batch normalisation**. During training each batch-norm layer normalises with the
# mean and variance of the current batch; at inference it uses moving averages, updated after every
# step as
#
# $$m \leftarrow \beta\, m + (1 - \beta)\, \mu_\text{batch}, \qquad \beta = 0.99 \text{ (Keras' default, which the report kept)}.$$
#
# Such an average remembers about $1/(1-\beta) = 100$ steps, here {glue:text}`bn_memory_epochs` epochs, and in those steps the
# weights have moved on: the averages describe a network that no longer exists. (The U-Nets use
# $\beta = 0.9$, PyTorch's default, and are hit far less.) The cure is to freeze the weights after each
# epoch and re-estimate the statistics as a plain average over $K$ training batches, $m = \frac1K \sum_k
# \mu_k$ ({term}`precise batch norm`, `training.recalibrate_batch_norm`), before validating. The weights do
# not change, only the two statistics per channel that inference uses. The run records both scores every
# epoch; {numref}`fig-precise-bn` shows them.
# {glue:md}`book_loss_result`

# %% tags=["remove-cell"]
if retrained:
    retrained_cfg = infos[next(iter(retrained))]["train_config"]
    steps = math.ceil(retrained_cfg["clips_per_epoch"] / retrained_cfg["batch_size"])
    glue("bn_memory_epochs", f"about {100 / steps:.0f}", display=False)
else:
    glue("bn_memory_epochs", "several", display=False)
book_loss_parts = []
for label, folder in retrained.items():
    seed_name = folder.name.removesuffix(f"-{zoo.BOOK_LOSS}")
    if seed_name not in summary.index or label not in summary.index:
        continue
    own, new = summary.loc[seed_name], summary.loc[label]
    own_q, new_q = own.get("quality bar, SI-SDR impr. (dB)"), new.get("quality bar, SI-SDR impr. (dB)")
    change = new["SI-SDR improvement (dB)"] - own["SI-SDR improvement (dB)"]
    # was the own-loss model only let down by its statistics? re-estimate them as the retrained run did (on
    # at most 5 batches: a mean over 80 clips of about 125 frames each is already steady, and each batch costs
    # the build a second)
    check_batches = min(5, retrained_cfg["precise_bn_batches"])
    own_recal = zoo.score_with_precise_bn(result_dirs[seed_name], prepared, lengths=lengths, seed=run.seed,
                                          batches=check_batches, batch_size=retrained_cfg["batch_size"])
    verdict = (f"with its batch-norm statistics re-estimated the same way (here on {check_batches} training batches "
               f"of {retrained_cfg['batch_size']}), the own-loss model still scores "
               f"{own_recal:+.1f} dB, so "
               + ("its loss, not its architecture, held it back" if new["SI-SDR improvement (dB)"] > 0 > own_recal
                  else "the book's loss gives the better waveform" if change > 0
                  else "the change of loss does not help: the architecture limits it"))
    book_loss_parts.append(
        f"**{seed_name}** on its own loss scores {own['SI-SDR improvement (dB)']:+.1f} dB on the validation pairs "
        f"above; on the book's loss, after {int(new['epochs'])} epochs ({new['training time (min)']:.0f} minutes, "
        f"stopped by {new['stopped by']}; curve: {new['curve']}), {new['SI-SDR improvement (dB)']:+.1f} dB"
        + (f" (quality bar on the test speaker: {own_q:+.1f} dB before, {new_q:+.1f} dB after)"
           if pd.notna(own_q) and pd.notna(new_q) else "")
        + f": {verdict}.")
bn_gap = []
for label, folder in retrained.items():
    h = histories[label]
    ema = f"{zoo.VALIDATION_COLUMN}_moving_average_bn"
    if ema in h:
        gap = h[zoo.VALIDATION_COLUMN] - h[ema]
        worst, last = h.loc[gap.idxmax()], h.iloc[-1]
        bn_gap.append(f"{label} scored {worst[zoo.VALIDATION_COLUMN]:+.1f} dB with re-estimated statistics and "
                      f"{worst[ema]:+.1f} dB with the moving averages at epoch {int(worst['epoch'])}, the widest gap, "
                      f"and {last[zoo.VALIDATION_COLUMN]:+.1f} against {last[ema]:+.1f} dB at its last epoch")
glue("bn_gap", ("; ".join(bn_gap) + ". Each pair of numbers comes from the same weights; only the normalising "
                "statistics differed")
     if bn_gap else "No run here recorded both scores", display=False)
glue("book_loss_result", Markdown(" ".join(book_loss_parts) if book_loss_parts else
     "This run has no seed retrained on the book's loss at this sample rate (`make release-zoo-si-sdr` "
     "records them for FSDD at 8 kHz)."), display=False)

# %% [markdown]
# {numref}`fig-precise-bn` plots, for each seed retrained on the book's loss, the validation SI-SDR
# improvement per epoch twice: with the batch-norm statistics re-estimated (solid, the score the run was
# early-stopped on) and with Keras' moving averages as they stood at the end of the epoch (dotted). What to
# look for: the gap between the two curves, and whether it closes as the learning rate falls and the
# weights change more slowly.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Validation SI-SDR improvement per epoch of the seed retrained on the book's loss, with re-estimated batch-norm statistics (solid) and with the moving averages (dotted). Recorded run.", "name": "fig-precise-bn"}}
fig, ax = plt.subplots(figsize=(6.5, 3.4), layout="constrained")
for label in retrained:
    h = histories[label]
    line, = ax.plot(h["epoch"], h[zoo.VALIDATION_COLUMN], marker="o", ms=3, label=f"{label}, precise batch norm")
    ema = f"{zoo.VALIDATION_COLUMN}_moving_average_bn"
    if ema in h:
        ax.plot(h["epoch"], h[ema], ls=":", marker=".", color=line.get_color(), label=f"{label}, moving averages")
ax.axhline(0, color="grey", lw=0.8)
ax.set(xlabel="Epoch", ylabel="Validation SI-SDR improvement (dB)")
if retrained:
    ax.legend(fontsize="small")
else:
    ax.text(0.5, 0.5, "no seed retrained on the book's loss in this run", ha="center", transform=ax.transAxes)
plt.show()

# %% [markdown]
# In the recorded run {glue:text}`bn_gap`.
#
# Which of the two runs is "the report's model" in a comparison? Its own loss teaches this network to output
# next to nothing, so a comparison with it would measure the loss, not the architecture. Chapters 6 to 8
# therefore compare each seed network as trained to learn: on its own loss where that works, and on the
# book's loss where a run on it exists (here `report_cae`). The own-loss run stays in the table above, as
# this section's lesson.

# %% [markdown]
# ## The general release model: many voices, many noises
#
# Everything above trains on the chapter's dataset alone. On FSDD that is four training voices, four
# noise recordings and three colours, and a model trained on them learns *those* conditions: chapter 6
# shows the FSDD-only model making new voices worse than the noisy input. The book's release model is
# trained by `make release-model` under a **general recipe** (chapter 4 shows and plays its ingredients):
#
# * voices: FSDD's training speakers and the training speakers of speechocean762, children and adults,
#   whose sentences and digit strings are cut into one-second windows;
# * noise: the training files of the Hu collection, white noise, {glue:text}`rel_families` generated families
#   ({glue:text}`rel_family_names`) and babble of
#   {glue:text}`rel_talkers` training talkers' sentences, over a wide range of SNRs;
# * microphones: {glue:text}`rel_channel_pct`% of the clips pass through a random channel (tilt, high-pass,
#   sometimes a low-pass) and every pair gets a random level;
# * clean inputs: a share of the pairs has no noise at all, and the target is the input itself.
#
# Clean inputs need one change to the loss. The SI-SDR of a perfect output is infinite, so one clean
# pair would dominate every batch. The release model minimises a *capped* negative SI-SDR
# {cite:p}`wisdom2020mixit`: with $s_t$ the scaled target and $e = \hat s - s_t$ the residual,
#
# $$\mathcal{L} = -10 \log_{10} \frac{\lVert s_t \rVert^2}{\lVert e \rVert^2 + \tau \lVert s_t \rVert^2},
# \qquad \tau = 10^{-c/10},$$
#
# which equals the plain loss well below the cap $c$ ({glue:text}`rel_cap` dB) and saturates at $-c$
# above it, so a pair that is already good enough stops pulling on the weights.
#
# The release model is trained in two stages. The first was fine-tuned from the previous release (the
# FSDD-only model) for {glue:text}`rel_minutes` minutes on this book's 2-core machine, {glue:text}`rel_epochs` epochs of
# {glue:text}`rel_clips` pairs; validation on unseen voices (FSDD's validation speaker and
# speechocean762's validation speakers) with unseen Hu noises picked epoch {glue:text}`rel_best`. These
# are **recorded** figures, read from the checkpoint's `train_config.json` and `history.csv`: the build
# does not repeat the run.
#
# The table gives the share of the training pairs that each condition of the recipe contributes
# (`clean`: no noise at all; `recording`: real noise recordings; the others: white noise, babble and the
# generated families). What to look for: which conditions dominate, and how large the clean share is.

# %% tags=["remove-cell"]
general_dir = Path(release_dir) / f"general-{models.BEST_MODEL}-stage1"  # the general recipe's own run
general_info = json.loads((general_dir / "train_config.json").read_text())
general_history = pd.read_csv(general_dir / "history.csv")
general_recipe = general_info["train_config"]["recipe"]
glue("rel_cap", f"{general_info['train_config']['sdr_cap_db']:g}", display=False)
glue("rel_channel_pct", f"{100 * general_recipe['channel_share']:.0f}", display=False)
glue("rel_talkers", "{} to {}".format(*general_recipe["babble_talkers"]), display=False)
from digitdenoise import augment

# the families the recorded release model trained on (its recipe's weights), not the ones the code has now
family_phrases = {"tilt": "random spectral tilt", "band": "band-limited noise", "hum": "mains hum",
                  "modulated": "modulated noise", "clicks": "clicks", "tonal": "sirens and alarms"}
trained_families = [f for f in augment.FAMILIES if general_recipe["weights"].get(f, 0) > 0]
glue("rel_families", len(trained_families), display=False)
glue("rel_family_names", ", ".join(family_phrases.get(f, f) for f in trained_families), display=False)
# its validation loss is the negative (capped) SI-SDR, so its gains in dB are the book's criterion's unit
general_conv = zoo.convergence(general_history.assign(**{zoo.VALIDATION_COLUMN: -general_history["val_loss"]}))
glue("rel_tail_epochs", general_conv.tail_epochs, display=False)
glue("rel_tail_gain", f"{general_conv.tail_gain_db:.2f}", display=False)
glue("rel_verdict", f"was still improving when the time budget ended ({zoo.FLAT_DB:g} dB or more)"
     if not general_conv.flattened else f"had flattened (less than {zoo.FLAT_DB:g} dB, the book's criterion for "
     "convergence)", display=False)
glue("rel_minutes", f"{general_info['train_seconds'] / 60:.0f}", display=False)
glue("rel_epochs", len(general_history), display=False)
glue("rel_clips", f"{general_info['train_config']['clips_per_epoch']:,}", display=False)
glue("rel_best", str(general_info["best_epoch"]), display=False)
shares = pd.Series(general_recipe["weights"], name="share of training pairs")
glue("rel_top", shares.idxmax(), display=False)
glue("rel_top_pct", f"{100 * shares.max():.0f}", display=False)
glue("rel_clean_pct", f"{100 * shares.get('clean', 0.0):.0f}", display=False)
glue("rel_low", shares.idxmin(), display=False)
glue("rel_low_pct", f"{100 * shares.min():.0f}", display=False)
glue("rel_low_per_epoch", f"{shares.min() * general_info['train_config']['clips_per_epoch']:,.0f}", display=False)
below = int((general_history["loss"] < general_history["val_loss"]).sum())
glue("rel_train_below", f"{below} of the {len(general_history)}", display=False)
if isinstance(general_info["best_epoch"], int):
    kept_loss = general_history.set_index("epoch").loc[general_info["best_epoch"], "val_loss"]
    glue("rel_best_val", f"{-kept_loss:.1f}", display=False)
else:
    glue("rel_best_val", "n/a", display=False)

# %% tags=["hide-input"]
pd.DataFrame({"share of training pairs": shares.round(2)}).rename_axis("condition").T

# %% [markdown]
# The largest share, {glue:text}`rel_top_pct`%, goes to {glue:text}`rel_top`, and {glue:text}`rel_clean_pct`%
# of the pairs are clean inputs whose target is the input itself. No condition is rare: the smallest,
# {glue:text}`rel_low` ({glue:text}`rel_low_pct`%), still comes up about {glue:text}`rel_low_per_epoch`
# times in each epoch of {glue:text}`rel_clips` pairs.
#
# {numref}`fig-general-curves` shows the learning curves: the training loss is measured on freshly drawn
# pairs in every epoch, the validation loss on the same fixed pairs each time (both are the negative capped
# SI-SDR, lower is better). What to look for: a validation curve that still falls at the end means more
# training would still help; one that has turned up means the model is starting to fit its training
# voices and noises.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The general release model's first stage (recorded): negative capped SI-SDR on the training pairs of each epoch and on the fixed validation pairs of unseen voices and noises; the dot marks the epoch kept.", "name": "fig-general-curves"}}
fig, ax = plt.subplots(figsize=(8, 3.4), layout="constrained")
ax.plot(general_history["epoch"], general_history["loss"], marker="o", ms=3, label="training pairs")
ax.plot(general_history["epoch"], general_history["val_loss"], marker="o", ms=3, label="validation pairs")
if isinstance(general_info["best_epoch"], int):
    kept = general_history.set_index("epoch").loc[general_info["best_epoch"], "val_loss"]
    ax.plot([general_info["best_epoch"]], [kept], "ko", ms=7, label="kept")
ax.set(xlabel="Epoch", ylabel="Loss (negative SI-SDR, dB)", title="General release model, stage 1 (recorded run)")
ax.legend()
plt.show()

# %% [markdown]
# The validation loss improved by {glue:text}`rel_tail_gain` dB in the last {glue:text}`rel_tail_epochs`
# epochs: the model {glue:text}`rel_verdict`. The epoch kept, {glue:text}`rel_best`, reaches a capped
# SI-SDR of {glue:text}`rel_best_val` dB on the validation pairs. The training loss sits below the
# validation loss in {glue:text}`rel_train_below` epochs: the validation pairs are voices and noises the
# model never trains on.
#
# ### Stage two: the same recordings, played differently
#
# The first stage hears {glue:text}`s2_hu_train` Hu training recordings; the test noises are other recordings. Chapter 4
# showed how to make many noises out of few: play a recording faster or slower, through another channel,
# sometimes with a second one underneath (`augment.perturbed_recording`). The release model's second stage
# fine-tunes the first with {glue:text}`s2_perturb_pct`% of its recording draws perturbed, at a learning rate of
# {glue:text}`s2_lr` (the first stage's: {glue:text}`s1_lr`), for {glue:text}`s2_minutes` minutes ({glue:text}`s2_epochs`
# epochs of {glue:text}`s2_clips` pairs){glue:text}`s2_new_families`. On the same validation pairs it keeps
# epoch {glue:text}`s2_best`, at a capped SI-SDR of {glue:text}`s2_best_val` dB (stage 1:
# {glue:text}`rel_best_val` dB).
#
# Validation pairs use validation noises, and a gain there could still be a gain on noises that resemble
# them. The test is chapter 6's benchmark: voices and noises neither stage trained on, the same mixtures for
# both (`make bench-generalisation-stages`, **recorded** in `bench/results/generalisation-stages.json`).
# The table puts the two stages side by side, both run as plain networks (chapter 6 adds the `denoise`
# command's guard), with the oracle IRM as the ceiling of a magnitude mask. What to look for: the first two
# columns are chapter 6's first bar, on unseen non-speech noise (the release should reach {glue:text}`s2_bar_ratio` of the IRM), the count of cells worse than
# the input is the bar "no cell worse than the input" (the release should have none), the last column is
# speech that has no noise at all.

# %% tags=["remove-cell"]
from digitdenoise import generalisation

release_stage2_dir = Path(release_dir) / f"general-{models.BEST_MODEL}"
stage2_info = json.loads((release_stage2_dir / "train_config.json").read_text())
stage2_history = pd.read_csv(release_stage2_dir / "history.csv")
stage2_recipe = stage2_info["train_config"]["recipe"]
glue("s2_hu_train", stage2_recipe["splits"]["hu-nonspeech"]["train"], display=False)
glue("s2_perturb_pct", f"{100 * stage2_recipe.get('noise_perturb_share', 0.0):.0f}", display=False)
glue("s2_lr", f"{stage2_info['learning_rate_used']:g}", display=False)
glue("s1_lr", f"{general_info['learning_rate_used']:g}", display=False)
glue("s2_minutes", f"{stage2_info['train_seconds'] / 60:.0f}", display=False)
release_seconds = sum(st["seconds"] for st in zoo.training_stages(release_stage2_dir))  # all its stages
glue("rel_total_minutes", f"{release_seconds / 60:.0f}", display=False)
glue("s2_epochs", len(stage2_history), display=False)
glue("s2_clips", f"{stage2_info['train_config']['clips_per_epoch']:,}", display=False)
added = [f for f in augment.FAMILIES if stage2_recipe["weights"].get(f, 0) > 0 and general_recipe["weights"].get(f, 0) == 0]
glue("s2_new_families", f"; its recipe also has the family added to the book after stage 1 ran "
     f"({', '.join(family_phrases.get(f, f) for f in added)})" if added else "", display=False)
glue("s2_best", str(stage2_info["best_epoch"]), display=False)
glue("s2_best_val", f"{-stage2_history.set_index('epoch').loc[stage2_info['best_epoch'], 'val_loss']:.1f}"
     if isinstance(stage2_info["best_epoch"], int) else "n/a", display=False)
stages_recorded = generalisation.load_recorded(Path(generalisation.__file__).resolve().parents[2] / "bench" / "results"
                                               / "generalisation-stages.json")
stages = generalisation.compare_methods(stages_recorded, {"stage 1 (general recipe)": "previous release model",
                                                          "stage 2 (the release model)": "release model (no guard)",
                                                          "oracle IRM": "oracle IRM"})
s1, s2 = stages.iloc[0], stages.iloc[1]
glue("s2_bar_ratio", stages_recorded.bars["target"].iloc[0].removeprefix(">=").strip(), display=False)  # ">= 0.85"
glue("s2_unseen", f"{s1['unseen noises, 0 dB (dB)']:.2f} to {s2['unseen noises, 0 dB (dB)']:.2f} dB", display=False)
glue("s2_ratio", f"{s1['ratio to the IRM']:.3f} to {s2['ratio to the IRM']:.3f}", display=False)
glue("s2_worse", f"{s1['cells worse than the input']:.0f} to {s2['cells worse than the input']:.0f} of {s2['of cells']:.0f}",
     display=False)
glue("s2_talkers", f"{s2['talkers (dB)'] - s1['talkers (dB)']:+.2f}", display=False)
glue("s2_words", f"{s1['word accuracy, no added noise (%)']:.1f}% to {s2['word accuracy, no added noise (%)']:.1f}%",
     display=False)
glue("s2_irm_gap", f"{stages.loc['oracle IRM', 'unseen noises, 0 dB (dB)'] - s2['unseen noises, 0 dB (dB)']:.1f}",
     display=False)

# %% tags=["hide-input"]
stages.drop(columns=["of cells"]).round(2)

# %% [markdown]
# Stage two moved the mean improvement on the unseen noises from {glue:text}`s2_unseen` (from
# {glue:text}`s2_ratio` of the IRM) and the cells where the model makes speech worse from
# {glue:text}`s2_worse`; on competing talkers, averaged over every SNR, it changed by {glue:text}`s2_talkers`
# dB, and pocketsphinx's word accuracy on clean digit strings went from {glue:text}`s2_words` after the
# network. It is a step, not the goal: the release model is still {glue:text}`s2_irm_gap` dB below the
# oracle on those noises. Chapter 6 shows where the gap lies, recording by recording.
#
# ### A bigger network? (recorded)
#
# The gap could be the network's size or the data's variety. One way to ask: grow the release model and see
# what the extra capacity buys. `networks.DualPathBlock` adds, at the U-Net's bottleneck, a bidirectional GRU
# that runs along time in every band (so each band sees the whole clip) and then one that runs across the
# bands in every frame (so each band sees every other); each result is projected back and *added* to the
# block's input. The projections start at zero, so the grown network computes exactly what the release
# model computes until training moves them (`models.transfer_weights` copies the release model's weights
# into the rest). It was fine-tuned on the stage-2 recipe ({glue:text}`dp_params` parameters instead of
# {glue:text}`dp_release_params`) and stopped after {glue:text}`dp_minutes` minutes; its kept epoch,
# {glue:text}`dp_epoch`, reaches {glue:text}`dp_val` dB on the validation pairs against the release model's
# {glue:text}`s2_best_val` dB. The table scores both on chapter 6's benchmark (**recorded**:
# `bench/results/generalisation-dualpath-gru.json`, made by `make release-model-dualpath DUALPATH_KIND=gru`
# and stopped early; its weights are not in the repository).

# %% tags=["remove-cell"]
dp_recorded = generalisation.load_recorded(Path(generalisation.__file__).resolve().parents[2] / "bench" / "results"
                                           / "generalisation-dualpath-gru.json")
dp_model = dp_recorded.raw["model"]
glue("dp_params", f"{dp_model['parameters']:,}", display=False)
glue("dp_release_params", f"{stage2_info['parameters']:,}", display=False)
glue("dp_minutes", f"{dp_model['train_seconds'] / 60:.0f}", display=False)
glue("dp_epoch", str(dp_model["best_epoch"]), display=False)
glue("dp_val", f"{dp_model['validation_db']:.1f}", display=False)
grown = generalisation.compare_methods(dp_recorded, {"release model": "previous release model",
                                                     "release model + dual-path GRU": "release model (no guard)",
                                                     "oracle IRM": "oracle IRM"})
rel_row, dp_row, irm_row = grown.iloc[0], grown.iloc[1], grown.iloc[2]
test_gain = dp_row["unseen noises, 0 dB (dB)"] - rel_row["unseen noises, 0 dB (dB)"]
hu_split = stage2_recipe["splits"]["hu-nonspeech"]
n_unseen = sum(len(dp_recorded.raw["test_data"]["noises"][f]) for f in generalisation.NONSPEECH_FAMILIES)
val_gain = dp_model["validation_db"] - (-stage2_history.set_index("epoch").loc[stage2_info["best_epoch"], "val_loss"])
glue("dp_reading", Markdown(
    f"On the validation pairs the grown model gained {val_gain:+.2f} dB; on the unseen test noises it "
    f"{'gained' if test_gain > 0 else 'lost'} {abs(test_gain):.2f} dB, and the cells where it makes speech worse "
    f"than the input went from {rel_row['cells worse than the input']:.0f} to {dp_row['cells worse than the input']:.0f}. "
    + (f"A gain on {hu_split['validation']} validation noises that does not carry over to {n_unseen} unseen test "
       "noises is the signature of a model that has learnt its noises, not noise: " if val_gain > 0 and test_gain <= 0.1
       else "")
    + f"the release model is {irm_row['generated (dB)'] - rel_row['generated (dB)']:.1f} dB from the oracle on the "
    f"generated noises, which the recipe can draw without end, but {irm_row['hu-test (dB)'] - rel_row['hu-test (dB)']:.1f} "
    f"dB on the Hu test recordings and {irm_row['speech-commands (dB)'] - rel_row['speech-commands (dB)']:.1f} dB on the "
    f"Speech Commands ones, recordings like the {hu_split['train']} it trained on. The next gain is more likely to "
    "come from more varied real noise than from more layers."), display=False)

# %% tags=["hide-input"]
grown.drop(columns=["of cells"]).round(2)

# %% [markdown]
# {glue:md}`dp_reading`
#
# ### What each ingredient bought (recorded ablation)
#
# A recipe with several ingredients invites the question which of them matter. An **ablation** answers it:
# train the same model the same way once with everything and once without each ingredient, and score
# every run on the same test mixtures. {glue:text}`abl_runs` runs at the length of the release model's two
# stages would take {glue:text}`abl_runs_lower` times its {glue:text}`rel_total_minutes` minutes, so `make ablation`
# runs a short version: each run fine-tunes the previous release for {glue:text}`abl_epochs` epochs of
# {glue:text}`abl_clips` pairs ({glue:text}`abl_minutes` minutes each on this machine), chooses its epoch on the same validation pairs
# (drawn with the full recipe), and is scored on {glue:text}`abl_mixtures` mixtures of chapter 6's
# benchmark (test voices, test noises, {glue:text}`abl_snrs` dB; SI-SDR only). The last column runs each
# model on clean test speech and measures how far the output is from the input: high means the model
# leaves clean speech alone. These are **recorded** figures (`bench/results/ablation.json`); short runs
# say what each ingredient does early in training, not what a full-length run would reach.

# %% tags=["remove-cell"]
ablation_path = Path(augment.__file__).resolve().parents[2] / augment.ABLATION_RECORDED
ablation = augment.recorded_ablation(ablation_path)
ablation_json = json.loads(ablation_path.read_text())
first_run = next(r for r in ablation_json["rows"] if r["model"] == "full recipe")
glue("abl_epochs", first_run["epochs"], display=False)
glue("abl_clips", f"{first_run['clips_per_epoch']:,}", display=False)
ablated = [r for r in ablation_json["rows"] if r["model"] == "full recipe" or r["model"].startswith("without ")]
abl_minutes = [r["train_seconds"] / 60 for r in ablated]
glue("abl_minutes", f"{min(abl_minutes):.0f} to {max(abl_minutes):.0f}", display=False)
abl_count = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}.get(len(ablated), str(len(ablated)))
glue("abl_runs", abl_count.capitalize(), display=False)
glue("abl_runs_lower", abl_count, display=False)
glue("abl_mixtures", f"{ablation_json['mixtures']:,}", display=False)
glue("abl_snrs", " and ".join(f"{v:g}" for v in ablation_json["snrs_db"]), display=False)
families = [c for c in ("hu-test", "speech-commands", "generated", "talkers") if c in ablation.columns]
full = ablation.loc["full recipe"]
readings = []
for name in ablation.index:
    if not name.startswith("without "):
        continue
    delta = ablation.loc[name, families] - full[families]
    worst = delta.idxmin()
    overall = ablation.loc[name, "all test noise"] - full["all test noise"]
    clean_delta = ablation.loc[name, "clean speech: output vs input (dB)"] - full["clean speech: output vs input (dB)"]
    readings.append(f"{name[len('without '):]}: {overall:+.2f} dB over all test noise, {delta[worst]:+.2f} dB on "
                    f"{worst}, {clean_delta:+.1f} dB of closeness on clean speech")
glue("abl_reading", "; ".join(readings), display=False)
short_vs_start = full["all test noise"] - ablation.loc["starting model (previous release)", "all test noise"]
glue("abl_short_gain", f"{short_vs_start:+.2f}", display=False)
release_row = next(n for n in ablation.index if n.startswith("release model, stage 2"))
glue("abl_release_gain", f"{ablation.loc[release_row, 'all test noise'] - full['all test noise']:+.2f}", display=False)

# %% tags=["hide-input"]
ablation[[*families, "all test noise", "made worse", "clean speech: output vs input (dB)", "epochs"]].round(2)

# %% [markdown]
# Read each "without" row against the "full recipe" row above it: a lower number means the left-out
# ingredient was helping. Differences, without minus full: {glue:text}`abl_reading`. Even the short run
# with the full recipe gains {glue:text}`abl_short_gain` dB over all test noise against the model it
# started from, and the release model's longer run adds {glue:text}`abl_release_gain` dB more. Each
# cell averages a few hundred mixtures of one short run: differences of a few tenths of a dB are within
# the noise of a single training run, so read the large differences, not the small ones.
#
# ## The release checkpoint
#
# Chapters 6 and 7 evaluate the release model when its rate matches this dataset's (FSDD's 8 kHz), and
# otherwise the model trained above. This run uses: {glue:text}`best_source`. The next cell loads it,
# writes the list of models that chapters 6 and 7 read, and scores it on the same validation pairs as the
# table above.

# %% tags=["hide-input"]
release = release_stage2_dir
from_release = (release / "model.keras").is_file() and json.loads(
    (release / "feature_config.json").read_text())["sample_rate"] == sr
if from_release:
    best_model, best_info = training.load_denoiser(release)
    kept, started = best_info.get("best_epoch"), (best_info.get("train_config") or {}).get("init_from")
    best_source = (f"the release checkpoint {release} ({best_info.get('train_seconds', 0) / 60:.0f} min of "
                   + (f"fine-tuning from {started}" if started else "training") + ", its second stage; kept: "
                   + (f"epoch {kept}" if isinstance(kept, int) else str(kept)) + ")")
else:
    own = models.BEST_MODEL if models.BEST_MODEL in results else next(iter(results))
    release, best_model, best_info = result_dirs[own], results[own], {}
    best_source = f"the {own} of the table above (no release checkpoint at {sr} Hz)"
estimate = training.denoise_batch(best_model, prepared.val_noisy)
table = evaluation.si_sdr_table(prepared.val_clean, prepared.val_noisy, estimate, lengths)
mean, lo, hi = evaluation.mean_ci(table["si_sdr_improvement"])
# chapters 6-8 compare each seed architecture as trained to learn: on its own loss, or on the book's loss
# where a run on it exists (report_cae: its own loss makes it collapse, as the section above measured)
superseded = {folder.name.removesuffix(f"-{zoo.BOOK_LOSS}") for folder in retrained.values()}
manifest = {"best": str(release), "zoo": {name: str(folder) for name, folder in result_dirs.items()
                                          if name not in superseded},
            "best_source": best_source}
_io.write_json(run.artifacts_dir / "models.json", manifest)
pd.DataFrame([{"model": "best model used by chapters 6-7", "SI-SDR improvement (dB)": round(mean, 2),
               "95% CI": f"{lo:.2f} to {hi:.2f}"}]).set_index("model")

# %% tags=["remove-cell"]
glue("best_source", best_source, display=False)
glue("best_val_gain", f"{mean:.1f}", display=False)
glue("best_val_ci", f"{lo:.1f} to {hi:.1f}" if np.isfinite(lo) else "no interval with one pair", display=False)
if from_release:
    glue("best_budget_note", f"the release checkpoint was fine-tuned in two stages for {release_seconds / 60:.0f} "
         "minutes on many more voices and noises, starting from the FSDD-only model, so the gap measures data "
         "as much as design. Its epoch was also "
         "chosen on validation voices that include this dataset's validation speaker, so this score is not "
         "fully independent of it; chapter 6 measures it on the held-out test speaker", display=False)
else:
    glue("best_budget_note", "here it is a model of the table above", display=False)

# %% [markdown]
# On the validation pairs it raises SI-SDR by {glue:text}`best_val_gain` dB (95% CI
# {glue:text}`best_val_ci` dB), against {glue:text}`best_budget_value` dB for the best model of the table
# above; {glue:text}`best_budget_note`.

# %% [markdown]
# ## The quality bar: the oracle ideal ratio mask
#
# A learned mask should be judged against the best mask of its kind. The oracle ideal ratio mask (IRM)
# computes, from the clean speech and the noise it is not supposed to know,
# $\sqrt{|S|^2 / (|S|^2 + |N|^2)}$ in every time-frequency bin, and applies it to the noisy STFT with the
# noisy phase; with the same STFT as our models, on the same held-out test clips and the same noise draws,
# it is the bar a magnitude mask is measured against. The bar is set at white noise, {glue:text}`bar_snr` dB,
# on every test clip ({glue:text}`bar_clips`). The model is scored twice: on the one-second evaluation
# windows the IRM also sees, and on each clip alone at its own length, the way the `denoise` command and
# the service run it (appendix 9 explains why that path mirrors short clips to 0.5 s instead of padding
# them with silence).
#
# Three checkpoints are compared. The **general release model** above, the product, is measured in every
# run. The **previous release model** (FSDD only: trained on every noise type of chapter 4 at
# {glue:text}`prev_snr_range` dB, then continued at a low, constant learning rate with speed-perturbed copies
# of the training clips and weight averaging) and a **white-noise specialist**, kept as a lesson, not as a
# product (`make release-model-fsdd` builds it; its weights are not in git), show the figures
# `make bench-quality` recorded in their `quality.json`, on all the test clips and the same noise draws,
# each compared with the IRM of that same recorded run: they no longer change, and measuring them again
# would cost the build half a minute. The column *measured* says which rows this run computed. The converged seed
# models' rows are the figures `make release-zoo` recorded in their `quality.json` on the same clips and
# noise draws. The rows did not train for the same time: {glue:text}`bar_budgets`.
#
# What to look for in the table: the *ratio to the IRM* column (1 means as good as the oracle on these
# clips), the two SI-SDR columns (one-second windows and each clip at its own length), and the last column,
# each model minus the IRM clip by clip, with its interval.
#
# ````{admonition} How the white-noise specialist was made (development notes)
# :class: dropdown
# The specialist starts from the previous model's first-stage weights and is trained further under a
# recipe aimed at the bar's condition:
#
# * *white noise only*, in training and in validation, so that early stopping picks the epoch that is
#   best at white noise rather than on average over five noises;
# * *the bar's SNR, measured where the bar measures it*: the mixer sets the SNR over the whole one-second
#   window, silence included, while the bar sets it over each clip's real length. For the test clips the
#   two differ by {glue:text}`bar_offset` dB on average (computed below), so the specialist trains at −17
#   to −8 dB over the window and is validated at −12 dB;
# * *more voices*: FSDD gives four training speakers, and the training loss stays better than the
#   validation loss at similar SNRs: the noise is the same kind, the voices are not. Copies
#   of every training clip played 10% slower and 10% faster (tempo and pitch together,
#   `noise.speed_perturb`) shift the formants the way a longer or shorter vocal tract does, a cheap
#   stand-in for more speakers. The first step trains with those two copies; its validation score was
#   still rising when its time budget ended, so a second step continues from it with copies at 5, 10 and
#   15% either way and a lower learning rate;
# * *a quieter last step*: with four voices the validation score wanders from one epoch to the next (by
#   {glue:text}`val_wander` dB in the median in the specialist's last step, whose history is committed).
#   The third step adds copies at 20% either way, halves the learning rate again and holds it constant,
#   and makes each epoch a fresh random {glue:text}`last_step_clips` of the ({glue:text}`last_step_fold`-fold)
#   training clips,
#   so that validation looks at the model more often. It also keeps the running mean of the weights of all
#   its epochs (stochastic weight averaging, `average_weights` in `TrainConfig`) as a candidate next to
#   each single epoch; validation on the held-out speaker picks whichever is better, and the test speaker
#   is never consulted. Every candidate's validation score is in the checkpoint's `history.csv`.
#
# ````

# %% tags=["hide-input"]
bar_rows, bar = [], None
candidates = {"general release model": release_stage2_dir,
              "previous release model (FSDD only)": Path(release_dir) / f"fsdd-{models.BEST_MODEL}",
              "white-noise specialist (a lesson)": Path(release_dir) / f"fsdd-{models.BEST_MODEL}-white"}
candidates = {label: folder for label, folder in candidates.items()
              if (folder / "feature_config.json").is_file()
              and json.loads((folder / "feature_config.json").read_text())["sample_rate"] == sr}
live = {"general release model"}  # the product; the older checkpoints' figures are recorded (quality.json)
measured = {label: training.load_denoiser(folder) for label, folder in candidates.items()
            if (folder / "model.keras").is_file() and (label in live or not (folder / "quality.json").is_file())}
if not zoo_dirs and models.BEST_MODEL in results:  # trained in this run under the profile's budget
    measured[f"{models.BEST_MODEL} trained in this chapter"] = (results[models.BEST_MODEL],
                                                                {"train_config": {"kinds": list(recipe.kinds)}})
for label, (m, info) in measured.items():
    bar = evaluation.quality_bar(m, run.dataset, run.data_home, noise_kind="white", snr_db=run.snr_db, seed=run.seed,
                                 max_clips=run["bar_clips"])
    bar_rows.append({"model": label, "measured": "in this run",
                     "trained on": ", ".join((info.get("train_config") or {}).get("kinds", [])),
                     **evaluation.quality_bar_row(bar)})
candidates.update({f"{name} (seed, converged)": folder for name, folder in zoo_dirs.items()})
for label, folder in candidates.items():  # weights not at hand: the figures `make bench-quality` recorded
    if label not in measured and (folder / "quality.json").is_file():
        recorded = evaluation.recorded_quality_bar(folder)
        bar_rows.append({"model": label, "measured": f"recorded in {folder}/quality.json",
                         "trained on": ", ".join(recorded.get("trained_on", [])),
                         **evaluation.quality_bar_row(recorded)})
irm = bar["results"]["oracle_irm"]
bar_rows.append({"model": "oracle IRM (knows the clean speech)", "measured": "in this run", "trained on": "",
                 "clips": bar["clips"], "SI-SDR impr., windows (dB)": irm["si_sdr_improvement_db"],
                 "95% CI": "{:.2f} to {:.2f}".format(*irm["ci95"]), "SI-SDR impr., own length (dB)": np.nan,
                 "ratio to the IRM": 1.0, "minus the IRM, paired (dB)": ""})
bar_table = pd.DataFrame(bar_rows).set_index("model")
bar_table.round(3)

# %% tags=["remove-cell"]
last_step = Path(release_dir) / f"fsdd-{models.BEST_MODEL}-white"  # committed configs and history (FSDD)
last_recipe = json.loads((last_step / "train_config.json").read_text())["train_config"]
glue("val_wander", f"{pd.read_csv(last_step / 'history.csv')['val_loss'].diff().abs().median():.2f}", display=False)
glue("last_step_clips", f"{last_recipe['clips_per_epoch']:,}", display=False)
glue("last_step_fold", f"{1 + len(last_recipe['speed_factors'])}", display=False)
glue("bar_snr", f"{run.snr_db:g}", display=False)
glue("bar_clips", f"{bar['clips']} clips of {', '.join(bar['test_speakers'])}", display=False)
glue("bar_irm", f"{irm['si_sdr_improvement_db']:.2f}", display=False)
glue("bar_offset", f"{bar['window_minus_clip_snr_db']:.1f}", display=False)
best_row = bar_table.drop(index="oracle IRM (knows the clean speech)")["ratio to the IRM"]
glue("bar_best", f"{best_row.idxmax()}", display=False)
glue("bar_best_ratio", f"{best_row.max():.3f}", display=False)
glue("bar_verdict", "matches or beats the oracle" if best_row.max() >= 1.0 else "stays below the oracle", display=False)
glue("bar_general_ratio", f"{best_row['general release model']:.3f}" if "general release model" in best_row.index
     else "n/a (no checkpoint at this sample rate)", display=False)
previous = json.loads((Path(release_dir) / f"fsdd-{models.BEST_MODEL}" / "train_config.json").read_text())
glue("prev_snr_range", "{:g} to {:+g}".format(*previous["train_config"]["snr_range"]), display=False)
specialist = json.loads((last_step / "train_config.json").read_text())
glue("bar_budgets", f"the general release model was fine-tuned for {release_seconds / 60:.0f} min in two stages "
     f"on top of the previous release; the previous release trained for {previous['train_seconds'] / 60:.0f} min in "
     f"its last stage and the specialist for {specialist['train_seconds'] / 60:.0f} min in its last step, both "
     f"continuing earlier runs; the seed models trained for {zoo_times} each (the table of the previous section)",
     display=False)

# %% [markdown]
# The oracle IRM raises SI-SDR by {glue:text}`bar_irm` dB here. The best learned row, the
# {glue:text}`bar_best`, reaches a ratio of {glue:text}`bar_best_ratio` and {glue:text}`bar_verdict`;
# the general release model, the one chapters 6 and 7 use, reaches {glue:text}`bar_general_ratio`.
# The last column compares clip by clip (same clip, same noise draw): a paired interval that contains
# zero means the two cannot be told apart on these clips.
# A learned model can pass the IRM because the IRM is not the best possible mask for SI-SDR: in bins
# where noise dominates it still lets a fraction of the noise through, and it cannot touch the phase,
# while the model is trained on SI-SDR itself and may rotate the phase (its complex mask). The price of
# the specialist's score is generality: it has only heard white noise, and chapters 6 and 7 therefore
# use the general checkpoint. The gap between the two checkpoints is what one model for every noise costs
# at this size.

# %% [markdown]
# ## Listen
#
# One validation mixture, chosen as the first pair of the validation set, through every model. All
# players share one gain. Listen for the noise that is left between and around the word; in the seed
# models' outputs, for a muffled, smeared sound where a blurred magnitude meets the noisy phase; and in
# every output, for the consonants (the *s* of six and seven, the *f* of four and five, the *t* of two
# and eight), which are quiet and high-pitched and go first when a model removes too much.

# %% tags=["hide-input"]
pick = 0
sounds = {"clean": prepared.val_clean[pick], "noisy": prepared.val_noisy[pick]}
sounds.update({name: training.denoise_batch(m, prepared.val_noisy[pick:pick + 1])[0] for name, m in results.items()})
sounds["best (release)" if from_release else "best"] = estimate[pick]
audio.players(sounds, sr, title="One validation mixture through every model")

# %% tags=["remove-cell"]
start_db = metrics.si_sdr_db(sounds["clean"], sounds["noisy"])
glue("listen_start", f"{start_db:.1f}", display=False)
glue("listen_gains", "; ".join(f"{name} {metrics.si_sdr_db(sounds['clean'], out) - start_db:+.1f} dB"
                               for name, out in sounds.items() if name not in ("clean", "noisy")), display=False)

# %% [markdown]
# The noisy mixture starts at {glue:text}`listen_start` dB SI-SDR. The change each model makes to it:
# {glue:text}`listen_gains`. One clip is an illustration, not a measurement: the tables above average
# over every validation pair.

# %% [markdown]
# ## Summary
#
# * Every model maps a noisy waveform to a denoised one through the same STFT front end; they differ in the
#   network, its output (magnitude, mel gain or complex mask) and its loss.
# * A short live run shows a model learning; only a run to convergence shows what an architecture can do.
#   {glue:text}`zoo_until_kr` ({glue:text}`zoo_times`; the convergence verdict above says how each ended),
#   the best seed model,
#   {glue:text}`best_seed`, reaches {glue:text}`best_seed_value` dB, and {glue:text}`best_budget` leads
#   with {glue:text}`best_budget_value` dB. Every output format could reach far more (the ceiling column):
#   what separates the models is the loss they are trained on.
# * A run continued from its committed record (`--extend`) keeps its history and learning-rate schedule but
#   restarts its optimiser from the epoch it kept; Adam's first step after a restart is about the whole
#   learning rate, which is why the extension keeps the reduced one.
# * The general release model trains on many voices, noise families, channels and clean inputs with a
#   capped SI-SDR loss; its figures here are recorded from `make release-model`, fine-tuned in two stages
#   for {glue:text}`rel_total_minutes` minutes from the FSDD-only model.
# * Against the oracle ideal ratio mask at {glue:text}`bar_snr` dB white noise, the best learned row
#   reaches a ratio of {glue:text}`bar_best_ratio`.
#
# ## Exercises
#
# 1. **SNR of the validation set.** `digitdenoise run --chapters 5 -p snr_db 0` re-scores every model on
#    validation mixtures at 0 dB. Which model gains the most from the easier input, and does the ranking
#    change?
# 2. **Watch another model learn.** `digitdenoise run --chapters 5 -p live_model minimal_cae` trains the
#    minimal autoencoder live instead. How many epochs fit in the budget, and how far is its last point from
#    the recorded converged curve? Which of the two models would you rather train on a laptop?
# 3. **Masks by hand.** In the cell that computes the oracle masks, replace the binary mask's threshold
#    `np.abs(S) > np.abs(Y - S)` by `np.abs(S) > 2 * np.abs(Y - S)`. Does a stricter mask help or hurt
#    SI-SDR, and what would you expect to hear?
# 4. **Mask bound.** `models.MASK_BOUND` limits how much the complex mask may amplify a bin. Look at the
#    oracle PSM's clip to $[0, 1]$ and explain why a bound above 1 can still help a learned mask.
# 5. **One loss for every seed.** `make release-zoo-si-sdr ZOO_SI_SDR_SEEDS=mel_cnn ZOO_SI_SDR_BUDGET=900`
#    retrains the mel autoencoder on the book's loss (`ZOO_SI_SDR_BUDGET` seconds at most, resumable) into
#    `models/release/zoo/mel_cnn-si_sdr`; rerun this chapter and it joins the table. Does the mel gain head
#    gain as much from the change of loss as the magnitude head of the report's autoencoder? Predict before
#    you run it.
# 6. **Grow a trained network.** `digitdenoise train --recipe general --model mask_unet --network dual_path=1
#    --init-from models/release/general-mask_unet --epochs 2 --clips-per-epoch 500 --out runs/grow` inserts a
#    dual-path block (`networks.DualPathBlock`: a GRU along time in every band, then one across the bands in
#    every frame) at the release model's bottleneck and fine-tunes it. Before it trains, load both models
#    and check that they give the same output on one clip: why do they (`models.transfer_weights`, and the
#    block's zero-initialised projections)? What would a block that started from random weights do to the
#    release model's first epochs?
# 7. **A restart's first step.** Copy `models/release/zoo/minimal_cae` to `runs/restart` and run
#    `digitdenoise train --model minimal_cae --dataset fsdd --epochs 200 --clips-per-epoch 2000 --patience 6
#    --lr-patience 3 --time-budget 3600 --extend --out runs/restart`. Why does it not train (read its
#    message and the run's `stopped`)? Then raise `--patience` to 8 in the command: what does it say now, and
#    why does a different patience count as a different run? Finally, in a notebook, build a fresh
#    `keras.optimizers.Adam(learning_rate=1e-3)` and take one step on a weight with gradient $10^{-6}$ and
#    one with gradient $1$: how far does each move? Work out both from the formula in "Going on after a
#    stop" with Keras' placement of $\epsilon$, and say which of the two gradients the restart jolts.
