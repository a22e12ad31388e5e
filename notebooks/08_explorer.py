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
# # 8. Explore it yourself
#
# Pick a test speaker, a digit, a noise type, an SNR and a model, then look at and listen to the clean,
# noisy and denoised versions with their SI-SDR and PESQ. Open this chapter in Jupyter (after chapter 5
# has run for the same dataset and profile) and the panel below is live. In the published book no
# kernel runs, so a gallery of fixed choices follows instead, rendered by the same code.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = "artifacts"
seed = 0
snr_db = -8.0  # the SNR of the gallery (dB)

# %%
import os

from IPython.display import Markdown, display

from digitdenoise import config, evaluation, explorer, plots, training

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
denoisers, best_name, best_source = training.load_chapter5_models(run.artifacts_dir)
test = evaluation.build_test_set(run.dataset, run.data_home, seed=run.seed, clips_per_speaker=run["clips_per_speaker"],
                                 max_clips=40)
ex = explorer.Explorer(test, {name: denoisers[name] for name in [best_name, "report_cae"] if name in denoisers})

# %% [markdown]
# ## The live panel

# %%
if os.environ.get("DIGITDENOISE_STATIC"):
    display(Markdown("*This page was executed for the static book, where widgets cannot run: open "
                     "`notebooks/08_explorer.py` in Jupyter for the live panel. The gallery below shows fixed choices.*"))
else:
    display(ex.widget())

# %% [markdown]
# ## Gallery
#
# The first test speaker's first digit in each noise type at the chapter's SNR, through the best model;
# then the same white-noise clip through the report's autoencoder for comparison.

# %%
speaker = ex.speakers[0]
digit = ex.digits(speaker)[0]
for kind in [n for n in evaluation.MAIN_NOISES if n in test.conditions]:
    ex.show(ex.example(speaker, digit, kind, run.snr_db, best_name))
if "report_cae" in ex.denoisers:
    ex.show(ex.example(speaker, digit, "white", run.snr_db, "report_cae"))

# %% [markdown]
# ## Outside the book: your own recordings
#
# The same model cleans audio files of any length, sample rate and channel count. `inference.Enhancer`
# downmixes to mono, resamples to the model's rate and runs the fully convolutional model over the whole
# signal (long files in 30 s pieces whose cross-faded joins equal one pass; clips under 0.5 s mirrored
# up to 0.5 s, appendix 9), then resamples back: the output has the input's rate and length. Below, three seconds of a held-out speaker (several digits in a row) in pink noise at −5 dB
# (babble is the hard case: see chapter 6).

# %%
import time

import numpy as np

from digitdenoise import audio, inference, metrics, noise

enhancer = inference.Enhancer(model=denoisers[best_name])
speech = np.concatenate([c[:n] for c, n in zip(test.clean, test.lengths)])[: 3 * ex.sr]
pink = test.sources["pink"][0].draw("pink", speech.size, np.random.default_rng(run.seed))
noisy_long, _ = noise.mix_at_snr(speech, pink, -5.0)
started = time.perf_counter()
cleaned = enhancer.enhance(noisy_long, ex.sr)
elapsed = time.perf_counter() - started
print(f"{speech.size / ex.sr:.1f} s of audio in {elapsed:.2f} s (real-time factor {elapsed / (speech.size / ex.sr):.3f}); "
      f"SI-SDR {metrics.si_sdr_db(speech, noisy_long):.1f} dB -> {metrics.si_sdr_db(speech, cleaned):.1f} dB")
audio.players({"clean": speech, "noisy (pink, -5 dB)": noisy_long, "denoised": cleaned}, ex.sr,
              title="Several digits in a row, processed as one file")

# %% [markdown]
# From a shell, the `denoise` command does the same for files and folders, and `denoise serve` offers it
# over HTTP (the README has both, with a `curl` example):
#
# ```bash
# denoise my_recordings/ -o cleaned/          # recursive; never overwrites an input
# denoise serve --port 8000                   # POST a WAV to http://127.0.0.1:8000/denoise
# ```
