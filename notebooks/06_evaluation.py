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
# # 6. Evaluation
#
# A denoiser is only as good as the evaluation behind its numbers. This chapter fixes the protocol:
# held-out speakers, one set of noise draws shared by every method, each noise type reported
# separately. It starts with the baseline every method must beat: doing nothing.

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

# %% [markdown]
# ## The test set
#
# The test clips are those of the held-out speakers. Every noise type is mixed into every test clip at
# the nominal SNR with draws that depend only on the seed and the clip's position, so every method
# later sees exactly the same mixtures.

# %%
clips = data.assign_split(
    data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"], seed=run.seed),
    seed=run.seed)
test = clips[clips["split"] == "test"].reset_index(drop=True)
train = clips[clips["split"] == "train"]
recordings = noise.load_noise_recordings(noise.ensure_noise_recordings(run.data_home), sr)
babble_pool = data.read_clips(train.sample(min(40, len(train)), random_state=run.seed)["path"], sr)
source = noise.NoiseSource(sr, recordings=recordings, babble_clips=babble_pool)
clean_test = data.read_clips(test["path"], sr)
glue("n_test", len(test), display=False)
glue("test_speakers", ", ".join(sorted(test["speaker"].unique())), display=False)

# %% [markdown]
# The test set holds {glue:text}`n_test` clips of speaker(s) {glue:text}`test_speakers`.
#
# ## The do-nothing baseline
#
# Scores of the noisy input itself, per noise type. The whole-clip SNR equals the nominal value by
# construction; the segmental SNR over speech-active frames shows how differently the noise types sit
# on the speech.

# %%
rows, examples = [], {}
for kind in source.kinds:
    pairs = noise.mixtures(clean_test, source, kind, run.snr_db, seed=run.seed)
    examples[kind] = {"clean": pairs[0][0], "noisy": pairs[0][1]}
    for (c, x), clip_id in zip(pairs, test["clip_id"]):
        rows.append({"noise": kind, "clip_id": clip_id, "SNR (dB)": metrics.snr_db(c, x),
                     "segmental SNR (dB)": metrics.segmental_snr_db(c, x, sr)})
baseline = pd.DataFrame(rows)
baseline.groupby("noise")[["SNR (dB)", "segmental SNR (dB)"]].agg(["mean", "std"]).round(2)

# %% [markdown]
# ## Listen: the first test clip in each noise

# %%
audio.player_grid(examples, sr, title=f"Test clip {test['clip_id'].iloc[0]} at {run.snr_db:g} dB", row_header="noise")
