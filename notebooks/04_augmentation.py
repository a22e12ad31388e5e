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
# # 4. Making noisy data
#
# A denoiser learns from pairs: a noisy input and the clean clip it should give back. The student
# report this book grew out of used one fixed set of noisy files at a nominal −8 dB. Here the noisy side
# is made on the fly from clean clips and noise we control: the SNR is exact, the noise is fresh in every
# epoch, and nothing the test set contains — speakers or noise — is ever heard in training.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = "artifacts"
seed = 0
snr_db = -8.0  # the nominal SNR of the test set (dB)
snr_low_db = -10.0  # training SNRs are drawn uniformly from [snr_low_db, snr_high_db]
snr_high_db = 5.0

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from myst_nb import glue

from digitdenoise import audio, config, data, features, metrics, noise, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
config.check_number("snr_low_db", snr_low_db, minimum=-60, maximum=60)
config.check_number("snr_high_db", snr_high_db, minimum=snr_low_db, maximum=60)
plots.book_style()
sr = data.spec(run.dataset).working_rate
cfg = features.FeatureConfig.for_sample_rate(sr)
clips = data.assign_split(data.load_clips(run.dataset, run.data_home, seed=run.seed), seed=run.seed)
print(f"{len(clips)} clips at {sr} Hz")

# %% [markdown]
# ## The noise sources
#
# * **White, pink and brown noise** are generated: Gaussian noise whose power falls by 0, 3 and 6 dB
#   per octave.
# * **Recordings** are the background-noise files of the Speech Commands corpus
#   {cite:p}`warden2018speechcommands`: dishes, a cat, an exercise bike, a running tap, and two
#   generated-noise files. They are quiet, so each is scaled to unit RMS before mixing.
# * **Babble** sums four clips of *other* speakers at equal level. For training mixtures they are always
#   training speakers, never the clip's own speaker; validation and test speakers are never heard in
#   training, not even as noise.
#
# Recordings are divided so that no test noise is ever heard in training: two real recordings are held
# out completely (the test of generalisation to unseen noise in chapter 6), and every other recording is
# cut in time: the share of each recording used for training is in the table below, the rest is kept
# for evaluation.

# %%
recordings = noise.load_noise_recordings(noise.ensure_noise_recordings(run.data_home), sr)
train_recs, eval_recs = noise.partition_recordings(recordings)
pd.DataFrame([{"recording": name, "seconds": len(rec) / sr,
               "training seconds": len(train_recs.get(name, [])) / sr, "evaluation seconds": len(eval_recs[name]) / sr,
               "role": "held out (evaluation only)" if name in noise.HELD_OUT_RECORDINGS else "split in time"}
              for name, rec in recordings.items()]).set_index("recording").round(1)

# %% [markdown]
# ## One clean clip, every noise
#
# One training clip mixed with each noise type at the nominal SNR. The measured whole-clip SNR of
# every mixture equals the request: mixing scales the noise until it does.

# %%
train = clips[clips["split"] == "train"]
example = train.iloc[0]
others = train[train["speaker"] != example["speaker"]]
talkers = data.read_clips(others.sample(min(40, len(others)), random_state=run.seed)["path"], sr)
source = noise.NoiseSource(sr, recordings=train_recs, babble_clips=talkers)
clean, _ = data.read_audio(example["path"], sr)
kinds = [k for k in source.kinds if k != "recording"]
rows, measured = {}, []
for i, kind in enumerate(kinds):
    n = source.draw(kind, len(clean), np.random.default_rng([run.seed, i]))
    noisy, _ = noise.mix_at_snr(clean, n, run.snr_db)
    rows[kind] = {"clean": clean, "noisy": noisy}
    measured.append({"noise": kind, "requested SNR (dB)": run.snr_db,
                     "measured whole-clip SNR (dB)": metrics.snr_db(clean, noisy),
                     "speech-active SNR (dB)": metrics.active_snr_db(clean, noisy, sr)})
glue("example_clip", example["clip_id"], display=False)
pd.DataFrame(measured).set_index("noise").round(4)

# %% mystnb={"figure": {"caption": "Waveforms of one training clip, clean and mixed with each noise type at the nominal SNR, on one amplitude scale.", "name": "fig-waveforms"}}
signals = {"clean": clean, **{k: v["noisy"] for k, v in rows.items()}}
peak = max(np.abs(s).max() for s in signals.values())
ncols = 3
nrows = int(np.ceil(len(signals) / ncols))
fig, axes = plt.subplots(nrows, ncols, figsize=(15, 2.3 * nrows), sharex=True, sharey=True, layout="constrained")
for ax, (name, s) in zip(axes.flat, signals.items()):
    plots.waveform_panel(ax, s, sr, title=name, ylim=1.05 * peak, color="C0" if name == "clean" else "C1")
plots.outer_labels_only(axes, n_used=len(signals))
fig.suptitle(f"Clip {example['clip_id']}: clean and at {run.snr_db:g} dB", fontweight="bold")
plt.show()

# %% mystnb={"figure": {"caption": "Spectrograms of the same mixtures on one colour scale (dB relative to full scale): darker is quieter in every panel.", "name": "fig-noisy-spectrograms"}}
specs = {name: plots.spectrogram_db(s, cfg.n_fft, cfg.hop_length) for name, s in signals.items()}
vmax = max(s.max() for s in specs.values())
ncols = 4
nrows = int(np.ceil(len(specs) / ncols))
fig, axes = plt.subplots(nrows, ncols, figsize=(15, 3.0 * nrows), sharex=True, sharey=True, layout="constrained")
for ax, (name, s) in zip(axes.flat, specs.items()):
    img = plots.spectrogram_panel(ax, s, sr, cfg.hop_length, title=name, vmin=vmax - 80, vmax=vmax, n_fft=cfg.n_fft)
plots.outer_labels_only(axes, n_used=len(specs))
fig.colorbar(img, ax=axes, label="Power (dB re full scale)", shrink=0.8)
fig.suptitle(f"Clip {example['clip_id']}: clean and mixed at {run.snr_db:g} dB", fontweight="bold")
plt.show()

# %% [markdown]
# ## Listen
#
# Rows are noise types, columns clean and noisy, for clip {glue:text}`example_clip`. All players share
# one gain, so the noisy versions are louder than the clean one, as they are.

# %%
audio.player_grid(rows, sr, title=f"Clip {example['clip_id']} at {run.snr_db:g} dB SNR", row_header="noise")

# %% [markdown]
# ## The training recipe
#
# Training never sees a fixed noisy file. For every clip in every epoch the generator
# (`digitdenoise.noise.OnTheFlyMixer`) draws a noise type uniformly from the training noises (where
# "recording" means one of the training recordings at random), a fresh
# excerpt (or a fresh generated noise, or a fresh babble of four other training speakers), and an SNR
# uniformly from {glue:text}`snr_low` to {glue:text}`snr_high` dB, then mixes over the fixed
# {glue:text}`window` s window. Every draw is a function of the seed, the epoch and the clip alone, so a
# run is reproducible and the data differ from epoch to epoch. Validation and test mixtures are drawn
# once, from the evaluation noises, and kept fixed so every model is scored on the same pairs.

# %%
glue("snr_low", f"{snr_low_db:g}", display=False)
glue("snr_high", f"{snr_high_db:g}", display=False)
glue("window", f"{cfg.duration_s:g}", display=False)
train_kinds = [k for k in ("white", "pink", "brown", "recording", "babble") if k in source.kinds]
eval_kinds = ["white", "pink", "babble", *sorted(eval_recs)]
epochs = run["epochs"]
recipe = clips.groupby("split").agg(speakers=("speaker", "nunique"), clean_clips=("clip_id", "count")).loc[
    ["train", "validation", "test"]]
recipe["noise types"] = [len(train_kinds), len(eval_kinds), len(eval_kinds)]
recipe["noisy pairs"] = [recipe.loc["train", "clean_clips"] * epochs,
                         recipe.loc["validation", "clean_clips"] * len(eval_kinds),
                         recipe.loc["test", "clean_clips"] * len(eval_kinds)]
recipe["how the pairs are made"] = [f"fresh every epoch ({epochs} epochs in this profile)",
                                    "drawn once, one per clip and noise type", "drawn once, one per clip and noise type"]
recipe

# %% [markdown]
# Training noise types: {glue:text}`train_kinds`. Evaluation noise types: {glue:text}`eval_kinds`.
#
# Here is one training clip in three successive epochs: a different noise type, SNR and excerpt each
# time.

# %%
glue("train_kinds", ", ".join(train_kinds), display=False)
glue("eval_kinds", ", ".join(eval_kinds), display=False)
train_waves, _ = data.load_waveforms(train, sr, cfg.n_samples)
talkers_train = [w for w, s in zip(train_waves, train["speaker"]) if s != example["speaker"]][:40]
train_source = noise.NoiseSource(sr, recordings=train_recs, babble_clips=talkers_train)
mixer = noise.OnTheFlyMixer(train_waves, train_source, kinds=[k for k in train_kinds if k in train_source.kinds],
                            snr_range=(snr_low_db, snr_high_db), seed=run.seed)
epoch_pairs = {}
for epoch in range(3):
    noisy, clean_w, kind, snr = mixer.pair(0, epoch)
    epoch_pairs[f"epoch {epoch}: {kind}, {snr:+.1f} dB"] = noisy
audio.players({"clean": mixer.clean[0], **epoch_pairs}, sr, title=f"{train['clip_id'].iloc[0]} across epochs")

# %% [markdown]
# ## Is the generator unbiased?
#
# A generator that drifts from the SNR it reports would poison every figure after it. We draw
# {glue:text}`n_checks` mixtures from it, measure each one, and compare with the SNR it was asked for.

# %%
n_checks = run["generator_checks"]
check = []
for i in range(n_checks):
    index, epoch = i % len(mixer), i // len(mixer)
    noisy, clean_w, kind, snr = mixer.pair(index, epoch)
    check.append({"noise": kind, "requested (dB)": snr, "measured (dB)": metrics.snr_db(clean_w, noisy)})
check = pd.DataFrame(check)
check["error (dB)"] = check["measured (dB)"] - check["requested (dB)"]
glue("n_checks", n_checks, display=False)
glue("max_error", f"{check['error (dB)'].abs().max():.1e}", display=False)
glue("mean_error", f"{check['error (dB)'].mean():.1e}", display=False)
check.groupby("noise").agg(draws=("noise", "size"), mean_requested=("requested (dB)", "mean"),
                           mean_error=("error (dB)", "mean"), max_abs_error=("error (dB)", lambda e: e.abs().max()))

# %% mystnb={"figure": {"caption": "Left: the SNRs the generator was asked for (uniform over the training range). Right: measured minus requested SNR for the same mixtures.", "name": "fig-generator-check"}}
fig, axes = plt.subplots(1, 2, figsize=(13, 4), layout="constrained")
axes[0].hist(check["requested (dB)"], bins=30, color="C0")
axes[0].set(title="Requested SNR", xlabel="SNR (dB)", ylabel="Mixtures")
axes[1].hist(check["error (dB)"], bins=30, color="C2")
axes[1].set(title="Measured minus requested", xlabel="Error (dB)", ylabel="Mixtures")
axes[1].ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
plt.show()

# %% [markdown]
# Over {glue:text}`n_checks` mixtures the mean error is {glue:text}`mean_error` dB and the largest
# {glue:text}`max_error` dB: floating-point rounding. The generator delivers the SNR it reports.
