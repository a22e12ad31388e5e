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
# # 4. Making noisy data
#
# A denoiser learns from pairs: a noisy input and the clean clip it should give back. The student
# report this book grew out of used a fixed set of noisy files at a nominal −8 dB. Here we make the
# noisy side ourselves, on the fly, from clean clips and noise we control, so that the SNR is exact,
# the noise is fresh in every epoch, and the test speakers never leak into training.
#
# This chapter shows the ingredients: generated coloured noise, real background recordings and
# babble made from other speakers, all mixed with one clean clip at exactly the requested SNR.

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
from myst_nb import glue

from digitdenoise import audio, config, data, metrics, noise, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
sr = data.spec(run.dataset).working_rate
clips = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"], seed=run.seed)
clips = data.assign_split(clips, seed=run.seed)
print(f"{len(clips)} clips at {sr} Hz; speakers per split:",
      clips.groupby("split")["speaker"].unique().map(list).to_dict())

# %% [markdown]
# ## The noise sources
#
# * **White, pink and brown noise** are generated: Gaussian noise whose power falls by 0, 3 and 6 dB
#   per octave.
# * **Recordings** are the background-noise files of the Speech Commands corpus (dishes, a cat, an
#   exercise bike, a running tap, and two generated-noise files). They are quiet, so each is scaled to
#   unit RMS before mixing.
# * **Babble** sums four clips of *other* speakers. They are always training speakers: the
#   validation and test speakers must never be heard during training, not even as noise. A clip's own
#   speaker is never in its babble.

# %%
recordings = noise.load_noise_recordings(noise.ensure_noise_recordings(run.data_home), sr)
example = clips[clips["split"] == "train"].iloc[0]
others = clips[(clips["split"] == "train") & (clips["speaker"] != example["speaker"])]
babble_pool = data.read_clips(others.sample(min(40, len(others)), random_state=run.seed)["path"], sr)
source = noise.NoiseSource(sr, recordings=recordings, babble_clips=babble_pool)
pd.DataFrame({"noise type": source.kinds,
              "origin": ["generated" if k in noise.COLOURS else "babble" if k == "babble" else "recording"
                         for k in source.kinds]})

# %% [markdown]
# ## One clean clip, every noise
#
# We take one training clip and mix it with each noise type at the run's SNR. The measured SNR of
# each mixture (whole clip) is printed next to the request: mixing scales the noise so the two agree.

# %%
clean, _ = data.read_audio(example["path"], sr)
rows, measured = {}, []
for i, kind in enumerate(source.kinds):
    n = source.draw(kind, len(clean), np.random.default_rng([run.seed, i]))
    noisy, _ = noise.mix_at_snr(clean, n, run.snr_db)
    rows[kind] = {"clean": clean, "noisy": noisy}
    measured.append({"noise": kind, "requested SNR (dB)": run.snr_db,
                     "measured SNR (dB)": round(metrics.snr_db(clean, noisy), 4),
                     "speech-active SNR (dB)": round(metrics.active_snr_db(clean, noisy, sr), 2)})
glue("example_clip", example["clip_id"], display=False)
pd.DataFrame(measured)

# %% [markdown]
# The speech-active SNR is higher than the whole-clip SNR because the clip's silences count as
# signal time in the whole-clip figure; chapter 2 explains the difference.
#
# ## Listen
#
# Rows are noise types, columns clean and noisy, for clip {glue:text}`example_clip`. All players
# share one gain.

# %%
audio.player_grid(rows, sr, title=f"Clip {example['clip_id']} at {run.snr_db:g} dB SNR", row_header="noise")

# %% [markdown]
# ## What the noise does to the spectrogram
#
# The same mixtures as spectrograms on one colour scale (dB relative to full scale), so darker really
# means quieter in every panel.

# %%
cfg_fft, hop = 256 * sr // 8000, 64 * sr // 8000
specs = {"clean": plots.spectrogram_db(clean, cfg_fft, hop)}
specs.update({k: plots.spectrogram_db(v["noisy"], cfg_fft, hop) for k, v in rows.items()})
vmax = max(s.max() for s in specs.values())
ncols = 4
nrows = int(np.ceil(len(specs) / ncols))
fig, axes = plt.subplots(nrows, ncols, figsize=(15, 3.0 * nrows), sharex=True, sharey=True, layout="constrained")
for ax, (name, s) in zip(axes.flat, specs.items()):
    img = plots.spectrogram_panel(ax, s, sr, hop, title=name, vmin=vmax - 80, vmax=vmax, n_fft=cfg_fft)
plots.outer_labels_only(axes, n_used=len(specs))
fig.colorbar(img, ax=axes, label="Power (dB re full scale)", shrink=0.8)
fig.suptitle(f"Clip {example['clip_id']}: clean and mixed at {run.snr_db:g} dB", fontsize=14, fontweight="bold")
plt.show()
