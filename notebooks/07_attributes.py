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
# * why the *speaker*, not the clip, is the unit when you ask whether a group of people benefits more, and
#   how to answer it on a hundred test speakers: intervals that resample speakers, permutation tests that
#   shuffle speakers, Holm's correction over every test of the chapter, and effect sizes;
# * how to read a test that finds nothing: the smallest difference it could have found (its power);
# * why a test on clips instead of speakers finds "significant" differences that are not there;
# * why two overlapping confidence intervals do not mean "no difference", and how to compare digits that
#   the same speakers said with a *paired* difference instead;
# * why attributes that travel together (age and gender here, accent and country elsewhere) cannot be
#   told apart by any test.
# ```
#
# Averages hide people. The student report ended by comparing average "SNR improvement" across accents,
# ages, genders and origins and concluded that accent and origin "significantly affect" denoising, from
# groups of one to three speakers and without a single statistical test. This chapter asks the same kind
# of question and answers it with the speaker, not the clip, as the unit: clips of one speaker share a
# voice, a microphone, a room and a day, so 50 clips of one person are not 50 independent observations.
#
# A question about groups of people needs many people who were never trained on. FSDD, the book's main
# dataset, has six speakers and chapter 6 holds out one of them; six fold models, each trained without one
# of them, make every FSDD speaker a test speaker, but six voices are too few to test an attribute. The
# main population of this chapter is therefore the **test speakers of speechocean762**
# {cite:p}`zhang2021speechocean762`: children, teenagers and adults of both genders, with their age and
# gender on record, whom no model of this book trained or was tuned on (chapter 4's split). The release
# model (chapter 5) cleans their digit strings and sentences, and the chapter asks whether gender or age
# changes how much it helps. It then takes chapter 6's own results apart by speaker, digit and attribute,
# and ends with two questions every such analysis needs: what could these tests have detected, and why does
# the report's way of testing find differences that are not there?
#
# ```{admonition} Key results of this run
# :class: important
# * **Every speaker a test speaker.** The release model, on {glue:text}`n_spk_p7` speechocean762 test speakers
#   ({glue:text}`n_utt_p7` utterances mixed with {glue:text}`noise_p7` at {glue:text}`snr_p7` dB), improved
#   the sentences' SI-SDR by {glue:text}`kr_sisdr_p7`, PESQ by {glue:text}`kr_pesq_p7` and ESTOI by
#   {glue:text}`kr_estoi_p7`.
# * **Gender and age.** {glue:text}`verdict_p7`
# * **Every FSDD speaker.** Leave-one-speaker-out fold models (a short recipe, recorded) gain most on
#   {glue:text}`fold_best` and least on {glue:text}`fold_worst`.
# * **Power.** {glue:text}`power_kr_p7`
# * **Clips are not speakers.** {glue:text}`mistake_kr_p7`
# * **Chapter 6's clips.** {glue:text}`method7` changed SI-SDR by {glue:text}`kr_sisdr7` and PESQ by
#   {glue:text}`kr_pesq7`, over {glue:text}`n_clips7` test clips of {glue:text}`n_speakers7` held-out
#   speaker(s) of {glue:text}`dataset7`. {glue:text}`digit_contrast7`
# * **Chapter 6's speaker attributes.** {glue:text}`verdict_short7`
# ```

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
snr_db = -8.0  # the nominal SNR of chapter 6's noisy set (dB); chapter 6 must have been run at the same SNR
method = "mask_unet (best)"  # the method of chapter 6 whose per-clip results are taken apart
min_speakers = 3  # groups with fewer speakers are flagged and never ranked or tested
n_perm = 5000  # permutations per test (the smoke profile uses fewer)
population_snr_db = 0.0  # SNR of the speechocean762 population's mixtures (dB, over each whole utterance)
population_noise = "hu-test"  # hu-test (the 20 Hu test noises), white or pink
utterances_per_speaker = None  # at most this many digit strings and sentences per speaker; None: 3 (smoke: 2)
population_speakers = None  # None: every test speaker (smoke profile: 8)
power_sims = 400  # simulated data sets per power estimate (the smoke profile uses fewer)

# %% tags=["remove-cell"]
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display
from myst_nb import glue

from digitdenoise import (audio, config, data, errors, evaluation, inference, metrics, noise, plots, speakers,
                          training)
from digitdenoise.datasets import speechocean762

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
sr = data.spec(run.dataset).working_rate
n_perm = min(n_perm, 10 * run["n_boot"])
n_boot = run["n_boot"]
smoke = run.profile == "smoke"
utts_per_speaker = utterances_per_speaker if utterances_per_speaker is not None else (2 if smoke else 3)
max_speakers = population_speakers if population_speakers is not None else (8 if smoke else None)
n_sims = min(power_sims, 60) if smoke else power_sims
METRICS = {"si_sdr_improvement": "SI-SDR improvement (dB)", "pesq_improvement": "PESQ improvement",
           "estoi_improvement": "ESTOI improvement"}
KIND_NAMES = {"digits": "digit strings", "sentence": "sentences"}


def fmt_interval(mean, low, high, over="", unit="", digits=1):
    """'+7.4 dB (95% interval +6.9 to +7.9 dB, resampling speakers)', or a note where there is none."""
    text = f"{mean + 0.0 if round(mean, digits) else 0.0:+.{digits}f}{unit}"  # no "-0.0"
    if np.isfinite(low) and np.isfinite(high):
        over = f", {over}" if over else ""
        return text + f" (95% interval {low:+.{digits}f} to {high:+.{digits}f}{unit}{over})"
    return text + " (too few values for an interval)"


def derive_attributes(meta):
    """The chapter's speaker attributes from a metadata table (AudioMNIST: age bins, native speaker)."""
    meta = meta.copy()
    if "age" in meta:
        meta["age group"] = (pd.cut(meta["age"].astype("float"), [0, 24.5, 29.5, 200],
                                    labels=["under 25", "25 to 29", "30 and over"])
                             .astype(str).replace("nan", np.nan))
    if "native_speaker" in meta:
        meta["native speaker"] = meta["native_speaker"].map({True: "yes", False: "no"})
    names = [a for a in ["accent", "age group", "gender", "native speaker", "country", "continent", "room"]
             if a in meta.columns]
    return meta, names


def p_text(p, n):
    """'p = 0.012' or 'p < 0.001' for a permutation p-value from n shuffles."""
    return f"p = {p:.3f}" if p >= 0.001 else f"p < 0.001 ({n} shuffles)"


# %% [markdown]
# ## Every speaker a test speaker: speechocean762
#
# ### Who the test speakers are
#
# speechocean762 is English read aloud by Mandarin speakers, recorded on their own devices in ordinary
# rooms. The book uses a documented subset of it (chapter 4): every utterance that is only digits ("ZERO
# THREE FIVE ONE") and a few seconds of other sentences per speaker. Its *test* speakers are the corpus's
# own test split; none of them is in the release model's training or validation data. Each has a gender
# and an age on record.
#
# **Age groups.** Ages are binned as children (6 to 12), teenagers (13 to 19) and adults (20 and over),
# the bins of `speechocean762.age_group`. They follow how a voice grows rather than equal widths: before
# puberty the vocal tract is short and the fundamental frequency high, so a child's harmonics lie far
# apart and its formants high; through the teens the voice changes, abruptly for boys; from about twenty it
# is stable {cite:p}`lee1999children`. A mask that learned where speech energy sits in adult voices may
# treat a child's sparser, higher harmonics differently. The bins also suit this corpus: its test speakers'
# ages cluster in childhood and young adulthood, as the figure shows, so two of the three groups are large.
#
# **What to look for** in the figure: how many speakers each bin holds, and whether the genders are spread
# evenly over the ages. If they are not, a difference by age is partly a difference by gender.

# %% tags=["hide-input"]
utterances = speechocean762.load_utterances(run.data_home, splits=("test",), audio=False)  # metadata only
population = speakers.select_population(utterances, per_speaker=utts_per_speaker, max_speakers=max_speakers,
                                        seed=run.seed)
who = population.groupby("speaker").agg(gender=("gender", "first"), age=("age", "first"),
                                        **{"age group": ("age group", "first")})
age_order = [label for label, _, _ in speechocean762.AGE_GROUPS if label in set(who["age group"])]
sizes = pd.crosstab(who["age group"], who["gender"], margins=True, margins_name="all").reindex(age_order + ["all"])
sizes.rename_axis(index="age group", columns="speakers")

# %% mystnb={"figure": {"caption": "Ages of the speechocean762 test speakers in this run, by gender; dashed lines are the age-group boundaries (children 6-12, teenagers 13-19, adults 20+).", "name": "fig-population-ages"}} tags=["hide-input"]
fig, ax = plt.subplots(figsize=(9, 3.2))
bins = np.arange(who["age"].min() - 0.5, who["age"].max() + 1.5)
sns.histplot(data=who.assign(age=who["age"].astype(float)), x="age", hue="gender", bins=bins, multiple="stack",
             ax=ax)
for edge in (12.5, 19.5):
    ax.axvline(edge, ls="--", color="black", lw=1)
ax.set(title="Test speakers by age and gender", xlabel="Age (years)", ylabel="Speakers")
plt.show()

# %% tags=["remove-cell"]
gender_v = evaluation.association(who, "age group", "gender")[1]
glue("n_spk_p7", len(who), display=False)
glue("n_test_spk_p7", utterances["speaker"].nunique(), display=False)
glue("gender_counts_p7", ", ".join(f"{n} {g}" for g, n in who["gender"].value_counts().sort_index().items()),
     display=False)
glue("age_counts_p7", ", ".join(f"{n} {g}" for g, n in who["age group"].value_counts().reindex(age_order).items()),
     display=False)
glue("age_range_p7", f"{int(who['age'].min())} to {int(who['age'].max())}", display=False)
glue("age_median_p7", f"{float(who['age'].median()):g}", display=False)
glue("age_gender_v_p7", f"{gender_v:.2f}" if np.isfinite(gender_v) else "undefined", display=False)
glue("subset_note_p7", "" if len(who) == utterances["speaker"].nunique() else
     f" (a seeded subset of the {utterances['speaker'].nunique()} test speakers, taken in turn from each gender "
     "and from readers and non-readers of digit strings)", display=False)

# %% [markdown]
# This run uses {glue:text}`n_spk_p7` test speakers{glue:text}`subset_note_p7`: {glue:text}`gender_counts_p7`;
# by age, {glue:text}`age_counts_p7`. Their ages run from {glue:text}`age_range_p7` years (median
# {glue:text}`age_median_p7`). Age group and gender are not independent among them (Cramér's V
# {glue:text}`age_gender_v_p7`; 0 would be independent): the table shows which cells are thin, and the
# tests below are read with that in mind.
#
# ### The mixtures
#
# Each utterance is mixed with **one** noise excerpt at a fixed SNR over the whole utterance, and that
# mixture is what every method hears. The excerpt (which noise file, and where in it) is drawn from the
# seed and the utterance's own id, so it does not change when a run includes more or fewer speakers.
#
# * **Noise the model never trained on.** By default the 20 *test* files of G. Hu's non-speech noises
#   {cite:p}`hu2004nonspeech` (chapter 4's split by file), everyday sounds of many kinds that the corpus
#   ships without labels; chapter 4 plays some of them. Only these files are fetched.
# * **0 dB by default** (parameter `population_snr_db`). At 0 dB the noise is as loud as the speech:
#   plainly audible and common in everyday recordings, yet not so loud that the noisy input's PESQ sits at
#   the bottom of its scale, where every improvement would be squeezed together and differences between
#   speakers would vanish; and not so quiet that little is left to remove, where the recordings' own room
#   noise would decide the score. It is also the SNR of chapter 6's generalisation bars for these speakers
#   and noises, so the numbers here can be checked against that benchmark.
# * **Sentences are cut to four seconds**, as in chapter 6's benchmark; digit strings are kept whole. At
#   most {glue:text}`per_speaker_p7` digit strings and {glue:text}`per_speaker_p7` sentences per speaker
#   (parameter `utterances_per_speaker`), drawn with the seed. More utterances sharpen each speaker's mean
#   but cost time; the power section works out what they would buy.
#
# The cell below reads the utterances at the model's 8 kHz, builds the mixtures, runs the release model as
# the `denoise` command runs it (with chapter 6's do-no-harm guard, which changes nothing on speech this
# noisy) and scores every utterance with the generalisation benchmark's code: SI-SDR, PESQ (narrow-band)
# and ESTOI of the noisy input and of the output, and their differences, the improvements. Scores are
# cached under `$DIGITDENOISE_CACHE`, keyed by the exact mixtures and the model's weights.

# %% tags=["hide-input"]
release, _ = training.load_denoiser(inference.default_model_dir())
pop_sr = release.cfg.sample_rate
started = time.perf_counter()
signals = speechocean762.read(population, pop_sr, run.data_home)  # fetches only these utterances if missing
noises = speakers.population_noises(population_noise, pop_sr, run.data_home, seed=run.seed)
mixtures = speakers.population_mixtures(population, signals, noises, snr_db=population_snr_db, sr=pop_sr,
                                        seed=run.seed)
per_utt = speakers.score_population(release, mixtures, guard_db=inference.GUARD_DB)  # as `denoise` runs it
pop_seconds = time.perf_counter() - started
print(f"{len(per_utt)} utterances of {per_utt['speaker'].nunique()} speakers, "
      f"{sum(c.size for c in mixtures.clean) / pop_sr / 60:.1f} min of audio, in {pop_seconds:.0f} s")
per_utt[["speaker", "kind", "gender", "age group", "noise", "si_sdr_in", "si_sdr_improvement", "pesq_improvement",
         "estoi_improvement"]].head()

# %% tags=["remove-cell"]
kinds_here = [k for k in ("sentence", "digits") if k in set(per_utt["kind"])]
glue("per_speaker_p7", utts_per_speaker, display=False)
glue("n_utt_p7", len(per_utt), display=False)
glue("snr_p7", f"{population_snr_db:g}", display=False)
glue("noise_p7", {"hu-test": f"the {len(noises)} Hu test noises"}.get(population_noise, f"{population_noise} noise"),
     display=False)
glue("pop_minutes_p7", f"{sum(c.size for c in mixtures.clean) / pop_sr / 60:.1f}", display=False)
kind_counts = per_utt.groupby("kind").agg(utterances=("speaker", "size"), speakers=("speaker", "nunique"))
glue("kind_counts_p7", "; ".join(f"{KIND_NAMES[k]}: {r['utterances']} from {r['speakers']} speakers"
                                 for k, r in kind_counts.iterrows()), display=False)
n_missing = {m: int(per_utt[f"{m}_improvement"].isna().sum()) for m in ("pesq", "estoi")}
glue("missing_p7", "PESQ and ESTOI scored every utterance." if not any(n_missing.values()) else
     f"PESQ could not score {n_missing['pesq']} utterances and ESTOI {n_missing['estoi']}; they are counted here "
     "and left out of those metrics' means.", display=False)

# %% [markdown]
# {glue:text}`n_utt_p7` utterances, {glue:text}`pop_minutes_p7` minutes of audio in all
# ({glue:text}`kind_counts_p7`). Only some test speakers read digit strings, so the digit strings come from
# fewer speakers than the sentences. {glue:text}`missing_p7`
#
# ### How much does each speaker gain?
#
# Every number below is a mean of *speaker* means, with a 95% interval that resamples speakers, so each
# speaker counts once however many utterances they read. Digit strings and sentences are kept apart: they
# differ in length, vocabulary and in who read them.

# %% tags=["hide-input"]
overall_rows = []
for kind in kinds_here:
    part = per_utt[per_utt["kind"] == kind]
    for metric, label in METRICS.items():
        r = evaluation.speaker_bootstrap_ci(part.dropna(subset=[metric]), metric, n_boot=n_boot, seed=run.seed)
        worse = (part.groupby("speaker")[metric].mean() < 0).mean()
        overall_rows.append({"utterances": KIND_NAMES[kind], "metric": label, "speakers": r["speakers"],
                             "clips": r["clips"], "mean": r["mean"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                             "speakers made worse (%)": 100 * worse})
overall_pop = pd.DataFrame(overall_rows).set_index(["utterances", "metric"])
overall_pop.round(2)

# %% tags=["remove-cell"]
def overall_text(kind, metric, digits):
    r = overall_pop.loc[(KIND_NAMES[kind], METRICS[metric])]
    return fmt_interval(r["mean"], r["ci_low"], r["ci_high"], unit=" dB" if metric == "si_sdr_improvement" else "",
                        digits=digits)


main_kind = "sentence" if "sentence" in kinds_here else kinds_here[0]
glue("kr_sisdr_p7", overall_text(main_kind, "si_sdr_improvement", 1), display=False)
glue("kr_pesq_p7", overall_text(main_kind, "pesq_improvement", 2), display=False)
glue("kr_estoi_p7", overall_text(main_kind, "estoi_improvement", 3), display=False)
worse_total = int((per_utt.groupby(["kind", "speaker"])["si_sdr_improvement"].mean() < 0).sum())
glue("worse_p7", "No speaker's mean SI-SDR got worse" if worse_total == 0 else
     f"{worse_total} (speaker, kind) means of SI-SDR are below zero: the model made those speakers worse",
     display=False)

# %% [markdown]
# On the sentences the release model improves SI-SDR by {glue:text}`kr_sisdr_p7`, PESQ by
# {glue:text}`kr_pesq_p7` and ESTOI by {glue:text}`kr_estoi_p7`. {glue:text}`worse_p7`.
#
# The next figure shows every speaker as one point: the speaker's mean improvement against their age, for
# each metric, sentences as dots and digit strings as crosses. **What to look for**: how wide the cloud is
# at every age (that spread between speakers is what any group difference has to stand out from), and
# whether the children, left of the first dashed line, sit lower or higher than the adults.

# %% mystnb={"figure": {"caption": "Mean improvement per speechocean762 test speaker against the speaker's age: SI-SDR, PESQ and ESTOI, sentences (dots) and digit strings (crosses), colour by gender; dashed lines are the age-group boundaries.", "name": "fig-population-speakers"}} tags=["hide-input"]
spk_means = (per_utt.groupby(["kind", "speaker"])
             .agg(age=("age", "first"), gender=("gender", "first"), **{m: (m, "mean") for m in METRICS})
             .reset_index())
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharex=True)
for ax, (metric, label) in zip(axes, METRICS.items()):
    for kind, marker in (("sentence", "o"), ("digits", "x")):
        sub = spk_means[spk_means["kind"] == kind]
        for j, gender in enumerate(sorted(spk_means["gender"].unique())):
            g = sub[sub["gender"] == gender]
            ax.scatter(g["age"].astype(float), g[metric], marker=marker, color=f"C{j}", s=22, alpha=0.75,
                       label=f"{gender}, {KIND_NAMES[kind]}")
    for edge in (12.5, 19.5):
        ax.axvline(edge, ls="--", color="black", lw=1)
    ax.axhline(0, color="black", lw=0.8)
    ax.set(title=label.replace(" (dB)", ""), xlabel="Age (years)", ylabel=label)
axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
fig.suptitle("Who benefits: one point per test speaker")
fig.tight_layout()
plt.show()

# %% tags=["remove-cell"]
sent_means = spk_means[spk_means["kind"] == main_kind].set_index("speaker")
glue("spk_low_p7", f"{sent_means['si_sdr_improvement'].min():+.1f}", display=False)
glue("spk_high_p7", f"{sent_means['si_sdr_improvement'].max():+.1f}", display=False)
glue("spk_sd_p7", f"{sent_means['si_sdr_improvement'].std():.1f}", display=False)

# %% [markdown]
# Speakers' mean SI-SDR improvement on the sentences runs from {glue:text}`spk_low_p7` to
# {glue:text}`spk_high_p7` dB, a standard deviation of {glue:text}`spk_sd_p7` dB between speakers. That
# spread is the background against which gender and age are judged.
#
# ### By gender and by age group
#
# Each bar is the mean of the speaker means in one group, with an interval that resamples that group's
# speakers; the label gives the number of speakers (spk) and utterances. Columns: the two attributes, for
# sentences and for digit strings; rows: the three metrics. Grey bars have fewer than the chapter's minimum
# number of speakers and are not tested. **What to look for**: the size of the gaps between bars *relative
# to the whiskers*, and the speaker counts; the tests below turn this impression into a number.

# %% mystnb={"figure": {"caption": "Improvement by gender and by age group for the speechocean762 test speakers, sentences and digit strings separately: mean of speaker means with a 95% interval resampling speakers; grey bars are groups below the minimum number of speakers.", "name": "fig-population-groups"}} tags=["hide-input"]
panels = [(kind, attribute) for kind in kinds_here for attribute in speakers.ATTRIBUTES]
group_tables = {}
fig, axes = plt.subplots(len(METRICS), len(panels), figsize=(3.6 * len(panels), 2.3 * len(METRICS) + 0.8),
                         squeeze=False)
for i, (metric, label) in enumerate(METRICS.items()):
    for j, (kind, attribute) in enumerate(panels):
        part = per_utt[per_utt["kind"] == kind]
        summary = evaluation.speaker_group_summary(part, attribute, metric, min_speakers=min_speakers,
                                                   n_boot=n_boot, seed=run.seed)
        group_tables[(kind, attribute, metric)] = summary
        summary["label"] = [f"{v} ({s} spk, {c} utt)"
                            for v, s, c in zip(summary[attribute], summary["speakers"], summary["clips"])]
        plots.interval_bars(axes[i, j], summary, "label", title=f"{KIND_NAMES[kind]}: {attribute}" if i == 0 else "",
                            xlabel=label)
fig.suptitle(f"Release model, {population_snr_db:g} dB: improvement by gender and age group")
fig.tight_layout()
plt.show()

# %% [markdown]
# **The tests.** For every attribute, metric and kind of utterance, a speaker-level permutation test
# (`evaluation.attribute_tests`, the test this chapter also applies to chapter 6's clips): each speaker contributes
# one number, their mean improvement, and the attribute's labels are shuffled across speakers
# {glue:text}`n_perm7` times. The statistic is eta squared, the share of the between-speaker variance that
# the groups explain; `range` is the gap between the highest and lowest group mean in the metric's own
# units. Holm's method {cite:p}`holm1979` corrects the p-values for the whole family of
# {glue:text}`n_family_p7` tests at once, so running many tests does not manufacture a discovery.
#
# **What to look for**: `p_holm` first, then `range` next to it; and the `groups` column, which shows that
# the gender test rests on dozens of speakers per group while the digit-string tests rest on few.

# %% tags=["hide-input"]
pop_tests = speakers.population_tests(per_utt, speakers.ATTRIBUTES, list(METRICS), min_speakers=min_speakers,
                                      n_perm=n_perm, seed=run.seed)
shown = pop_tests.assign(kind=pop_tests["kind"].map(KIND_NAMES), metric=pop_tests["metric"].map(METRICS))
shown.set_index(["kind", "metric", "attribute"])[["groups", "speakers", "eta_squared", "range", "p_value", "p_holm",
                                                  "significant", "note"]].round(3)

# %% tags=["remove-cell"]
glue("n_perm7", n_perm, display=False)
testable_pop = pop_tests[pop_tests["p_value"].notna()]
glue("n_family_p7", len(testable_pop), display=False)


def smallest_group(groups):
    return min(int(part.rsplit(" ", 1)[1]) for part in groups.split(", "))


if testable_pop.empty:
    glue("bar_p7", "No attribute could be tested in this run: no attribute has two groups of at least "
         f"{min_speakers} speakers.", display=False)
    biggest = None
else:
    biggest = testable_pop.assign(smallest=testable_pop["groups"].map(smallest_group)).sort_values(
        ["smallest", "speakers"], ascending=False).iloc[0]
    glue("bar_p7", f"The best-supported test, {biggest['attribute']} on the {KIND_NAMES[biggest['kind']]}, "
         f"compares {biggest['speakers']} speakers ({biggest['groups']}).", display=False)
hits = testable_pop[testable_pop["significant"]]
if testable_pop.empty:
    verdict_pop = "No attribute could be tested on this run's speakers."
elif hits.empty:
    low_p = testable_pop.sort_values("p_value").iloc[0]
    verdict_pop = (f"No difference by gender or age group survives Holm's correction over {len(testable_pop)} "
                   f"tests at the 5% level. The smallest p-value before correction, {low_p['attribute']} on the "
                   f"{KIND_NAMES[low_p['kind']]} in {METRICS[low_p['metric']].replace(' improvement', '')} "
                   f"(range {low_p['range']:.2f}, {p_text(low_p['p_value'], n_perm)}), becomes "
                   f"{low_p['p_holm']:.3f} after it.")
else:
    verdict_pop = ("After Holm's correction over " + f"{len(testable_pop)} tests, these differences remain at the 5% "
                   "level: " + "; ".join(f"{a} on the {KIND_NAMES[k]} ({METRICS[m].replace(' improvement', '')}, "
                                         f"range {r:.2f}, p_holm = {p:.3f})"
                                         for a, k, m, r, p in zip(hits["attribute"], hits["kind"], hits["metric"],
                                                                  hits["range"], hits["p_holm"])) + ".")
glue("verdict_p7", verdict_pop, display=False)
one_group = pop_tests[pop_tests["p_value"].isna() & (pop_tests["metric"] == "si_sdr_improvement")]
glue("untestable_p7", " ".join(
    f"{a.capitalize()} cannot be tested on the {KIND_NAMES[k]}: their readers in this run fall into "
    f"{'one group' if ', ' not in g else 'groups too small to test'} ({g})."
    for a, k, g in zip(one_group["attribute"], one_group["kind"], one_group["groups"])), display=False)

# %% [markdown]
# {glue:text}`bar_p7` {glue:text}`verdict_p7` {glue:text}`untestable_p7`
#
# **Effect sizes.** A p-value says whether a difference is distinguishable from chance, not how big it is.
# For gender, the table gives the difference female minus male in each metric, with a 95% interval that
# resamples speakers within each gender, and Cohen's d, the difference in units of the spread of speaker
# means (0.2 is conventionally small, 0.5 medium, 0.8 large).

# %% tags=["hide-input"]
effect_rows = []
for kind in kinds_here:
    part = per_utt[per_utt["kind"] == kind]
    for metric, label in METRICS.items():
        try:
            d = speakers.group_difference(part, metric, "gender", "female", "male", n_boot=n_boot, seed=run.seed)
        except errors.ParameterError as exc:
            effect_rows.append({"utterances": KIND_NAMES[kind], "metric": label, "note": str(exc)})
            continue
        effect_rows.append({"utterances": KIND_NAMES[kind], "metric": label, **d, "note": ""})
effects = pd.DataFrame(effect_rows).set_index(["utterances", "metric"])
effects.round(3)

# %% tags=["remove-cell"]
key = (KIND_NAMES[main_kind], METRICS["si_sdr_improvement"])
if key in effects.index and np.isfinite(effects.loc[key].get("difference", np.nan)):
    e = effects.loc[key]
    glue("gender_effect_p7", f"On the {KIND_NAMES[main_kind]}, the mean SI-SDR improvement of female minus male "
         f"speakers is {e['difference']:+.2f} dB (95% interval {e['ci_low']:+.2f} to {e['ci_high']:+.2f} dB; "
         f"Cohen's d {e['cohen_d']:+.2f}).", display=False)
else:
    glue("gender_effect_p7", "This run has too few speakers per gender for an effect size.", display=False)
tested_gender = pop_tests[pop_tests["attribute"] == "gender"].assign(
    utterances=lambda t: t["kind"].map(KIND_NAMES), label=lambda t: t["metric"].map(METRICS))
excluding = [(u, l, p) for u, l, p, sig in zip(tested_gender["utterances"], tested_gender["label"],
                                               tested_gender["p_holm"], tested_gender["significant"])
             if (u, l) in effects.index and np.isfinite(effects.loc[(u, l)].get("ci_low", np.nan))
             and (effects.loc[(u, l), "ci_low"] > 0 or effects.loc[(u, l), "ci_high"] < 0) and not sig]
glue("ci_vs_holm_p7", "" if not excluding else
     "The interval of " + " and of ".join(f"{l.replace(' improvement', '')} on the {u}" for u, l, _ in excluding)
     + " excludes zero although Holm's correction does not keep the test (p_holm "
     + ", ".join(f"{p:.3f}" for _, _, p in excluding) + "): an interval is a statement about one comparison, "
     "like an uncorrected p-value, and this table holds several. Read it as a lead for a new experiment, not "
     "as a finding.", display=False)

# %% [markdown]
# {glue:text}`gender_effect_p7` An interval that includes zero but is narrow rules out large differences,
# which is a finding in its own right; a wide one says only that the data cannot tell.
# {glue:text}`ci_vs_holm_p7`
#
# **Tangled attributes.** Age group and gender are associated among these speakers (Cramér's V
# {glue:text}`age_gender_v_p7`, see the table of group sizes). A difference between age groups is then
# partly a difference between genders and the other way round; the speaker counts per cell in that table
# show how little room there is to separate them.
#
# ### Listen: the test speakers who gain least and most
#
# One sentence of the speaker with the smallest and of the one with the largest mean SI-SDR improvement:
# the utterance as recorded, the mixture and the release model's output, all at one gain. **Listen for**
# what differs between the two: is the hard case a quiet or distant voice, a noise that resembles speech,
# or a recording that already had noise of its own? One utterance per speaker is an illustration, not
# evidence.

# %% tags=["hide-input"]
ranked_pop = sent_means["si_sdr_improvement"].sort_values()
pop_rows = {}
for label, spk in (("least", ranked_pop.index[0]), ("most", ranked_pop.index[-1])):
    i = int(np.flatnonzero(((mixtures.table["speaker"] == spk) & (mixtures.table["kind"] == main_kind)).to_numpy())[0])
    row = mixtures.table.iloc[i]
    out = training.denoise_signals(release, [mixtures.noisy[i]])[0]
    pop_rows[f"{label}: speaker {spk} ({row['gender']}, {row['age']}), {row['noise']}"] = {
        "recorded": mixtures.clean[i], f"noisy ({population_snr_db:g} dB)": mixtures.noisy[i], "release model": out}
audio.player_grid(pop_rows, pop_sr, title="speechocean762 test speakers who gain least and most",
                  row_header="gain: speaker (gender, age), noise")

# %% [markdown]
# ## Every FSDD speaker a test speaker: leave one speaker out (recorded)
#
# FSDD's release split holds out one speaker, so everything above about FSDD rests on one voice. To make
# every one of FSDD's six speakers a test speaker, `make folds` trains six models, one per speaker, each
# on four of the other five voices and validated on the fifth (the next name in alphabetical order); no
# model hears its test speaker. One recipe serves every fold: the FSDD recipe of chapter 5 from random
# weights for {glue:text}`fold_epochs` epochs of {glue:text}`fold_clips` pairs, about
# {glue:text}`fold_minutes` minutes each on the machine of the recorded run (`bench/results/folds.json`). That is far less training than the release
# model had, so the fold models are weaker and not converged (each one's validation score still rose by
# {glue:text}`fold_still` in its last epoch); what they allow is a comparison *between voices* under one
# recipe. Each fold's model is then scored on {glue:text}`fold_clips_per_speaker` clips of its own test
# speaker (the same number of every digit) mixed at {glue:text}`fold_snr` dB with each of chapter 6's
# noise types, and the oracle IRM on the same mixtures says how much there was to gain. These are
# **recorded** figures (`bench/results/folds.json`).

# %% tags=["remove-cell"]
from digitdenoise import folds as fold_lib

fold_summary, fold_speakers, fold_noise = fold_lib.load_recorded()
glue("fold_epochs", fold_summary["recipe"]["epochs"], display=False)
glue("fold_clips", f"{fold_summary['recipe']['clips_per_epoch']:,}", display=False)
glue("fold_minutes", f"{np.mean([f['train_seconds'] for f in fold_summary['folds']]) / 60:.0f}", display=False)
glue("fold_clips_per_speaker", int(fold_speakers["clips"].min()), display=False)
glue("fold_snr", f"{fold_summary['snr_db']:g}", display=False)
validation_of = {f["test"]: f["validation"] for f in fold_summary["folds"]}
epochs_of = {f["test"]: f["epochs"] for f in fold_summary["folds"]}
fold_table = pd.DataFrame({
    "validation": [validation_of[s] for s in fold_speakers.index],
    "epochs": [epochs_of[s] for s in fold_speakers.index],
    "SI-SDR improvement (dB)": fold_speakers["si_sdri"],
    "95% CI": [f"{lo:+.1f} to {hi:+.1f}" for lo, hi in zip(fold_speakers["si_sdri_lo"], fold_speakers["si_sdri_hi"])],
    "oracle IRM (dB)": fold_speakers["irm_si_sdri"], "share of the IRM": fold_speakers["share_of_irm"],
    "PESQ improvement": fold_speakers["pesqi"], "ESTOI improvement": fold_speakers["estoii"],
}, index=fold_speakers.index.rename("test speaker"))
best_fold, worst_fold = fold_table["SI-SDR improvement (dB)"].idxmax(), fold_table["SI-SDR improvement (dB)"].idxmin()
glue("fold_best", f"{best_fold} ({fold_table.loc[best_fold, 'SI-SDR improvement (dB)']:+.1f} dB)", display=False)
glue("fold_worst", f"{worst_fold} ({fold_table.loc[worst_fold, 'SI-SDR improvement (dB)']:+.1f} dB)", display=False)
share = fold_table["share of the IRM"]
glue("fold_share_range", f"{100 * share.min():.0f}% ({share.idxmin()}) to {100 * share.max():.0f}% ({share.idxmax()})",
     display=False)
glue("fold_irm_range", f"{fold_table['oracle IRM (dB)'].min():.1f} to {fold_table['oracle IRM (dB)'].max():.1f} dB",
     display=False)
glue("fold_speakers", ", ".join(fold_table.index), display=False)
last_gains = [f["last_fifth_gain_db"] for f in fold_summary["folds"]]
glue("fold_still", f"{min(last_gains):.1f} to {max(last_gains):.1f} dB", display=False)

# %% tags=["hide-input"]
fold_table.round(2)

# %% [markdown]
# Every FSDD speaker, {glue:text}`fold_speakers`, is a test speaker here. The fold models gain most on
# {glue:text}`fold_best` and least on {glue:text}`fold_worst`; the intervals resample that speaker's clips
# (averaged over the noise types), so they say how well each speaker's mean is known, not how much
# speakers in general vary. The oracle column, {glue:text}`fold_irm_range`, shows that the voices are not
# equally easy to begin with, which is why the share of the oracle's gain is the fairer comparison:
# {glue:text}`fold_share_range`.
#
# {numref}`fig-folds` breaks each speaker's gain down by noise type. What to look for: whether one
# speaker is low under every noise (something about the voice or the recording) or only under one (an
# interaction with that noise).

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Recorded leave-one-speaker-out folds: each FSDD speaker's mean SI-SDR improvement from the fold model that never heard that speaker, per noise type, with the oracle IRM's on the same mixtures for scale.", "name": "fig-folds"}}
fold_grid = fold_noise[fold_noise["method"] == "fold model"].pivot(index="speaker", columns="noise", values="si_sdri")
irm_grid = fold_noise[fold_noise["method"] == "oracle IRM"].pivot(index="speaker", columns="noise", values="si_sdri")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained", sharey=True)
vmax = float(np.nanmax(irm_grid.to_numpy()))
for ax, grid, title in ((axes[0], fold_grid, "fold model"), (axes[1], irm_grid, "oracle IRM")):
    sns.heatmap(grid, annot=True, fmt=".1f", cmap="viridis", vmin=0, vmax=vmax, ax=ax, cbar=ax is axes[1],
                cbar_kws={"label": "SI-SDR improvement (dB)"})
    ax.set(title=title, xlabel="noise", ylabel="test speaker")
plt.show()

# %% tags=["remove-cell"]
by_noise = fold_grid.mean(axis=0)
glue("fold_hard_noise", f"{by_noise.idxmin()} ({by_noise.min():+.1f} dB on average)", display=False)
glue("fold_easy_noise", f"{by_noise.idxmax()} ({by_noise.max():+.1f} dB)", display=False)
spread = fold_grid.max(axis=0) - fold_grid.min(axis=0)
fsdd_meta = data.load_speaker_metadata("fsdd", run.data_home)
glue("fold_who", f"{len(fsdd_meta)} speakers ({', '.join(f'{n} {g}' for g, n in fsdd_meta['gender'].value_counts().items())}; "
     f"{fsdd_meta['accent'].nunique()} accents, at most {fsdd_meta['accent'].value_counts().max()} speakers each)",
     display=False)
glue("fold_spread_noise", f"{spread.idxmax()} ({spread.max():.1f} dB between the best and worst speaker)",
     display=False)

# %% [markdown]
# Across speakers the hardest noise is {glue:text}`fold_hard_noise` and the easiest
# {glue:text}`fold_easy_noise`; the speakers differ most under {glue:text}`fold_spread_noise`. Two cautions
# before reading a speaker's row as a fact about the voice: each speaker has *its own* model (the fold
# trained without it), so a speaker effect and a model effect cannot be told apart here; and
# {glue:text}`fold_who` support no test of an attribute such as gender, accent or age. That is what the
# speechocean762 population above is for.

# %% [markdown]
# ## Chapter 6's test clips: by speaker, digit and attribute
#
# Chapter 6 compared every method on the held-out speaker(s) of {glue:text}`dataset7` and saved one row per
# clip, noise and method. This part takes that table apart with the same tools. On FSDD, chapter 4's split
# holds out a single speaker for the release model, so everything here describes one voice (per digit, per
# clip), and no speaker attribute can be tested: that is why the speechocean762 population and the folds
# above carry the chapter's questions about people. On
# AudioMNIST (60 speakers with accent, age, gender, native language, origin and recording room) the same
# cells test every attribute over the held-out speakers.
#
# ### Same nominal SNR, different speakers
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
# ### The results under analysis
#
# Chapter 6 saved one row per (clip, noise type, method). Here each test clip gets one number per metric:
# the improvement the chosen method brings, averaged over the four main noise types at the chapter's SNR
# (so a clip's value does not depend on which noise it happened to meet). An improvement is already a
# paired quantity: the enhanced clip's score minus the noisy clip's score, for the same clip and the same
# noise waveform. Speaker attributes come from the dataset's metadata (chapter 1).

# %% tags=["hide-input"]
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
meta, attributes = derive_attributes(data.load_speaker_metadata(run.dataset, run.data_home))
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
glue("dataset7", run.dataset, display=False)
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
# ### Per speaker and per digit
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
# ### Comparing digits: a paired question
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
# ### By speaker attribute
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
# ### The report's two heatmaps, with counts
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
# ### Does any attribute matter? Tests at the speaker level
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
# ### What cannot be separated
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
# ### Listen: the speakers who gain most and least
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

    denoisers, best_name, _ = training.load_chapter5_models(run.artifacts_dir, seeds=())
    model = denoisers[best_name]
rows = {}
for label, spk in picks.items():
    row = clips[clips["speaker"] == spk].index[0]
    noisy_clip = pairs[row][1]
    sounds = {"clean": pairs[row][0], "noisy": noisy_clip}
    if model is not None:  # the denoise command's path: the clip at its own length, mirrored, not zero-padded
        sounds[method] = training.denoise_signals(model, [noisy_clip])[0]
    rows[f"{label}: {spk}" + (f" (digit {clips.loc[row, 'digit']})" if "digit" in clips else "")] = sounds
audio.player_grid(rows, sr, title=f"Speakers who gain least and most, {run.snr_db:g} dB white noise",
                  row_header="gain, speaker")

# %% [markdown]
# The players reuse the noisy mixtures of the first figure. When the chosen method is not one of chapter
# 5's saved models (a classical method, say), only the clean and noisy versions can be played here.

# %% [markdown]
# ## Power: what could these tests have found?
#
# "No significant difference" is not "no difference". A test on few speakers, or on speakers who differ a
# lot among themselves, misses real differences. Before reading a null result as "gender does not matter",
# ask how large a difference the test could have found. The *power* of a test is the probability that it
# rejects when a difference of a given size is real; the **minimum detectable difference** is the smallest
# difference it finds with 80% power at the 5% level.
#
# `speakers.minimum_detectable_difference` finds it by simulation, with the test itself. It draws one mean
# per speaker around the speaker's group mean, with this run's spread between speakers (the standard
# deviation of speaker means within groups, pooled over groups), gives the groups this run's sizes, shifts
# one group by a difference, runs the speaker-level permutation test, and searches for the difference at
# which 80% of {glue:text}`n_sims_p7` simulated data sets reject. For an attribute with more than two
# groups it takes the hardest case for a given gap: the two smallest groups differ and the others sit
# midway. Every attribute tested in this chapter gets a row; `detectable` is in the metric's own units,
# next to the spread and the range actually observed (`inf`: the groups are so small that the test can
# never reach the 5% level, whatever the difference).

# %% tags=["hide-input"]
power_pop = speakers.power_table(per_utt, speakers.ATTRIBUTES, list(METRICS), by="kind", min_speakers=min_speakers,
                                 n_sim=n_sims, seed=run.seed)
power_ch6 = speakers.power_table(values, attributes, ["si_sdr_improvement", "pesq_improvement"],
                                 min_speakers=min_speakers, n_sim=n_sims, seed=run.seed)
power_all = pd.concat([power_pop.assign(population="speechocean762 test speakers",
                                        kind=power_pop["kind"].map(KIND_NAMES)),
                       power_ch6.assign(population=f"chapter 6: {run.dataset}", kind="digits (chapter 6)")],
                      ignore_index=True)
power_all = power_all[power_all["detectable"].notna()]
power_all.assign(metric=power_all["metric"].map(METRICS)).set_index(["population", "kind", "attribute", "metric"])[
    ["groups", "spread", "observed range", "detectable", "detectable / spread"]].round(3)

# %% tags=["remove-cell"]
glue("n_sims_p7", n_sims, display=False)
try:
    speaker_sd, clip_sd = speakers.variance_components(per_utt[per_utt["kind"] == main_kind], "si_sdr_improvement")
    spread_source = f"measured on this run's speechocean762 {KIND_NAMES[main_kind]}"
except errors.ParameterError:
    speaker_sd, clip_sd = 2.0, 4.0
    spread_source = "assumed: this run has too few utterances per speaker to measure them"
glue("spreads_p7", f"{speaker_sd:.2f} dB between speakers and {clip_sd:.2f} dB between utterances of one "
     f"speaker, {spread_source}", display=False)
icc_pop = speaker_sd ** 2 / (speaker_sd ** 2 + clip_sd ** 2)
pop_main = per_utt[per_utt["kind"] == main_kind]
noise_means = pop_main.groupby("noise")["si_sdr_improvement"].transform("mean")
noise_share = float(((noise_means - pop_main["si_sdr_improvement"].mean()) ** 2).sum()
                    / ((pop_main["si_sdr_improvement"] - pop_main["si_sdr_improvement"].mean()) ** 2).sum())
glue("noise_share_p7", f"{100 * noise_share:.0f}%", display=False)
null_rate = float("nan")
if biggest is not None:  # the test's false-positive rate at the best-supported test's group sizes
    null_sizes = [int(g.rsplit(" ", 1)[1]) for g in biggest["groups"].split(", ")]
    null_rate = speakers.permutation_power(null_sizes, 1.0, 0.0, n_sim=max(n_sims, 1000), seed=run.seed)
glue("null_rate_p7", f"{100 * null_rate:.1f}%" if np.isfinite(null_rate) else "not computed (no testable attribute)",
     display=False)
ch6_testable = power_ch6["detectable"].notna().any()
glue("power_ch6_p7", "Chapter 6's attributes have rows too." if ch6_testable else
     f"None of chapter 6's attributes on {run.dataset} has two groups of at least {min_speakers} held-out "
     "speakers, so none of them has a row: with one held-out speaker, a test of a speaker attribute has no "
     "power at all, whatever the number of clips.", display=False)
main_power = None
if biggest is not None:
    match = power_pop[(power_pop["kind"] == biggest["kind"]) & (power_pop["attribute"] == biggest["attribute"])
                      & (power_pop["metric"] == "si_sdr_improvement")]
    main_power = match.iloc[0] if len(match) and np.isfinite(match.iloc[0]["detectable"]) else None
if main_power is None and biggest is not None and len(match) and np.isinf(match.iloc[0]["detectable"]):
    glue("power_kr_p7", f"The best-supported test, {biggest['attribute']} on the {KIND_NAMES[biggest['kind']]} "
         f"({biggest['groups']} speakers), can never reach the 5% level with so few speakers: no difference, "
         "however large, would be detected.", display=False)
elif main_power is not None:
    glue("power_kr_p7", f"The {main_power['attribute']} test on the {KIND_NAMES[main_power['kind']]} "
         f"({main_power['groups']} speakers) would detect, with 80% power at the 5% level, a difference of "
         f"{main_power['detectable']:.2f} dB in mean SI-SDR improvement "
         f"({main_power['detectable / spread']:.2f} times the {main_power['spread']:.2f} dB spread of speaker "
         f"means within a group); the gap observed is {main_power['observed range']:.2f} dB.", display=False)
else:
    glue("power_kr_p7", "No attribute was testable in this run, so no test had any power.", display=False)
m_now = float(1 / np.mean(1 / per_utt[per_utt["kind"] == main_kind].groupby("speaker").size()))  # harmonic mean


def spread_of_means(m):
    return np.sqrt(speaker_sd ** 2 + clip_sd ** 2 / m)


luck = (clip_sd ** 2 / m_now) / spread_of_means(m_now) ** 2
if speaker_sd > 0:
    more_text = (f"With about {m_now:.1f} {KIND_NAMES[main_kind]} per speaker, the luck of the utterances makes up "
                 f"{100 * luck:.0f}% of the variance of speaker means.")
else:
    more_text = (f"With about {m_now:.1f} {KIND_NAMES[main_kind]} per speaker, the speaker means differ no more than "
                 "the luck of their utterances alone would make them: the speakers' own differences are too small "
                 "to measure here.")
if main_power is not None and main_kind == main_power["kind"]:
    now = main_power["detectable"]
    more_text += (f" Twice as many utterances per speaker would bring the {main_power['attribute']} test's "
                  f"detectable difference from {now:.2f} dB to about "
                  f"{now * spread_of_means(2 * m_now) / spread_of_means(m_now):.2f} dB")
    more_text += (f", and no number of utterances would take it below about "
                  f"{now * speaker_sd / spread_of_means(m_now):.2f} dB, the floor set by how much the speakers "
                  "themselves differ." if speaker_sd > 0 else
                  ", and further, as long as the speakers' own differences stay small next to the utterances' luck.")
glue("more_utts_p7", more_text, display=False)

# %% [markdown]
# A check of the simulation itself: with no difference at all, the test rejects in
# {glue:text}`null_rate_p7` of simulated data sets at the best-supported test's group sizes, as a test at
# the 5% level should. {glue:text}`power_ch6_p7`
#
# {glue:text}`power_kr_p7`
#
# **Speakers or utterances?** The detectable difference is proportional to the spread of speaker means, and
# that spread has two parts: how much speakers really differ, and the luck of the few utterances each one
# read. Splitting the variance of the sentences' SI-SDR improvement into these parts
# (`speakers.variance_components`): {glue:text}`spreads_p7`. Much of the utterances' luck is which noise
# they met: the noise file alone explains {glue:text}`noise_share_p7` of the variance of the utterances'
# SI-SDR improvement. {glue:text}`more_utts_p7` Adding speakers instead shrinks the detectable difference
# with the square root of their number, without a floor. (A design that gave every speaker the same noise
# files would take the noise's share out of the comparison altogether; this one draws them at random, which
# keeps the groups comparable but costs power.)
#
# The figure shows the whole power curve of the best-supported test, at the 5% level and at the stricter
# level Holm's correction demands of the family's smallest p-value (5% divided by the number of tests).
#
# **What to look for**: where each curve crosses 80%, and where the observed gap (dotted line) sits. A gap
# left of the crossing is one the test could easily have missed even if it were real.

# %% mystnb={"figure": {"caption": "Power of the speaker-level permutation test against the true difference between groups, at this run's group sizes and between-speaker spread (best-supported test, SI-SDR improvement), at the 5% level and at the level Holm's correction requires of the smallest p-value; dashed: 80% power; dotted: the observed gap.", "name": "fig-power-curve"}} tags=["hide-input"]
if main_power is not None:
    group_sizes = [int(g.rsplit(" ", 1)[1]) for g in main_power["groups"].split(", ")]
    grid = np.linspace(0, 2.2 * main_power["detectable"], 12)
    holm_alpha = 0.05 / max(len(testable_pop), 1)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    curves = {}
    for level, perms, style in ((0.05, 199, "-"), (holm_alpha, max(999, int(10 / holm_alpha)), "--")):
        curves[level] = [speakers.permutation_power(group_sizes, main_power["spread"], d, alpha=level,
                                                    n_sim=n_sims, n_perm=perms, seed=run.seed) for d in grid]
        ax.plot(grid, curves[level], style, marker="o", ms=3, label=f"level {level:.3g}")
    ax.axhline(0.8, ls="--", color="black", lw=0.8)
    ax.axvline(main_power["observed range"], ls=":", color="black", lw=1.2, label="observed gap")
    ax.set(title=f"Power of the {main_power['attribute']} test, {KIND_NAMES[main_power['kind']]} "
                 f"({main_power['groups']})", xlabel="True difference in mean SI-SDR improvement (dB)",
           ylabel="Power", ylim=(0, 1.02))
    ax.legend(fontsize="small", loc="lower right")
    plt.show()
else:
    print("no test in this run can reach the 5% level: no power curve")

# %% tags=["remove-cell"]
def crossing(curve):
    """The smallest difference of the grid at which the power curve reaches 80% (interpolated)."""
    curve = np.maximum.accumulate(np.asarray(curve))
    if curve[-1] < 0.8:
        return float("nan")
    return float(np.interp(0.8, curve + np.arange(curve.size) * 1e-9, grid))


if main_power is not None:
    at_holm = crossing(curves[holm_alpha])
    glue("curve_note_p7", f"At the 5% level the curve crosses 80% near {crossing(curves[0.05]):.2f} dB, as the "
         f"table says; at the level Holm's correction asks of the smallest of {len(testable_pop)} p-values "
         f"({holm_alpha:.4f}) only " + (f"near {at_holm:.2f} dB" if np.isfinite(at_holm) else
                                        f"beyond {grid[-1]:.2f} dB, the end of the figure") +
         f". The observed gap, {main_power['observed range']:.2f} dB, is "
         + ("beyond both: a difference of that size would rarely be missed." if np.isfinite(at_holm)
            and main_power["observed range"] > at_holm else
            "smaller than what even a single test reliably detects, so a null result here would not rule out "
            "a real gap of that size." if main_power["observed range"] < crossing(curves[0.05]) else
            "between the two: the single test would usually see it, the corrected family often not."),
         display=False)
else:
    glue("curve_note_p7", "", display=False)

# %% [markdown]
# {glue:text}`curve_note_p7`

# %% [markdown]
# ## The report's mistake: testing clips instead of speakers
#
# The student report compared accents and origins clip by clip. Suppose no attribute makes any difference.
# Speakers still differ from each other (voice, microphone, room), and every clip of one speaker carries
# that speaker's offset. A test that treats clips as independent sees hundreds of "observations" per
# speaker and takes the speakers' offsets for a group difference: the error ecologists call
# pseudoreplication {cite:p}`hurlbert1984`. How much the clips of one speaker share is measured by the
# **intraclass correlation** (ICC), the share of a clip's variance that its speaker explains.
#
# The simulation below uses the **real AudioMNIST metadata**, its 60 speakers with their genders, ages,
# native language, country, continent, recording room and accent (groups of fewer than
# {glue:text}`min_speakers7` speakers left out, as in the chapter's tests), and AudioMNIST's design of 500
# clips per speaker (50 takes of each digit). Every simulated data set gives each speaker a random offset
# and each clip its own noise, and **no attribute effect at all**; the ICC runs from 0 to 20%. Each of
# {glue:text}`n_sims_mistake_p7` data sets per ICC is tested twice: with a one-way analysis of variance on
# the clips (for two groups, the t-test a report would run) and with this chapter's speaker-level
# permutation test. Any "significant" result is a false positive. The table gives the rates at an ICC of
# 1%.

# %% tags=["hide-input"]
meta_am, attrs_am = derive_attributes(data.audiomnist_metadata(run.data_home))
icc_grid = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
n_sims_mistake = 200 if smoke else 1000  # cheap: each data set is 60 speaker means
mistake = pd.concat([speakers.clip_versus_speaker_false_positives(
    meta_am, attrs_am, clips=500, speaker_sd=np.sqrt(icc / (1 - icc)), clip_sd=1.0, min_speakers=min_speakers,
    n_sim=n_sims_mistake, seed=run.seed).assign(icc=icc) for icc in icc_grid], ignore_index=True)
mistake[mistake["icc"] == 0.01].set_index("attribute").drop(columns="icc").round(3)

# %% mystnb={"figure": {"caption": "Share of simulated data sets with no attribute effect in which each test calls an AudioMNIST attribute significant at the 5% level, against the intraclass correlation: clips treated as independent (left) and speakers as the unit (right); one line per attribute; the dashed line is the promised 5%, the dotted line this run's speechocean762 population.", "name": "fig-clip-vs-speaker"}} tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
for ax, (column, title) in zip(axes, [("clip-level false positives", "Clips treated as independent"),
                                      ("speaker-level false positives", "Speakers as the unit")]):
    for k, (attribute, part) in enumerate(mistake.groupby("attribute", sort=False)):
        ax.plot(100 * part["icc"], 100 * part[column], marker="o", ms=3, color=f"C{k}", label=attribute)
    ax.axhline(5, ls="--", color="black", lw=1)
    ax.axvline(100 * icc_pop, ls=":", color="black", lw=1.2)
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xticks([0, 0.5, 1, 2, 5, 10, 20], ["0", "0.5", "1", "2", "5", "10", "20"])
    ax.set(title=title, xlabel="Intraclass correlation (%)", xlim=(0, 22), ylim=(0, 100))
axes[0].set_ylabel("False positives (%)")
axes[1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0), title="attribute")
fig.suptitle("No attribute effect, real AudioMNIST speakers, 500 clips each: how often each test says 'significant'")
fig.tight_layout()
plt.show()

# %% tags=["remove-cell"]
def rate_range(icc, column):
    rates = 100 * mistake.loc[np.isclose(mistake["icc"], icc), column]
    return f"{rates.min():.0f}% to {rates.max():.0f}%"


glue("n_sims_mistake_p7", n_sims_mistake, display=False)
glue("icc_pop_p7", f"{100 * icc_pop:.1f}%", display=False)
glue("fp_clip_1_p7", rate_range(0.01, "clip-level false positives"), display=False)
glue("fp_clip_10_p7", rate_range(0.1, "clip-level false positives"), display=False)
glue("fp_clip_0_p7", rate_range(0.0, "clip-level false positives"), display=False)
spk_all = 100 * mistake["speaker-level false positives"]
glue("fp_spk_p7", f"{spk_all.min():.0f}% to {spk_all.max():.0f}%", display=False)
at10 = mistake[np.isclose(mistake["icc"], 0.1)]
worst = at10.loc[at10["clip-level false positives"].idxmax()]
glue("worst_fp_p7", f"The worst case is {worst['attribute']} ({worst['groups']}): "
     f"{100 * worst['clip-level false positives']:.0f}% at an ICC of 10%. Attributes with more groups tend to "
     "fare worse: each group's mean carries the offsets of its few speakers, and more groups offer more such "
     "gaps to find.", display=False)
glue("deff_1_p7", f"{speakers.design_effect(500, 0.1, np.sqrt(0.99))[1]:.0f}", display=False)
glue("deff_10_p7", f"{speakers.design_effect(500, np.sqrt(0.1), np.sqrt(0.9))[1]:.0f}", display=False)
glue("mistake_kr_p7", f"With no attribute effect at all, on AudioMNIST's real {len(meta_am)} speakers with 500 clips each, a test "
     "that treats clips as independent calls an attribute significant in "
     f"{rate_range(0.01, 'clip-level false positives')} of simulated data sets when the speaker explains just 1% "
     f"of a clip's variance ({rate_range(0.1, 'clip-level false positives')} at 10%); the speaker-level test in "
     f"{spk_all.min():.0f}% to {spk_all.max():.0f}% at every level, the 5% it promises.", display=False)

# %% [markdown]
# With no speaker effect (ICC 0) the two tests agree: the clip-level test rejects in
# {glue:text}`fp_clip_0_p7` of data sets, as it should when clips really are independent. As soon as the
# clips of a speaker share anything, the clip-level test falls apart: at an ICC of 1% it calls an
# attribute "significant" in {glue:text}`fp_clip_1_p7` of data sets, at 10% in {glue:text}`fp_clip_10_p7`,
# although no attribute does anything. The speaker-level test stays at {glue:text}`fp_spk_p7` throughout,
# the promised 5% give or take the simulation's own noise. {glue:text}`worst_fp_p7`
#
# The reason is arithmetic. 500 clips of one speaker carry less information about a group than 500
# independent clips: the clip-level test overstates the information by the *design effect*,
# 1 + (clips per speaker − 1) × ICC, which is {glue:text}`deff_1_p7` at an ICC of 1% and
# {glue:text}`deff_10_p7` at 10%, so its p-values are far too small. For the SI-SDR improvement of this
# run's speechocean762 sentences the estimated ICC is {glue:text}`icc_pop_p7` (dotted line): there the
# noise file each utterance met, not the speaker, decides most of the variation; designs in which the
# clips of a speaker share a room and a session and meet no random noise can leave the speaker a larger
# share. The report's accents and origins, each
# resting on one to three speakers, are the extreme case: there, a clip-level test compares a handful of
# voices and calls their individual differences an effect of accent.
#
# ## Summary
#
# * **Every speaker a test speaker.** The release model, on {glue:text}`n_spk_p7` speechocean762 test speakers
#   never trained on, improved the sentences' SI-SDR by {glue:text}`kr_sisdr_p7` at {glue:text}`snr_p7` dB
#   with {glue:text}`noise_p7`, PESQ by {glue:text}`kr_pesq_p7` and ESTOI by {glue:text}`kr_estoi_p7`.
#   {glue:text}`worse_p7`.
# * **Gender and age.** {glue:text}`bar_p7` {glue:text}`verdict_p7` {glue:text}`gender_effect_p7`
# * **Every FSDD speaker.** Leave-one-speaker-out fold models (a short recipe, recorded) gain most on
#   {glue:text}`fold_best` and least on {glue:text}`fold_worst`.
# * **Power.** {glue:text}`power_kr_p7` A null result is only as strong as the smallest difference the test
#   could have found.
# * **Clips are not speakers.** {glue:text}`mistake_kr_p7`
# * **Chapter 6's clips** ({glue:text}`dataset7`): {glue:text}`method7` changed SI-SDR by
#   {glue:text}`kr_sisdr7` over {glue:text}`n_clips7` clips of {glue:text}`n_speakers7` held-out
#   speaker(s). {glue:text}`unit_note7` Digits are said by the same speakers, so they are compared in pairs,
#   not by eye from overlapping intervals: {glue:text}`digit_contrast7` Speaker attributes:
#   {glue:text}`verdict_short7`
# * Attributes that travel together (age group and gender among the test speakers; among chapter 6's
#   speakers: {glue:text}`tangled`) cannot be separated by any test.
#
# ## Exercises
#
# Each exercise reruns this chapter with the project's runner (chapters 5 and 6 must have run for the same
# dataset and profile) or asks you to edit one cell. Use `--profile smoke` for a quick try. A run with `-p`
# writes the executed chapter to `artifacts/<dataset>-<profile>/exercises/`, never over the book's own page
# (`--out` chooses another folder).
#
# 1. **An easier SNR.** Run `digitdenoise run --chapters 7 -p population_snr_db 5`. The improvements shrink
#    (there is less noise to remove); does the spread between speakers shrink with them? Compare the
#    detectable differences in the power table with this page's.
# 2. **Another noise.** Run `digitdenoise run --chapters 7 -p population_noise white`. White noise covers
#    the high frequencies where children's voices have more of their energy. Does any age difference appear
#    that the Hu noises did not show, and does it survive Holm's correction?
# 3. **More utterances, same speakers.** Run `digitdenoise run --chapters 7 -p utterances_per_speaker 8`
#    (over twice as long; a speaker with fewer utterances of a kind contributes all of them). Before you look,
#    predict the gender test's new detectable difference from the two spreads of the power section, then
#    check the power table. Why can no number of utterances take it below the floor?
# 4. **Fewer speakers.** Run `digitdenoise run --chapters 7 -p population_speakers 30`. Which tests become
#    untestable, and how does the detectable difference of the gender test grow?
# 5. **Another method on chapter 6's clips.** Run `digitdenoise run --chapters 7 -p method "report_cae (SI-SDR loss)"`.
#    Does the student report's autoencoder have the same best and worst digit as the book's model, and does
#    the interval of the gap between them still exclude zero?
# 6. **Lower the bar.** Run `digitdenoise run --chapters 7 -p min_speakers 1`. Which of chapter 6's
#    attributes move from "untestable" to tested? On FSDD, with one held-out speaker, none can: every
#    attribute has a single group. What does that tell you about whether the limit is the threshold or the
#    data?
# 7. **Choose the pair first.** In the cell that calls `evaluation.paired_gap`, change the line
#    `high, low = best_digit, worst_digit` to two digits you choose *before* looking at the digit table (for
#    example `high, low = 1, 7`) and run the chapter again. Why is the gap between two digits picked in
#    advance not biased upwards?
