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
# # 5. Models and training
#
# Every model in this book is trained under one recipe: the same speaker-disjoint split, the same
# on-the-fly noisy mixtures, the same features and the same budget. This chapter starts with what
# the models are trained on.

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

from digitdenoise import _io, audio, config, data, features, noise, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
sr = data.spec(run.dataset).working_rate
cfg = features.FeatureConfig.for_sample_rate(sr)

# %% [markdown]
# ## The training data
#
# Speakers, not clips, are split: a model is always tested on voices it has never heard. The split is
# drawn from the run's seed and written to the artifacts folder so later chapters use the same one.

# %%
clips = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"], seed=run.seed)
clips = data.assign_split(clips, seed=run.seed)
split_file = _io.write_text(run.artifacts_dir / "split.csv",
                            clips[["clip_id", "speaker", "digit", "take", "split"]].to_csv(index=False))
overview = clips.groupby("split").agg(speakers=("speaker", "nunique"), clips=("clip_id", "count"),
                                      audio_minutes=("duration_s", lambda d: round(d.sum() / 60, 1)))
overview["speaker names"] = clips.groupby("split")["speaker"].unique().map(lambda s: ", ".join(sorted(s)))
overview.loc[["train", "validation", "test"]]

# %%
glue("n_samples", cfg.n_samples, display=False)
glue("duration", f"{cfg.duration_s:g}", display=False)
glue("n_freqs", cfg.n_freqs, display=False)
glue("n_frames", cfg.n_frames, display=False)

# %% [markdown]
# Each clip becomes a fixed-length input of {glue:text}`n_samples` samples ({glue:text}`duration` s), an
# STFT of {glue:text}`n_freqs` frequency bins by {glue:text}`n_frames` frames.

# %% [markdown]
# ## Listen: one training pair
#
# The model sees the noisy mixture and is asked for the clean clip. A new noise draw is made for every
# clip in every epoch; here is one.

# %%
row = clips[clips["split"] == "train"].iloc[0]
clean = features.fix_length(data.read_audio(row["path"], sr)[0], cfg.n_samples)
noisy, _ = noise.mix_at_snr(clean, noise.coloured_noise("pink", cfg.n_samples, seed=run.seed), run.snr_db)
audio.players({"input: noisy": noisy, "target: clean": clean}, sr, title=f"Training pair from {row['clip_id']}")
