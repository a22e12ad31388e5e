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
# "−8 dB SNR" sounds like one precise condition. It is not. The same number can be measured over
# the whole clip or only while someone speaks, it says nothing about *where* in time and frequency the
# noise sits, and measured carelessly it can be off by more than ten decibels. This chapter builds
# clean/noisy pairs itself, so every number can be checked, and measures them three ways.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = "artifacts"
seed = 0
snr_db = -8.0  # the nominal SNR of the noisy set (dB)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from myst_nb import glue

from digitdenoise import audio, config, data, evaluation, metrics, noise, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
sr = data.spec(run.dataset).working_rate
n_fft, hop = 256 * sr // 8000, 64 * sr // 8000
table = data.load_clips(run.dataset, run.data_home, seed=run.seed)
per_speaker = None if run["snr_pairs"] is None else max(1, run["snr_pairs"] // table["speaker"].nunique())
table = data.subsample(table, per_speaker, seed=run.seed) if per_speaker else table
clips = data.read_clips(table["path"], sr)
recordings = noise.load_noise_recordings(noise.ensure_noise_recordings(run.data_home), sr)
kinds = ["white", "pink", "recording", "babble"]
pairs = noise.make_pairs(table, clips, kinds, run.snr_db, sr=sr, recordings=recordings, seed=run.seed)
print(f"{len(table)} clean clips x {len(kinds)} noise types = {len(pairs)} pairs at {run.snr_db:g} dB")

# %% [markdown]
# ## Three ways to measure one mixture
#
# Every clean clip is mixed with four kinds of noise — white, pink, a random excerpt of a real
# background recording, and babble made from four *other* speakers — scaled so that the **whole-clip**
# SNR is exactly the nominal value. Then each pair is measured three ways:
#
# whole-clip SNR
# : $10\log_{10}\big(\sum_n s[n]^2 / \sum_n v[n]^2\big)$ over every sample, where $s$ is the speech
#   and $v$ the noise. Silence before and after the digit counts as signal time.
#
# speech-active SNR
# : the same ratio over the 20 ms frames where the clean clip is within {glue:text}`active_threshold` dB
#   of its loudest frame (`digitdenoise.metrics.ACTIVE_THRESHOLD_DB`).
#
# segmental SNR
# : the mean of per-frame SNRs over those active frames, each clamped to −10…35 dB. It weighs every
#   frame equally, so quiet consonants count as much as loud vowels.

# %%
rows = []
for p in pairs:
    rows.append({"clip_id": p["clip_id"], "speaker": p["speaker"], "digit": p["digit"], "noise": p["noise"],
                 "whole": metrics.snr_db(p["clean"], p["noisy"]),
                 "speech-active": metrics.active_snr_db(p["clean"], p["noisy"], sr),
                 "segmental": metrics.segmental_snr_db(p["clean"], p["noisy"], sr),
                 "active share": float(metrics.active_mask(p["clean"], sr).mean())})
snr = pd.DataFrame(rows).merge(table[["clip_id", "accent"]], on="clip_id")
long = snr.melt(id_vars=["clip_id", "speaker", "digit", "noise", "accent"],
                value_vars=["whole", "speech-active", "segmental"], var_name="measure", value_name="SNR (dB)")
overview = evaluation.group_summary(long, ["measure", "noise"], "SNR (dB)").set_index(["measure", "noise"]).round(2)
glue("n_pairs", len(snr), display=False)
glue("active_threshold", f"{metrics.ACTIVE_THRESHOLD_DB:g}", display=False)
glue("active_mean", f"{snr['speech-active'].mean():.1f}", display=False)
glue("seg_white", f"{snr.loc[snr['noise'] == 'white', 'segmental'].mean():.1f}", display=False)
glue("seg_babble", f"{snr.loc[snr['noise'] == 'babble', 'segmental'].mean():.1f}", display=False)
overview

# %% [markdown]
# Over {glue:text}`n_pairs` pairs the whole-clip SNR is the nominal value every time, by construction.
# While the digit is being spoken the speech stands higher above the noise — the speech-active SNR
# averages {glue:text}`active_mean` dB — because the silences no longer count as signal time. The
# segmental SNR depends on the noise type: it averages {glue:text}`seg_white` dB for white noise and
# {glue:text}`seg_babble` dB for babble, whose energy rises and falls like speech.
#
# ## By digit and by speaker
#
# The report this book started from showed mean, minimum and maximum SNR per digit and per accent.
# Here are the same summaries for our pairs, with 95% confidence intervals of the mean.

# %% mystnb={"figure": {"caption": "Speech-active (left) and segmental (right) SNR by digit for each noise type, at one nominal whole-clip SNR. Points are means, bars 95% confidence intervals.", "name": "fig-snr-by-digit"}}
fig, axes = plt.subplots(1, 2, figsize=(14, 4.5), sharey=False, layout="constrained")
for ax, measure in zip(axes, ["speech-active", "segmental"]):
    sns.pointplot(data=snr, x="digit", y=measure, hue="noise", errorbar=("ci", 95), dodge=0.4,
                  linestyle="none", markers="o", ax=ax, seed=run.seed)
    ax.axhline(run.snr_db, color="grey", ls="--", lw=1, label="nominal")
    ax.set(title=f"{measure.capitalize()} SNR by digit", xlabel="Digit", ylabel=f"{measure} SNR (dB)")
axes[1].get_legend().remove()
axes[0].legend(title="noise", ncols=2, fontsize=9)
fig.suptitle(f"Same nominal {run.snr_db:g} dB, different effective SNR", fontweight="bold")
plt.show()

# %% [markdown]
# The table gives the number of clips, mean, 95% CI, minimum and maximum of the speech-active SNR per
# digit in white noise (for steady noise this measure depends on the clip alone).

# %%
evaluation.group_summary(snr[snr["noise"] == "white"], "digit", "speech-active").set_index("digit").round(2)

# %% mystnb={"figure": {"caption": "Speech-active SNR by speaker (left) and by accent (right), white noise at the nominal SNR: mean with 95% confidence interval; the number of clips is in the tick labels.", "name": "fig-snr-by-speaker"}}
white = snr[snr["noise"] == "white"]
fig, axes = plt.subplots(1, 2, figsize=(14, max(3.5, 0.28 * white["speaker"].nunique() + 1.5)), layout="constrained")
for ax, column in zip(axes, ["speaker", "accent"]):
    order = white.groupby(column)["speech-active"].mean().sort_values().index
    counts = white[column].value_counts()
    sns.pointplot(data=white, y=column, x="speech-active", order=order, errorbar=("ci", 95), linestyle="none",
                  ax=ax, seed=run.seed, color="C0")
    ax.set_yticks(range(len(order)), [f"{o} (n={counts[o]})" for o in order])
    ax.axvline(run.snr_db, color="grey", ls="--", lw=1)
    ax.set(title=f"Speech-active SNR by {column}", xlabel="Speech-active SNR (dB)", ylabel=column.capitalize())
plt.show()

# %% [markdown]
# ## Why one nominal SNR sounds different across digits
#
# Two things decide how hard a mixture is for a listener, and neither is in the nominal number.
#
# **Silence share.** The whole-clip SNR spreads the speech energy over the whole clip. If a fraction
# $a$ of the clip is active speech, the noise power during speech is $a$ times the total, so the
# speech-active SNR is higher by about $-10\log_{10} a$ dB. Clips with more silence around the digit
# get a *better* SNR while the digit is spoken.

# %% mystnb={"figure": {"caption": "Gap between speech-active and whole-clip SNR against the share of the clip that is speech-active (white noise). The curve is -10 log10(a), what the gap would be if all speech energy sat in the active frames.", "name": "fig-silence-share"}}
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
gap = white["speech-active"] - white["whole"]
sns.scatterplot(x=white["active share"], y=gap, hue=white["digit"].astype(str), palette="tab10", s=18, ax=ax)
a = np.linspace(max(0.05, white["active share"].min()), 1, 100)
ax.plot(a, -10 * np.log10(a), color="black", lw=1.5, label="-10 log10(a)")
ax.set(title="More silence, higher SNR while speaking", xlabel="Speech-active share of the clip (a)",
       ylabel="Speech-active minus whole-clip SNR (dB)")
ax.legend(title="digit", ncols=2, fontsize=8)
plt.show()

# %% [markdown]
# **Spectral overlap.** Noise hurts where it shares frequencies with the speech. Speech energy is
# concentrated below about 1 kHz, white noise spreads its power evenly up to the Nyquist frequency,
# pink noise leans towards low frequencies and babble has the spectrum of speech itself. The measure
# below is the share of the speech energy that sits in time–frequency bins where the speech is louder
# than the noise (local SNR above 0 dB): the part a listener, or a mask, can still find.

# %%
share_rows = [{"digit": p["digit"], "noise": p["noise"],
               "speech-dominated share": metrics.speech_dominated_share(p["clean"], p["noise_signal"], n_fft, hop)}
              for p in pairs]
shares = pd.DataFrame(share_rows)
share_table = shares.pivot_table(index="noise", columns="digit", values="speech-dominated share").reindex(kinds)
glue("share_white", f"{100 * shares.loc[shares['noise'] == 'white', 'speech-dominated share'].mean():.0f}%", display=False)
glue("share_babble", f"{100 * shares.loc[shares['noise'] == 'babble', 'speech-dominated share'].mean():.0f}%", display=False)

# %% mystnb={"figure": {"caption": "Left: long-term spectra of the speech of this run and of each noise at the same total power. Right: share of speech energy in bins where speech dominates, by digit and noise type, at the nominal SNR.", "name": "fig-spectral-overlap"}}
fig, axes = plt.subplots(1, 2, figsize=(15, 4.8), layout="constrained", gridspec_kw={"width_ratios": [1, 1.3]})
speech = np.concatenate([p["clean"] for p in pairs if p["noise"] == "white"])
f, level = metrics.long_term_spectrum_db(speech, sr, 4 * n_fft)
axes[0].plot(f, level, color="black", lw=2, label="speech")
for kind in kinds:
    sig = np.concatenate([p["noise_signal"] for p in pairs if p["noise"] == kind])
    f, level = metrics.long_term_spectrum_db(sig, sr, 4 * n_fft)
    axes[0].plot(f, level, lw=1.2, label=kind)
axes[0].set(title="Where the energy is", xlabel="Frequency (Hz)", ylabel="Power density (dB/Hz re FS)", xscale="log",
            xlim=(50, sr / 2))
axes[0].legend()
sns.heatmap(share_table, annot=True, fmt=".2f", cmap="viridis", vmin=0, vmax=1, ax=axes[1],
            cbar_kws={"label": "share of speech energy"})
axes[1].set(title="Speech energy still above the noise", xlabel="Digit", ylabel="Noise")
plt.show()

# %% [markdown]
# At the same nominal SNR, {glue:text}`share_white` of the speech energy stays above white noise but
# only {glue:text}`share_babble` above babble. Listen to the two white-noise mixtures of this run with
# the lowest and the highest speech-dominated share: both are at exactly the same whole-clip SNR.

# %%
white_pairs = [p for p in pairs if p["noise"] == "white"]
by_share = sorted(white_pairs, key=lambda p: metrics.speech_dominated_share(p["clean"], p["noise_signal"], n_fft, hop))
hard, easy = by_share[0], by_share[-1]
audio.players({f"hardest: {hard['clip_id']}": hard["noisy"], f"easiest: {easy['clip_id']}": easy["noisy"],
               "hardest, clean": hard["clean"], "easiest, clean": easy["clean"]}, sr,
              title=f"Both mixtures are at exactly {run.snr_db:g} dB whole-clip SNR")

# %% [markdown]
# ## The "−24 dB" pitfall
#
# The student report measured its distributed noisy set, nominally −8 dB, and found a mean of about
# −24 dB with a minimum near −47 dB. Numbers like that appear when a pair is compared sample by sample
# although the noisy file is not simply *clean + noise*: it was **peak-normalised** on export, shifted
# by a few milliseconds, or padded to another length. The clean speech then leaks into the difference
# that is taken for noise.
#
# We reproduce it: each noisy mixture is "exported" the way many tools do — scaled to a peak of 0.9,
# preceded by 20 ms of silence, padded to 1.2 s — and measured naively against its clean clip. Then the
# fix: find the delay by cross-correlation, crop to the overlap, undo the gain by least squares
# (`digitdenoise.metrics.align_pair`), and measure again.

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
    pit.append({"naive": naive, "aligned": metrics.snr_db(c, x), "lag (ms)": 1000 * lag / sr, "gain": gain})
pit = pd.DataFrame(pit)
glue("naive_mean", f"{pit['naive'].mean():.1f}", display=False)
glue("naive_min", f"{pit['naive'].min():.1f}", display=False)
glue("aligned_mean", f"{pit['aligned'].mean():.2f}", display=False)
glue("aligned_sd", f"{pit['aligned'].std():.2f}", display=False)
pit.describe().round(2)

# %% mystnb={"figure": {"caption": "The same white-noise pairs measured naively against the exported noisy file (orange) and after alignment and gain correction (blue). The dashed line is the nominal SNR.", "name": "fig-pitfall"}}
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
bins = np.linspace(min(pit["naive"].min(), run.snr_db - 2), max(pit["aligned"].max(), run.snr_db + 2), 60)
ax.hist(pit["aligned"], bins=bins, alpha=0.8, label="aligned and gain-corrected")
ax.hist(pit["naive"], bins=bins, alpha=0.8, label="naive sample-by-sample")
ax.axvline(run.snr_db, color="black", ls="--", lw=1, label=f"nominal {run.snr_db:g} dB")
ax.set(title="Measuring exported pairs: the mistake and the fix", xlabel="Measured SNR (dB)", ylabel="Pairs")
ax.legend()
plt.show()

# %% [markdown]
# Measured naively, the pairs average {glue:text}`naive_mean` dB (worst {glue:text}`naive_min` dB),
# the same kind of figure as the report's. After alignment they average {glue:text}`aligned_mean` dB
# (standard deviation {glue:text}`aligned_sd` dB; the small spread is the chance correlation of the noise
# with the speech, which the gain estimate cannot tell apart). Peak normalisation is the main culprit:
# the quieter the clean clip, the larger the export gain and the further the naive figure falls.
#
# ## Listen: one clip at four SNRs
#
# White noise at −15, −8, 0 and +10 dB whole-clip SNR, with the clean clip for reference. All five
# players share one gain.

# %%
clean = clips[0]
white_noise = noise.coloured_noise("white", len(clean), seed=run.seed)
levels = {f"{s:+g} dB": noise.mix_at_snr(clean, white_noise, s)[0] for s in (-15, -8, 0, 10)}
audio.players({"clean": clean, **levels}, sr, title=f"Clip {table['clip_id'].iloc[0]} in white noise")
