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
# Averages hide people. The student report ended by comparing average "SNR improvement" across accents,
# ages, genders and origins and concluded that accent and origin "significantly affect" denoising, from
# groups of one to three speakers and without a single statistical test. This chapter asks the same
# questions of chapter 6's per-clip results and answers them with the speaker, not the clip, as the
# unit: clips of one speaker share a voice, a microphone, a room and a day, so 50 clips of one person
# are not 50 independent observations.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = "artifacts"
seed = 0
snr_db = -8.0  # the nominal SNR of the noisy set (dB)
method = "mask_unet (best)"  # the method of chapter 6 whose benefit is analysed
min_speakers = 3  # groups with fewer speakers are flagged and never ranked or tested
n_perm = 5000  # permutations per test (the smoke profile uses fewer)

# %%
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

# %% [markdown]
# ## Same nominal SNR, different speakers
#
# Before asking who *benefits*, note who starts where. Every clip is mixed with white noise at exactly
# the nominal whole-clip SNR. The segmental SNR over speech-active frames then differs by speaker: a
# speaker who leaves long pauses, or whose voice is concentrated in a few loud frames, gets a different
# effective SNR while speaking.

# %% mystnb={"figure": {"caption": "Segmental SNR of the noisy input by speaker, white noise at the nominal whole-clip SNR: mean with 95% confidence interval, clips per speaker in the labels.", "name": "fig-input-snr-by-speaker"}}
clips = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"], seed=run.seed)
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

# %% [markdown]
# ## The results under analysis
#
# Chapter 6 saved one row per (clip, noise type, method). Here each test clip gets one number per metric:
# the improvement the chosen method brings, averaged over the four main noise types at the chapter's SNR
# (so a clip's value does not depend on which noise it happened to meet). Speaker attributes come from the
# dataset's metadata (chapter 1).

# %%
results_file = run.artifacts_dir / "evaluation_per_clip.csv"
if not results_file.is_file():
    raise errors.DataError(f"{results_file} not found: run chapter 6 (06_evaluation) for this dataset and "
                           "profile first.")
per_clip = pd.read_csv(results_file, dtype={"speaker": str})
if method not in set(per_clip["method"]):
    raise errors.ParameterError(f"method={method!r} is not in {results_file}; it has {sorted(set(per_clip['method']))}.")
chosen = per_clip[(per_clip["method"] == method) & per_clip["noise"].isin(evaluation.MAIN_NOISES)]
values = chosen.groupby(["clip_id", "speaker", "digit"], as_index=False)[["si_sdr_improvement", "pesq_improvement"]].mean()
meta = data.load_speaker_metadata(run.dataset, run.data_home)
if "age" in meta:
    meta["age group"] = pd.cut(meta["age"].astype("float"), [0, 24.5, 29.5, 200],
                               labels=["under 25", "25 to 29", "30 and over"]).astype(str).replace("nan", np.nan)
if "native_speaker" in meta:
    meta["native speaker"] = meta["native_speaker"].map({True: "yes", False: "no"})
attributes = [a for a in ["accent", "age group", "gender", "native speaker", "country", "continent", "room"]
              if a in meta.columns]
values = values.join(meta[attributes], on="speaker")
glue("n_clips7", len(values), display=False)
glue("n_speakers7", values["speaker"].nunique(), display=False)
glue("method7", method, display=False)
values.head()

# %% [markdown]
# The analysis covers {glue:text}`n_clips7` test clips from {glue:text}`n_speakers7` held-out speaker(s),
# processed by {glue:text}`method7`.
#
# ## Per speaker and per digit
#
# Per speaker, the interval is over that speaker's clips. Per digit, each digit's value is the mean over
# speakers of their mean for that digit, and the interval resamples speakers (with one test speaker it
# falls back to resampling clips, and says so in the table).

# %% mystnb={"figure": {"caption": "SI-SDR and PESQ improvement of the chosen method per test speaker (left) and per digit (right), mean with 95% bootstrap interval; the number of clips behind each bar is in its label.", "name": "fig-speaker-digit"}}
per_speaker = {m: evaluation.summarise(values, m, by=("speaker",), n_boot=n_boot, seed=run.seed).rename(columns={"n": "clips"})
               for m in ("si_sdr_improvement", "pesq_improvement")}
per_digit = {m: evaluation.speaker_group_summary(values, "digit", m, min_speakers=1, n_boot=n_boot, seed=run.seed)
             for m in ("si_sdr_improvement", "pesq_improvement")}
fig, axes = plt.subplots(2, 2, figsize=(12, 0.35 * max(10, values["speaker"].nunique()) + 5))
for i, (metric, unit) in enumerate([("si_sdr_improvement", "SI-SDR improvement (dB)"), ("pesq_improvement", "PESQ improvement")]):
    spk_table = per_speaker[metric].assign(label=lambda t: [f"{v} (n={n})" for v, n in zip(t["speaker"], t["clips"])])
    dig_table = per_digit[metric].assign(label=lambda t: [f"{v} (n={n})" for v, n in zip(t["digit"], t["clips"])])
    plots.interval_bars(axes[i, 0], spk_table, "label", title=f"{unit.split(' (')[0]} by speaker", xlabel=unit)
    axes[i, 0].set_ylabel("Speaker (clips)")
    plots.interval_bars(axes[i, 1], dig_table, "label", title=f"{unit.split(' (')[0]} by digit", xlabel=unit)
    axes[i, 1].set_ylabel("Digit (clips)")
fig.suptitle(f"Who benefits from {method}: speakers and digits")
fig.tight_layout()
plt.show()

# %%
digit_table = per_digit["si_sdr_improvement"].set_index("digit")[["speakers", "clips", "mean", "ci_low", "ci_high", "ci_over"]]
spread = digit_table["mean"].max() - digit_table["mean"].min()
glue("digit_best", str(digit_table["mean"].idxmax()), display=False)
glue("digit_worst", str(digit_table["mean"].idxmin()), display=False)
glue("digit_spread", f"{spread:.1f}", display=False)
digit_table.round(2)

# %% [markdown]
# Digit {glue:text}`digit_best` gains the most and digit {glue:text}`digit_worst` the least, a spread of
# {glue:text}`digit_spread` dB between the digit means. Digits differ in length and in how much of them is
# voiced, so some spread is expected. Every speaker says every digit, so digits are compared within the
# same speakers and their intervals can be read directly; attributes of *speakers* need the tests below.
#
# ## By speaker attribute
#
# Each bar is the mean over the speakers in a group of their mean improvement, with an interval that
# resamples speakers. Bars of groups with fewer than the chapter's minimum number of speakers are grey:
# they are shown, not ranked.

# %% mystnb={"figure": {"caption": "SI-SDR improvement by speaker attribute: mean of speaker means with a speaker-bootstrap 95% interval; labels give the number of speakers (spk) and clips; grey bars are groups below the minimum number of speakers.", "name": "fig-attributes"}}
attr_summaries = {a: evaluation.speaker_group_summary(values, a, "si_sdr_improvement", min_speakers=min_speakers,
                                                      n_boot=n_boot, seed=run.seed) for a in attributes}
cols = min(3, len(attributes))
rows_n = -(-len(attributes) // cols)
fig, axes = plt.subplots(rows_n, cols, figsize=(4.4 * cols, 2.8 * rows_n + 0.6), squeeze=False)
for ax, attribute in zip(axes.flat, attributes):
    summary = attr_summaries[attribute].copy()
    summary["label"] = [f"{v} ({s} spk, {c} clips)" for v, s, c in zip(summary[attribute], summary["speakers"], summary["clips"])]
    plots.interval_bars(ax, summary, "label", title=attribute, xlabel="SI-SDR improvement (dB)")
for ax in list(axes.flat)[len(attributes):]:
    ax.set_visible(False)
fig.suptitle(f"SI-SDR improvement of {method} by speaker attribute (grey: fewer than {min_speakers} speakers)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The report's two heatmaps, with counts
#
# Accent × gender and accent × digit, as in the report, but each cell shows the number of speakers behind
# it and cells with fewer than the minimum are left blank instead of coloured.

# %% mystnb={"figure": {"caption": "Mean SI-SDR improvement (dB) per accent and gender (left) and per accent and digit (right); the second line of each cell is its number of speakers; blank cells have fewer speakers than the chapter's minimum.", "name": "fig-heatmaps"}}
fig, axes = plt.subplots(1, 2, figsize=(14, 0.5 * max(4, values["accent"].nunique()) + 2.5),
                         gridspec_kw={"width_ratios": [1, 2.2]})
if "gender" in attributes:
    plots.count_heatmap(axes[0], evaluation.speaker_group_summary(values, ["accent", "gender"], "si_sdr_improvement",
                                                                  min_speakers=min_speakers, n_boot=100, seed=run.seed),
                        "accent", "gender", title="Accent × gender", min_count=min_speakers,
                        value_label="SI-SDR improvement (dB)")
plots.count_heatmap(axes[1], evaluation.speaker_group_summary(values, ["accent", "digit"], "si_sdr_improvement",
                                                              min_speakers=min_speakers, n_boot=100, seed=run.seed),
                    "accent", "digit", title="Accent × digit", min_count=min_speakers, value_label="SI-SDR improvement (dB)")
fig.suptitle(f"{method}: improvement by accent and gender, and by accent and digit")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Does any attribute matter? Tests at the speaker level
#
# For each attribute, one permutation test: every speaker contributes one number (their mean
# improvement), and the attribute's labels are shuffled across speakers {glue:text}`n_perm7` times. The
# statistic is eta squared, the share of the between-speaker variance the groups explain; the table also
# gives the gap between the best and worst group in dB, the effect size a listener can picture. Only
# groups with at least the minimum number of speakers take part. Testing several attributes at once
# inflates false alarms, so the p-values are corrected with Holm's method.

# %%
glue("n_perm7", n_perm, display=False)
tests = {m: evaluation.attribute_tests(values, attributes, m, min_speakers=min_speakers, n_perm=n_perm, seed=run.seed)
         for m in ("si_sdr_improvement", "pesq_improvement")}
table = pd.concat({m.replace("_improvement", ""): t.set_index("attribute") for m, t in tests.items()}, names=["metric"])
table[["speakers", "groups tested", "groups too small", "eta_squared", "range_db", "p_value", "p_holm",
       "significant", "note"]].round(3)

# %%
tested = pd.concat(tests.values())
tested = tested[tested["p_value"].notna()]
survivors = sorted(set(tested.loc[tested["significant"], "attribute"]))
untestable = sorted(set(tests["si_sdr_improvement"].loc[tests["si_sdr_improvement"]["p_value"].isna(), "attribute"]))
if tested.empty:
    verdict = (f"No attribute could be tested: with {values['speaker'].nunique()} held-out speaker(s), no attribute "
               f"has two groups of at least {min_speakers} speakers. The data cannot say whether any attribute "
               "matters; the bars above are descriptions of individuals, not of groups.")
elif survivors:
    verdict = (f"After Holm's correction, {', '.join(survivors)} {'is' if len(survivors) == 1 else 'are'} associated "
               "with the improvement at the 5% level (see the effect sizes in the table before reading much into it).")
else:
    verdict = ("No attribute effect survives Holm's correction at the 5% level: there is no evidence here that "
               f"{', '.join(sorted(set(tested['attribute'])))} changes how much the model helps.")
glue("verdict", verdict, display=False)
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
# other); chapter 1 shows the cross-tabulations.

# %%
pairs_ = [(a, b) for i, a in enumerate(attributes) for b in attributes[i + 1:]]
assoc = []
for a, b in pairs_:
    known = meta.dropna(subset=[a, b])
    counts, v = evaluation.association(known, a, b)
    assoc.append({"attribute A": a, "attribute B": b, "speakers": int(counts.to_numpy().sum()), "Cramér's V": v})
assoc = pd.DataFrame(assoc).sort_values("Cramér's V", ascending=False)
tangled = assoc[assoc["Cramér's V"] >= 0.5]
glue("tangled", "; ".join(f"{a} and {b} (V = {v:.2f})" for a, b, v in
                          zip(tangled["attribute A"], tangled["attribute B"], tangled["Cramér's V"])) or "none", display=False)
if "recording_date" in meta and "room" in meta:
    dates = meta.groupby("room")["recording_date"].agg(["min", "max", "size"]).rename(columns={"size": "speakers"})
    display(dates)
    room_note = ("Recording rooms and dates: " + "; ".join(f"{room} from {r['min']:%d %b} to {r['max']:%d %b %Y} "
                                                            f"({r['speakers']} speakers)" for room, r in dates.iterrows())
                 + ". Where these periods do not overlap, a room effect is also a period effect.")
else:
    room_note = "This dataset's metadata records no rooms or recording dates."
glue("room_note", room_note, display=False)
assoc.round(2).set_index(["attribute A", "attribute B"])

# %% [markdown]
# Pairs tangled strongly (V ≥ 0.5): {glue:text}`tangled`. For such a pair, a difference between groups of
# one attribute is equally a difference between groups of the other, and separating them would need
# speakers who break the pattern. {glue:text}`room_note`
#
# ## Listen: the speakers who gain most and least
#
# One white-noise clip of the test speaker with the smallest and of the one with the largest mean gain
# (the same speaker twice when there is only one), before and after the chosen method.

# %%
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
    rows[f"{label}: {spk}"] = sounds
audio.player_grid(rows, sr, title=f"Speakers who gain least and most, {run.snr_db:g} dB white noise",
                  row_header="gain, speaker")
