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
# # 7. Who benefits
#
# ```{admonition} You will learn
# :class: tip
# * why the *speaker*, not the clip, is the unit when you ask whether a group of people benefits more,
#   and what changes when only one speaker is held out;
# * why two overlapping confidence intervals do not mean "no difference", and how to compare digits
#   that the same speakers said with a *paired* difference instead;
# * how a speaker-level permutation test, corrected with Holm's method for testing several attributes,
#   answers "does this attribute matter?", and when the data are too thin to answer at all;
# * why attributes that travel together (accent and country, room and recording date) cannot be told
#   apart by any test.
# ```
#
# Averages hide people. The student report ended by comparing average "SNR improvement" across accents,
# ages, genders and origins and concluded that accent and origin "significantly affect" denoising, from
# groups of one to three speakers and without a single statistical test. This chapter asks the same
# questions of chapter 6's per-clip results and answers them with the speaker, not the clip, as the
# unit: clips of one speaker share a voice, a microphone, a room and a day, so 50 clips of one person
# are not 50 independent observations.
#
# ```{admonition} Key results of this run
# :class: important
# * **Overall.** {glue:text}`method7` changed SI-SDR by {glue:text}`kr_sisdr7` and PESQ by
#   {glue:text}`kr_pesq7`, over {glue:text}`n_clips7` test clips of {glue:text}`n_speakers7` held-out
#   speaker(s).
# * **Digits, compared in pairs.** {glue:text}`digit_contrast7`
# * **Speaker attributes.** {glue:text}`verdict_short7`
# ```

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
snr_db = -8.0  # the nominal SNR of the noisy set (dB); chapter 6 must have been run at the same SNR
method = "mask_unet (best)"  # the method of chapter 6 whose benefit is analysed
min_speakers = 3  # groups with fewer speakers are flagged and never ranked or tested
n_perm = 5000  # permutations per test (the smoke profile uses fewer)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display
from myst_nb import glue

from digitdenoise import audio, config, data, errors, evaluation, metrics, noise, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
sr = data.spec(run.dataset).working_rate
n_perm = min(n_perm, 10 * run["n_boot"])
n_boot = run["n_boot"]


def fmt_interval(mean, low, high, over="", unit="", digits=1):
    """'+7.4 dB (95% interval +6.9 to +7.9 dB, resampling speakers)', or a note where there is none."""
    text = f"{mean + 0.0 if round(mean, digits) else 0.0:+.{digits}f}{unit}"  # no "-0.0"
    if np.isfinite(low) and np.isfinite(high):
        over = f", {over}" if over else ""
        return text + f" (95% interval {low:+.{digits}f} to {high:+.{digits}f}{unit}{over})"
    return text + " (too few clips for an interval)"


# %% [markdown]
# ## Same nominal SNR, different speakers
#
# Before asking who *benefits*, note who starts where. Every clip is mixed with white noise at exactly
# the nominal whole-clip SNR. The segmental SNR over speech-active frames then differs by speaker: a
# speaker who leaves long pauses, or whose voice is concentrated in a few loud frames, gets a different
# effective SNR while speaking.
#
# **What to look for** in the figure: how far apart the speakers' bars sit. Every one of them was mixed
# at the same nominal SNR, so any spread is produced by the speakers' timing and loudness, not by the
# noise.

# %% mystnb={"figure": {"caption": "Segmental SNR of the noisy input by speaker, white noise at the nominal whole-clip SNR: mean with 95% confidence interval, clips per speaker in the labels.", "name": "fig-input-snr-by-speaker"}} tags=["hide-input"]
clips = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"],
                        seed=run.seed)
clean = data.read_clips(clips["path"], sr)
pairs = noise.mixtures(clean, noise.NoiseSource(sr), "white", run.snr_db, seed=run.seed)
clips["segmental SNR (dB)"] = [metrics.segmental_snr_db(c, x, sr) for c, x in pairs]
order = clips.groupby("speaker")["segmental SNR (dB)"].mean().sort_values().index
fig, ax = plt.subplots(figsize=(10, 0.45 * len(order) + 1.5))
sns.barplot(data=clips, y="speaker", x="segmental SNR (dB)", order=order, errorbar=("ci", 95), ax=ax,
            color="C0", seed=run.seed)
counts = clips["speaker"].value_counts()
ax.set_yticks(range(len(order)), [f"{s} (n={counts[s]})" for s in order])
ax.set(title=f"Noisy input at {run.snr_db:g} dB whole-clip SNR: segmental SNR by speaker (mean, 95% CI)",
       xlabel="Segmental SNR over speech-active frames (dB)", ylabel="Speaker (clips)")
fig.tight_layout()
plt.show()

# %% tags=["remove-input"]
seg_means = clips.groupby("speaker")["segmental SNR (dB)"].mean().sort_values()
glue("snr7", f"{run.snr_db:g}", display=False)
glue("seg_low7", f"{seg_means.iloc[0]:.1f} dB ({seg_means.index[0]})", display=False)
glue("seg_high7", f"{seg_means.iloc[-1]:.1f} dB ({seg_means.index[-1]})", display=False)
glue("seg_spread7", f"{seg_means.iloc[-1] - seg_means.iloc[0]:.1f}", display=False)

# %% [markdown]
# All clips were mixed at {glue:text}`snr7` dB, yet the speakers' mean segmental SNR runs from
# {glue:text}`seg_low7` to {glue:text}`seg_high7`, a spread of {glue:text}`seg_spread7` dB. Speakers
# therefore do not face the same task, and a difference in *benefit* between speakers may partly be a
# difference in where they started.
#
# ## The results under analysis
#
# Chapter 6 saved one row per (clip, noise type, method). Here each test clip gets one number per metric:
# the improvement the chosen method brings, averaged over the four main noise types at the chapter's SNR
# (so a clip's value does not depend on which noise it happened to meet). An improvement is already a
# paired quantity: the enhanced clip's score minus the noisy clip's score, for the same clip and the same
# noise waveform. Speaker attributes come from the dataset's metadata (chapter 1).

# %%
results_file = run.artifacts_dir / "evaluation_per_clip.csv"
if not results_file.is_file():
    raise errors.DataError(f"{results_file} not found: run chapter 6 (06_evaluation) for this dataset and "
                           "profile first.")
per_clip = pd.read_csv(results_file, dtype={"speaker": str})
if method not in set(per_clip["method"]):
    raise errors.ParameterError(f"method={method!r} is not in {results_file}; "
                                f"it has {sorted(set(per_clip['method']))}.")
if not np.isclose(per_clip["snr_db"], run.snr_db).any():
    raise errors.ParameterError(f"{results_file} has no results at snr_db={run.snr_db:g}; it has "
                                f"{sorted(set(per_clip['snr_db']))}: run chapter 6 with the same snr_db.")
chosen = per_clip[(per_clip["method"] == method) & per_clip["noise"].isin(evaluation.MAIN_NOISES)
                  & np.isclose(per_clip["snr_db"], run.snr_db)]
values = (chosen.groupby(["clip_id", "speaker", "digit"], as_index=False)
          [["si_sdr_improvement", "pesq_improvement"]].mean())

# %% tags=["remove-input"]
meta = data.load_speaker_metadata(run.dataset, run.data_home)
if "age" in meta:
    meta["age group"] = (pd.cut(meta["age"].astype("float"), [0, 24.5, 29.5, 200],
                                labels=["under 25", "25 to 29", "30 and over"])
                         .astype(str).replace("nan", np.nan))
if "native_speaker" in meta:
    meta["native speaker"] = meta["native_speaker"].map({True: "yes", False: "no"})
attributes = [a for a in ["accent", "age group", "gender", "native speaker", "country", "continent", "room"]
              if a in meta.columns]
values = values.join(meta[attributes], on="speaker")
n_speakers = values["speaker"].nunique()


def overall(metric):
    """Mean improvement with a 95% interval over speakers (or over clips when one speaker is held out)."""
    if n_speakers >= 2:
        r = evaluation.speaker_bootstrap_ci(values, metric, n_boot=n_boot, seed=run.seed)
        return r["mean"], r["ci_low"], r["ci_high"], "resampling speakers"
    mean, low, high = evaluation.bootstrap_ci(values[metric], n_boot=n_boot, seed=run.seed)
    return mean, low, high, "resampling the one speaker's clips"


glue("kr_sisdr7", fmt_interval(*overall("si_sdr_improvement"), unit=" dB"), display=False)
glue("kr_pesq7", fmt_interval(*overall("pesq_improvement"), digits=2), display=False)
glue("n_clips7", len(values), display=False)
glue("n_speakers7", n_speakers, display=False)
glue("method7", method, display=False)
glue("unit_note7", "With a single held-out speaker, every interval in this chapter resamples that "
     "speaker's clips: it describes this one voice, not people in general." if n_speakers < 2 else
     f"Intervals for groups resample the {n_speakers} held-out speakers, so they speak about people, "
     "not only about these clips.", display=False)

# %% [markdown]
# The first rows of the table the rest of the chapter works on: one row per test clip, with its two
# improvements and its speaker's attributes.

# %%
values.head()

# %% [markdown]
# The analysis covers {glue:text}`n_clips7` test clips from {glue:text}`n_speakers7` held-out speaker(s),
# processed by {glue:text}`method7`. {glue:text}`unit_note7`
#
# ## Per speaker and per digit
#
# Per speaker, the interval is over that speaker's clips. Per digit, each digit's value is the mean over
# speakers of their mean for that digit, and the interval resamples speakers (with one test speaker it
# falls back to resampling clips, and says so in the table).
#
# **What to look for**: whether every bar sits to the right of zero (does the method help every speaker
# and every digit?), and how the spread between bars compares with the width of the whiskers. Each
# whisker describes *one* bar; as the next section shows, comparing two whiskers by eye is not a test of
# whether two digits differ.

# %% mystnb={"figure": {"caption": "SI-SDR and PESQ improvement of the chosen method per test speaker (left) and per digit (right), mean with 95% bootstrap interval; the number of clips behind each bar is in its label.", "name": "fig-speaker-digit"}} tags=["hide-input"]
metrics_ = [("si_sdr_improvement", "SI-SDR improvement (dB)"), ("pesq_improvement", "PESQ improvement")]
per_speaker = {m: evaluation.summarise(values, m, by=("speaker",), n_boot=n_boot, seed=run.seed)
                         .rename(columns={"n": "clips"}) for m, _ in metrics_}
per_digit = {m: evaluation.speaker_group_summary(values, "digit", m, min_speakers=1, n_boot=n_boot,
                                                 seed=run.seed) for m, _ in metrics_}
fig, axes = plt.subplots(2, 2, figsize=(12, 0.35 * max(10, values["speaker"].nunique()) + 5))
for i, (metric, unit) in enumerate(metrics_):
    name = unit.split(" (")[0]
    spk_table = per_speaker[metric].assign(label=lambda t: [f"{v} (n={n})"
                                                            for v, n in zip(t["speaker"], t["clips"])])
    dig_table = per_digit[metric].assign(label=lambda t: [f"{v} (n={n})"
                                                          for v, n in zip(t["digit"], t["clips"])])
    plots.interval_bars(axes[i, 0], spk_table, "label", title=f"{name} by speaker", xlabel=unit)
    axes[i, 0].set_ylabel("Speaker (clips)")
    plots.interval_bars(axes[i, 1], dig_table, "label", title=f"{name} by digit", xlabel=unit)
    axes[i, 1].set_ylabel("Digit (clips)")
fig.suptitle(f"Who benefits from {method}: speakers and digits")
fig.tight_layout()
plt.show()

# %% tags=["remove-input"]
spk = per_speaker["si_sdr_improvement"].sort_values("mean")
if len(spk) >= 2:
    glue("spk_range7", f"The mean SI-SDR improvement per speaker runs from {spk['mean'].iloc[0]:+.1f} dB "
         f"({spk['speaker'].iloc[0]}) to {spk['mean'].iloc[-1]:+.1f} dB ({spk['speaker'].iloc[-1]}).",
         display=False)
else:
    glue("spk_range7", f"The only held-out speaker, {spk['speaker'].iloc[0]}, gains "
         f"{spk['mean'].iloc[0]:+.1f} dB of SI-SDR on average.", display=False)
neg = per_digit["si_sdr_improvement"]["mean"].lt(0).sum() + spk["mean"].lt(0).sum()
glue("below_zero7", "No bar of the SI-SDR panels lies below zero" if neg == 0 else
     f"{neg} bar(s) of the SI-SDR panels lie below zero: the method made those clips worse on average",
     display=False)

# %% [markdown]
# {glue:text}`spk_range7` {glue:text}`below_zero7`.
# The table gives the SI-SDR numbers behind the digit panel (`ci_over` says what its interval resamples).

# %%
digit_table = per_digit["si_sdr_improvement"].set_index("digit")[["speakers", "clips", "mean", "ci_low",
                                                                 "ci_high", "ci_over"]]
best_digit, worst_digit = digit_table["mean"].idxmax(), digit_table["mean"].idxmin()
digit_table.round(2)

# %% tags=["remove-input"]
glue("digit_best", str(best_digit), display=False)
glue("digit_worst", str(worst_digit), display=False)
glue("digit_spread", f"{digit_table['mean'].max() - digit_table['mean'].min():.1f}", display=False)

# %% [markdown]
# Digit {glue:text}`digit_best` gains the most and digit {glue:text}`digit_worst` the least, a spread of
# {glue:text}`digit_spread` dB between the digit means. Digits differ in length and in how much of them is
# voiced, so some spread is expected. Is this spread real?
#
# ## Comparing digits: a paired question
#
# The digit panel invites an answer it cannot give. It is tempting to look at two digits' whiskers and
# conclude "they overlap, so the digits do not differ". That reading is wrong here, for two reasons:
#
# * **An interval for each digit is not an interval for their difference.** Each whisker answers "where is
#   this digit's mean?". The uncertainty of the *gap* between two means is smaller than the two
#   half-widths added together, so two 95% intervals can overlap while the gap is clearly not zero.
# * **The digits were measured on the same speakers.** Every held-out speaker says every digit. A speaker
#   whose voice is easy (or hard) to clean lifts (or lowers) all of that speaker's digits together; that
#   shared part widens each digit's own interval, but it cancels out of a difference taken *within* each
#   speaker. The right comparison is paired: one difference per speaker, then an interval over speakers.
#
# The cell below asks the paired question directly, for the best and the worst digit: their gap within
# speakers, with a 95% interval (resampling speakers, so each speaker's pair stays together; with one
# held-out speaker, every clip already comes from the same voice and the interval resamples clips within
# each digit). Because those two digits were picked *after* looking at the means, their gap is biased
# upwards. A permutation test corrects for the picking: it shuffles the digit labels among each speaker's
# own clips, recomputes the largest-minus-smallest spread of the digit means each time, and reports how
# often chance alone produces a spread at least as large as the one observed.

# %%
high, low = best_digit, worst_digit  # the pair to compare
gap, gap_low, gap_high, resampled = evaluation.paired_gap(values, "si_sdr_improvement", high, low, n_boot=n_boot,
                                                          seed=run.seed)
spread_db, spread_p = evaluation.within_speaker_spread_test(values, "si_sdr_improvement", n_perm=n_perm,
                                                            seed=run.seed)
pd.DataFrame({"gap (dB)": gap, "95% low": gap_low, "95% high": gap_high, "interval resamples": resampled,
              "spread of all digits (dB)": spread_db, "permutation p of the spread": spread_p},
             index=[f"digit {high} minus digit {low}"]).round(3)

# %% tags=["remove-input"]
if high == low:
    contrast = "The test set has a single digit, so there is nothing to compare."
    overlap_note = contrast
else:
    contrast = f"Digit {high} gains {gap:.1f} dB more SI-SDR than digit {low}, within the same speaker(s)"
    kind = "paired 95% interval" if resampled == "speakers" else "95% interval of the gap"
    if np.isfinite(gap_low):
        contrast += f" ({kind} {gap_low:+.1f} to {gap_high:+.1f} dB, resampling {resampled})"
    else:
        contrast += " (too few clips per digit for an interval)"
    p_text = f"p = {spread_p:.3f}" if spread_p >= 0.001 else f"p < 0.001 ({n_perm} shuffles)"
    contrast += (f"; shuffling digit labels within speakers gives a spread as large as the observed "
                 f"{spread_db:.1f} dB with {p_text}." if np.isfinite(spread_p) else
                 "; with one clip per digit, no permutation test is possible.")
    marg = digit_table.loc[[high, low], ["ci_low", "ci_high"]]
    overlap = (marg.notna().all().all() and marg.loc[high, "ci_low"] <= marg.loc[low, "ci_high"]
               and marg.loc[low, "ci_low"] <= marg.loc[high, "ci_high"])
    excludes_zero = np.isfinite(gap_low) and gap_low > 0
    if not marg.notna().all().all() or not np.isfinite(gap_low):
        overlap_note = ("This run has too few clips per digit for intervals, so neither reading is "
                        "possible: the smoke profile is too small for this question.")
    elif overlap and excludes_zero:
        overlap_note = ("In the digit panel the two digits' whiskers overlap, yet the gap's interval lies "
                        "entirely above zero: exactly the case where reading intervals by eye misleads.")
    elif overlap:
        overlap_note = ("The two digits' whiskers overlap and the gap's interval also includes zero: here "
                        "the data do not establish a gap between them.")
    elif excludes_zero:
        overlap_note = ("Here the two digits' whiskers do not even overlap, and the gap's interval agrees "
                        "that the gap is above zero.")
    else:
        overlap_note = "The gap's interval includes zero although the whiskers do not overlap."
glue("digit_contrast7", contrast, display=False)
glue("overlap_note7", overlap_note, display=False)

# %% [markdown]
# {glue:text}`digit_contrast7` {glue:text}`overlap_note7`
#
# A small p-value says that digit matters for *these* speakers' clips. With one held-out speaker, that is a
# statement about one voice; whether the same digits are hard for other people is a question for a
# dataset with more held-out speakers.
#
# ## By speaker attribute
#
# Each bar is the mean over the speakers in a group of their mean improvement, with an interval that
# resamples speakers. Bars of groups with fewer than the chapter's minimum number of speakers are grey:
# they are shown, not ranked.
#
# **What to look for**: the labels first. A bar with "1 spk" describes one person, whatever its whisker
# looks like. Unlike the digits, different groups hold *different* speakers, so there is no pairing to
# exploit here; but overlapping or separated whiskers are still not a test. The permutation test two
# sections below is.

# %% mystnb={"figure": {"caption": "SI-SDR improvement by speaker attribute: mean of speaker means with a speaker-bootstrap 95% interval; labels give the number of speakers (spk) and clips; grey bars are groups below the minimum number of speakers.", "name": "fig-attributes"}} tags=["hide-input"]
attr_summaries = {a: evaluation.speaker_group_summary(values, a, "si_sdr_improvement", n_boot=n_boot,
                                                      min_speakers=min_speakers, seed=run.seed)
                  for a in attributes}
cols = min(3, len(attributes))
rows_n = -(-len(attributes) // cols)
fig, axes = plt.subplots(rows_n, cols, figsize=(4.4 * cols, 2.8 * rows_n + 0.6), squeeze=False)
for ax, attribute in zip(axes.flat, attributes):
    summary = attr_summaries[attribute].copy()
    summary["label"] = [f"{v} ({s} spk, {c} clips)"
                        for v, s, c in zip(summary[attribute], summary["speakers"], summary["clips"])]
    plots.interval_bars(ax, summary, "label", title=attribute, xlabel="SI-SDR improvement (dB)")
for ax in list(axes.flat)[len(attributes):]:
    ax.set_visible(False)
fig.suptitle(f"SI-SDR improvement of {method} by speaker attribute "
             f"(grey: fewer than {min_speakers} speakers)")
fig.tight_layout()
plt.show()

# %% tags=["remove-input"]
all_groups = pd.concat(attr_summaries.values())
glue("n_groups7", len(all_groups), display=False)
glue("n_flagged7", int(all_groups["flagged"].sum()), display=False)
glue("n_attributes7", len(attributes), display=False)
glue("min_speakers7", min_speakers, display=False)

# %% [markdown]
# The figure shows {glue:text}`n_groups7` groups over {glue:text}`n_attributes7` attributes, and
# {glue:text}`n_flagged7` of them have fewer than {glue:text}`min_speakers7` speakers (grey). Grey bars
# describe individuals; they cannot support a claim about accents, genders or countries.
#
# ## The report's two heatmaps, with counts
#
# Accent × gender and accent × digit, as in the report, but each cell shows the number of speakers behind
# it and cells with fewer than the minimum are left blank instead of coloured.
#
# **What to look for**: how many cells are coloured at all. A blank cell is not a result of zero; it is a
# cell the data cannot fill.

# %% mystnb={"figure": {"caption": "Mean SI-SDR improvement (dB) per accent and gender (left) and per accent and digit (right); the second line of each cell is its number of speakers; blank cells have fewer speakers than the chapter's minimum.", "name": "fig-heatmaps"}} tags=["hide-input"]
grids = {pair: evaluation.speaker_group_summary(values, list(pair), "si_sdr_improvement",
                                                min_speakers=min_speakers, n_boot=100, seed=run.seed)
         for pair in [("accent", "gender"), ("accent", "digit")] if set(pair) <= set(values.columns)}
fig, axes = plt.subplots(1, 2, figsize=(14, 0.5 * max(4, values["accent"].nunique()) + 2.5),
                         gridspec_kw={"width_ratios": [1, 2.2]})
titles = {("accent", "gender"): "Accent × gender", ("accent", "digit"): "Accent × digit"}
for ax, (pair, title) in zip(axes, titles.items()):
    if pair in grids:
        plots.count_heatmap(ax, grids[pair], *pair, title=title, min_count=min_speakers,
                            value_label="SI-SDR improvement (dB)")
    else:
        ax.set_visible(False)
fig.suptitle(f"{method}: improvement by accent and gender, and by accent and digit")
fig.tight_layout()
plt.show()

# %% tags=["remove-input"]
cells = pd.concat(grids.values())
glue("n_cells7", len(cells), display=False)
glue("n_cells_shown7", int((cells["speakers"] >= min_speakers).sum()), display=False)

# %% [markdown]
# Of {glue:text}`n_cells7` cells in the two heatmaps, {glue:text}`n_cells_shown7` have at least
# {glue:text}`min_speakers7` speakers and are coloured. The report drew conclusions from cells like the
# blank ones.
#
# ## Does any attribute matter? Tests at the speaker level
#
# For each attribute, one permutation test: every speaker contributes one number (their mean
# improvement), and the attribute's labels are shuffled across speakers {glue:text}`n_perm7` times. The
# statistic is eta squared, the share of the between-speaker variance the groups explain; the table also
# gives the gap between the best and worst group in dB, the effect size a listener can picture. Only
# groups with at least the minimum number of speakers take part. Testing several attributes at once
# inflates false alarms, so the p-values are corrected with Holm's method.
#
# **What to look for** in the table: the `note` column first (was the attribute testable at all?), then
# `p_holm` together with `range_db`. A small p-value with a gap of a fraction of a dB is real but
# unimportant.

# %%
tests = {m: evaluation.attribute_tests(values, attributes, m, min_speakers=min_speakers, n_perm=n_perm,
                                       seed=run.seed) for m in ("si_sdr_improvement", "pesq_improvement")}
table = pd.concat({m.replace("_improvement", ""): t.set_index("attribute") for m, t in tests.items()},
                  names=["metric"])
table[["speakers", "groups tested", "groups too small", "eta_squared", "range_db", "p_value", "p_holm",
       "significant", "note"]].round(3)

# %% tags=["remove-input"]
glue("n_perm7", n_perm, display=False)
tested = pd.concat(tests.values())
tested = tested[tested["p_value"].notna()]
survivors = sorted(set(tested.loc[tested["significant"], "attribute"]))
untestable = sorted(set(tests["si_sdr_improvement"].loc[tests["si_sdr_improvement"]["p_value"].isna(),
                                                        "attribute"]))
if tested.empty:
    verdict = (f"No attribute could be tested: with {n_speakers} held-out speaker(s), no attribute has two "
               f"groups of at least {min_speakers} speakers. The data cannot say whether any attribute "
               "matters; the bars above are descriptions of individuals, not of groups.")
    verdict_short = (f"none could be tested: with {n_speakers} held-out speaker(s), no attribute has two "
                     f"groups of at least {min_speakers} speakers, so the data cannot say whether any of "
                     "them matters.")
elif survivors:
    verb = "is" if len(survivors) == 1 else "are"
    verdict = (f"After Holm's correction, {', '.join(survivors)} {verb} associated with the improvement at "
               "the 5% level (see the effect sizes in the table before reading much into it).")
    verdict_short = (f"after Holm's correction, {', '.join(survivors)} {verb} still associated with the "
                     "improvement at the 5% level.")
else:
    verdict = ("No attribute effect survives Holm's correction at the 5% level: there is no evidence here "
               f"that {', '.join(sorted(set(tested['attribute'])))} changes how much the model helps.")
    verdict_short = "no attribute effect survives Holm's correction at the 5% level."
glue("verdict", verdict, display=False)
glue("verdict_short7", verdict_short[0].upper() + verdict_short[1:], display=False)
glue("untestable", ", ".join(untestable) if untestable else "none", display=False)

# %% [markdown]
# **Verdict.** {glue:text}`verdict` Attributes that could not be tested for lack of speakers:
# {glue:text}`untestable`.
#
# ## What cannot be separated
#
# An attribute test asks whether speakers who differ in one attribute differ in benefit. It cannot say
# *which* attribute is responsible when attributes travel together. The table measures how tangled each
# pair is among all the dataset's speakers, with Cramér's V (0: independent; 1: knowing one tells you the
# other); chapter 1 shows the cross-tabulations. **What to look for**: values near 1.

# %%
assoc = []
for i, a in enumerate(attributes):
    for b in attributes[i + 1:]:
        counts, v = evaluation.association(meta.dropna(subset=[a, b]), a, b)
        assoc.append({"attribute A": a, "attribute B": b, "speakers": int(counts.to_numpy().sum()),
                      "Cramér's V": v})
assoc = pd.DataFrame(assoc, columns=["attribute A", "attribute B", "speakers", "Cramér's V"])
assoc = assoc.sort_values("Cramér's V", ascending=False)
if "recording_date" in meta and "room" in meta:
    dates = (meta.groupby("room")["recording_date"].agg(["min", "max", "size"])
             .rename(columns={"size": "speakers"}))
    display(dates)
assoc.round(2).set_index(["attribute A", "attribute B"])

# %% tags=["remove-input"]
tangled = assoc[assoc["Cramér's V"] >= 0.5]
glue("tangled", "; ".join(f"{a} and {b} (V = {v:.2f})" for a, b, v in
                          zip(tangled["attribute A"], tangled["attribute B"], tangled["Cramér's V"]))
     or "none", display=False)
if "recording_date" in meta and "room" in meta:
    room_note = ("Recording rooms and dates: "
                 + "; ".join(f"{room} from {r['min']:%d %b} to {r['max']:%d %b %Y} "
                             f"({r['speakers']} speakers)" for room, r in dates.iterrows())
                 + ". Where these periods do not overlap, a room effect is also a period effect.")
else:
    room_note = "This dataset's metadata records no rooms or recording dates."
glue("room_note", room_note, display=False)

# %% [markdown]
# Pairs tangled strongly (V ≥ 0.5): {glue:text}`tangled`. For such a pair, a difference between groups of
# one attribute is equally a difference between groups of the other, and separating them would need
# speakers who break the pattern. {glue:text}`room_note`
#
# ## Listen: the speakers who gain most and least
#
# One white-noise clip of the test speaker with the smallest and of the one with the largest mean gain
# (the same speaker twice when there is only one), before and after the chosen method.
#
# **Listen for** whether a gap in mean gain is audible on a single clip: compare how much hiss is left in
# the pauses, and whether the quiet, noise-like consonants (the *s* of "six" and "seven", the *f* of
# "four" and "five") survive or are cleaned away along with the noise. One clip per speaker is an
# illustration, not evidence; the numbers above are the evidence.

# %% tags=["hide-input"]
ranked = per_speaker["si_sdr_improvement"].sort_values("mean")
picks = {"least": ranked["speaker"].iloc[0], "most": ranked["speaker"].iloc[-1]}
model = None
if method.endswith("(best)"):
    from digitdenoise import training

    denoisers, best_name, _ = training.load_chapter5_models(run.artifacts_dir)
    model = denoisers[best_name]
rows = {}
for label, spk in picks.items():
    row = clips[clips["speaker"] == spk].index[0]
    noisy_clip = pairs[row][1]
    sounds = {"clean": pairs[row][0], "noisy": noisy_clip}
    if model is not None:
        window = np.zeros(model.cfg.n_samples, np.float32)
        window[:min(noisy_clip.size, window.size)] = noisy_clip[:window.size]
        sounds[method] = training.denoise_batch(model, window[None])[0][:noisy_clip.size]
    rows[f"{label}: {spk}" + (f" (digit {clips.loc[row, 'digit']})" if "digit" in clips else "")] = sounds
audio.player_grid(rows, sr, title=f"Speakers who gain least and most, {run.snr_db:g} dB white noise",
                  row_header="gain, speaker")

# %% [markdown]
# The players reuse the noisy mixtures of the first figure. When the chosen method is not one of chapter
# 5's saved models (a classical method, say), only the clean and noisy versions can be played here.
#
# ## Summary
#
# * Mixing every clip at {glue:text}`snr7` dB does not give every speaker the same task: their mean
#   segmental SNR spans {glue:text}`seg_spread7` dB.
# * {glue:text}`method7` changed SI-SDR by {glue:text}`kr_sisdr7` over {glue:text}`n_clips7` clips of
#   {glue:text}`n_speakers7` held-out speaker(s). {glue:text}`unit_note7`
# * Digits are said by the same speakers, so they are compared in pairs, not by eye from overlapping
#   intervals. {glue:text}`digit_contrast7`
# * Speaker attributes: {glue:text}`verdict_short7` Groups with fewer than {glue:text}`min_speakers7`
#   speakers are shown in grey and never ranked.
# * Strongly tangled attribute pairs: {glue:text}`tangled`. No test can say which of such a pair matters.
#
# ## Exercises
#
# Each exercise reruns this chapter with the project's runner (chapters 5 and 6 must have run for the same
# dataset and profile) or asks you to edit one cell. Use `--profile smoke` for a quick try.
# A run with `-p` writes the executed chapter to `artifacts/<dataset>-<profile>/exercises/`, never over the
# book's own page (`--out` chooses another folder).
#
# 1. **Another method.** Run
#    `digitdenoise run --chapters 7 --profile default -p method report_cae`. Look at the key-results box:
#    does the student report's autoencoder have the same best and worst digit as the book's model, and
#    does the interval of the gap between them still exclude zero?
# 2. **A method that learned nothing.** Run
#    `digitdenoise run --chapters 7 --profile default -p method "Wiener (decision-directed)"`. A classical
#    filter was never trained on digits. If it shows the same digit ordering as the network, what does
#    that suggest about where the digit pattern comes from: the model, or the digits themselves?
# 3. **Lower the bar.** Run `digitdenoise run --chapters 7 --profile default -p min_speakers 1`. Which
#    attributes move from "untestable" to tested in the test table? On FSDD, with one held-out speaker,
#    none can: every attribute has a single group. What does that tell you about whether the limit is the
#    threshold or the data?
# 4. **Choose the pair first.** In the cell that defines `paired_gap`, change the line
#    `high, low = best_digit, worst_digit` to two digits you choose *before* looking at the digit table
#    (for example `high, low = 1, 7`) and run the chapter again. Compare their paired interval with the
#    best-minus-worst one: why is the gap between two digits picked in advance not biased upwards?
