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
# Averages hide people. This chapter breaks results down by speaker, digit and speaker attribute. It
# starts one step earlier, with the inputs: even at one nominal SNR, the noisy clips are not equally
# hard for every speaker.

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

from digitdenoise import audio, config, data, metrics, noise, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
sr = data.spec(run.dataset).working_rate

# %% [markdown]
# ## Same nominal SNR, different speakers
#
# Every clip is mixed with white noise at exactly the nominal whole-clip SNR. The segmental SNR over
# speech-active frames then differs by speaker: a speaker who leaves long pauses, or whose voice is
# concentrated in a few loud frames, gets a different effective SNR while speaking.

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
# ## Listen: one noisy clip per speaker

# %%
first = clips.groupby("speaker").head(1)
audio.players({s: pairs[i][1] for i, s in zip(first.index, first["speaker"])}, sr,
              title=f"White noise at {run.snr_db:g} dB, one clip per speaker")
