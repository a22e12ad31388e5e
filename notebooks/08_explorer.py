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
# ```{admonition} You will learn
# :class: tip
# * how to open this chapter as a live notebook and drive the explorer: speaker, digit, noise type, SNR
#   and model;
# * what to listen for in denoised speech: musical noise, muffled consonants and a phasey timbre, and
#   how each shows up in a spectrogram;
# * how the same clip fares in four kinds of noise, and how the book's model compares with the student
#   report's autoencoder on it;
# * how to clean recordings of any length with the trained model, and how to read the real-time factor
#   that comes with it.
# ```
#
# Pick a test speaker, a digit, a noise type, an SNR and a model, then look at and listen to the clean,
# noisy and denoised versions with their SI-SDR and PESQ. Numbers summarise; ears find the failures that
# numbers average away. One clip is an illustration, though, not evidence: chapter 6's averages over many
# clips are the evidence, and this chapter is where you go to hear what they mean.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, where chapter 5 saved its models
seed = 0
snr_db = -8.0  # the SNR of the gallery (dB)
gallery_digit = None  # the gallery's digit; None: the first digit of the first test speaker
long_noise = "pink"  # noise of the long recording: white, pink, recording, babble or a held-out one
long_snr_db = -5.0  # SNR of the long recording (dB)

# %% tags=["remove-input"]
import os

from IPython.display import Markdown, display
from myst_nb import glue

from digitdenoise import config, errors, evaluation, explorer, plots, training, zoo

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, seed=seed, snr_db=snr_db,
                     artifacts_dir=artifacts_dir or f"artifacts/{dataset}-{profile}")
plots.book_style()
denoisers, best_name, best_source = training.load_chapter5_models(run.artifacts_dir, seeds=("report_cae",))
test = evaluation.build_test_set(run.dataset, run.data_home, seed=run.seed,
                                 clips_per_speaker=run["clips_per_speaker"], max_clips=40)
# the report's autoencoder as chapters 5 and 6 compare it (on the book's loss where its own makes it collapse)
report_name = zoo.comparison_name(denoisers, "report_cae") or "report_cae"
ex = explorer.Explorer(test, {name: denoisers[name] for name in [best_name, report_name] if name in denoisers})

# %% [markdown]
# ## Opening the explorer live
#
# The published book is a static page: no Python kernel runs behind it, so the panel below cannot react
# to clicks there, and a gallery of fixed choices, rendered by the same code, takes its place. To use the
# panel yourself, run this chapter as a notebook:
#
# 1. Run chapter 5 for the dataset and profile you want (for example
#    `digitdenoise run --chapters 5 --profile smoke`); the explorer loads the models it saved.
# 2. From the repository root, convert the chapter into a notebook:
#    `jupytext --to ipynb notebooks/08_explorer.py -o 08_explorer.ipynb`. Keep the notebook at the root:
#    the chapter finds the saved models by paths relative to it (and `.ipynb` files are not committed).
# 3. Open `08_explorer.ipynb` in Jupyter, started from the repository root with `DIGITDENOISE_DATA_HOME`
#    set as for the runner (the project does not install Jupyter itself; `pip install jupyterlab` into
#    the environment and run `jupyter lab` if you have none). Set `profile` in the parameters cell to the
#    profile of step 1 and run all cells.
#
# The panel then appears under the next heading: dropdowns for speaker, digit, noise and model, a
# slider for the SNR and one for the *suppression strength*, and every change re-renders the
# spectrograms, the players and the metrics. The strength $s$ limits how much is removed: the output is
# $f\,x + (1 - f)\,\hat s$, the model's output $\hat s$ with the share $f = (1 - s)^3$ of the noisy input
# $x$ mixed back in, so no time-frequency bin loses more than $60 \log_{10} \frac{1}{1 - s}$ dB (18 dB at
# 0.5); 1 is the model's full output, 0 the input unchanged. Lower it when the denoised speech sounds
# muffled or watery: a little of the original background often sounds more natural than none. The
# `denoise` command (`--strength`) and the service (`strength`) offer the same control.
#
# ## The live panel

# %% tags=["remove-input"]
if os.environ.get("DIGITDENOISE_STATIC"):
    display(Markdown("*This page was executed for the static book, where widgets cannot run: open "
                     "`notebooks/08_explorer.py` in Jupyter as described above for the live panel. The "
                     "gallery below shows fixed choices.*"))
else:
    display(ex.widget())

# %% [markdown]
# ## Gallery
#
# One clip, the first test speaker's chosen digit, in each noise type at the chapter's SNR, through the
# best model; then the same white-noise clip through the report's autoencoder for comparison. Each example
# shows three spectrograms on one colour scale (clean, noisy, denoised), three players at one shared gain,
# and a table of SI-SDR and PESQ for the noisy and the denoised version.
#
# **How to read each example.** In the spectrograms, look first at the pauses before and after the digit:
# whatever remains there in the denoised panel is residual noise. Then look at the top of the clean panel
# for faint, high-frequency energy (consonants such as the *s* of "six" and "seven") and check whether it
# survives in the denoised panel. Three artefacts recur in mask-based denoising, and each has a sound:
#
# * **musical noise**: short, tonal "twinkles" or chirps in the pauses, where the mask let isolated noise
#   peaks through; in the spectrogram, scattered bright specks on a dark background;
# * **muffled consonants**: the quiet, noise-like consonants are removed along with the noise, so the
#   digit sounds dull or lisped; in the spectrogram, the high-frequency energy of the clean clip is missing;
# * **phasey timbre**: a hollow, metallic or "underwater" colour, heard when the phase of the output does
#   not fit its magnitudes (all models here start from the noisy phase; only the book's complex mask can
#   correct it).

# %% tags=["remove-input"]
speaker = ex.speakers[0]
digit = ex.digits(speaker)[0] if gallery_digit is None else int(gallery_digit)
gallery = {}


def show(kind, model):
    """Render and keep one gallery example; a noise type the test set lacks is skipped with a note."""
    if kind not in test.conditions:
        display(Markdown(f"*The test set has no {kind} condition; this example is skipped.*"))
        return
    gallery[(kind, model)] = ex.example(speaker, digit, kind, run.snr_db, model)
    ex.show(gallery[(kind, model)])


# %% [markdown]
# ### White noise
#
# **Listen for** musical noise in the pauses: white noise covers all frequencies evenly, so whatever the
# mask lets through can be scattered over the whole spectrogram as isolated specks, heard as chirps rather
# than as a smooth hiss.

# %%
show("white", best_name)

# %% [markdown]
# ### Pink noise
#
# **Listen for** a low rumble left under the voice: pink noise is strongest at low frequencies, where the
# vowels of the digit are strong too, so the two overlap most there.

# %%
show("pink", best_name)

# %% [markdown]
# ### A recorded noise
#
# **Listen for** changes in the background over time: a real recording is not steady, and a sound that
# starts mid-clip may be passed through, or removed together with part of the digit.

# %%
show("recording", best_name)

# %% [markdown]
# ### Babble
#
# **Listen for** the other voices. Babble is speech, so a model trained to keep speech has no simple
# way to tell the target from the talkers behind it: listen for fragments of the background voices that
# remain, and for consonants of the target that are muffled.

# %%
show("babble", best_name)

# %% [markdown]
# ### The same white-noise clip through the report's autoencoder
#
# The report's network as chapter 6 compares it: trained on the book's loss where chapter 5 has that run,
# because on its own loss it learns to output next to nothing. **Listen for** the timbre of the digit and
# for what happens in the pauses, and compare both with the white-noise example above. A loss that ignores
# the level (chapter 6) can leave this model's output much louder than its input; the players share one
# gain, so the other two then sound quiet.

# %%
if report_name in ex.denoisers:
    show("white", report_name)
else:
    display(Markdown("*Chapter 5 saved no `report_cae` model for this run.*"))

# %% tags=["remove-cell"]
def si_sdr(kind, model):
    table = gallery[(kind, model)].metrics["SI-SDR (dB)"]
    return table["noisy"], table[model]


def db(value):
    return f"{value:+.1f}".replace("-0.0", "±0.0").replace("+0.0", "±0.0")


best_runs = {kind: si_sdr(kind, m) for kind, m in gallery if m == best_name}
glue("gallery_clip8", f"digit {digit} by {speaker}", display=False)
glue("gallery_snr8", f"{run.snr_db:g}", display=False)
glue("gallery_gains8", "; ".join(f"{kind} {db(x)} dB → {db(y)} dB"
                                 for kind, (x, y) in best_runs.items()), display=False)
gains = {kind: y - x for kind, (x, y) in best_runs.items()}
glue("gallery_best8", f"{max(gains, key=gains.get)} noise ({db(max(gains.values()))} dB)", display=False)
glue("gallery_worst8", f"{min(gains, key=gains.get)} noise ({db(min(gains.values()))} dB)", display=False)
if ("white", report_name) in gallery:
    x, y = si_sdr("white", report_name)
    glue("report_cae8", f"the report's autoencoder ({report_name}) takes the same white-noise clip from {db(x)} dB to "
         f"{db(y)} dB, against {db(best_runs['white'][1])} dB for the best model", display=False)
else:
    glue("report_cae8", "chapter 5 saved no report's autoencoder for this run", display=False)

# %% [markdown]
# On {glue:text}`gallery_clip8` at {glue:text}`gallery_snr8` dB, the best model moves SI-SDR as follows
# (noisy → denoised): {glue:text}`gallery_gains8`. The largest gain is in {glue:text}`gallery_best8`,
# the smallest in {glue:text}`gallery_worst8`. For comparison, {glue:text}`report_cae8`. These are single
# clips with single noise draws: the ordering of the noise types can differ from clip to clip, and
# chapter 6 gives the averages with their intervals.
#
# ## Outside the book: your own recordings
#
# The same model cleans audio files of any length, sample rate and channel count. `inference.Enhancer`
# downmixes to mono, resamples to the model's rate and runs the fully convolutional model over the whole
# signal (long files in 30 s pieces whose cross-faded joins equal one pass; clips under 0.5 s mirrored
# up to 0.5 s, appendix 9), then resamples back: the output has the input's rate and length. Below, up to
# three seconds of a held-out speaker (several digits in a row) in the noise of the parameters cell. The run
# also times the call and reports its *real-time factor*, the processing time divided by the audio's
# duration (appendix 9 defines it and measures it properly, on pinned cores with repeats; this is a single
# call on whatever machine ran the book).
#
# **Listen for** the joins between digits (does the background stay even, or does it pump up and down
# between words?) and for the start of each digit, where a consonant can be lost.

# %% tags=["remove-input"]
import time

import numpy as np

from digitdenoise import audio, inference, metrics, noise

# %% tags=["hide-input"]
if long_noise not in test.sources:
    raise errors.ParameterError(f"long_noise={long_noise!r}: choose one of {sorted(test.sources)}.")
enhancer = inference.Enhancer(model=denoisers[best_name])
speech = np.concatenate([c[:n] for c, n in zip(test.clean, test.lengths)])[: 3 * ex.sr]
source, kind = test.sources[long_noise]
noise_long = source.draw(kind, speech.size, np.random.default_rng(run.seed))
noisy_long, _ = noise.mix_at_snr(speech, noise_long, long_snr_db)
started = time.perf_counter()
cleaned = enhancer.enhance(noisy_long, ex.sr)
elapsed = time.perf_counter() - started
audio.players({"clean": speech, f"noisy ({long_noise}, {long_snr_db:g} dB)": noisy_long,
               "denoised": cleaned}, ex.sr, title="Several digits in a row, processed as one file")

# %% tags=["remove-cell"]
duration = speech.size / ex.sr
glue("long_s8", f"{duration:.1f}", display=False)
glue("long_elapsed8", f"{elapsed:.2f}", display=False)
glue("long_rtf8", f"{elapsed / duration:.3f}", display=False)
glue("long_noise8", f"{long_noise} noise at {long_snr_db:g} dB", display=False)
glue("long_before8", f"{metrics.si_sdr_db(speech, noisy_long):+.1f}", display=False)
glue("long_after8", f"{metrics.si_sdr_db(speech, cleaned):+.1f}", display=False)
glue("long_gain8", f"{metrics.si_sdr_db(speech, cleaned) - metrics.si_sdr_db(speech, noisy_long):+.1f}",
     display=False)

# %% [markdown]
# The {glue:text}`long_s8` s of speech in {glue:text}`long_noise8` took {glue:text}`long_elapsed8` s to
# clean, a real-time factor of {glue:text}`long_rtf8` (below 1 means faster than real time). SI-SDR went
# from {glue:text}`long_before8` dB to {glue:text}`long_after8` dB, a change of
# {glue:text}`long_gain8` dB. A single timed call like this one can include one-off costs (such as
# preparing the model's compiled graph on first use), which is why appendix 9 times calls after a
# warm-up and repeats them.
#
# From a shell, the `denoise` command does the same for files and folders, and `denoise serve` offers it
# over HTTP (the README has both, with a `curl` example):
#
# ```bash
# denoise my_recordings/ -o cleaned/          # recursive; never overwrites an input
# denoise serve --port 8000                   # POST a WAV to http://127.0.0.1:8000/denoise
# ```
#
# ## Summary
#
# * The explorer shows one clip at a time, as spectrograms, players and SI-SDR and PESQ; in the static
#   book a gallery stands in for the live panel, which needs the chapter opened as a notebook.
# * On {glue:text}`gallery_clip8`, the best model gained most in {glue:text}`gallery_best8` and least in
#   {glue:text}`gallery_worst8`.
# * On the same white-noise clip, {glue:text}`report_cae8`.
# * A longer recording is cleaned in one call: {glue:text}`long_s8` s at a real-time factor of
#   {glue:text}`long_rtf8`, SI-SDR from {glue:text}`long_before8` dB to {glue:text}`long_after8` dB.
# * Ears and numbers answer different questions: listen for musical noise, muffled consonants and a
#   phasey timbre, and go to chapter 6 for how often they happen.
#
# ## Exercises
#
# Each exercise reruns this chapter with the project's runner (chapter 5 must have run for the same
# dataset and profile). Use `--profile smoke` for a quick try.
# A run with `-p` writes the executed chapter to `artifacts/<dataset>-<profile>/exercises/`, never over the
# book's own page (`--out` chooses another folder).
#
# 1. **A cleaner input.** Run `digitdenoise run --chapters 8 --profile default -p snr_db 0`. Compare the
#    gallery with the one at the default SNR: does the musical noise in the white-noise example fade, and
#    does the SI-SDR *gain* (denoised minus noisy) grow or shrink when the input is cleaner?
# 2. **A digit with consonants to lose.** Run
#    `digitdenoise run --chapters 8 --profile default -p gallery_digit 6`. "Six" begins and ends with an
#    *s*: in each example, look at the top of the clean spectrogram at both ends of the word and listen
#    for whether the denoised version keeps those hisses or sounds muffled.
# 3. **The hard case.** Run `digitdenoise run --chapters 8 --profile default -p long_noise babble`. Listen
#    to the long recording: which background voices survive, and how does the SI-SDR after denoising
#    compare with the pink-noise run?
# 4. **Where it breaks.** Run `digitdenoise run --chapters 8 --profile default -p long_snr_db -15`. At what
#    point in the recording can you no longer make out the digits in the denoised version, and does the
#    real-time factor change with the SNR? (Apart from timing noise it should not: the model does the
#    same arithmetic whatever the input sounds like.)
