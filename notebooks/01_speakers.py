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
# ```{admonition} You will learn
# :class: tip
# * how to read a dataset's speaker metadata critically, and how to clean it without losing the raw values;
# * how unbalanced the AudioMNIST speakers are by accent, gender, nativeness, origin, age and recording
#   room, and why that turns a comparison between groups into a comparison between individuals;
# * what a *confound* is, and how a crosstab shows whether two attributes are tangled together;
# * how long, how loud and how much surrounded by silence the clips of this run's dataset are, digit by
#   digit and speaker by speaker, and why those facts matter for the chapters that follow.
# ```
#
# Before any model touches the audio, we look at who recorded it. A denoiser that works well "on
# average" may work well only for the speakers who dominate the data, and chapter 7 asks exactly
# that question. To answer it honestly we must first know how the speakers are distributed, which
# metadata fields can be trusted, and which attributes are tangled together.
#
# This chapter reads the speaker metadata of AudioMNIST {cite:p}`becker2024audiomnist` (always: it is one
# small file), cleans it, and then measures the clips of the dataset this run uses.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
silence_top_db = 30.0  # silence: what lies this many dB below a clip's peak (librosa.effects.trim)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from myst_nb import glue

from digitdenoise import audio, config, data, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed)
config.check_number("silence_top_db", silence_top_db, minimum=1, maximum=120)
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
# Apart from the age, every field is free text. `origin` packs three facts into one string (continent,
# country, city), `native speaker` is "yes" or "no" rather than a true/false value, and `recordingdate`
# packs a date and a time of day into one string of six two-digit numbers. Nothing checked the values
# when they were typed in, so spelling varies from one record to the next.
#
# A careful look at all the records finds several quirks: the same room is spelled in several
# ways, an age is impossible, some accents differ only by capitalisation, and the first part of the
# origin ("continent") is wrong for speakers from Syria and India. The table below lists every value
# the cleaning in `digitdenoise.data.clean_audiomnist_metadata` changes, and for whom.

# %%
meta = data.clean_audiomnist_metadata(raw)
changes = data.metadata_cleaning_table(raw, meta)
changes

# %% tags=["remove-cell"]
glue("n_speakers", len(meta), display=False)
glue("n_changes", int(changes["n"].sum()), display=False)
glue("n_missing_age", int(meta["age"].isna().sum()), display=False)
glue("n_rooms_raw", len({r["recordingroom"] for r in raw.values()}), display=False)
glue("n_rooms", meta["room"].nunique(), display=False)

# %% [markdown]
# In all, {glue:text}`n_changes` values change across {glue:text}`n_speakers` speakers: the
# {glue:text}`n_rooms_raw` spellings of the recording room collapse to {glue:text}`n_rooms` rooms, and
# {glue:text}`n_missing_age` age becomes missing rather than being averaged in. The cleaned table keeps
# every raw value next to its cleaned form, so nothing is lost and every change can be checked.
#
# ## The speakers at a glance
#
# {numref}`fig-speaker-attributes` counts the speakers by each attribute after cleaning. What to look
# for: whether each panel has one dominant bar, and how many bars stand for a single speaker. A bar of
# height one is one person, and everything we later measure for that "group" is a measurement of that
# one voice.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The AudioMNIST speakers by accent, gender, native-speaker status, country of origin, recording room and age, after cleaning. Bars count speakers.", "name": "fig-speaker-attributes"}}
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
    [meta[c].astype(str).value_counts().rename_axis("value").reset_index(name="speakers")
     .assign(attribute=c)
     for c in ["accent", "gender", "native_speaker", "continent", "country", "room"]]
)[["attribute", "value", "speakers"]]
counts.reset_index(drop=True)

# %% tags=["remove-cell"]
n_german = int((meta["accent"] == "German").sum())
accent_sizes = meta["accent"].value_counts()
ages = meta["age"].dropna().astype(int)
glue("n_german", n_german, display=False)
glue("share_german", f"{100 * n_german / len(meta):.0f}%", display=False)
glue("n_female", int((meta["gender"] == "female").sum()), display=False)
glue("n_native", int(meta["native_speaker"].sum()), display=False)
glue("n_accents", len(accent_sizes), display=False)
glue("n_single_accents", int((accent_sizes == 1).sum()), display=False)
glue("age_median", int(ages.median()), display=False)
glue("age_q1", int(ages.quantile(0.25)), display=False)
glue("age_q3", int(ages.quantile(0.75)), display=False)
glue("age_max", int(ages.max()), display=False)

# %% [markdown]
# The population is far from balanced: {glue:text}`n_german` speakers ({glue:text}`share_german`) have a
# German accent, only {glue:text}`n_female` are women and only {glue:text}`n_native` are native English
# speakers. Of the {glue:text}`n_accents` accents, {glue:text}`n_single_accents` have a single speaker.
# The speakers are also young: half of them are between {glue:text}`age_q1` and {glue:text}`age_q3`
# years old (median {glue:text}`age_median`), and the oldest is {glue:text}`age_max`. Any comparison
# between accents is therefore a comparison between *individuals*, and chapter 7 treats it that way.
#
# ## When and where the recordings were made
#
# {numref}`fig-recording-timeline` places each speaker's session on a calendar. What to look for:
# whether a room was used throughout the collection or only during one stretch of it.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Each AudioMNIST speaker's recording session: date on the horizontal axis, room on the vertical, marker by gender.", "name": "fig-recording-timeline"}}
timeline = meta.reset_index().sort_values("recording_date")
fig, ax = plt.subplots(figsize=(12, 3.8))
sns.scatterplot(data=timeline, x="recording_date", y="room", hue="room", style="gender", s=70,
                ax=ax)
ax.set(title="AudioMNIST recording sessions over time, by room", xlabel="Recording date (2017)",
       ylabel="Room")
ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", title="room / gender")
fig.tight_layout()
plt.show()

# %% [markdown]
# The same information as a table: the first and last session in each room.

# %%
sessions = meta.groupby("room")["recording_date"].agg(first="min", last="max", speakers="count")
sessions = sessions.sort_values("first")
sessions.assign(first=sessions["first"].dt.date, last=sessions["last"].dt.date)

# %% tags=["remove-cell"]
busiest = sessions["speakers"].idxmax()
first_room = sessions.index[0]
glue("first_room", first_room, display=False)
glue("first_room_n", int(sessions.loc[first_room, "speakers"]), display=False)
glue("first_room_from", f"{sessions.loc[first_room, 'first']:%d %B}", display=False)
glue("first_room_to", f"{sessions.loc[first_room, 'last']:%d %B}", display=False)
glue("busiest_room", busiest, display=False)
glue("busiest_n", int(sessions.loc[busiest, "speakers"]), display=False)
glue("busiest_from", f"{sessions.loc[busiest, 'first']:%d %B}", display=False)
glue("busiest_to", f"{sessions.loc[busiest, 'last']:%d %B}", display=False)
before = sessions.loc[first_room, "last"] < sessions["first"].drop(first_room).min()
glue("first_room_before", "all before" if before else "overlapping with", display=False)

# %% [markdown]
# Each room was used during one stretch of the collection. All {glue:text}`first_room_n` sessions in
# the "{glue:text}`first_room`" ran from {glue:text}`first_room_from` to {glue:text}`first_room_to`,
# {glue:text}`first_room_before` any session in another room; the {glue:text}`busiest_n` sessions in
# the "{glue:text}`busiest_room`" ran from {glue:text}`busiest_from` to {glue:text}`busiest_to`. Room and
# recording period therefore go together: anything else that changed over those months, such as the
# microphone set-up, would show up in the data as a difference between rooms. That matters for the next
# tables.
#
# ## Confounds to keep in mind
#
# Two attributes are *confounded* when they vary together in the data, so that an effect of one cannot
# be told apart from an effect of the other. If the non-German accents were all recorded in one room, a
# difference "between accents" could just as well be a difference between rooms. A crosstab counts the
# speakers in every combination of two attributes; the `all` row and column hold the totals. What to
# look for: rows whose speakers sit in a single column.

# %%
pd.crosstab(meta["accent"], meta["room"], margins=True, margins_name="all")

# %% tags=["remove-cell"]
other = meta[meta["accent"] != "German"]
german = meta[meta["accent"] == "German"]
glue("n_other", len(other), display=False)
glue("other_vr", int((other["room"] == "vr-room").sum()), display=False)
glue("other_kino", int((other["room"] == "Kino").sum()), display=False)
glue("other_rest", int((~other["room"].isin(["vr-room", "Kino"])).sum()), display=False)
glue("german_rooms", german["room"].nunique(), display=False)
glue("other_ruheraum", int((other["room"] == "Ruheraum").sum()), display=False)

# %% [markdown]
# Of the {glue:text}`n_other` speakers whose accent is not plain "German", {glue:text}`other_vr` recorded
# in the vr-room, {glue:text}`other_kino` in the Kino and {glue:text}`other_rest` in the other two rooms
# ({glue:text}`other_ruheraum` in the Ruheraum). German-accented speakers appear in
# {glue:text}`german_rooms` rooms. So the rooms are not cleanly split by accent, which is good news. But an
# accent with a single speaker is necessarily recorded in a single room, and for those
# {glue:text}`n_single_accents` accents the accent, the room, the recording date and the person cannot be
# separated at all.
#
# The same question for gender: the next crosstab counts the speakers of each accent by gender. What to
# look for: how the women are spread over the accents, and how many accents have no woman at all.

# %%
pd.crosstab(meta["accent"], meta["gender"], margins=True, margins_name="all")

# %% tags=["remove-cell"]
female_german = int((german["gender"] == "female").sum())
glue("female_german", female_german, display=False)
glue("female_other", int((other["gender"] == "female").sum()), display=False)
women_per_accent = (meta["gender"] == "female").groupby(meta["accent"]).sum()
glue("max_female_other", int(women_per_accent.drop("German").max()), display=False)
glue("n_accents_men_only", int((women_per_accent == 0).sum()), display=False)

# %% [markdown]
# {glue:text}`female_german` of the {glue:text}`n_female` women have a German accent; the other
# {glue:text}`female_other` are spread over different accents, at most {glue:text}`max_female_other` per
# accent. {glue:text}`n_accents_men_only` of the {glue:text}`n_accents` accents are spoken by men only, so
# "accent" and "gender" are tangled too. Chapter 7 keeps this in mind when it compares groups.
#
# ## The clips of this run's dataset
#
# Now the audio of the dataset this run uses. Its own speaker metadata first, one row per speaker. What
# to look for: how many voices there are, and whether gender and accent vary between them at all.

# %%
spk = data.load_speaker_metadata(run.dataset, run.data_home)
spk

# %% tags=["remove-cell"]
def tally(column):
    """'6 male' or '3 German, 2 neutral, 1 French': the values of one metadata column with counts."""
    if column not in spk:
        return f"no {column} recorded"
    counts = spk[column].astype(str).value_counts()
    listed = ", ".join(f"{n} {value}" for value, n in counts.head(4).items())
    return listed + (f" and {len(counts) - 4} more" if len(counts) > 4 else "")


glue("run_n_speakers", len(spk), display=False)
glue("run_genders", tally("gender"), display=False)
glue("run_accents", tally("accent"), display=False)
glue("run_n_accents", int(spk["accent"].nunique()) if "accent" in spk else 0, display=False)

# %% [markdown]
# This run's dataset has {glue:text}`run_n_speakers` speakers ({glue:text}`run_genders`) with
# {glue:text}`run_n_accents` accents ({glue:text}`run_accents`). Chapter 4 splits them by speaker, so
# the voices a model of this run is tested on are never heard in training; a denoiser that learns the
# few training voices well may still meet a test voice as something unfamiliar. Chapter 4 also adds many
# more voices for the general model, and chapter 6 measures what they are worth.

# %% [markdown]
# Next, every clip this run reads is measured from its audio: its duration, its level, and the silence
# before and after the spoken digit. The table summarises each measurement over the clips (count, mean,
# standard deviation and quantiles).

# %%
clips = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"],
                        seed=run.seed)
stats = data.clip_statistics(clips, top_db=silence_top_db)
measured = ["duration_s", "rms_dbfs", "peak_dbfs", "lead_silence_s", "trail_silence_s"]
stats[measured].describe().round(3)

# %% tags=["remove-cell"]
glue("n_clips", len(stats), display=False)
glue("n_clip_speakers", stats["speaker"].nunique(), display=False)
glue("median_duration", f"{stats['duration_s'].median():.2f}", display=False)
glue("max_duration", f"{stats['duration_s'].max():.2f}", display=False)
glue("silence_top_db", f"{silence_top_db:g}", display=False)
glue("median_rms", f"{stats['rms_dbfs'].median():.1f}", display=False)
glue("median_peak", f"{stats['peak_dbfs'].median():.1f}", display=False)

# %% [markdown]
# This run measured {glue:text}`n_clips` clips from {glue:text}`n_clip_speakers` speakers. The median clip
# lasts {glue:text}`median_duration` s and the longest {glue:text}`max_duration` s; chapter 3 uses this
# distribution to pick the fixed length the models see. Levels are in dB relative to full scale (dBFS),
# where 0 dBFS is the largest value the file can hold: the RMS level averages the squared samples over
# the whole clip, the peak is the single largest sample. The median clip has an RMS level of
# {glue:text}`median_rms` dBFS and a peak of {glue:text}`median_peak` dBFS. Silence is what
# `librosa.effects.trim` removes from the ends: the parts more than {glue:text}`silence_top_db` dB below
# the clip's peak.
#
# ### By digit
#
# {numref}`fig-clips-by-digit` splits the same measurements by digit. What to look for: "zero" and
# "seven" are the two English digits with two syllables, so they should be among the longest; check
# whether the level and the silence depend on the digit as well.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Clip duration, RMS level, and leading and trailing silence by digit, measured from the audio of this run.", "name": "fig-clips-by-digit"}}
silence = stats.melt(id_vars=["speaker", "digit"],
                     value_vars=["lead_silence_s", "trail_silence_s"],
                     var_name="where", value_name="seconds")
silence["where"] = silence["where"].map({"lead_silence_s": "leading",
                                         "trail_silence_s": "trailing"})
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
sns.boxplot(data=stats, x="digit", y="duration_s", ax=axes[0], color="C0")
axes[0].set(title="Duration by digit", xlabel="Digit", ylabel="Duration (s)")
sns.boxplot(data=stats, x="digit", y="rms_dbfs", ax=axes[1], color="C1")
axes[1].set(title="Level by digit", xlabel="Digit", ylabel="RMS level (dBFS)")
sns.boxplot(data=silence, x="digit", y="seconds", hue="where", ax=axes[2])
axes[2].set(title="Silence around the digit", xlabel="Digit", ylabel="Silence (s)")
fig.suptitle(f"{run.dataset}: clip-level facts by digit", fontsize=14, fontweight="bold")
plt.show()

# %% tags=["remove-cell"]
by_digit = stats.groupby("digit")[["duration_s", "rms_dbfs"]].median()
longest, shortest = by_digit["duration_s"].idxmax(), by_digit["duration_s"].idxmin()
glue("longest_digit", int(longest), display=False)
glue("longest_digit_s", f"{by_digit.loc[longest, 'duration_s']:.2f}", display=False)
glue("second_digit", int(by_digit["duration_s"].nlargest(2).index[-1]), display=False)
glue("shortest_digit", int(shortest), display=False)
glue("shortest_digit_s", f"{by_digit.loc[shortest, 'duration_s']:.2f}", display=False)
duration_rank = by_digit["duration_s"].rank(ascending=False, method="min")
if 7 in duration_rank:
    seven = (f'"Seven", the other two-syllable digit, is number {int(duration_rank[7])} of the '
             f"{len(by_digit)} digits in that order")
    if duration_rank[7] > 3:
        seven += ": the number of syllables is only part of what makes a spoken digit long"
else:
    seven = '"Seven" is not among the clips of this run'
glue("seven_sentence", seven, display=False)
glue("digit_level_range", f"{by_digit['rms_dbfs'].max() - by_digit['rms_dbfs'].min():.1f}", display=False)
iqr = stats.groupby("digit")["rms_dbfs"].quantile(0.75) - stats.groupby("digit")["rms_dbfs"].quantile(0.25)
glue("within_digit", f"inside one digit the middle half of the clips spans {iqr.median():.1f} dB (the "
     "median height of a box)" if stats.groupby("digit").size().min() >= 4 else
     "this run has too few clips per digit to measure the spread inside one digit", display=False)
has_silence = (stats["lead_silence_s"] > 0) | (stats["trail_silence_s"] > 0)
glue("share_with_silence", f"{100 * has_silence.mean():.0f}%", display=False)
glue("median_edge_silence", f"{1000 * (stats['lead_silence_s'] + stats['trail_silence_s']).median():.0f}",
     display=False)

# %% [markdown]
# The digit with the longest median clip is {glue:text}`longest_digit` ({glue:text}`longest_digit_s` s),
# followed by {glue:text}`second_digit`; the shortest is {glue:text}`shortest_digit`
# ({glue:text}`shortest_digit_s` s). {glue:text}`seven_sentence`. The median levels of the digits lie
# within {glue:text}`digit_level_range` dB of each other, while {glue:text}`within_digit`. Of all clips,
# {glue:text}`share_with_silence` have some silence at either end by this definition, and the median
# clip has {glue:text}`median_edge_silence` ms of it in all. This matters in chapter 2: the less silence
# surrounds the digit, the closer the whole-clip SNR comes to the SNR while the digit is being spoken.
#
# ### By speaker
#
# {numref}`fig-clips-by-speaker` splits the measurements by speaker instead. What to look for: how far
# apart the boxes of different speakers sit, compared with the height of each box.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Clip duration, RMS level, and leading and trailing silence by speaker.", "name": "fig-clips-by-speaker"}}
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

# %% tags=["remove-cell"]
by_speaker = stats.groupby("speaker")[["rms_dbfs", "duration_s"]].median()
glue("level_spread", f"{by_speaker['rms_dbfs'].max() - by_speaker['rms_dbfs'].min():.1f}", display=False)
glue("loudest_speaker", str(by_speaker["rms_dbfs"].idxmax()), display=False)
glue("quietest_speaker", str(by_speaker["rms_dbfs"].idxmin()), display=False)
glue("duration_ratio", f"{by_speaker['duration_s'].max() / by_speaker['duration_s'].min():.1f}",
     display=False)

# %% [markdown]
# The median clip level of the loudest speaker ({glue:text}`loudest_speaker`) and the quietest
# ({glue:text}`quietest_speaker`) differ by {glue:text}`level_spread` dB, and the slowest speaker's median
# clip lasts {glue:text}`duration_ratio` times as long as the fastest speaker's. A model whose inputs are
# rescaled clip by clip, as in the projects this book started from, largely loses those level
# differences; chapter 3 measures how much.
#
# ## Listen: one clip per digit
#
# One clip of each digit (the first speaker who has it in this run). The players share one gain, so
# louder clips really are louder.
#
# **Listen for** the quiet parts of each word: the *s* of "six" and "seven", the *f* of "four" and
# "five", the *th* of "three". These consonants are noise-like and much softer than the vowels, so they
# are the first to drown when noise is added (chapter 2) and the first a denoiser may remove along with
# it (chapters 5 and 8). Listen also for the silence before and after each digit that
# {numref}`fig-clips-by-digit` measured, and for differences in level between the clips.

# %% tags=["hide-input"]
examples = stats.sort_values(["digit", "speaker", "take"]).groupby("digit").head(1)
sounds, rate = {}, None
for _, row in examples.iterrows():
    y, rate = data.read_audio(row["path"])
    sounds[f"{row['digit']} ({row['speaker']})"] = y
audio.players(sounds, rate, title=f"{run.dataset}: one clip per digit")

# %% [markdown]
# ## Summary
#
# * The AudioMNIST metadata needed {glue:text}`n_changes` corrections across {glue:text}`n_speakers`
#   speakers (room spellings, an impossible age, accent capitalisation, wrong continents); the cleaned
#   table keeps every raw value beside its cleaned form.
# * The speakers are unbalanced: {glue:text}`share_german` have a German accent, {glue:text}`n_female`
#   are women, {glue:text}`n_native` are native English speakers, and {glue:text}`n_single_accents` of
#   the {glue:text}`n_accents` accents have one speaker each, so comparisons between accents compare
#   individuals.
# * Rooms were used in blocks of time, and each single-speaker accent sits in one room, so room, period,
#   accent and gender are partly confounded; crosstabs show where.
# * This run's {glue:text}`n_clips` clips last {glue:text}`median_duration` s at the median (longest
#   {glue:text}`max_duration` s), and the speakers' median levels differ by {glue:text}`level_spread` dB.
#
# ## Exercises
#
# 1. **Which numbers are random?** Run `digitdenoise run --chapters 1 --profile smoke --seed 1`, which
#    reads a different six clips per speaker. Which numbers of this chapter change and which stay the
#    same? Explain the difference from where each number comes from (the metadata file or the audio).
# 2. **What counts as silence.** Run `digitdenoise run --chapters 1 -p silence_top_db 20` and compare the
#    silence panels of {numref}`fig-clips-by-digit` and the share of clips with silence at their ends.
#    Why does a smaller threshold find more silence? Which threshold would you trust for a quiet speaker?
# 3. **Another dataset.** Run `digitdenoise run --chapters 1 --dataset audiomnist-sample` and compare the
#    clip table with this one: how much silence surrounds the AudioMNIST digits, and what does that
#    predict for the gap between whole-clip and speech-active SNR in chapter 2?
# 4. **Is gender confounded with room?** In the cell `pd.crosstab(meta["accent"], meta["gender"], ...)`
#    replace `meta["accent"]` by `meta["room"]` and rerun that cell. In which rooms were the women
#    recorded, and could a "gender effect" in chapter 7 be a room effect?
