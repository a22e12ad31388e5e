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
# "−8 dB SNR" sounds like one precise condition. It is not: the same number can be measured over the
# whole clip or only while someone is speaking, and it hides how the noise is spread over time and
# frequency. This chapter measures SNR three ways on pairs we build ourselves, so that every number
# can be checked.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = "artifacts"
seed = 0
snr_db = -8.0  # the nominal SNR of the noisy set (dB)

# %%
import numpy as np
import pandas as pd
from myst_nb import glue

from digitdenoise import audio, config, data, metrics, noise, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
sr = data.spec(run.dataset).working_rate
clips = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"], seed=run.seed)

# %% [markdown]
# ## Three ways to measure one mixture
#
# For each clean clip we add white noise scaled so that the **whole-clip** SNR is exactly the nominal
# value, then measure
#
# * the whole-clip SNR, $10\log_{10}\big(\sum s^2 / \sum n^2\big)$ over every sample;
# * the **speech-active** SNR, the same ratio over the frames where the clean clip is within 25 dB of
#   its loudest frame;
# * the **segmental** SNR, the mean of per-frame SNRs (20 ms frames, each clamped to −10…35 dB) over
#   the speech-active frames.

# %%
subset = clips.groupby("speaker").head(max(1, run["snr_pairs"] // clips["speaker"].nunique()))
clean_clips = data.read_clips(subset["path"], sr)
pairs = noise.mixtures(clean_clips, noise.NoiseSource(sr), "white", run.snr_db, seed=run.seed)
table = subset[["clip_id", "speaker", "digit"]].copy()
table["whole"] = [metrics.snr_db(c, x) for c, x in pairs]
table["speech-active"] = [metrics.active_snr_db(c, x, sr) for c, x in pairs]
table["segmental"] = [metrics.segmental_snr_db(c, x, sr) for c, x in pairs]
summary = table[["whole", "speech-active", "segmental"]].describe().T[["mean", "std", "min", "max"]].round(2)
glue("n_pairs", len(table), display=False)
glue("active_mean", f"{table['speech-active'].mean():.1f}", display=False)
summary

# %% [markdown]
# Over {glue:text}`n_pairs` pairs the whole-clip SNR is the nominal value every time, by construction,
# while the speech-active SNR averages {glue:text}`active_mean` dB: while the digit is being spoken,
# the speech stands further above the noise than the nominal number says.
#
# ## Listen: one clip at four SNRs

# %%
clean = clean_clips[0]
white = noise.coloured_noise("white", len(clean), seed=run.seed)
levels = {f"{s:+g} dB": noise.mix_at_snr(clean, white, s)[0] for s in (-15, -8, 0, 10)}
audio.players({"clean": clean, **levels}, sr, title=f"Clip {subset['clip_id'].iloc[0]} in white noise")
