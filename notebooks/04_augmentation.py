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
#
# ```{admonition} You will learn
# :class: tip
# * how to mix speech and noise at an exact SNR, and why the SNR of a short clip depends on where it is
#   measured;
# * the noise types of this book (generated colours, real recordings, babble) and how they are split so
#   that no test noise is ever heard in training;
# * how an on-the-fly generator makes fresh, reproducible training pairs every epoch, and how to check
#   that it delivers the SNR it reports;
# * what the general release model trains on: many voices, noise families, microphones and clean inputs.
# ```

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
snr_db = -8.0  # the nominal SNR of the test set (dB)
snr_low_db = -10.0  # this chapter's demonstration mixer draws SNRs from [snr_low_db, snr_high_db];
snr_high_db = 5.0  # demo only: chapter 5's FSDD-recipe runs use TrainConfig.snr_range (also -10 to +5 dB)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown
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
rec_table = pd.DataFrame([
    {"recording": name, "seconds": len(rec) / sr,
     "training seconds": len(train_recs.get(name, [])) / sr,
     "evaluation seconds": len(eval_recs[name]) / sr,
     "role": "held out (evaluation only)" if name in noise.HELD_OUT_RECORDINGS else "split in time"}
    for name, rec in recordings.items()]).set_index("recording")
rec_table.round(1)

# %% tags=["remove-cell"]
split_in_time = rec_table[rec_table["role"] == "split in time"]
glue("n_recordings", len(rec_table), display=False)
glue("held_out_names", Markdown(" and ".join(f"`{name}`" for name in noise.HELD_OUT_RECORDINGS)),
     display=False)
train_share = split_in_time["training seconds"].sum() / split_in_time["seconds"].sum()
glue("train_rec_pct", f"{100 * train_share:.0f}", display=False)
glue("train_rec_s", f"{rec_table['training seconds'].sum():.0f}", display=False)

# %% [markdown]
# Of the {glue:text}`n_recordings` recordings, {glue:md}`held_out_names` are never heard in training;
# the others give their first {glue:text}`train_rec_pct`% to training and keep the rest for evaluation.
# Training therefore draws its recorded noise from {glue:text}`train_rec_s` s of audio in all: excerpts
# repeat across epochs, which is one reason the general recipe at the end of this chapter adds many more
# noises.

# %% [markdown]
# ## One clean clip, every noise
#
# One training clip mixed with each noise type at the nominal SNR: the three generated colours, each
# training recording by name, and babble. The table gives the SNR requested, the whole-clip SNR measured
# on the mixture, and the speech-active SNR of chapter 2. The measured whole-clip SNR of every mixture
# equals the request: mixing scales the noise until it does.

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
pd.DataFrame(measured).set_index("noise").round(4)

# %% tags=["remove-cell"]
glue("example_clip", example["clip_id"], display=False)
glue("nominal4", f"{run.snr_db:g}", display=False)
glue("noise_factor4", f"{10 ** (-run.snr_db / 10):.1f}", display=False)
active = pd.DataFrame(measured).set_index("noise")["speech-active SNR (dB)"]
active_share = float(metrics.active_mask(clean, sr).mean())
if active.max() - active.min() < 0.5:
    span = (f"{active.min():.1f} dB for every noise" if f"{active.min():.1f}" == f"{active.max():.1f}"
            else f"{active.min():.1f} to {active.max():.1f} dB")
    active_sentence = (f"for this clip, {100 * active_share:.0f}% of which is speech-active, the "
                       f"speech-active SNR of chapter 2 stays close to it too ({span}): with so little "
                       "silence, where in time the noise is loud hardly matters")
else:
    active_sentence = (f"measured only while the digit is spoken (chapter 2) it ranges from "
                       f"{active.min():.1f} dB ({active.idxmin()}) to {active.max():.1f} dB "
                       f"({active.idxmax()}): a noise whose level rises and falls may happen to be "
                       "loud, or quiet, just where the digit is")
glue("active_sentence4", active_sentence, display=False)
# chapter 2's measure: the share of the speech energy in bins where speech is louder than the noise
dominated = pd.Series({kind: metrics.speech_dominated_share(clean, v["noisy"] - clean, cfg.n_fft,
                                                            cfg.hop_length)
                       for kind, v in rows.items()})
glue("dominated_hi4", f"{dominated.idxmax()} ({100 * dominated.max():.0f}%)", display=False)
glue("dominated_lo4", f"{dominated.idxmin()} ({100 * dominated.min():.0f}%)", display=False)
colours = [k for k in ("white", "pink", "brown") if k in dominated]
glue("dominated_colours4", ", ".join(f"{k} {100 * dominated[k]:.0f}%" for k in colours),
     display=False)

# %% [markdown]
# {numref}`fig-waveforms` shows the waveforms, all on one amplitude scale. What to look for: the burst of
# amplitude where the digit is spoken. At {glue:text}`nominal4` dB the noise carries
# {glue:text}`noise_factor4` times the energy of the speech, so in most noisy panels the burst is hard to
# find at all; the SNR alone says nothing about how the noise sounds.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Waveforms of one training clip, clean and mixed with each noise type at the nominal SNR, on one amplitude scale.", "name": "fig-waveforms"}}
signals = {"clean": clean, **{k: v["noisy"] for k, v in rows.items()}}
peak = max(np.abs(s).max() for s in signals.values())
ncols = 3
nrows = int(np.ceil(len(signals) / ncols))
fig, axes = plt.subplots(nrows, ncols, figsize=(15, 2.3 * nrows), sharex=True, sharey=True,
                         layout="constrained")
for ax, (name, s) in zip(axes.flat, signals.items()):
    plots.waveform_panel(ax, s, sr, title=name, ylim=1.05 * peak,
                         color="C0" if name == "clean" else "C1")
plots.outer_labels_only(axes, n_used=len(signals))
fig.suptitle(f"Clip {example['clip_id']}: clean and at {run.snr_db:g} dB", fontweight="bold")
plt.show()

# %% [markdown]
# The spectrograms of {numref}`fig-noisy-spectrograms` show where the noise sits in frequency, which the
# waveforms hide. What to look for: the clean panel's pattern — the horizontal stripes of the vowel's
# harmonics low down, fainter consonant energy higher up — and how much of it still stands out in each
# noisy panel. White noise fills the panel evenly; pink and brown noise pile up towards the bottom,
# brown noise mostly below the voice's lowest harmonics; babble has the striped, changing texture of
# speech itself; each recording has its own fingerprint.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Spectrograms of the same mixtures on one colour scale (dB relative to full scale): darker is quieter in every panel.", "name": "fig-noisy-spectrograms"}}
fig = plots.spectrogram_grid(signals, sr, cfg.n_fft, cfg.hop_length, ncols=4, panel_size=(3.75, 3.0),
                             title=f"Clip {example['clip_id']}: clean and mixed at {run.snr_db:g} dB")
plt.show()

# %% [markdown]
# Every mixture has the same whole-clip SNR; {glue:text}`active_sentence4`. The share of the digit's
# energy that still stands above the noise in its own time–frequency bin, chapter 2's speech-dominated
# share, is highest for {glue:text}`dominated_hi4` and lowest for {glue:text}`dominated_lo4` (for the
# three colours: {glue:text}`dominated_colours4`). That share is the part of the speech pattern a
# denoiser can still see; the rest it must infer. A training set that holds only one of these noises
# teaches only one of these pictures.
#
# ## Listen
#
# Rows are noise types, columns clean and noisy, for clip {glue:text}`example_clip`. All players share
# one gain, so the noisy versions are louder than the clean one, as they are.
#
# **Listen for** which noise hides the digit best at the same SNR, and for what survives it. A hiss
# (white noise) covers the soft, high consonants while the vowel still pokes through; a deep rumble
# (brown noise) sits mostly below the voice and leaves most of it clear, and pink noise lies in between;
# babble is hard to ignore because the ear follows voices. Compare your ranking with the
# speech-dominated shares above.

# %% tags=["hide-input"]
audio.player_grid(rows, sr, title=f"Clip {example['clip_id']} at {run.snr_db:g} dB SNR",
                  row_header="noise")

# %% [markdown]
# ## The training recipe
#
# Training never sees a fixed noisy file. For every clip in every epoch the generator
# (`digitdenoise.noise.OnTheFlyMixer`) draws a noise type uniformly from the training noises (where
# "recording" means one of the training recordings at random), a fresh
# excerpt (or a fresh generated noise, or a fresh babble of four other training speakers), and an SNR
# uniformly from a range, here {glue:text}`snr_low` to {glue:text}`snr_high` dB, then mixes over the
# fixed {glue:text}`window` s window. Every draw is a function of the seed, the epoch and the clip alone,
# so a run is reproducible and the data differ from epoch to epoch. Validation and test mixtures are
# drawn once, from the evaluation noises, and kept fixed so every model is scored on the same pairs.
#
# ```{note}
# This chapter's `snr_low_db` and `snr_high_db` are demonstration values: they set the range of the
# generator built below, its players and {numref}`fig-generator-check`, and nothing else. Chapter 5's
# models on FSDD's recipe are trained with `TrainConfig.snr_range`, by default the same range; the general
# release model's recipe (the second half of this chapter) draws from {glue:text}`release_snr_range` dB.
# Changing the parameters here does not change any training. To train on another range, use
# `digitdenoise train --snr-range LOW HIGH`.
# ```
#
# The table counts, for each split, the speakers, the clean clips, the noise types and the noisy pairs
# that chapters 5 and 6 make from it in this profile (chapter 5 trains and validates, chapter 6 tests).
# What to look for: the speakers of the three splits are different people, and only the training pairs are
# made afresh.

# %% tags=["hide-input"]
from digitdenoise import evaluation

train_kinds = [k for k in ("white", "pink", "brown", "recording", "babble") if k in source.kinds]
seen_recs = sorted(k for k in eval_recs if k not in noise.HELD_OUT_RECORDINGS)
# chapter 5 (training.prepare_data): one validation noise per clip in turn, from the noise types of training
val_kinds = ["white", "pink", "brown", "babble", *seen_recs]
# chapter 6 (evaluation.build_test_set): every test clip under every condition
test_conditions = [*evaluation.MAIN_NOISES, evaluation.HELD_OUT_NOISE]
epochs, per_epoch = run["epochs"], run["clips_per_epoch"]
recipe = clips.groupby("split").agg(speakers=("speaker", "nunique"),
                                    clean_clips=("clip_id", "count"))
recipe = recipe.loc[["train", "validation", "test"]]
per_speaker = clips.groupby(["split", "speaker"]).size()  # chapters 5 and 6 read at most clips_per_speaker each
if run["clips_per_speaker"]:
    per_speaker = per_speaker.clip(upper=run["clips_per_speaker"])
n_train, n_val, n_test = (int(per_speaker[k].sum()) for k in ("train", "validation", "test"))
train_per_epoch = min(per_epoch or n_train, n_train)
val_used = min(run["val_clips"] or n_val, n_val)
test_used = min(run["eval_clips"] or n_test, n_test)
recipe["clips used"] = [n_train, val_used, test_used]
recipe["noise types"] = [len(train_kinds), len(val_kinds), len(test_conditions)]
recipe["noisy pairs"] = [train_per_epoch * epochs, val_used, test_used * len(test_conditions)]
recipe["how the pairs are made"] = [
    f"fresh every epoch: {train_per_epoch:,} a epoch for up to {epochs} epoch{'s' if epochs != 1 else ''} (chapter 5's "
    "live run in this profile; the recorded models trained far longer)",
    f"drawn once: {val_used:,} clips, one noise type each in turn",
    f"drawn once: {test_used:,} clips, each under all {len(test_conditions)} conditions of chapter 6"]
recipe.rename(columns={"clean_clips": "clean clips"})

# %% tags=["remove-cell"]
glue("snr_low", f"{snr_low_db:g}", display=False)
glue("snr_high", f"{snr_high_db:g}", display=False)
glue("window", f"{cfg.duration_s:g}", display=False)
glue("train_kinds", ", ".join(train_kinds), display=False)
glue("eval_kinds", ", ".join(val_kinds), display=False)
glue("n_train_clean4", f"{recipe.loc['train', 'clips used']:,}", display=False)
n_train_speakers, n_test_speakers = recipe.loc["train", "speakers"], recipe.loc["test", "speakers"]
glue("n_train_speakers4", f"{n_train_speakers} speaker{'s' if n_train_speakers != 1 else ''}",
     display=False)
glue("epochs4", "in the single epoch of this profile" if epochs == 1 else
     f"for up to {epochs} epochs in this profile", display=False)
glue("n_train_pairs4", f"up to {recipe.loc['train', 'noisy pairs']:,}", display=False)
glue("eval_conditions4", ", ".join(test_conditions), display=False)
glue("train_per_epoch4", f"{train_per_epoch:,}", display=False)
glue("n_test_pairs4", f"{recipe.loc['test', 'noisy pairs']:,}", display=False)
glue("n_test_speakers4", f"{n_test_speakers} unseen speaker{'s' if n_test_speakers != 1 else ''}",
     display=False)

# %% [markdown]
# Training noise types: {glue:text}`train_kinds`. Validation noise types (the evaluation parts of the
# training recordings, never the same audio): {glue:text}`eval_kinds`. Test conditions of chapter 6:
# {glue:text}`eval_conditions4`.
#
# Each epoch of chapter 5's live run mixes {glue:text}`train_per_epoch4` of the {glue:text}`n_train_clean4`
# training clips of {glue:text}`n_train_speakers4` afresh, {glue:text}`epochs4`: {glue:text}`n_train_pairs4`
# training pairs, none of them stored and hardly any two alike. The {glue:text}`n_test_pairs4` test pairs of {glue:text}`n_test_speakers4` are drawn once,
# in noises whose excerpts (or whole recordings) training never heard.
#
# Here is one training clip in three successive epochs: a different noise type, SNR and excerpt each
# time.
#
# **Listen for** how different the same clip sounds from one epoch to the next. The model never hears
# the same noisy version twice, so it cannot memorise a noisy file; it has to learn what the clean digit
# sounds like under any of them.

# %% tags=["hide-input"]
train_waves, _ = data.load_waveforms(train, sr, cfg.n_samples)
talkers_train = [w for w, s in zip(train_waves, train["speaker"]) if s != example["speaker"]][:40]
train_source = noise.NoiseSource(sr, recordings=train_recs, babble_clips=talkers_train)
mixer = noise.OnTheFlyMixer(train_waves, train_source,
                            kinds=[k for k in train_kinds if k in train_source.kinds],
                            snr_range=(snr_low_db, snr_high_db), seed=run.seed)
epoch_pairs = {}
for epoch in range(3):
    noisy, clean_w, kind, snr = mixer.pair(0, epoch)
    epoch_pairs[f"epoch {epoch}: {kind}, {snr:+.1f} dB"] = noisy
audio.players({"clean": mixer.clean[0], **epoch_pairs}, sr,
              title=f"{train['clip_id'].iloc[0]} across epochs")

# %% [markdown]
# ## Is the generator unbiased?
#
# A generator that drifts from the SNR it reports would poison every figure after it. We draw
# {glue:text}`n_checks` mixtures from it, measure each one, and compare with the SNR it was asked for.
# The table gives, per noise type, the number of draws, the mean SNR requested, and the mean and the
# largest error of the measurement.

# %%
n_checks = run["generator_checks"]
check = []
for i in range(n_checks):
    index, epoch = i % len(mixer), i // len(mixer)
    noisy, clean_w, kind, snr = mixer.pair(index, epoch)
    check.append({"noise": kind, "requested (dB)": snr,
                  "measured (dB)": metrics.snr_db(clean_w, noisy)})
check = pd.DataFrame(check)
check["error (dB)"] = check["measured (dB)"] - check["requested (dB)"]
check.groupby("noise").agg(draws=("noise", "size"), mean_requested=("requested (dB)", "mean"),
                           mean_error=("error (dB)", "mean"),
                           max_abs_error=("error (dB)", lambda e: e.abs().max()))

# %% tags=["remove-cell"]
glue("n_checks", n_checks, display=False)
glue("max_error", f"{check['error (dB)'].abs().max():.1e}", display=False)
glue("mean_error", f"{check['error (dB)'].mean():.1e}", display=False)

# %% [markdown]
# {numref}`fig-generator-check` shows every draw. What to look for: on the left, a flat histogram between
# {glue:text}`snr_low` and {glue:text}`snr_high` dB (every SNR of the range equally likely); on the
# right, errors far too small to hear.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Left: the SNRs the generator was asked for (uniform over this chapter's range, snr_low_db to snr_high_db). Right: measured minus requested SNR for the same mixtures.", "name": "fig-generator-check"}}
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

# %% [markdown]
# ## Beyond one dataset: the general recipe's voices and noises
#
# The recipe above trains on {glue:text}`gen_train_voices` training speakers of {glue:text}`gen_dataset`,
# excerpts of {glue:text}`gen_train_recordings` noise recordings, {glue:text}`gen_colours` noise colours
# and babble of those same speakers. A model trained this way learns these conditions and little else:
# all it knows about voices is how those speakers sound, and all it knows about noise is those few
# sounds. Given a voice or a noise it has never heard, it may leave noise in, or take away part of the
# speech (chapter 6 measures it). A model that is to help on audio it has never heard has to meet
# many voices, many kinds of noise and many microphones during training.
#
# The *general* model of chapter 5 is trained on such a mixture, and this section shows what goes into
# it. The rule from the start of the chapter holds for every new source: each one is split once, by a
# fixed rule, and nothing in a test split is ever heard in training.

# %% tags=["remove-cell"]
import inspect

import scipy.signal
from IPython.display import display

from digitdenoise import augment
from digitdenoise.datasets import hu_nonspeech, speechocean762

general = augment.Recipe()
glue("gen_train_voices", f"{clips.loc[clips['split'] == 'train', 'speaker'].nunique():,}", display=False)
glue("gen_dataset", run.dataset.upper() if run.dataset == "fsdd" else run.dataset, display=False)
glue("gen_train_recordings", f"{len(train_recs)}", display=False)
glue("gen_colours", f"{sum(k in ('white', 'pink', 'brown') for k in train_kinds)}", display=False)

# %% [markdown]
# ### Voices: speechocean762
#
# speechocean762 {cite:p}`zhang2021speechocean762` is a corpus made for scoring pronunciation: English read aloud by non-native speakers whose
# first language is Mandarin, children and adults. The book uses a documented subset of it: every utterance
# that is only a string of digits ("zero three five one") and a few other sentences per speaker,
# {glue:text}`gen_so_utts` utterances from {glue:text}`gen_so_speakers` speakers ({glue:text}`gen_so_digits`
# digit strings and {glue:text}`gen_so_sentences` other sentences).
#
# The speakers are split once by a fixed rule. The corpus's own test speakers are the book's **test**
# speakers. Of its training speakers, those whose number is a multiple of {glue:text}`gen_so_modulus` are
# **validation** speakers, and the rest **train**. Each speaker is in exactly one split, so a test voice is
# never heard in training, not even inside babble.

# %% tags=["hide-input"]
# metadata only; the audio is fetched file by file below
utterances = speechocean762.load_utterances(run.data_home, audio=False)
split_order = ["train", "validation", "test"]
age_labels = [label for label, _, _ in speechocean762.AGE_GROUPS]
speakers_so = utterances.drop_duplicates("speaker")
voices = pd.concat([
    speakers_so.groupby("split").size().rename("speakers"),
    pd.crosstab(speakers_so["split"], speakers_so["gender"]).rename(
        columns={"f": "female", "m": "male"}),
    pd.crosstab(speakers_so["split"], speakers_so["age_group"]).reindex(columns=age_labels),
    utterances.groupby("split")["kind"].value_counts().unstack().rename(
        columns={"digits": "digit strings", "sentence": "other sentences"}),
], axis=1).reindex(split_order).fillna(0).astype(int)
minutes = utterances.groupby("split")["duration_s"].sum() / 60
voices["minutes of audio"] = minutes.reindex(split_order).round(1)
voices.columns.name = "speechocean762"
voices

# %% tags=["remove-cell"]
train_so = utterances[utterances["split"] == "train"]
train_digit_strings = train_so[train_so["kind"] == "digits"]
window_defaults = inspect.signature(augment.speech_windows).parameters
glue("gen_so_utts", f"{len(utterances):,}", display=False)
glue("gen_so_speakers", f"{utterances['speaker'].nunique()}", display=False)
glue("gen_so_digits", f"{(utterances['kind'] == 'digits').sum()}", display=False)
glue("gen_so_sentences", f"{(utterances['kind'] == 'sentence').sum():,}", display=False)
glue("gen_so_modulus", f"{speechocean762.VALIDATION_MODULUS}", display=False)
glue("gen_so_train_digits", f"{len(train_digit_strings)}", display=False)
glue("gen_so_train_digits_children", f"{(train_digit_strings['age_group'] == age_labels[0]).sum()}", display=False)
glue("gen_so_train_minutes", f"{train_so['duration_s'].sum() / 60:.0f}", display=False)
glue("gen_window_s", f"{window_defaults['seconds'].default:g}", display=False)
glue("gen_min_active_pct", f"{100 * window_defaults['min_active'].default:.0f}", display=False)
glue("gen_sr", f"{sr:,}", display=False)

# %% [markdown]
# Children's voices are higher than adults' and their resonances lie higher too (a child's vocal tract is
# shorter), so a model that has heard only adults meets a child as a new kind of voice. In this subset the
# digit strings are nearly all children's: {glue:text}`gen_so_train_digits_children` of the
# {glue:text}`gen_so_train_digits` digit strings in the training split. The rest of the speech is sentences,
# which is no loss to a denoiser: it learns what speech sounds like, and the sentences are made of the same
# sounds as the digits.
#
# The general recipe does not use whole utterances. It cuts each one into windows of {glue:text}`gen_window_s`
# s and keeps a window only if speech is active in at least {glue:text}`gen_min_active_pct`% of its samples,
# so that a stretch of silence is not passed off as speech. The training speakers' utterances hold
# {glue:text}`gen_so_train_minutes` minutes of audio. Here are a child, a teenager and an adult from the
# training split, resampled to the chapter's rate of {glue:text}`gen_sr` Hz.
#
# **Listen for** the child's higher pitch and brighter vowels next to the adult's, and for the accent
# of all three: voices like these are new to a model that has heard only this run's dataset.

# %% tags=["hide-input"]
rng_voices = np.random.default_rng([run.seed, 41])
voice_rows = []
for label in age_labels:  # a digit string for the child, sentences for the others
    group = train_so[train_so["age_group"] == label]
    of_kind = group[group["kind"] == ("digits" if label == age_labels[0] else "sentence")]
    group = of_kind if len(of_kind) else group
    voice_rows.append(group.iloc[int(rng_voices.integers(len(group)))])
voice_rows = pd.DataFrame(voice_rows).reset_index(drop=True)
voice_audio = speechocean762.read(voice_rows, sr, run.data_home)
people = dict(zip(age_labels, ("a child", "a teenager", "an adult")))
genders = {"f": "female", "m": "male"}
voice_labels = [f"{people[r.age_group]} ({genders.get(r.gender, r.gender)}, {r.age}): "
                f"“{r.text.lower()}”" for r in voice_rows.itertuples()]
audio.players(dict(zip(voice_labels, voice_audio)), sr, title="speechocean762, training speakers")

# %% [markdown]
# ### Noises: real recordings and generated families
#
# Real noise comes from a collection of {glue:text}`gen_hu_total` short recordings of everyday non-speech
# sounds gathered by G. Hu {cite:p}`hu2004nonspeech`. The collection has no labels saying what each sound is, so it is split by file
# number: files numbered a multiple of {glue:text}`gen_hu_test_every` are **test** noise
# ({glue:text}`gen_hu_test` files), files whose number ends in {glue:text}`gen_hu_val_digit` are
# **validation** noise ({glue:text}`gen_hu_val` files), and the other {glue:text}`gen_hu_train` are
# **training** noise.
#
# The general recipe does not train on the Speech Commands recordings that the models above use. For a
# model trained on it from random weights they are a *cross-corpus* test set: noise from a different
# collection, recorded in a different way. If such a model does well on the held-out Hu files but badly on
# these, it has learned the Hu collection more than noise in general (chapter 6 compares the two).
# {glue:text}`gen_sc_caution`
#
# The {glue:text}`gen_colours` colours become {glue:text}`gen_n_families` families of generated noise, each
# drawn with random parameters, so that no two draws are alike:
#
# * **tilt**: Gaussian noise whose power falls (or rises) smoothly with frequency at a random slope:
#   white, pink and brown noise are points on this scale, and hiss lies beyond white;
# * **band**: white noise kept between two random frequencies (a fan, an engine);
# * **hum**: mains hum, a low fundamental and its harmonics at random levels;
# * **modulated**: noise whose level rises and falls at a random rate (a machine, wipers, a washer);
# * **clicks**: short bursts at random times (a keyboard, crackle, a dripping tap);
# * **tonal**: sirens and alarms, a pitch and a few of its harmonics that wail up and down, glide, step
#   between two or three tones or beep on and off. They are here because their harmonics look like those
#   of a voice: a mask network that has never met a siren tends to keep it as if it were speech, and the
#   held-out Hu test files that chapter 6 measures on include sirens and alarms.
#
# {numref}`fig-noise-families` shows {glue:text}`gen_window_s` s of one draw of each family next to one of the
# Hu training noises (file {glue:text}`gen_hu_example`). Every noise is scaled to the same level (unit RMS)
# and all panels share one colour scale.

# %% tags=["remove-cell"]
hu_numbers = {split: [int(s[1:]) for s in hu_nonspeech.file_names(split)] for split in split_order}
glue("gen_n_families", f"{len(augment.FAMILIES)}", display=False)
glue("gen_hu_total", f"{len(hu_nonspeech.file_names())}", display=False)
glue("gen_hu_test_every", f"{np.gcd.reduce(hu_numbers['test'])}", display=False)
from digitdenoise import checkpoints, inference

release_folder = inference.default_model_dir()  # the committed release model: what its recorded stages say
if checkpoints.heard_speech_commands_noise(release_folder, through_init=False):
    sc_caution = "The release model's own recipe did train on them, so for it they are no test at all."
elif checkpoints.heard_speech_commands_noise(release_folder):
    sc_caution = ("One caution, which chapter 6 repeats: the release model's recipe left them out, but its "
                  "training started from the weights of a model that trained on parts of them (the previous, "
                  "FSDD-only model), so for the release model they are not a clean test.")
else:
    sc_caution = "The release model, and every model its training started from, never trained on them."
glue("gen_sc_caution", sc_caution, display=False)
release_range = (checkpoints.saved_info(release_folder).get("train_config") or {}).get("snr_range")
glue("release_snr_range", "{:g} to {:+g}".format(*release_range) if release_range else "its own range", display=False)
glue("gen_hu_val_digit", " or ".join(str(d) for d in sorted({k % 10 for k in hu_numbers["validation"]})),
     display=False)
for split, short in zip(split_order, ("train", "val", "test")):
    glue(f"gen_hu_{short}", f"{len(hu_numbers[split])}", display=False)

target = augment.speech_windows(voice_audio[:1], sr)[0][0]  # the child's first window the recipe keeps
target_speaker = voice_rows["speaker"].iloc[0]
rng_noise = np.random.default_rng([run.seed, 42])
families = {family: augment.draw_family(family, target.size, sr, np.random.default_rng([run.seed, 42, i]))
            for i, family in enumerate(augment.FAMILIES)}
hu_stem = str(rng_noise.choice(hu_nonspeech.file_names("train")))
hu_recording = noise.load_noise_recordings(hu_nonspeech.ensure(run.data_home, names=[hu_stem]), sr, names=[hu_stem])[hu_stem]
families[f"hu/{hu_stem}"] = noise.excerpt(hu_recording, target.size, rng_noise)
glue("gen_hu_example", hu_stem, display=False)
# the tonal draw's lowest line (its pitch) in each sounding frame (within 6 dB of the loudest frame, so
# not where a beep starts or stops): the lowest spectral peak within 23 dB of the frame's strongest (a
# harmonic is never more than 20 dB above the fundamental), far above the faint floor
tonal_freqs, _, tonal_stft = scipy.signal.stft(families["tonal"], sr, nperseg=cfg.n_fft,
                                               noverlap=cfg.n_fft - cfg.hop_length)
tonal_db = 10 * np.log10(np.abs(tonal_stft) ** 2 + 1e-20)
tonal_frame_db = 10 * np.log10(np.sum(10 ** (tonal_db / 10), axis=0))
tonal_track = []
for frame in tonal_db[:, tonal_frame_db > tonal_frame_db.max() - 6].T:
    peaks, _ = scipy.signal.find_peaks(frame, height=frame.max() - 23)
    tonal_track.append(tonal_freqs[peaks[0] if peaks.size else np.argmax(frame)])
tonal_lo, tonal_hi = np.percentile(tonal_track, [5, 95])
glue("gen_tonal_track", f"stays at about {np.median(tonal_track):,.0f} Hz" if tonal_hi < 1.06 * tonal_lo
     else f"moves between {tonal_lo:,.0f} and {tonal_hi:,.0f} Hz", display=False)
# the tilt draw's slope: a straight-line fit of its power spectrum (dB) against octaves
tilt_freqs, tilt_psd = scipy.signal.welch(families["tilt"], sr, nperseg=cfg.n_fft)
tilt_slope = np.polyfit(np.log2(tilt_freqs[1:]), 10 * np.log10(tilt_psd[1:]), 1)[0]
glue("gen_tilt_trend", "falls" if tilt_slope < 0 else "rises", display=False)
glue("gen_tilt_slope", f"{abs(tilt_slope):.1f}", display=False)
glue("gen_tilt_where", "most of its power sits in the lowest rows" if tilt_slope < 0
     else "the upper rows are the brighter ones", display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "One window of each generated noise family and of one Hu training noise, all at unit RMS, on one colour scale (dB relative to full scale).", "name": "fig-noise-families"}}
fig = plots.spectrogram_grid(families, sr, cfg.n_fft, cfg.hop_length, ncols=int(np.ceil(len(families) / 2)),
                             panel_size=(4.5, 3.25), title="Generated noise families and a real recording")
plt.show()

# %% [markdown]
# What to look for. **tilt** covers the whole band, with a level that changes smoothly with frequency: this
# draw {glue:text}`gen_tilt_trend` by {glue:text}`gen_tilt_slope` dB per octave (measured on the noise
# itself), so on this linear frequency axis {glue:text}`gen_tilt_where`. That slope is all that tells white,
# pink and brown noise apart. **band** is a horizontal stripe: energy between two frequencies, little outside.
# **hum** is a set of thin horizontal lines, evenly spaced, at the fundamental and its multiples.
# **modulated** brightens and darkens across the whole panel as its level rises and falls in time. **clicks**
# are thin vertical streaks: a click is so short that its energy spreads over every frequency. **tonal** is
# a stack of thin lines that bend, slant or jump together, each a multiple of the lowest one: one pitch and
# its harmonics moving as the siren wails or the alarm changes tone, broken into dashes when it beeps. In
# this draw the lowest line, the pitch, {glue:text}`gen_tonal_track` (in nine of ten frames where it
# sounds). A real
# recording mixes such features and changes over time, which is why both kinds are in the recipe.
#
# Each noise mixed with one {glue:text}`gen_window_s` s training window (the first window the recipe keeps of
# the child's digit string above) at {glue:text}`gen_family_snr` dB SNR; the left column plays the noise at
# the level it has in the mixture.
#
# **Listen for** how differently the same SNR sounds from family to family. A noise that keeps to a few
# frequencies (hum, a band, a siren) or to a few moments (clicks, the quiet phases of a modulated noise)
# leaves much of the speech clear, while a broad, steady noise such as a tilt covers it everywhere at once.

# %% tags=["hide-input"]
family_snr_db = 0.0
family_rows = {}
for name, n in families.items():
    mixed, scaled = noise.mix_at_snr(target, n, family_snr_db)
    family_rows[name] = {"noise (as mixed)": scaled, f"mixture at {family_snr_db:g} dB": mixed}
display(audio.players({"clean window": target}, sr))
audio.player_grid(family_rows, sr, title=f"Noise families at {family_snr_db:g} dB SNR",
                  row_header="noise")

# %% tags=["remove-cell"]
glue("gen_family_snr", f"{family_snr_db:g}", display=False)

# %% [markdown]
# ### More noises from the same recordings
#
# {glue:text}`gen_hu_train` training recordings are few: a model can learn each of them, down to the exact pitch of each
# alarm, and still be lost when a test alarm sounds a little higher. One cheap way to make many noises out
# of few is to play each recording faster or slower. Played $r$ times as fast, a recording $n(t)$ becomes
#
# $$n_r(t) = n(r\,t), \qquad N_r(f) = \frac{1}{r}\, N\!\left(\frac{f}{r}\right),$$
#
# so every frequency in it is multiplied by $r$ (the second formula is the Fourier transform of the first):
# a 1 kHz alarm beeping twice a second becomes, at $r = 2$, a 2 kHz alarm beeping four times a second. For
# speech this would be wrong (it changes who is speaking), but a noise has no identity to keep.
# `augment.perturbed_recording` draws $r$ log-uniformly between {glue:text}`gen_speed_lo` and
# {glue:text}`gen_speed_hi` (as often slower as faster), passes the result through a random channel (below),
# and in {glue:text}`gen_second_pct`% of the draws adds an excerpt of a second recording
# {glue:text}`gen_second_lo` to {glue:text}`gen_second_hi` dB below it.
#
# {numref}`fig-perturbed` shows the Hu training noise of the figure above and three perturbed versions of it.
# What to look for: the same pattern, stretched or squeezed along both axes at once, with the colour of a
# different channel. A draw played much slower leaves the top of the band dark: the recording, stored at the
# book's 8 kHz, holds nothing above 4 kHz that could move down. The spectral centroid (the power-weighted mean frequency) measures the move:
# {glue:text}`gen_perturbed_centroids`. The `--noise-perturb` option of `digitdenoise train` sets the share
# of the recordings that are perturbed. The release model's first stage trained without it (a share of 0);
# its second stage fine-tunes the first with half of them perturbed, and chapter 5 says what that bought
# on test voices and on noise recordings that neither stage's recipe trained on.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "One Hu training noise as recorded and three perturbed versions (augment.perturbed_recording: played faster or slower, through a random channel, sometimes with a second recording), all at unit RMS, on one colour scale.", "name": "fig-perturbed"}}
perturbed = {f"hu/{hu_stem}": families[f"hu/{hu_stem}"]}
for k in range(3):
    perturbed[f"perturbed draw {k + 1}"] = augment.perturbed_recording(
        {f"hu/{hu_stem}": hu_recording}, f"hu/{hu_stem}", target.size, sr, np.random.default_rng([run.seed, 7, k]))
fig = plots.spectrogram_grid(perturbed, sr, cfg.n_fft, cfg.hop_length, panel_size=(4.0, 3.6))
plt.show()

# %% tags=["remove-cell"]
def spectral_centroid(x):
    power = np.abs(np.fft.rfft(x)) ** 2
    return float(np.sum(np.fft.rfftfreq(x.size, 1 / sr) * power) / np.sum(power))


centroids = [spectral_centroid(n) for n in perturbed.values()]
glue("gen_perturbed_centroids", f"{centroids[0]:,.0f} Hz as recorded, "
     + ", ".join(f"{c:,.0f}" for c in centroids[1:]) + " Hz for the three draws", display=False)
glue("gen_speed_lo", f"{augment.SPEED_RANGE[0]:g}", display=False)
glue("gen_speed_hi", f"{augment.SPEED_RANGE[1]:g}", display=False)
glue("gen_second_pct", f"{100 * augment.SECOND_NOISE_SHARE:.0f}", display=False)
glue("gen_second_lo", f"{augment.SECOND_NOISE_BELOW_DB[0]:g}", display=False)
glue("gen_second_hi", f"{augment.SECOND_NOISE_BELOW_DB[1]:g}", display=False)

# %% [markdown]
# ### Babble from sentences
#
# The babble above sums {glue:text}`gen_fsdd_talkers` digit clips of other speakers. The general recipe's
# babble is made of sentences: it draws between {glue:text}`gen_babble_lo` and {glue:text}`gen_babble_hi`
# training speakers (never the target's own), takes one utterance of each from a random point, and sums them
# at roughly equal levels. Few talkers sound like a conversation in the background, many like a crowd.
#
# With few talkers the recipe sets a floor on the SNR. Imagine one competing voice, as loud as the target or
# louder: the mixture is simply two people talking, and nothing in the sound says which of them the model
# should keep. A training pair that answers "this one" at random teaches the model nothing it can use, and
# pushes it to remove speech. So with one competing talker the SNR starts at {glue:text}`gen_babble_min_1` dB
# (the target at least as loud as the other voice), and with two at {glue:text}`gen_babble_min_2` dB, where
# each of the two voices on its own is about {glue:text}`gen_babble_each_2` dB relative to the target. From
# {glue:text}`gen_babble_full_from` talkers on, the full range down to {glue:text}`gen_snr_lo` dB is used.
# Listen to the difference between the floor and what the recipe never draws.
#
# **Listen for** whether you could tell which voice is the one to keep. At the floor the target is the
# louder of the two; in the second player the other voice is the louder one, and nothing but the label
# says that the quieter voice is the target. With three talkers at the same SNR the others blur into a
# background, and the single clear voice stands out again.

# %% tags=["hide-input"]
rng_babble = np.random.default_rng([run.seed, 44])
others = train_so[~train_so["speaker"].isin(voice_rows["speaker"])]
n_other_talkers = general.babble_talkers[1]  # enough for the largest babble besides the target
other_speakers = rng_babble.choice(sorted(others["speaker"].unique()), size=n_other_talkers,
                                  replace=False)
babble_rows = []
for s in other_speakers:  # one random utterance of each
    theirs = others[others["speaker"] == s]
    babble_rows.append(theirs.iloc[int(rng_babble.integers(len(theirs)))])
babble_rows = pd.DataFrame(babble_rows)
pool = voice_audio + speechocean762.read(babble_rows, sr, run.data_home)
pool_speakers = list(voice_rows["speaker"]) + list(babble_rows["speaker"])
floor_1 = general.snr_bounds("babble", 1)[0]
snr_lo = general.snr_range[0]
babble_1 = augment.sentence_babble(pool, pool_speakers, target.size, 1,
                                   np.random.default_rng([run.seed, 44, 1]),
                                   exclude_speaker=target_speaker)
babble_3 = augment.sentence_babble(pool, pool_speakers, target.size, 3,
                                   np.random.default_rng([run.seed, 44, 3]),
                                   exclude_speaker=target_speaker)
audio.players({"clean window": target,
               f"1 talker at {floor_1:g} dB (the recipe's floor)":
                   noise.mix_at_snr(target, babble_1, floor_1)[0],
               f"1 talker at {snr_lo:g} dB (never drawn)":
                   noise.mix_at_snr(target, babble_1, snr_lo)[0],
               f"3 talkers at {snr_lo:g} dB": noise.mix_at_snr(target, babble_3, snr_lo)[0]},
              sr, title="Babble from speechocean762 sentences")

# %% tags=["remove-cell"]
glue("gen_fsdd_talkers", f"{source.n_talkers}", display=False)
glue("gen_babble_lo", f"{general.babble_talkers[0]}", display=False)
glue("gen_babble_hi", f"{general.babble_talkers[1]}", display=False)
glue("gen_babble_min_1", f"{general.snr_bounds('babble', 1)[0]:g}", display=False)
glue("gen_babble_min_2", f"{general.snr_bounds('babble', 2)[0]:g}", display=False)
# two talkers share the babble's power: each one alone is 10 log10(2) dB below their sum
glue("gen_babble_each_2", f"{-general.snr_bounds('babble', 2)[0] - 10 * np.log10(2):+.0f}", display=False)
glue("gen_babble_full_from", f"{len(general.babble_min_snr) + 1}", display=False)
glue("gen_snr_lo", f"{general.snr_range[0]:g}", display=False)

# %% [markdown]
# ### Other microphones, and nothing to remove
#
# The same words recorded on a phone, a headset and a laptop sound different: each microphone and room weights
# the frequencies differently, and many cut off the lowest and the highest. `augment.random_channel` imitates
# this with a random tilt (a brighter or duller sound), a random high-pass (no deep rumble, a thinner voice)
# and, on some draws, a low-pass (a muffled, band-limited sound). The recipe passes
# {glue:text}`gen_channel_pct`% of the clean windows through such a channel *before* adding noise, and the
# target is the speech as that microphone heard it: the model learns to remove noise from many microphones,
# not to undo the microphone. {numref}`fig-channels` shows what {glue:text}`gen_n_channels` random channels do
# to each frequency.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Gain of random channels against frequency. Each is measured by passing a unit impulse through the channel the players below apply to the adult's sentence.", "name": "fig-channels"}}
# one seed per channel: the same draw wherever it is used
channel_seeds = [[run.seed, 45, k] for k in range(3)]
impulse = np.zeros(sr, np.float32)
impulse[0] = 1.0  # its spectrum is flat, so the channel's output spectrum is the channel's gain
freqs = np.fft.rfftfreq(impulse.size, 1 / sr)
fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
for k, channel_seed in enumerate(channel_seeds):
    gain = np.abs(np.fft.rfft(augment.random_channel(impulse, sr, channel_seed)))
    ax.semilogx(freqs[1:], 20 * np.log10(np.maximum(gain[1:], 1e-6)), label=f"channel {k + 1}")
ax.axhline(0, color="black", lw=0.8)
ax.set(xlim=(20, sr / 2), ylim=(-40, 15), xlabel="Frequency (Hz)", ylabel="Gain (dB)",
       title="Random channels")
ax.legend()
plt.show()

# %% [markdown]
# Every curve drops steeply at the left: that is the high-pass. Across the middle each is a straight line on
# this logarithmic axis, rising or falling: that is the tilt, a fixed number of dB per octave. A curve that
# bends down again at the right has a low-pass too. The same channels applied to the adult's sentence (all
# players share one gain, so level differences are audible).
#
# **Listen for** a thinner voice where the high-pass cuts deep, a brighter or duller colour from the
# tilt, and a muffled, telephone-like sound where a curve bends down at the right. The words stay the
# same: that is why the target keeps the channel and only the noise is to be removed.

# %% tags=["hide-input"]
sentence = voice_audio[-1]
audio.players({"as recorded": sentence,
               **{f"channel {k + 1}": augment.random_channel(sentence, sr, channel_seed)
                  for k, channel_seed in enumerate(channel_seeds)}},
              sr, title=f"One sentence through {len(channel_seeds)} random channels")

# %% [markdown]
# Finally, {glue:text}`gen_clean_pct`% of the training pairs have no noise at all: the input is clean speech
# and the target is the input itself. A model that has only ever been given noisy inputs learns that there is
# always something to take away, and on a clean recording the only thing left to take is speech. The clean
# pairs teach it to leave speech alone when there is nothing to remove. Chapter 6 checks that it does.
#
# ### The recipe in numbers
#
# The shares of the conditions and their ranges, as `augment.Recipe()` defines them. As a check, the last
# column counts the conditions of {glue:text}`gen_n_draws` pairs drawn by the general mixer
# (`augment.GeneralMixer`) from the few clips and noises of this section.

# %% tags=["hide-input"]
descriptions = {"recording": "an excerpt of a Hu training recording", "white": "white noise",
                "tilt": "generated: random spectral slope", "band": "generated: random band",
                "hum": "generated: mains hum", "modulated": "generated: level rising and falling",
                "clicks": "generated: random clicks", "tonal": "generated: sirens and alarms",
                "babble": (f"{general.babble_talkers[0]}-{general.babble_talkers[1]} "
                           "training talkers"),
                "clean": "no noise: the target is the input"}
windows, window_source = augment.speech_windows(voice_audio, sr)
mixer_g = augment.GeneralMixer(windows, list(voice_rows["speaker"].iloc[window_source]),
                               {f"hu/{hu_stem}": hu_recording}, pool, pool_speakers, sr,
                               recipe=general, seed=run.seed)
n_draws = min(run["generator_checks"], 1000)
drawn = pd.Series([mixer_g.describe(i % len(mixer_g), i // len(mixer_g))["kind"]
                   for i in range(n_draws)])
snr_hi = general.snr_range[1]
floors = ", ".join(f"{n} talker{'s' if n > 1 else ''} from {general.snr_bounds('babble', n)[0]:g}"
                   for n in range(1, len(general.babble_min_snr) + 1))
recipe_table = pd.DataFrame([{
    "condition": kind, "what it is": descriptions.get(kind, kind), "share (%)": 100 * p,
    "SNR (dB)": "none" if kind == "clean" else
                f"{snr_lo:g} to {snr_hi:g}" + (f" ({floors})" if kind == "babble" else ""),
    f"drawn in {n_draws} pairs (%)": 100 * (drawn == kind).mean(),
} for kind, p in zip(general.kinds, general.probabilities)]).set_index("condition").round(1)
recipe_table

# %% tags=["remove-cell"]
p = dict(zip(general.kinds, general.probabilities))
glue("gen_n_draws", f"{n_draws:,}", display=False)
glue("gen_n_channels", f"{len(channel_seeds)}", display=False)
glue("gen_clean_pct", f"{100 * p.get('clean', 0.0):.0f}", display=False)
glue("gen_channel_pct", f"{100 * general.channel_share:.0f}", display=False)
glue("gen_snr_hi", f"{general.snr_range[1]:g}", display=False)
glue("gen_gain_lo", f"{general.gain_db[0]:g}", display=False)
glue("gen_gain_hi", f"{general.gain_db[1]:+g}", display=False)
glue("gen_real_pct", f"{100 * (p.get('recording', 0.0) + p.get('babble', 0.0)):.0f}", display=False)
glue("gen_generated_pct", f"{100 * sum(p.get(k, 0.0) for k in ('white', *augment.FAMILIES)):.0f}", display=False)

# %% [markdown]
# Real sounds (Hu recordings and babble) make up {glue:text}`gen_real_pct`% of the pairs, generated noise
# (white and the {glue:text}`gen_n_families` families) {glue:text}`gen_generated_pct`% and clean inputs
# {glue:text}`gen_clean_pct`%. The SNR of every noisy pair is drawn uniformly from {glue:text}`gen_snr_lo` to
# {glue:text}`gen_snr_hi` dB (the recipe above: {glue:text}`snr_low` to {glue:text}`snr_high` dB), so the
# range reaches mildly noisy audio, where a good model should change little. After mixing, input and target
# are scaled together by a random gain from {glue:text}`gen_gain_lo` to {glue:text}`gen_gain_hi` dB (lowered
# if the mixture would exceed full scale), so the model meets quiet and loud recordings alike. A few training
# pairs exactly as the mixer draws them.
#
# **Listen for** the variety within six pairs: different noises and SNRs, pairs at very different levels
# (the random gain), and any pair whose input and target sound the same (a clean input).

# %% tags=["hide-input"]
pair_rows = {}
for i in range(6):
    noisy_g, clean_g, name, snr = mixer_g.pair(i % len(mixer_g), i // len(mixer_g))
    label = f"{i + 1}. " + ("clean input (no noise)" if snr is None else f"{name}, {snr:+.1f} dB")
    pair_rows[label] = {"input": noisy_g, "target": clean_g}
audio.player_grid(pair_rows, sr, title="General recipe: training pairs", row_header="pair")

# %% [markdown]
# ## Summary
#
# * `noise.mix_at_snr` scales the noise so that the mixture has exactly the requested SNR over the samples
#   it is measured on; over {glue:text}`n_checks` generator draws the largest error was
#   {glue:text}`max_error` dB.
# * Noise recordings are divided so that test noise is never heard in training: some recordings are held
#   out whole, the others are cut in time; babble is made only from speakers of the split being corrupted.
# * The training generator draws a fresh noise type, excerpt and SNR for every clip in every epoch, as a
#   pure function of the seed, the epoch and the clip, so a run is reproducible and resumable.
# * The general release model trains on the voices of speechocean762's training split (the subset has
#   {glue:text}`gen_so_speakers` speakers in all), {glue:text}`gen_hu_train` Hu noises, {glue:text}`gen_n_families` generated noise
#   families, sentence babble, random channels and {glue:text}`gen_clean_pct`% clean inputs.
# * Playing a noise recording $r$ times as fast multiplies every frequency in it by $r$:
#   `augment.perturbed_recording` makes many noises out of each training recording that way.
#
# ## Exercises
#
# 1. **Where the SNR is measured.** Rerun with a lower nominal SNR,
#    `digitdenoise run --chapters 4 -p snr_db -15`, and compare the whole-clip and speech-active SNR columns
#    of the first table: which one stays at the request, and by how much does the other differ? Why does
#    the difference depend on how much silence the clip has?
# 2. **A narrower range.** Run `digitdenoise run --chapters 4 -p snr_low_db 0 -p snr_high_db 5` and look
#    at the generator check's histogram of requested SNRs. This changes only this chapter's demonstration
#    generator, not chapter 5's training. Predict what a model trained only on this range would do to a
#    mixture at −8 dB. To test the prediction, train two short models,
#    `digitdenoise train --model mask_unet --epochs 5 --snr-range 0 5 --out runs/narrow` and the same
#    without `--snr-range` into `runs/wide`; both validate at −8 dB (`--val-snr`), so their
#    `history.csv` files compare the two ranges directly.
# 3. **Reproducibility.** Rerun the chapter with `--seed 1`. Which tables and players change, and which stay
#    the same? Explain from the way `OnTheFlyMixer.draw` builds its random generator.
# 4. **Hear the babble floor.** In the cell that builds the babble players, change the one-talker SNR to
#    −10 dB for every row and listen: can you still tell which voice is the target? Relate what you hear
#    to `Recipe.babble_min_snr`.
# 5. **Speed and pitch together.** Pass a pure 1 kHz tone (`np.sin(2 * np.pi * 1000 * np.arange(sr) / sr)`)
#    through `augment.perturbed_recording({"tone": tone}, "tone", sr, sr, seed)` with ten seeds and find the strongest frequency of each result.
#    Between which frequencies do they fall, and why are about half of them below 1 kHz? What would go wrong
#    if the same perturbation were applied to the *speech* of a training pair (think of the target)?
