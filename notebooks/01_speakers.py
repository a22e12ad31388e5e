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
# # 1. Who is speaking
#
# Before any model touches the audio, we look at who recorded it. A denoiser that works well "on
# average" may work well only for the speakers who dominate the data, and chapter 7 asks exactly
# that question. To answer it honestly we must first know how the speakers are distributed, which
# metadata fields can be trusted, and which attributes are tangled together.
#
# This chapter reads the speaker metadata of AudioMNIST (always: it is one small file), cleans it, and
# then describes the clips of the dataset this run uses.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = "artifacts"
seed = 0

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from myst_nb import glue

from digitdenoise import audio, config, data, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir, seed=seed)
plots.book_style()
print(f"dataset={run.dataset} profile={run.profile}")

# %% [markdown]
# ## The AudioMNIST metadata file, as it comes
#
# AudioMNIST ships one JSON file, `audioMNIST_meta.txt`, with one record per speaker. Here are the
# first records exactly as written:

# %%
meta_path = data.find_audiomnist_metadata(run.data_home)
raw = data.read_audiomnist_metadata_file(meta_path)
pd.DataFrame.from_dict(raw, orient="index").head(8)

# %% [markdown]
# A careful look at all the records finds several quirks: the same room is spelled in several
# ways, an age is impossible, some accents differ only by capitalisation, and the first part of the
# origin ("continent") is wrong for speakers from Syria and India. The table below lists every value
# the cleaning in `digitdenoise.data.clean_audiomnist_metadata` changes, and for whom.

# %%
meta = data.clean_audiomnist_metadata(raw)
changes = data.metadata_cleaning_table(raw, meta)
changes

# %%
glue("n_speakers", len(meta), display=False)
glue("n_changes", int(changes["n"].sum()), display=False)
glue("n_missing_age", int(meta["age"].isna().sum()), display=False)
glue("n_rooms_raw", len({r["recordingroom"] for r in raw.values()}), display=False)
glue("n_rooms", meta["room"].nunique(), display=False)

# %% [markdown]
# In all, {glue:text}`n_changes` values change across {glue:text}`n_speakers` speakers: the
# {glue:text}`n_rooms_raw` spellings of the recording room collapse to {glue:text}`n_rooms` rooms, and
# {glue:text}`n_missing_age` age becomes missing rather than being averaged in. The cleaned table keeps
# every raw value next to its cleaned form, so nothing is lost.
#
# ## The speakers at a glance

# %% mystnb={"figure": {"caption": "The AudioMNIST speakers by accent, gender, native-speaker status, country of origin, recording room and age, after cleaning. Bars count speakers.", "name": "fig-speaker-attributes"}}
fig, axes = plt.subplots(2, 3, figsize=(14, 8.5))
panels = [("accent", "Accent"), ("gender", "Gender"), ("native_speaker", "Native English speaker"),
          ("country", "Country of origin"), ("room", "Recording room")]
for ax, (column, label) in zip(axes.flat, panels):
    order = meta[column].astype(str).value_counts().index
    sns.countplot(y=meta[column].astype(str), order=order, ax=ax, color="C0")
    ax.set(title=label, xlabel="Speakers", ylabel="")
ax = axes.flat[5]
sns.histplot(meta["age"].dropna().astype(int), binwidth=2, ax=ax, color="C1")
ax.set(title="Age (one impossible value removed)", xlabel="Age (years)", ylabel="Speakers")
fig.suptitle(f"AudioMNIST: the {len(meta)} speakers by attribute", fontsize=14, fontweight="bold")
fig.tight_layout()
plt.show()

# %% [markdown]
# The counts behind the figure, one row per attribute value:

# %%
counts = pd.concat(
    [meta[c].astype(str).value_counts().rename_axis("value").reset_index(name="speakers").assign(attribute=c)
     for c in ["accent", "gender", "native_speaker", "continent", "country", "room"]]
)[["attribute", "value", "speakers"]]
counts.reset_index(drop=True)

# %%
n_german = int((meta["accent"] == "German").sum())
glue("n_german", n_german, display=False)
glue("share_german", f"{100 * n_german / len(meta):.0f}%", display=False)
glue("n_female", int((meta["gender"] == "female").sum()), display=False)
glue("n_native", int(meta["native_speaker"].sum()), display=False)

# %% [markdown]
# The population is far from balanced: {glue:text}`n_german` speakers ({glue:text}`share_german`) have a
# German accent, only {glue:text}`n_female` are women and only {glue:text}`n_native` are native English
# speakers. Most other accents have a single speaker. Any comparison between accents is therefore a
# comparison between *individuals*, and chapter 7 treats it that way.
#
# ## When and where the recordings were made

# %% mystnb={"figure": {"caption": "Each AudioMNIST speaker's recording session: date on the horizontal axis, room on the vertical, marker by gender.", "name": "fig-recording-timeline"}}
timeline = meta.reset_index().sort_values("recording_date")
fig, ax = plt.subplots(figsize=(12, 3.8))
sns.scatterplot(data=timeline, x="recording_date", y="room", hue="room", style="gender", s=70, ax=ax)
ax.set(title="AudioMNIST recording sessions over time, by room", xlabel="Recording date (2017)", ylabel="Room")
ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", title="room / gender")
fig.tight_layout()
plt.show()

# %% [markdown]
# The rooms were used in blocks of weeks, so room and recording period go together. That matters for
# the next table.
#
# ## Confounds to keep in mind
#
# If the non-German accents were all recorded in one room, a difference "between accents" could just
# as well be a difference between rooms. The crosstabs count speakers:

# %%
pd.crosstab(meta["accent"], meta["room"], margins=True, margins_name="all")

# %%
pd.crosstab(meta["accent"], meta["gender"], margins=True, margins_name="all")

# %% [markdown]
# ## The clips of this run's dataset
#
# Now the audio of the dataset this run uses. Its own speaker metadata first:

# %%
spk = data.load_speaker_metadata(run.dataset, run.data_home)
spk

# %%
clips = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"], seed=run.seed)
stats = data.clip_statistics(clips)
glue("n_clips", len(stats), display=False)
glue("n_clip_speakers", stats["speaker"].nunique(), display=False)
glue("median_duration", f"{stats['duration_s'].median():.2f}", display=False)
glue("max_duration", f"{stats['duration_s'].max():.2f}", display=False)
stats[["duration_s", "rms_dbfs", "peak_dbfs", "lead_silence_s", "trail_silence_s"]].describe().round(3)

# %% [markdown]
# This run measured {glue:text}`n_clips` clips from {glue:text}`n_clip_speakers` speakers. The median clip
# lasts {glue:text}`median_duration` s and the longest {glue:text}`max_duration` s; chapter 3 uses this
# distribution to pick the fixed length the models see. Levels are RMS over the whole clip in dB
# relative to full scale (dBFS); silence is what `librosa.effects.trim` removes 30 dB below the peak.

# %% mystnb={"figure": {"caption": "Clip duration, RMS level, and leading and trailing silence by digit, measured from the audio of this run.", "name": "fig-clips-by-digit"}}
silence = stats.melt(id_vars=["speaker", "digit"], value_vars=["lead_silence_s", "trail_silence_s"],
                     var_name="where", value_name="seconds")
silence["where"] = silence["where"].map({"lead_silence_s": "leading", "trail_silence_s": "trailing"})
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
sns.boxplot(data=stats, x="digit", y="duration_s", ax=axes[0], color="C0")
axes[0].set(title="Duration by digit", xlabel="Digit", ylabel="Duration (s)")
sns.boxplot(data=stats, x="digit", y="rms_dbfs", ax=axes[1], color="C1")
axes[1].set(title="Level by digit", xlabel="Digit", ylabel="RMS level (dBFS)")
sns.boxplot(data=silence, x="digit", y="seconds", hue="where", ax=axes[2])
axes[2].set(title="Silence around the digit", xlabel="Digit", ylabel="Silence (s)")
fig.suptitle(f"{run.dataset}: clip-level facts by digit", fontsize=14, fontweight="bold")
plt.show()

# %% mystnb={"figure": {"caption": "Clip duration, RMS level, and leading and trailing silence by speaker. Speakers differ in level by several decibels.", "name": "fig-clips-by-speaker"}}
fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), layout="constrained")
sns.boxplot(data=stats, x="speaker", y="duration_s", ax=axes[0], color="C0")
axes[0].set(title="Duration by speaker", xlabel="Speaker", ylabel="Duration (s)")
sns.violinplot(data=stats, x="speaker", y="rms_dbfs", ax=axes[1], color="C2", cut=0)
axes[1].set(title="Level by speaker", xlabel="Speaker", ylabel="RMS level (dBFS)")
sns.boxplot(data=silence, x="speaker", y="seconds", hue="where", ax=axes[2])
axes[2].set(title="Silence by speaker", xlabel="Speaker", ylabel="Silence (s)")
for ax in axes:
    ax.tick_params(axis="x", rotation=90)
fig.suptitle(f"{run.dataset}: clip-level facts by speaker", fontsize=14, fontweight="bold")
plt.show()

# %%
level_range = stats.groupby("speaker")["rms_dbfs"].median()
glue("level_spread", f"{level_range.max() - level_range.min():.1f}", display=False)

# %% [markdown]
# The median clip level of the loudest and the quietest speaker differ by {glue:text}`level_spread` dB.
# A model trained on per-clip-normalised inputs never sees that; chapter 3 returns to it.
#
# ## Listen: one clip per digit
#
# One clip of each digit (the first speaker who has it in this run). The players share one gain, so
# louder clips really are louder.

# %%
examples = stats.sort_values(["digit", "speaker", "take"]).groupby("digit").head(1)
sounds, rate = {}, None
for _, row in examples.iterrows():
    y, rate = data.read_audio(row["path"])
    sounds[f"{row['digit']} ({row['speaker']})"] = y
audio.players(sounds, rate, title=f"{run.dataset}: one clip per digit")
