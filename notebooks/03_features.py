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
# The convolutional autoencoders in this book look at audio as an image: a short-time Fourier
# transform (STFT), time along one axis and frequency along the other. Every choice on the way there —
# sample rate, clip length, window, frequency scale, compression, normalisation — changes what the
# model can learn and what can be turned back into sound. This chapter makes each choice with the data
# in front of us and records all of them in one `FeatureConfig`.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = "artifacts"
seed = 0
snr_db = -8.0  # the nominal SNR of the noisy set (dB)

# %%
import dataclasses
import time

import librosa
import librosa.display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from myst_nb import glue

from digitdenoise import audio, config, data, features, metrics, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
plots.book_style()
spec = data.spec(run.dataset)
sr = spec.working_rate
cfg = features.FeatureConfig.for_sample_rate(sr)
table = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"], seed=run.seed)
print(f"{len(table)} clips; native rate {spec.sample_rate} Hz, working rate {sr} Hz")

# %% [markdown]
# ## Sample rate
#
# AudioMNIST is recorded at 48 kHz, FSDD at 8 kHz. Spoken digits carry almost all their energy below
# 4 kHz, and intelligibility needs little above 8 kHz, so the book works at **16 kHz for AudioMNIST**
# (three times fewer samples, an STFT a third the height) and keeps **FSDD at its native 8 kHz**. The
# figure compares the long-term spectrum of this run's clips at the native and the working rate, and
# the table says how much energy the working rate gives up.

# %%
sample = table.sample(min(len(table), 40), random_state=run.seed)
native = data.read_clips(sample["path"])
working = data.read_clips(sample["path"], sr)
lost = [features.energy_above(y, spec.sample_rate, sr / 2) for y in native]
glue("lost_share", f"{100 * np.mean(lost):.2f}%", display=False)
pd.DataFrame({"native rate (Hz)": [spec.sample_rate], "working rate (Hz)": [sr],
              "clips measured": [len(native)], "mean energy above working Nyquist (%)": [100 * np.mean(lost)],
              "max (%)": [100 * np.max(lost)]}).round(3)

# %% mystnb={"figure": {"caption": "Long-term average spectrum of the sampled clips at the native rate and after resampling to the working rate. Everything right of the dashed line (the working Nyquist frequency) is removed.", "name": "fig-resampling"}}
fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
f, lvl = metrics.long_term_spectrum_db(np.concatenate(native), spec.sample_rate, 2048)
ax.plot(f, lvl, label=f"native, {spec.sample_rate} Hz", lw=1.5)
f, lvl = metrics.long_term_spectrum_db(np.concatenate(working), sr, 2048 * sr // spec.sample_rate)
ax.plot(f, lvl, label=f"working, {sr} Hz", lw=1.5, ls="--")
ax.axvline(sr / 2, color="black", ls=":", lw=1, label="working Nyquist")
ax.set(title="Spectrum before and after resampling", xlabel="Frequency (Hz)", ylabel="Power density (dB/Hz re FS)",
       xscale="log", xlim=(40, spec.sample_rate / 2))
ax.legend()
plt.show()

# %% [markdown]
# On average {glue:text}`lost_share` of the energy lies above the working Nyquist frequency.
#
# ## Clip length
#
# Convolutional models want inputs of one size. Clips are zero-padded at the end or cut to a fixed
# window; the measured durations decide how long it should be.

# %%
all_clips = data.load_clips(run.dataset, run.data_home, seed=run.seed)
candidates = pd.DataFrame([features.duration_report(all_clips["duration_s"], w) for w in (0.75, 1.0, 1.25, 1.5)])
candidates["chosen"] = np.isclose(candidates["window_s"], cfg.duration_s)
glue("window", f"{cfg.duration_s:g}", display=False)
chosen = features.duration_report(all_clips["duration_s"], cfg.duration_s)
glue("cut_share", f"{100 * chosen['clips_cut_share']:.1f}%", display=False)
glue("pad_share", f"{100 * chosen['mean_padding_share']:.0f}%", display=False)
candidates.round(3)

# %% mystnb={"figure": {"caption": "Clip durations of the whole dataset with the chosen fixed window; clips right of the line are cut.", "name": "fig-durations"}}
fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
ax.hist(all_clips["duration_s"], bins=60, color="C0")
ax.axvline(cfg.duration_s, color="C3", lw=2, label=f"window {cfg.duration_s:g} s")
ax.set(title=f"{run.dataset}: clip durations", xlabel="Duration (s)", ylabel="Clips")
ax.legend()
plt.show()

# %% [markdown]
# A {glue:text}`window` s window cuts {glue:text}`cut_share` of the clips, while on average
# {glue:text}`pad_share` of a window is padding.
# Padding is harmless: silence in, silence out.
#
# ## Window length: time against frequency resolution
#
# A longer STFT window resolves frequency more finely and time more coarsely. Pitch harmonics need
# about 30 ms to separate; plosive onsets need a few milliseconds. The book uses
# {glue:text}`win_ms` ms windows with a quarter-window hop.

# %% mystnb={"figure": {"caption": "One clip analysed with three window lengths (hop = window / 4). Short windows smear the harmonics, long windows smear onsets.", "name": "fig-windows"}}
y = working[0]
glue("win_ms", f"{1000 * cfg.n_fft / sr:g}", display=False)
windows = [cfg.n_fft // 2, cfg.n_fft, cfg.n_fft * 4]
fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True, layout="constrained")
vmax = plots.spectrogram_db(y, cfg.n_fft, cfg.hop_length).max()
for ax, n in zip(axes, windows):
    img = plots.spectrogram_panel(ax, plots.spectrogram_db(y, n, n // 4), sr, n // 4, vmin=vmax - 80, vmax=vmax,
                                  n_fft=n, title=f"{1000 * n / sr:g} ms window: {sr / n:.0f} Hz bins")
plots.outer_labels_only(axes)
fig.colorbar(img, ax=axes, label="Power (dB re full scale)")
plt.show()

# %% [markdown]
# ## Frequency scale and compression
#
# Magnitudes span several orders of magnitude; on a linear scale only the loudest vowel harmonics are
# visible. A logarithm compresses them the way hearing does. The mel scale spaces frequency bands like
# the ear, merging the high bins; it is compact, but it cannot be inverted exactly, so the denoisers in
# this book predict the linear-frequency STFT and mel features are kept for analysis and for the
# classifier of chapter 6.

# %% mystnb={"figure": {"caption": "The same clip as linear magnitude, log magnitude, mel power and log mel power.", "name": "fig-scales"}}
S = features.stft(y, cfg)
mel = np.einsum("mf,ft->mt", features.mel_filterbank(cfg), np.abs(S) ** 2)
panels = {"linear magnitude |S|": np.abs(S), "log magnitude log(|S| + floor)": features.log_magnitude(S, cfg),
          f"mel power ({cfg.n_mels} bands)": mel, "log mel power": features.log_mel(y, cfg)}
fig, axes = plt.subplots(2, 2, figsize=(14, 7), layout="constrained")
for ax, (name, img_data) in zip(axes.flat, panels.items()):
    is_mel = name.startswith(("mel", "log mel"))
    im = librosa.display.specshow(img_data, sr=sr, hop_length=cfg.hop_length, n_fft=cfg.n_fft, x_axis="time",
                                  y_axis="mel" if is_mel else "linear", ax=ax, cmap="magma")
    ax.set(title=name, xlabel="Time (s)", ylabel="Frequency (Hz)")
    fig.colorbar(im, ax=ax, label="natural log units" if name.startswith("log") else "linear units")
plt.show()

# %% [markdown]
# ## Normalisation: keep the level
#
# The seed projects scale every spectrogram to [0, 1] on its own (per-clip min–max). That throws away
# most of the clip's level: a whisper and a shout of the same digit become nearly the same image,
# and a quiet clean clip can hardly be told from a loud one. The book instead standardises each frequency bin with a mean and
# standard deviation fitted once on training clips (`features.Normaliser`), a fixed transform that keeps
# level differences and can be undone exactly.

# %%
waves, lengths = data.load_waveforms(table, sr, cfg.n_samples)
logmag = features.log_magnitude_batch(waves, cfg)
norm = features.Normaliser.fit(logmag)
gains_db = np.arange(-30, 1, 5)
probe = waves[: min(50, len(waves))]
sweep = []
for g in gains_db:
    scaled = features.log_magnitude_batch(probe * 10 ** (g / 20), cfg)
    sweep.append({"gain (dB)": g, "per-clip min-max": features.minmax_per_clip(scaled).mean(),
                  "fitted normaliser": norm.transform(scaled).mean()})
sweep = pd.DataFrame(sweep)
span = sweep.drop(columns="gain (dB)").agg(np.ptp)
glue("span_minmax", f"{span['per-clip min-max']:.3f}", display=False)
glue("span_norm", f"{span['fitted normaliser']:.2f}", display=False)
glue("n_probe", len(probe), display=False)
sweep.round(3).set_index("gain (dB)")

# %% mystnb={"figure": {"caption": "Mean model input of the same clips played 0 to 30 dB quieter, after per-clip min-max scaling and after the fitted normaliser.", "name": "fig-normalisation"}}
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
for column in ["per-clip min-max", "fitted normaliser"]:
    ax.plot(sweep["gain (dB)"], sweep[column], marker="o", label=column)
ax.set(title="Does the model input know how loud the clip is?", xlabel="Gain applied to the clips (dB)",
       ylabel="Mean model input (feature units)")
ax.legend()
plt.show()

# %% [markdown]
# Over a 30 dB range of gain the mean min–max input of {glue:text}`n_probe` clips moves by only
# {glue:text}`span_minmax` (its range is [0, 1]), while the normalised input moves by
# {glue:text}`span_norm` standard units: after min–max scaling a whisper and a shout look nearly alike.
# (Min–max does not erase the level completely, because silent bins pin the minimum at the log floor.)
#
# ## Back to audio
#
# With a Hann window and a hop of a quarter window the overlapping windows add up to a constant, so the
# inverse STFT gives back the waveform exactly. We check it on every clip of this run:

# %%
back = features.istft(features.stft(waves, cfg), cfg, length=cfg.n_samples)
errors = np.abs(back - waves).max(axis=1)
glue("roundtrip_error", f"{errors.max():.1e}", display=False)
glue("n_roundtrip", len(errors), display=False)
pd.Series(errors, name="max |x - istft(stft(x))| per clip").describe().to_frame()

# %% [markdown]
# The largest sample error over {glue:text}`n_roundtrip` clips is {glue:text}`roundtrip_error` of full
# scale: float rounding. A model that predicts only a magnitude must get a phase from somewhere.
# Griffin-Lim {cite:p}`griffin1984signal` estimates one iteratively, as the seed projects do; the
# models in this book reuse the phase of the noisy input. Below both are applied to the *clean*
# magnitude, so any difference is the phase alone.

# %%
exact = features.reconstruct_with_phase(np.abs(S), S, cfg, length=len(y))
gl = features.griffin_lim(np.abs(S), cfg, n_iter=32, length=len(y), seed=run.seed)
gl_spec = features.stft(gl, cfg)
lsd = float(np.sqrt(np.mean((features.log_magnitude(gl_spec, cfg) - features.log_magnitude(S, cfg)) ** 2)))
glue("gl_snr", f"{metrics.snr_db(y, gl):.1f}", display=False)
glue("gl_lsd", f"{lsd:.2f}", display=False)
audio.players({"original": y, "magnitude + true phase": exact, "Griffin-Lim, 32 iterations": gl}, sr,
              title=f"Clip {sample['clip_id'].iloc[0]}: same magnitude, different phase")

# %% [markdown]
# Griffin-Lim's waveform matches the original with an SNR of only {glue:text}`gl_snr` dB even though
# its magnitude is close (log-spectral distance {glue:text}`gl_lsd` natural-log units): the phase is
# different, and it is audible as a rough, phasey timbre.
#
# ## Dimensions and speed
#
# What one example looks like for each dataset, and how fast this machine turns clips into features.

# %%
rows = []
for name in ("fsdd", "audiomnist"):
    c = features.FeatureConfig.for_sample_rate(data.spec(name).working_rate)
    rows.append({"dataset": name, "rate (Hz)": c.sample_rate, "window (s)": c.duration_s, "samples": c.n_samples,
                 "n_fft / hop": f"{c.n_fft} / {c.hop_length}", "STFT (freq x frames)": f"{c.n_freqs} x {c.n_frames}",
                 "mel (bands x frames)": f"{c.n_mels} x {c.n_frames}", "STFT input (kB, float32)": c.n_freqs * c.n_frames * 4 / 1000})
pd.DataFrame(rows).set_index("dataset")

# %%
cold_start = time.perf_counter()
data.load_waveforms(table, sr, cfg.n_samples, cache=False)
cold = time.perf_counter() - cold_start
warm_start = time.perf_counter()
data.load_waveforms(table, sr, cfg.n_samples)
warm = time.perf_counter() - warm_start
batch_start = time.perf_counter()
features.log_magnitude_batch(waves, cfg)
batched = time.perf_counter() - batch_start
loop_start = time.perf_counter()
for w in waves:
    np.log(np.abs(librosa.stft(w, n_fft=cfg.n_fft, hop_length=cfg.hop_length)) + cfg.log_floor)
loop = time.perf_counter() - loop_start
speed = pd.DataFrame({
    "step": ["decode + resample + fix length", "the same, from the cache",
             "log-magnitude STFT, chunks of 128 clips", "log-magnitude STFT, Python loop over clips"],
    "seconds": [cold, warm, batched, loop],
})
speed["clips/s"] = len(table) / speed["seconds"]
glue("cache_speedup", f"{cold / warm:.0f}", display=False)
speed.round(3)

# %% [markdown]
# Decoded, resampled, fixed-length clips are cached as 16-bit integers in `$DIGITDENOISE_CACHE/waveforms/`
# under a key made of the clip ids, their file sizes, the rate and the window, so the next chapter that
# needs the same clips reads one file instead of decoding again ({glue:text}`cache_speedup`× faster
# here). The STFT is fastest done a chunk of clips at a time: one call for thousands of clips at once
# is slower than a loop, because its complex intermediate no longer fits in the processor caches.
# Chapter 5 computes the STFT inside the model, on the fly, from the noisy waveform.
#
# The complete configuration used from here on:

# %%
pd.Series(dataclasses.asdict(cfg), name="value").to_frame()
