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
# # 2. How noisy is noisy
#
# ```{admonition} You will learn
# :class: tip
# * what the signal-to-noise ratio (SNR) is as a formula, and the difference between the energy and the
#   power of a signal;
# * three ways to measure the SNR of one mixture (whole-clip, speech-active, segmental), and why they
#   disagree on short clips;
# * why two mixtures at the same nominal SNR can be very differently hard: silence and spectral overlap;
# * how a rescaled or shifted noisy file produces absurd SNRs, and how to measure it correctly;
# * the scale-invariant signal-to-distortion ratio (SI-SDR) that later chapters use to score denoisers,
#   and what it ignores.
# ```
#
# "−8 dB SNR" sounds like one precise condition. It is not. The same number can be measured over
# the whole clip or only while someone speaks, it says nothing about *where* in time and frequency the
# noise sits, and measured carelessly it can be off by more than ten decibels. This chapter builds
# clean/noisy pairs itself, so every number can be checked, and measures them three ways.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
snr_db = -8.0  # the nominal SNR of the noisy set (dB)
active_threshold_db = None  # speech-active: within this many dB of the loudest frame; None: default

# %% tags=["remove-input"]
import inspect

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from myst_nb import glue

from digitdenoise import audio, config, data, evaluation, metrics, noise, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
threshold = metrics.ACTIVE_THRESHOLD_DB if active_threshold_db is None else config.check_number(
    "active_threshold_db", active_threshold_db, minimum=1, maximum=120)
plots.book_style()
sr = data.spec(run.dataset).working_rate
n_fft, hop = 256 * sr // 8000, 64 * sr // 8000

# %% [markdown]
# ## Making the pairs
#
# Every clean clip is mixed with four kinds of noise — white, pink, a random excerpt of a real
# background recording, and babble made from four *other* speakers — scaled so that the **whole-clip**
# SNR defined below is exactly the nominal value. Because we make the mixtures ourselves, we know the
# clean speech and the noise of every pair separately.

# %% tags=["hide-input"]
table = data.load_clips(run.dataset, run.data_home, seed=run.seed)
n_speakers = table["speaker"].nunique()
per_speaker = None if run["snr_pairs"] is None else max(1, run["snr_pairs"] // n_speakers)
table = data.subsample(table, per_speaker, seed=run.seed) if per_speaker else table
clips = data.read_clips(table["path"], sr)
recordings = noise.load_noise_recordings(noise.ensure_noise_recordings(run.data_home), sr)
kinds = ["white", "pink", "recording", "babble"]
pairs = noise.make_pairs(table, clips, kinds, run.snr_db, sr=sr, recordings=recordings,
                         seed=run.seed)
print(f"{len(table)} clean clips x {len(kinds)} noise types = {len(pairs)} pairs "
      f"at {run.snr_db:g} dB")

# %% [markdown]
# ## The signal-to-noise ratio
#
# Let $s(t)$ be the clean speech and $x(t)$ the noisy signal, sampled at the same instants
# $t = 0, 1, \dots, T-1$. The noise is whatever the noisy signal adds to the speech,
# $n(t) = x(t) - s(t)$, and the SNR in decibels is
#
# $$
# \mathrm{SNR} = 10\log_{10}\frac{\sum_t s(t)^2}{\sum_t n(t)^2}.
# $$
#
# A sum of squares $\sum_t s(t)^2$ is the **energy** of a signal; its mean $\frac1T\sum_t s(t)^2$ is its
# **power**. When both sums run over the same $T$ samples the factor $\frac1T$ cancels, so the SNR is at
# once an energy ratio and a power ratio. As soon as speech and noise are summed over different
# stretches of time, as in some of the measures below, the two differ and we must say which we mean.
# Every 10 dB is a factor of ten in energy: at the nominal {glue:text}`nominal` dB of this run, the
# noise has {glue:text}`noise_factor` times the energy of the speech.
#
# The library's function is short enough to read. `power_ratio_db` computes the ratio of two sums of
# squares, that is of two energies (its name says "power" because, over the same samples, the two ratios
# are equal; the tiny `_EPS` keeps the logarithm finite for a silent signal), and `snr_db` checks that the
# two signals have the same length and forms the noise as `noisy - clean`:

# %%
print(inspect.getsource(metrics.power_ratio_db))
print(inspect.getsource(metrics.snr_db))

# %% [markdown]
# The formula by hand and the library agree on the first pair:

# %%
s, x = pairs[0]["clean"].astype(np.float64), pairs[0]["noisy"].astype(np.float64)
by_hand = 10 * np.log10(np.sum(s**2) / np.sum((x - s) ** 2))
print(f"by hand: {by_hand:.4f} dB   metrics.snr_db: {metrics.snr_db(s, x):.4f} dB")

# %% [markdown]
# **Mixing at a chosen SNR** turns the formula round. To give a noise $n$ the SNR $\rho$ dB against the
# speech $s$, multiply it by
#
# $$
# g = \sqrt{\frac{\sum_t s(t)^2}{10^{\rho/10}\sum_t n(t)^2}} ,
# $$
#
# for then $10\log_{10}\big(\sum_t s(t)^2 / \sum_t (g\,n(t))^2\big) = \rho$ exactly. `noise.snr_gain`
# computes $g$ and `noise.mix_at_snr` adds the scaled noise to the speech; every noisy clip of this book
# is made by these few lines. With `mode="active"` the two sums run only over the speech-active samples,
# the second measure of the next section.

# %%
print(inspect.getsource(noise.snr_gain))
print(inspect.getsource(noise.mix_at_snr))

# %% tags=["remove-cell"]
glue("nominal", f"{run.snr_db:g}", display=False)
glue("noise_factor", f"{10 ** (-run.snr_db / 10):.1f}", display=False)

# %% [markdown]
# ## Three ways to measure one mixture
#
# The formula leaves open *which* samples the sums run over. Each pair is measured three ways:
#
# whole-clip SNR
# : the sums run over every sample of the clip. Silence before and after the digit counts as signal
#   time, even though it holds no speech.
#
# speech-active SNR
# : the same ratio, with both sums only over the {glue:text}`frame_ms` ms frames where the clean clip is
#   within {glue:text}`active_threshold` dB of its loudest frame (`digitdenoise.metrics.active_mask`).
#
# segmental SNR
# : the SNR of every active frame on its own, each clamped to the range {glue:text}`seg_floor` to
#   {glue:text}`seg_ceiling` dB, then averaged. It weighs every frame equally, so quiet consonants count
#   as much as loud vowels.
#
# The table summarises each measure per noise type over all pairs: the number of pairs `n`, the mean
# with its 95% confidence interval (`ci_low` to `ci_high`), and the smallest and largest value.

# %%
rows = []
for p in pairs:
    s_p, x_p = p["clean"], p["noisy"]  # the clean clip and the noisy mixture of this pair
    rows.append({"clip_id": p["clip_id"], "speaker": p["speaker"], "digit": p["digit"],
                 "noise": p["noise"],
                 "whole": metrics.snr_db(s_p, x_p),
                 "speech-active": metrics.active_snr_db(s_p, x_p, sr, threshold_db=threshold),
                 "segmental": metrics.segmental_snr_db(s_p, x_p, sr, threshold_db=threshold),
                 "active share": float(metrics.active_mask(s_p, sr, threshold_db=threshold).mean())})
snr = pd.DataFrame(rows).merge(table[["clip_id", "accent"]], on="clip_id")
long = snr.melt(id_vars=["clip_id", "speaker", "digit", "noise", "accent"],
                value_vars=["whole", "speech-active", "segmental"], var_name="measure",
                value_name="SNR (dB)")
overview = evaluation.group_summary(long, ["measure", "noise"], "SNR (dB)")
overview = overview.set_index(["measure", "noise"])
overview.round(2)

# %% tags=["remove-cell"]
glue("n_pairs", len(snr), display=False)
glue("active_threshold", f"{threshold:g}", display=False)
segmental_defaults = inspect.signature(metrics.segmental_snr_db).parameters
glue("frame_ms", f"{segmental_defaults['frame_ms'].default:g}", display=False)
glue("seg_floor", f"{segmental_defaults['floor_db'].default:g}", display=False)
glue("seg_ceiling", f"{segmental_defaults['ceiling_db'].default:g}", display=False)
glue("active_mean", f"{snr['speech-active'].mean():.1f}", display=False)
glue("active_max", f"{snr['speech-active'].max():.1f}", display=False)
glue("whole_sd", f"{snr['whole'].std():.1e}", display=False)
glue("seg_white", f"{snr.loc[snr['noise'] == 'white', 'segmental'].mean():.1f}", display=False)
glue("seg_babble", f"{snr.loc[snr['noise'] == 'babble', 'segmental'].mean():.1f}", display=False)

# %% [markdown]
# Over {glue:text}`n_pairs` pairs the whole-clip SNR is the nominal value every time, by construction
# (its standard deviation is {glue:text}`whole_sd` dB, float rounding). While the digit is being spoken
# the speech stands higher above the noise — the speech-active SNR averages {glue:text}`active_mean` dB
# and reaches {glue:text}`active_max` dB for one pair — because the silences no longer count as signal
# time. The segmental SNR depends on the noise type: it averages {glue:text}`seg_white` dB for white
# noise and {glue:text}`seg_babble` dB for babble, whose energy rises and falls like speech.
#
# ## By digit and by speaker
#
# The report this book started from showed mean, minimum and maximum SNR per digit and per accent.
# {numref}`fig-snr-by-digit` shows the same kind of summary for our pairs, with 95% confidence intervals
# of the mean. What to look for: the dashed line is the nominal SNR, which every pair has over the whole
# clip; how far above it does each digit sit, and does the order of the digits depend on the noise?

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Speech-active (left) and segmental (right) SNR by digit for each noise type, at one nominal whole-clip SNR. Points are means, bars 95% confidence intervals.", "name": "fig-snr-by-digit"}}
fig, axes = plt.subplots(1, 2, figsize=(14, 4.5), sharey=False, layout="constrained")
for ax, measure in zip(axes, ["speech-active", "segmental"]):
    sns.pointplot(data=snr, x="digit", y=measure, hue="noise", errorbar=("ci", 95), dodge=0.4,
                  linestyle="none", markers="o", ax=ax, seed=run.seed)
    ax.axhline(run.snr_db, color="grey", ls="--", lw=1, label="nominal")
    ax.set(title=f"{measure.capitalize()} SNR by digit", xlabel="Digit",
           ylabel=f"{measure} SNR (dB)")
axes[1].get_legend().remove()
axes[0].legend(title="noise", ncols=2, fontsize=9)
fig.suptitle(f"Same nominal {run.snr_db:g} dB, different effective SNR", fontweight="bold")
plt.show()

# %% [markdown]
# The table gives the number of clips, the mean with its 95% confidence interval, the minimum and the
# maximum of the speech-active SNR per digit in white noise. For steady noise like this, the measure
# depends on the clip alone: on how its speech energy is spread over time.

# %%
white = snr[snr["noise"] == "white"]
by_digit = evaluation.group_summary(white, "digit", "speech-active").set_index("digit")
by_digit.round(2)

# %% tags=["remove-cell"]
glue("best_digit", int(by_digit["mean"].idxmax()), display=False)
glue("best_digit_snr", f"{by_digit['mean'].max():.1f}", display=False)
glue("worst_digit", int(by_digit["mean"].idxmin()), display=False)
glue("worst_digit_snr", f"{by_digit['mean'].min():.1f}", display=False)
glue("digit_min_max", f"{by_digit['min'].max():.1f}", display=False)
digit_means = snr.pivot_table(index="digit", columns="noise", values="speech-active")
top_digit = digit_means.idxmax()
glue("top_digit_by_noise", "; ".join(f"{kind} {int(top_digit[kind])}" for kind in kinds
                                     if kind in top_digit), display=False)
rank_corr = digit_means.rank().corr()  # Spearman's rank correlation between the noise types
rho_steady, rho_babble = rank_corr.loc["white", "pink"], rank_corr.loc["white", "babble"]
glue("rank_white_pink", f"{rho_steady:.2f}", display=False)
glue("rank_white_babble", f"{rho_babble:.2f}", display=False)
if not np.isfinite(rho_babble):
    verdict = "this run has too few digits in each noise to compare their order"
elif rho_babble >= 0.7:
    verdict = ("babble orders the digits much as white noise does: the order comes from the clips (how "
               "much of each is silence) more than from the noise")
else:
    verdict = ("babble reshuffles them: when the noise itself rises and falls, where its loud moments "
               "fall matters as much as the clip")
glue("rank_verdict", verdict, display=False)

# %% [markdown]
# In white noise the digit {glue:text}`best_digit` has the highest mean speech-active SNR
# ({glue:text}`best_digit_snr` dB) and the digit {glue:text}`worst_digit` the lowest
# ({glue:text}`worst_digit_snr` dB). The minimum of every digit sits at or near the nominal value (the
# largest minimum is {glue:text}`digit_min_max` dB): some clips of every digit are nearly all speech, and
# for those the two measures agree.
#
# Back to the question of {numref}`fig-snr-by-digit`, whether the order of the digits depends on the
# noise. The digit with the highest mean speech-active SNR is, by noise type:
# {glue:text}`top_digit_by_noise`. The rank correlation of the digit means (1: the same order, 0:
# unrelated) is {glue:text}`rank_white_pink` between white and pink noise, two steady noises, and
# {glue:text}`rank_white_babble` between white noise and babble: {glue:text}`rank_verdict`. With few clips
# per digit, as in the smoke profile, both numbers are rough.
#
# {numref}`fig-snr-by-speaker` asks the same question by speaker and by accent. What to look for: how
# far apart the speakers' means are, compared with the width of their confidence intervals.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Speech-active SNR by speaker (left) and by accent (right), white noise at the nominal SNR: mean with 95% confidence interval; the number of clips is in the tick labels.", "name": "fig-snr-by-speaker"}}
fig, axes = plt.subplots(1, 2, figsize=(14, max(3.5, 0.28 * white["speaker"].nunique() + 1.5)),
                         layout="constrained")
for ax, column in zip(axes, ["speaker", "accent"]):
    order = white.groupby(column)["speech-active"].mean().sort_values().index
    counts = white[column].value_counts()
    sns.pointplot(data=white, y=column, x="speech-active", order=order, errorbar=("ci", 95),
                  linestyle="none", ax=ax, seed=run.seed, color="C0")
    ax.set_yticks(range(len(order)), [f"{o} (n={counts[o]})" for o in order])
    ax.axvline(run.snr_db, color="grey", ls="--", lw=1)
    ax.set(title=f"Speech-active SNR by {column}", xlabel="Speech-active SNR (dB)",
           ylabel=column.capitalize())
plt.show()

# %% tags=["remove-cell"]
speaker_means = white.groupby("speaker")["speech-active"].mean()
glue("speaker_spread", f"{speaker_means.max() - speaker_means.min():.1f}", display=False)
glue("top_speaker", str(speaker_means.idxmax()), display=False)
glue("n_white_speakers", len(speaker_means), display=False)

# %% [markdown]
# The means of the {glue:text}`n_white_speakers` speakers span {glue:text}`speaker_spread` dB, with
# {glue:text}`top_speaker` highest. The noise is the same kind and at the same whole-clip SNR for every
# clip, so this spread comes from the speakers: the clips of some hold more frames that are quiet
# compared with their loudest one (pauses, silence at the ends, soft consonants). An accent with one
# speaker inherits that speaker's habits, which is why chapter 1 warned against reading the right panel
# as an effect of accent.
#
# ## Why one nominal SNR sounds different across digits
#
# Two things decide how hard a mixture is for a listener, and neither is in the nominal number.
#
# **Silence share.** Suppose a fraction $a$ of the clip's samples is speech-active and the noise is
# steady. Its *power* (energy per sample) is then the same everywhere, so the active part holds about a
# fraction $a$ of the noise *energy*, but nearly all of the speech energy. Dividing the speech energy
# by only that part of the noise energy gives
#
# $$
# \mathrm{SNR}_\text{active} \approx 10\log_{10}\frac{\sum_t s(t)^2}{a\sum_t n(t)^2}
#   = \mathrm{SNR}_\text{whole} - 10\log_{10} a .
# $$
#
# Since $a \le 1$, the correction $-10\log_{10} a$ is never negative: clips with more silence around the
# digit get a *better* SNR while the digit is spoken. {numref}`fig-silence-share` tests the formula on
# the white-noise pairs. What to look for: do the points follow the curve, and where do they leave it?

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Gap between speech-active and whole-clip SNR against the share of the clip that is speech-active (white noise). The curve is -10 log10(a), what the gap would be if all speech energy sat in the active frames.", "name": "fig-silence-share"}}
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
gap = white["speech-active"] - white["whole"]
sns.scatterplot(x=white["active share"], y=gap, hue=white["digit"].astype(str), palette="tab10",
                s=18, ax=ax)
a = np.linspace(max(0.05, white["active share"].min()), 1, 100)
ax.plot(a, -10 * np.log10(a), color="black", lw=1.5, label="-10 log10(a)")
ax.set(title="More silence, higher SNR while speaking",
       xlabel="Speech-active share of the clip (a)",
       ylabel="Speech-active minus whole-clip SNR (dB)")
ax.legend(title="digit", ncols=2, fontsize=8)
plt.show()

# %% tags=["remove-cell"]
predicted = -10 * np.log10(white["active share"])
glue("median_active_share", f"{100 * white['active share'].median():.0f}%", display=False)
glue("median_gap", f"{gap.median():.2f}", display=False)
glue("median_predicted_gap", f"{predicted.median():.2f}", display=False)
glue("gap_below", f"{100 * (gap < predicted).mean():.0f}%", display=False)
glue("gap_dev_p90", f"{(gap - predicted).abs().quantile(0.9):.2f}", display=False)

# %% [markdown]
# Half of these clips are at least {glue:text}`median_active_share` speech-active, so the typical gap is
# small: {glue:text}`median_gap` dB at the median, against {glue:text}`median_predicted_gap` dB predicted
# by the formula. Nine pairs in ten lie within {glue:text}`gap_dev_p90` dB of the curve, and
# {glue:text}`gap_below` of the points lie below it. Two effects move a point off the curve. The formula
# assumes that *all* speech energy sits in the active frames, but the quiet frames outside hold a little
# of it, which the speech-active SNR leaves out: that pulls points below the curve. And the noise is
# random: in some pairs a little more, in others a little less than the share $a$ of its energy falls in
# the active frames, which moves the point down or up.
#
# **Spectral overlap.** Noise hurts where it shares frequencies with the speech. White noise spreads its
# power evenly up to the Nyquist frequency, pink noise leans towards low frequencies and babble has the
# spectrum of speech itself. The measure below is the share of the speech energy that sits in
# time–frequency bins where the speech is louder than the noise (local SNR above 0 dB): the part a
# listener, or a mask, can still find.

# %%
def dominated_share(p):
    return metrics.speech_dominated_share(p["clean"], p["noise_signal"], n_fft, hop)


shares = pd.DataFrame([{"digit": p["digit"], "noise": p["noise"],
                        "speech-dominated share": dominated_share(p)} for p in pairs])
share_table = shares.pivot_table(index="noise", columns="digit", values="speech-dominated share")
share_table = share_table.reindex(kinds)

# %% tags=["remove-cell"]
mean_share = shares.groupby("noise")["speech-dominated share"].mean()
glue("share_white", f"{100 * mean_share['white']:.0f}%", display=False)
glue("share_babble", f"{100 * mean_share['babble']:.0f}%", display=False)
glue("share_lowest_noise", mean_share.idxmin(), display=False)
speech = np.concatenate([p["clean"] for p in pairs if p["noise"] == "white"])
f_speech, level_speech = metrics.long_term_spectrum_db(speech, sr, 4 * n_fft)
cumulative = np.cumsum(10 ** (level_speech / 10))
glue("speech_half_hz", f"{f_speech[np.searchsorted(cumulative, cumulative[-1] / 2)]:.0f}", display=False)
# the left panel in numbers: the share of the speech's long-term energy in bands where a noise's curve lies above
above = {kind: metrics.speech_share_under_noise(
    np.concatenate([p["clean"] for p in pairs if p["noise"] == kind]),
    np.concatenate([p["noise_signal"] for p in pairs if p["noise"] == kind]), sr, 4 * n_fft) for kind in kinds}
glue("noise_above_speech", "; ".join(f"{k} {100 * v:.0f}%" for k, v in sorted(above.items(), key=lambda kv: -kv[1])),
     display=False)

# %% [markdown]
# {numref}`fig-spectral-overlap` shows both sides. Left, the long-term spectra: what to look for is
# where each noise curve lies above the speech curve, for there the noise wins. Half of the speech
# energy of this run lies below {glue:text}`speech_half_hz` Hz. Right, the speech-dominated share by
# digit and noise type: darker cells are harder mixtures.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Left: long-term spectra of the speech of this run and of each noise at the same total power. Right: share of speech energy in bins where speech dominates, by digit and noise type, at the nominal SNR.", "name": "fig-spectral-overlap"}}
fig, axes = plt.subplots(1, 2, figsize=(15, 4.8), layout="constrained",
                         gridspec_kw={"width_ratios": [1, 1.3]})
axes[0].plot(f_speech, level_speech, color="black", lw=2, label="speech")
for kind in kinds:
    sig = np.concatenate([p["noise_signal"] for p in pairs if p["noise"] == kind])
    f, level = metrics.long_term_spectrum_db(sig, sr, 4 * n_fft)
    axes[0].plot(f, level, lw=1.2, label=kind)
axes[0].set(title="Where the energy is", xlabel="Frequency (Hz)",
            ylabel="Power density (dB/Hz re FS)", xscale="log", xlim=(50, sr / 2))
axes[0].legend()
sns.heatmap(share_table, annot=True, fmt=".2f", cmap="viridis", vmin=0, vmax=1, ax=axes[1],
            cbar_kws={"label": "share of speech energy"})
axes[1].set(title="Speech energy still above the noise", xlabel="Digit", ylabel="Noise")
plt.show()

# %% [markdown]
# Read the left panel as a long-term version of the right: at this run's SNR, the share of the speech's
# energy that lies in frequency bands where a noise's curve is above the speech's is
# {glue:text}`noise_above_speech`. At the same total power, a noise shaped like speech covers it in every
# band, while a noise that spends much of its power where speech has little (white noise spreads it evenly
# up to half the sampling rate) leaves more of the speech above it. The long-term view is coarse: the right
# panel, bin by bin and frame by frame, finds far more speech energy above the noise, because speech
# comes in loud, sparse harmonics and pauses that an average over time flattens.
#
# At the same nominal SNR, {glue:text}`share_white` of the speech energy stays above white noise but
# only {glue:text}`share_babble` above babble; the hardest noise by this measure is
# {glue:text}`share_lowest_noise`. Listen to the two white-noise mixtures of this run with the lowest and
# the highest speech-dominated share: both are at exactly the same whole-clip SNR.
#
# **Listen for** how much of the word survives the hiss in each, and which parts go first: the vowel, a
# loud tone concentrated in a few harmonics, stands far above the flat noise in its bins, while soft,
# spread-out consonants sink under it. Then play the two clean clips and listen for what makes one of
# them easier to hear through the same noise.

# %% tags=["hide-input"]
white_pairs = [p for p in pairs if p["noise"] == "white"]
by_share = sorted(white_pairs, key=dominated_share)
hard, easy = by_share[0], by_share[-1]
audio.players({f"hardest: {hard['clip_id']}": hard["noisy"],
               f"easiest: {easy['clip_id']}": easy["noisy"],
               "hardest, clean": hard["clean"], "easiest, clean": easy["clean"]}, sr,
              title=f"Both mixtures are at exactly {run.snr_db:g} dB whole-clip SNR")

# %% [markdown]
# ## The "−24 dB" pitfall
#
# The student report measured its distributed noisy set, nominally −8 dB, and found a mean of about
# −24 dB with a minimum near −47 dB. Numbers like that appear when a pair is compared sample by sample
# although the noisy file is not simply *clean + noise*: it was **peak-normalised** on export, shifted
# by a few milliseconds, or padded to another length. The clean speech then leaks into the difference
# $x(t) - s(t)$ that the formula takes for noise.
#
# We reproduce it: each noisy mixture is "exported" the way many tools do — scaled to a peak of 0.9,
# preceded by 20 ms of silence, padded to 1.2 s — and measured naively against its clean clip. Then the
# fix: find the delay by cross-correlation, crop to the overlap, undo the gain by least squares, and
# measure again. The least-squares gain is the number that, multiplied by the clean clip, best explains
# the stored file (the SI-SDR at the end of this chapter uses the same idea).
# `digitdenoise.metrics.align_pair` does all three steps:

# %%
print(inspect.getsource(metrics.align_pair))

# %% [markdown]
# The cell below exports every white-noise pair and measures it naively and after `align_pair`; the
# table summarises the naive and the aligned SNR, the delay found and the gain undone.

# %%
def export_like_a_tool(noisy, sr):
    y = 0.9 * noisy / np.max(np.abs(noisy))
    y = np.concatenate([np.zeros(int(0.02 * sr), np.float32), y])
    return np.pad(y, (0, max(0, int(1.2 * sr) - y.size)))


pit = []
for p in white_pairs:
    stored = export_like_a_tool(p["noisy"], sr)
    naive = metrics.power_ratio_db(p["clean"], stored[: p["clean"].size] - p["clean"])
    c, x, lag, gain = metrics.align_pair(p["clean"], stored, sr)
    pit.append({"naive": naive, "aligned": metrics.snr_db(c, x), "lag (ms)": 1000 * lag / sr,
                "gain": gain})
pit = pd.DataFrame(pit)
pit.describe().round(2)

# %% tags=["remove-cell"]
glue("naive_mean", f"{pit['naive'].mean():.1f}", display=False)
glue("naive_min", f"{pit['naive'].min():.1f}", display=False)
glue("aligned_mean", f"{pit['aligned'].mean():.2f}", display=False)
glue("aligned_sd", f"{pit['aligned'].std():.2f}", display=False)
glue("median_lag", f"{pit['lag (ms)'].median():g}", display=False)
glue("gain_corr", f"{np.corrcoef(np.log10(pit['gain']), pit['naive'])[0, 1]:.2f}", display=False)

# %% [markdown]
# {numref}`fig-pitfall` compares the two measurements. What to look for: where each histogram sits
# relative to the dashed nominal line, and how wide it is.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The same white-noise pairs measured naively against the exported noisy file (orange) and after alignment and gain correction (blue). The dashed line is the nominal SNR.", "name": "fig-pitfall"}}
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
bins = np.linspace(min(pit["naive"].min(), run.snr_db - 2),
                   max(pit["aligned"].max(), run.snr_db + 2), 60)
ax.hist(pit["aligned"], bins=bins, alpha=0.8, label="aligned and gain-corrected")
ax.hist(pit["naive"], bins=bins, alpha=0.8, label="naive sample-by-sample")
ax.axvline(run.snr_db, color="black", ls="--", lw=1, label=f"nominal {run.snr_db:g} dB")
ax.set(title="Measuring exported pairs: the mistake and the fix", xlabel="Measured SNR (dB)",
       ylabel="Pairs")
ax.legend()
plt.show()

# %% [markdown]
# Measured naively, the pairs average {glue:text}`naive_mean` dB (worst {glue:text}`naive_min` dB),
# the same kind of figure as the report's. After alignment they average {glue:text}`aligned_mean` dB
# (standard deviation {glue:text}`aligned_sd` dB; the small spread is the chance correlation of the noise
# with the speech, which the gain estimate cannot tell apart). The alignment finds the delay of
# {glue:text}`median_lag` ms that the export added. Peak normalisation is the main culprit: the quieter
# the clean clip, the larger the export gain and the further the naive figure falls (the correlation
# between the logarithm of the gain and the naive SNR is {glue:text}`gain_corr`).
#
# ## Scoring an estimate: SI-SDR
#
# From chapter 5 on, the question changes from "how noisy is this mixture?" to "how close is a
# denoiser's output $\hat s$ to the clean speech $s$?". The SNR formula with $n = \hat s - s$ answers it
# badly: an output that is perfect except for its level, say $\hat s = 0.5\,s$, leaves an "error"
# $-0.5\,s$ and scores only $10\log_{10}(1/0.25) \approx 6$ dB, although it sounds exactly like the clean
# clip, only quieter. The pitfall above was the same problem in another guise.
#
# The **scale-invariant signal-to-distortion ratio** {cite:p}`leroux2019sdr` first finds the multiple of
# the clean signal that best explains the estimate,
#
# $$
# \alpha = \frac{\langle \hat s, s\rangle}{\lVert s\rVert^2},
# \qquad \langle \hat s, s\rangle = \sum_t \hat s(t)\, s(t), \quad \lVert s\rVert^2 = \sum_t s(t)^2 ,
# $$
#
# takes $\alpha s$ as the target and everything else, $\hat s - \alpha s$, as the error:
#
# $$
# \mathrm{SI\text{-}SDR} = 10\log_{10}\frac{\lVert \alpha s\rVert^2}{\lVert \hat s-\alpha s\rVert^2}.
# $$
#
# $\alpha$ is the least-squares gain: it makes the error as small as possible, and the error is then
# orthogonal to $s$. Multiplying the estimate by any $c \neq 0$ multiplies $\alpha$ and the error by the
# same $c$, so the ratio does not change. The library's version also removes the mean of both signals
# first, so a constant offset does not count either:

# %%
print(inspect.getsource(metrics.si_sdr_db))

# %% [markdown]
# A two-line check on the first pair, taking its noisy mixture as the "estimate": halving it changes the
# SNR but not the SI-SDR.

# %%
s, x = pairs[0]["clean"], pairs[0]["noisy"]
demo = pd.DataFrame({"SNR (dB)": [metrics.snr_db(s, x), metrics.snr_db(s, 0.5 * x)],
                     "SI-SDR (dB)": [metrics.si_sdr_db(s, x), metrics.si_sdr_db(s, 0.5 * x)]},
                    index=["noisy mixture", "noisy mixture x 0.5"])
demo.round(2)

# %% tags=["remove-cell"]
glue("demo_snr", f"{demo.iloc[0, 0]:.2f}", display=False)
glue("demo_snr_half", f"{demo.iloc[1, 0]:.2f}", display=False)
glue("demo_sisdr", f"{demo.iloc[0, 1]:.2f}", display=False)
glue("demo_sisdr_half", f"{demo.iloc[1, 1]:.2f}", display=False)

# %% [markdown]
# The SNR moves from {glue:text}`demo_snr` dB to {glue:text}`demo_snr_half` dB, although nothing but the
# level has changed. Halving does two things to the "error" $\hat s - s = 0.5\,n - 0.5\,s$: the noise in
# it is halved, and half of the speech now counts as error. Which of the two wins depends on how loud
# the noise was, so the SNR of a rescaled estimate can move either way. The SI-SDR stays at
# {glue:text}`demo_sisdr` dB ({glue:text}`demo_sisdr_half` dB after halving). For a plain mixture the
# two measures nearly agree: the noise is almost uncorrelated with the speech, so $\alpha$ is close to 1.
# SI-SDR forgives the level, but not a delay: a shifted estimate no longer lines up with $s$, and no
# gain can fix that (exercise 5 lets you see it).
#
# ## Listen: one clip at four SNRs
#
# White noise at −15, −8, 0 and +10 dB whole-clip SNR, with the clean clip for reference. All five
# players share one gain.
#
# **Listen for** the SNR at which you can no longer name the digit, and for which part of the word
# disappears first as the noise rises: the consonants at its edges or the vowel in its middle. The
# student report's noisy set was nominally −8 dB, the third player.

# %% tags=["hide-input"]
clean = clips[0]
white_noise = noise.coloured_noise("white", len(clean), seed=run.seed)
levels = {f"{s:+g} dB": noise.mix_at_snr(clean, white_noise, s)[0] for s in (-15, -8, 0, 10)}
audio.players({"clean": clean, **levels}, sr,
              title=f"Clip {table['clip_id'].iloc[0]} in white noise")

# %% [markdown]
# ## Summary
#
# * The SNR is $10\log_{10}$ of the speech energy over the noise energy, with the noise defined as
#   noisy minus clean; over the same samples the energy ratio equals the power ratio.
# * All {glue:text}`n_pairs` pairs have exactly the nominal {glue:text}`nominal` dB over the whole clip,
#   but {glue:text}`active_mean` dB on average while the digit is spoken, and a segmental SNR of
#   {glue:text}`seg_white` dB in white noise against {glue:text}`seg_babble` dB in babble.
# * Silence raises the speech-active SNR by about $-10\log_{10} a$; spectral overlap decides how much
#   speech stays above the noise: {glue:text}`share_white` of it in white noise, {glue:text}`share_babble`
#   in babble.
# * Measuring an exported noisy file sample by sample gave {glue:text}`naive_mean` dB on average (worst
#   {glue:text}`naive_min` dB); after alignment and gain correction, {glue:text}`aligned_mean` dB.
# * SI-SDR ignores the level of an estimate: halving a mixture moved its SNR from {glue:text}`demo_snr`
#   to {glue:text}`demo_snr_half` dB and left its SI-SDR at {glue:text}`demo_sisdr` dB.
#
# ## Exercises
#
# 1. **A much noisier set.** Run `digitdenoise run --chapters 2 --profile smoke -p snr_db -20` and read
#    the first table. The whole-clip SNR follows the nominal value; does the segmental SNR fall by the
#    same 12 dB? Explain what you see from the lower clamp in its definition.
# 2. **What counts as speech.** Run
#    `digitdenoise run --chapters 2 --profile smoke -p active_threshold_db 40`. How do the active shares in
#    {numref}`fig-silence-share` and the speech-active SNRs change, and why? Which threshold would you
#    choose for clips recorded in a noisy room?
# 3. **More silence.** Run `digitdenoise run --chapters 2 --dataset audiomnist-sample` and compare the gap
#    between speech-active and whole-clip SNR with this run's. Relate it to the silence you measured
#    in chapter 1.
# 4. **Which export step does the damage?** In the cell that defines `export_like_a_tool`, replace the
#    peak normalisation `y = 0.9 * noisy / np.max(np.abs(noisy))` by `y = noisy` (keep the delay and the
#    padding) and rerun that cell. How much of the naive error is left? Then restore the line and set
#    the delay `0.02` to `0` instead.
# 5. **What SI-SDR does not forgive.** In the cell that builds `demo`, replace both `0.5 * x` by
#    `np.roll(x, 8)`, a delay of 8 samples, and rerun it. Compare the SI-SDR with the undelayed one, and
#    explain why no choice of $\alpha$ can make up for a delay.
