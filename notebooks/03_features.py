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
# # 3. From waveform to features
#
# Convolutional autoencoders in this book work on time-frequency images: short-time Fourier
# transforms (STFT) of the audio. This chapter fixes every feature parameter in one
# `FeatureConfig`, checks that the STFT can be undone exactly, and listens to what is lost when only the
# magnitude is kept and the phase has to be guessed.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = "artifacts"
seed = 0
snr_db = -8.0  # the nominal SNR of the noisy set (dB)

# %%
import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from myst_nb import glue

from digitdenoise import audio, config, data, features, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
sr = data.spec(run.dataset).working_rate
cfg = features.FeatureConfig.for_sample_rate(sr)
pd.Series(dataclasses.asdict(cfg), name="value").to_frame()

# %% [markdown]
# ## The STFT can be undone exactly
#
# With a Hann window and a hop of a quarter window the overlapping windows add up to a constant, so
# the inverse STFT gives back the waveform. We check it on real clips:

# %%
clips = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"], seed=run.seed)
sample = data.read_clips(clips["path"].head(20), sr)
errors = [float(np.max(np.abs(features.istft(features.stft(y, cfg), cfg, len(y)) - y))) for y in sample]
glue("roundtrip_error", f"{max(errors):.1e}", display=False)
pd.Series(errors, name="max |x - istft(stft(x))|").describe().to_frame()

# %% [markdown]
# The largest sample error over these clips is {glue:text}`roundtrip_error` (full scale is 1): float
# rounding, nothing more.
#
# ## What Griffin-Lim loses
#
# If a model predicts only a magnitude, the phase must come from somewhere. Griffin-Lim
# {cite:p}`griffin1984signal` estimates one iteratively; the models in this book reuse the phase of the
# noisy input instead. Here both are applied to a *clean* magnitude, so any difference is the phase
# alone.

# %%
y = sample[0]
spec = features.stft(y, cfg)
exact = features.reconstruct_with_phase(np.abs(spec), spec, cfg, length=len(y))
gl = features.griffin_lim(np.abs(spec), cfg, n_iter=32, length=len(y), seed=run.seed)
audio.players({"original": y, "magnitude + true phase": exact, "Griffin-Lim, 32 iterations": gl}, sr,
              title=f"Clip {clips['clip_id'].iloc[0]}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 3.8), sharey=True)
s_ref = plots.spectrogram_db(y, cfg.n_fft, cfg.hop_length)
vmax = s_ref.max()
for ax, (name, sig) in zip(axes, {"original": y, "Griffin-Lim (32 iterations)": gl}.items()):
    img = plots.spectrogram_panel(ax, plots.spectrogram_db(sig, cfg.n_fft, cfg.hop_length), sr, cfg.hop_length,
                                  title=name, vmin=vmax - 80, vmax=vmax, n_fft=cfg.n_fft)
fig.colorbar(img, ax=axes, label="Power (dB re full scale)")
fig.suptitle("Same magnitude, different phase", fontweight="bold")
plt.show()
