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
# ```{admonition} You will learn
# :class: tip
# * why the book works at 16 kHz for AudioMNIST and at 8 kHz for FSDD, and how much resampling removes;
# * how the fixed clip length is chosen, and when padding with silence is harmless and when it is not;
# * the short-time Fourier transform (STFT) as a formula, its inverse by weighted overlap-add, and the
#   trade between time and frequency resolution that the window length sets;
# * why magnitudes are compressed with a logarithm, and how the models scale them: one fixed map that
#   keeps the level, unlike per-clip min–max scaling;
# * what becomes of the phase: Griffin-Lim, the noisy phase, and a complex mask.
# ```
#
# The convolutional autoencoders in this book look at audio as an image: a short-time Fourier
# transform, time along one axis and frequency along the other. Every choice on the way there —
# sample rate, clip length, window, frequency scale, compression, normalisation — changes what the
# model can learn and what can be turned back into sound. This chapter makes each choice with the data
# in front of us and records all of them in one `FeatureConfig`.

# %% tags=["parameters"]
dataset = "fsdd"  # fsdd, audiomnist or audiomnist-sample
profile = "default"  # smoke, default or full
data_home = None  # None: use $DIGITDENOISE_DATA_HOME
artifacts_dir = None  # None: artifacts/<dataset>-<profile>, as `digitdenoise run` uses
seed = 0
snr_db = -8.0  # the SNR of the noisy clips in the normalisation and phase examples (dB)
griffin_lim_iters = 32  # iterations of Griffin-Lim phase estimation
log_floor = None  # added to |S| before the logarithm; None: FeatureConfig's default

# %% tags=["remove-input"]
import dataclasses
import inspect
import time

import librosa
import librosa.display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from myst_nb import glue

from digitdenoise import audio, config, data, features, metrics, noise, plots

run = config.resolve(dataset=dataset, profile=profile, data_home=data_home, artifacts_dir=artifacts_dir,
                     seed=seed, snr_db=snr_db)
config.check_number("griffin_lim_iters", griffin_lim_iters, minimum=1, maximum=5000, integer=True)
plots.book_style()
spec = data.spec(run.dataset)
sr = spec.working_rate
cfg = features.FeatureConfig.for_sample_rate(sr, **({} if log_floor is None else {"log_floor": log_floor}))
table = data.load_clips(run.dataset, run.data_home, clips_per_speaker=run["clips_per_speaker"],
                        seed=run.seed)
print(f"{len(table)} clips; native rate {spec.sample_rate} Hz, working rate {sr} Hz")

# %% [markdown]
# ## Sample rate
#
# AudioMNIST is recorded at 48 kHz, FSDD at 8 kHz. A signal sampled at rate $f_s$ can only represent
# frequencies up to the Nyquist frequency $f_s/2$, so resampling to a lower rate removes everything
# above the new Nyquist frequency. Spoken digits carry almost all their energy below 4 kHz, and
# intelligibility needs little above 8 kHz, so the book works at **16 kHz for AudioMNIST** (three times
# fewer samples, an STFT a third the height) and keeps **FSDD at its native 8 kHz**. The table says how
# much energy the working rate gives up on a sample of this run's clips.

# %%
sample = table.sample(min(len(table), 40), random_state=run.seed)
native = data.read_clips(sample["path"])
working = data.read_clips(sample["path"], sr)
lost = [features.energy_above(y, spec.sample_rate, sr / 2) for y in native]
pd.DataFrame({"native rate (Hz)": [spec.sample_rate], "working rate (Hz)": [sr],
              "clips measured": [len(native)],
              "mean energy above working Nyquist (%)": [100 * np.mean(lost)],
              "max (%)": [100 * np.max(lost)]}).round(3)

# %% tags=["remove-cell"]
glue("lost_share", f"{100 * np.mean(lost):.2f}%", display=False)
glue("lost_max", f"{100 * np.max(lost):.2f}%", display=False)
glue("working_nyquist", f"{sr / 2:g}", display=False)
glue("resample_note", "the two curves lie on top of each other, because this dataset is used at its native "
     "rate and nothing is removed" if spec.sample_rate == sr else
     "the two curves agree below it and the working one stops there", display=False)

# %% [markdown]
# {numref}`fig-resampling` compares the long-term spectrum of these clips at the native and at the
# working rate. What to look for: the dotted line marks the working Nyquist frequency,
# {glue:text}`working_nyquist` Hz; how much of the native curve lies to its right, and how low?

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Long-term average spectrum of the sampled clips at the native rate and after resampling to the working rate. Everything right of the dotted line (the working Nyquist frequency) is removed.", "name": "fig-resampling"}}
fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
f, lvl = metrics.long_term_spectrum_db(np.concatenate(native), spec.sample_rate, 2048)
ax.plot(f, lvl, label=f"native, {spec.sample_rate} Hz", lw=1.5)
f, lvl = metrics.long_term_spectrum_db(np.concatenate(working), sr, 2048 * sr // spec.sample_rate)
ax.plot(f, lvl, label=f"working, {sr} Hz", lw=1.5, ls="--")
ax.axvline(sr / 2, color="black", ls=":", lw=1, label="working Nyquist")
ax.set(title="Spectrum before and after resampling", xlabel="Frequency (Hz)",
       ylabel="Power density (dB/Hz re FS)", xscale="log", xlim=(40, spec.sample_rate / 2))
ax.legend()
plt.show()

# %% [markdown]
# In this run {glue:text}`resample_note`. On average {glue:text}`lost_share` of a clip's energy lies
# above the working Nyquist frequency, at most {glue:text}`lost_max` in one clip.
#
# ## Clip length
#
# Convolutional models train on inputs of one size. Clips are zero-padded at the end or cut to a fixed
# window; the measured durations decide how long it should be. The table tries four window lengths and
# gives, for each, the share of clips that would be cut, the mean and the largest length cut off, and
# the mean share of a window that is padding.

# %%
all_clips = data.load_clips(run.dataset, run.data_home, seed=run.seed)
candidates = pd.DataFrame([features.duration_report(all_clips["duration_s"], window_s)
                           for window_s in (0.75, 1.0, 1.25, 1.5)])
candidates["chosen"] = np.isclose(candidates["window_s"], cfg.duration_s)
candidates.round(3)

# %% tags=["remove-cell"]
chosen = features.duration_report(all_clips["duration_s"], cfg.duration_s)
glue("window", f"{cfg.duration_s:g}", display=False)
glue("cut_share", f"{100 * chosen['clips_cut_share']:.1f}%", display=False)
glue("n_cut", int((all_clips["duration_s"] > cfg.duration_s).sum()), display=False)
glue("n_all_clips", len(all_clips), display=False)
glue("pad_share", f"{100 * chosen['mean_padding_share']:.0f}%", display=False)
glue("median_clip_s", f"{all_clips['duration_s'].median():.2f}", display=False)

# %% [markdown]
# {numref}`fig-durations` shows all durations with the chosen window. What to look for: how many clips
# lie right of the line (they lose their end), and how far left of it the bulk of the clips sits (the
# rest of their window is padding).

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Clip durations of the whole dataset with the chosen fixed window; clips right of the line are cut.", "name": "fig-durations"}}
fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
ax.hist(all_clips["duration_s"], bins=60, color="C0")
ax.axvline(cfg.duration_s, color="C3", lw=2, label=f"window {cfg.duration_s:g} s")
ax.set(title=f"{run.dataset}: clip durations", xlabel="Duration (s)", ylabel="Clips")
ax.legend()
plt.show()

# %% [markdown]
# A {glue:text}`window` s window cuts {glue:text}`n_cut` of the {glue:text}`n_all_clips` clips
# ({glue:text}`cut_share`), while the median clip lasts only {glue:text}`median_clip_s` s, so on average
# {glue:text}`pad_share` of a window is padding.
#
# Is that much padding a problem? For the **features and for training** it is harmless. The padded
# frames of a clean clip are exact silence, and in training the noise is mixed over the whole window,
# padding included, so the model sees noise-only frames whose target is silence and learns to remove
# noise there too. At **inference** the picture changes. Padding a short noisy clip with digital silence
# — exact zeros, without noise — shows the model something it never met in training, and that costs much
# of the improvement: the appendix (chapter 9) measures it. The `denoise` command therefore never pads
# with silence; it extends a clip by mirroring its own samples. So "padding is harmless" here and
# "zero padding costs much of the improvement" in chapter 9 are both true, about different padding: here
# clean clips are padded *before* noise is mixed over the whole window, there noisy audio is padded with
# exact zeros *after* the noise is in it.
#
# ## The short-time Fourier transform
#
# A spectrogram shows how the frequency content of a signal changes over time. The STFT computes it by
# cutting the signal into short overlapping frames, tapering each with a window $w$ that falls to zero at
# its ends, and taking the discrete Fourier transform of each frame. With FFT size $N$ (here also the
# window length) and hop $H$ samples between frames, the coefficient of frame $m$ and frequency bin $k$ is
#
# $$
# X(m,k)=\sum_n x(n)\,w(n-mH)\,e^{-2\pi i k n/N}.
# $$
#
# The window is non-zero for only $N$ samples, so each coefficient is a weighted sum over one frame. Bin
# $k$ stands for the frequency $k f_s/N$; a real signal needs only the bins $k = 0, \dots, N/2$, because
# the others mirror them. The magnitude $|X(m,k)|$ says how strongly that frequency is present in that
# frame, and the angle of the complex number $X(m,k)$ is its phase.
#
# The library's `features.stft` and `features.istft` are thin wrappers around librosa's *centred* STFT,
# and chapter 5's TensorFlow version inside the models computes the same thing. Two conventions are
# worth knowing. The signal is first padded with $N/2$ zeros at each end, so that frame $m$ is centred
# on sample $mH$ of the clip and a clip of $L$ samples has $1 + \lfloor L/H \rfloor$ frames. And the
# exponent counts time from the start of each frame, $e^{-2\pi i k (n-mH)/N}$ with $n$ running over the
# padded signal, which multiplies $X(m,k)$ by a factor $e^{2\pi i k m H/N}$ of modulus one: magnitudes do
# not change, and the inverse uses the same convention.

# %%
print(inspect.getsource(features.stft))
print(inspect.getsource(features.istft))

# %% [markdown]
# **The inverse by weighted overlap-add.** Take the inverse DFT of each frame to get $N$ samples
# $y_m(n)$ around position $mH$, multiply them by the window once more, add all frames up, and divide by
# the sum of the squared windows:
#
# $$
# \hat x(n) = \frac{\sum_m w(n-mH)\, y_m(n)}{\sum_m w(n-mH)^2}.
# $$
#
# If $X$ is an unmodified STFT, each $y_m(n)$ is just $x(n)\,w(n-mH)$, the numerator is
# $x(n)\sum_m w(n-mH)^2$, and the division gives $x(n)$ back exactly, wherever the denominator is not
# zero, that is wherever at least one window covers sample $n$ with a non-zero weight. For the Hann
# window with $H = N/4$ the denominator is even constant, away from the two ends of the signal. If $X$
# has been modified, for example by a denoiser, there may be no signal whose STFT is exactly $X$; the
# same formula then gives the signal whose STFT is closest to $X$ in the least-squares sense
# {cite:p}`griffin1984signal`.
#
# A short numeric check on one clip of this run: one coefficient computed from the formula (with the
# library's two conventions) against the library's value, and the largest error of a round trip.

# %%
y = working[0]
S = features.stft(y, cfg)
N, H = cfg.n_fft, cfg.hop_length
w = librosa.filters.get_window(cfg.window, N, fftbins=True)  # the window of features.stft
padded = np.pad(y, N // 2)  # centring: N/2 zeros at each end
m, k = S.shape[1] // 2, N // 8  # a frame in the middle of the clip, a bin at one eighth of the rate
n = np.arange(m * H, m * H + N)  # the samples of frame m
by_formula = np.sum(padded[n] * w[n - m * H] * np.exp(-2j * np.pi * k * (n - m * H) / N))
round_trip = np.abs(features.istft(S, cfg, length=len(y)) - y).max()
print(f"STFT of {len(y)} samples: {S.shape[0]} bins x {S.shape[1]} frames")
print(f"X({m}, {k}) by the formula {by_formula:.6f}, by the library {S[k, m]:.6f}")
print(f"largest round-trip error: {round_trip:.1e}")

# %% tags=["remove-cell"]
glue("n_fft", N, display=False)
glue("hop", H, display=False)
glue("bin_hz", f"{sr / N:g}", display=False)
glue("win_ms", f"{1000 * N / sr:g}", display=False)
glue("hop_ms", f"{1000 * H / sr:g}", display=False)
glue("one_clip_error", f"{round_trip:.1e}", display=False)
glue("coef_error", f"{abs(by_formula - S[k, m]):.1e}", display=False)

# %% [markdown]
# The two values of the coefficient differ by {glue:text}`coef_error`, and the round trip returns the
# clip with a largest error of {glue:text}`one_clip_error`: float rounding. The book's window has
# $N =$ {glue:text}`n_fft` samples ({glue:text}`win_ms` ms) and hop $H =$ {glue:text}`hop` samples
# ({glue:text}`hop_ms` ms), so neighbouring bins are {glue:text}`bin_hz` Hz apart.
#
# ## Window length: time against frequency resolution
#
# The frame length sets both resolutions at once: bins are $f_s/N$ apart, and each frame averages over
# $N/f_s$ seconds. A longer window resolves frequency more finely and time more coarsely. Voiced speech
# is a comb of harmonics, multiples of the fundamental frequency $f_0$; one harmonic spreads over the
# main lobe of the Hann window's spectrum, which is four bins wide, so harmonics show as separate lines
# only when they are several bins apart. Onsets of plosives, by contrast, last a few milliseconds and
# blur over a long frame.
#
# {numref}`fig-windows` analyses one clip with three window lengths, each with a quarter-window hop. What
# to look for: horizontal lines (harmonics) and sharp vertical edges (onsets). The fundamental frequency
# of this clip, estimated with `librosa.yin` over its loud frames, is about {glue:text}`f0_hz` Hz.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "One clip analysed with three window lengths (hop = window / 4). Short windows smear the harmonics, long windows smear onsets.", "name": "fig-windows"}}
windows = [N // 2, N, N * 4]
fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True, layout="constrained")
vmax = plots.spectrogram_db(y, cfg.n_fft, cfg.hop_length).max()
for ax, n_win in zip(axes, windows):
    img = plots.spectrogram_panel(ax, plots.spectrogram_db(y, n_win, n_win // 4), sr, n_win // 4,
                                  vmin=vmax - 80, vmax=vmax, n_fft=n_win,
                                  title=f"{1000 * n_win / sr:g} ms window: "
                                        f"{sr / n_win:.0f} Hz bins")
plots.outer_labels_only(axes)
fig.colorbar(img, ax=axes, label="Power (dB re full scale)")
plt.show()

# %% tags=["remove-cell"]
f0 = librosa.yin(y, fmin=60, fmax=400, sr=sr, frame_length=2 * N, hop_length=H)
loudness = librosa.feature.rms(y=y, frame_length=2 * N, hop_length=H)[0]
f0_hz = float(np.median(f0[loudness >= loudness.max() / 10]))
glue("f0_hz", f"{f0_hz:.0f}", display=False)
for name, n_win in zip(["short", "book", "long"], windows):
    glue(f"{name}_ms", f"{1000 * n_win / sr:g}", display=False)
    glue(f"{name}_bin_hz", f"{sr / n_win:.1f}", display=False)
    glue(f"{name}_bins_apart", f"{f0_hz / (sr / n_win):.1f}", display=False)
short_apart = f0_hz / (sr / windows[0])
glue("short_note", "less than the four-bin main lobe, so neighbouring harmonics run into each other"
     if short_apart < 4 else "more than a main lobe, so even this window separates the harmonics of this "
     "high voice, while its onsets are the sharpest of the three", display=False)

# %% [markdown]
# With the {glue:text}`short_ms` ms window the bins are {glue:text}`short_bin_hz` Hz apart, so
# neighbouring harmonics are {glue:text}`short_bins_apart` bins apart: {glue:text}`short_note`. The
# book's {glue:text}`book_ms` ms window puts them {glue:text}`book_bins_apart` bins apart, and the
# {glue:text}`long_ms` ms window {glue:text}`long_bins_apart` bins apart, with the sharpest lines but
# onsets smeared over {glue:text}`long_ms` ms. The book's choice is a compromise between the two: a frame
# is short compared with a syllable, yet long enough to put the harmonics of this voice
# {glue:text}`book_bins_apart` bins apart.
#
# ## Frequency scale and compression
#
# Magnitudes span several orders of magnitude. The logarithm compresses them: it turns equal ratios
# into equal steps, the way loudness is heard. The library uses the natural logarithm of $|X| + \epsilon$,
# where the small floor $\epsilon$ (`log_floor`, {glue:text}`log_floor` here) keeps the logarithm finite
# for the exact zeros of the padding. The mel scale spaces frequency bands like the ear, narrow at low
# and wide at high frequencies: {glue:text}`n_mels` mel bands replace the {glue:text}`n_freqs` linear
# bins. {numref}`fig-scales` shows one clip all four ways. What to look for: how much of each panel is
# visibly different from the background.

# %% tags=["remove-cell"]
magnitude = np.abs(S)
glue("log_floor", f"{cfg.log_floor:g}", display=False)
glue("n_mels", cfg.n_mels, display=False)
glue("n_freqs", cfg.n_freqs, display=False)
glue("peak_over_median", f"{20 * np.log10(magnitude.max() / np.median(magnitude)):.0f}", display=False)
glue("share_above_tenth", f"{100 * (magnitude > magnitude.max() / 10).mean():.1f}%", display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The same clip as linear magnitude, log magnitude, mel power and log mel power.", "name": "fig-scales"}}
mel = np.einsum("mf,ft->mt", features.mel_filterbank(cfg), magnitude**2)
panels = {"linear magnitude |S|": magnitude,
          "log magnitude log(|S| + floor)": features.log_magnitude(S, cfg),
          f"mel power ({cfg.n_mels} bands)": mel, "log mel power": features.log_mel(y, cfg)}
fig, axes = plt.subplots(2, 2, figsize=(14, 7), layout="constrained")
for ax, (name, img_data) in zip(axes.flat, panels.items()):
    is_mel = name.startswith(("mel", "log mel"))
    im = librosa.display.specshow(img_data, sr=sr, hop_length=cfg.hop_length, n_fft=cfg.n_fft,
                                  x_axis="time", y_axis="mel" if is_mel else "linear", ax=ax,
                                  cmap="magma")
    ax.set(title=name, xlabel="Time (s)", ylabel="Frequency (Hz)")
    fig.colorbar(im, ax=ax, label="natural log units" if name.startswith("log") else "linear units")
plt.show()

# %% [markdown]
# The loudest bin of this clip is {glue:text}`peak_over_median` dB above the median bin, and only
# {glue:text}`share_above_tenth` of the bins reach a tenth of the loudest: on the linear scales those few
# vowel harmonics are all one sees. On the log scales the quiet consonants and the harmonics high up are
# visible too, which is why every model of this book works on log magnitudes (linear or mel).
#
# The mel spectrogram is compact, but it cannot be inverted exactly: many linear spectra have the same
# mel spectrum. The models therefore all produce their output on the linear frequency grid, each in its
# own way (chapter 5 has the details):
#
# * the seed models `report_cae`, `seed_unet` and `minimal_cae` predict the clean **magnitude** and
#   reuse the phase of the noisy input;
# * `mel_cnn` predicts a clean **mel spectrogram**; its ratio to the noisy one becomes a gain per mel
#   band, spread back onto the linear bins and applied to the noisy STFT, so it too keeps the noisy phase;
# * the book's own `mask_unet` predicts a **complex mask**, bounded in magnitude, that multiplies the
#   noisy STFT bin by bin. A complex factor can rotate the phase as well as scale the magnitude, so this
#   model is not tied to the noisy phase.
#
# Mel features also feed the digit recogniser that chapters 6 and 7 use as a measuring instrument.
#
# ## Normalisation: keep the level
#
# Networks train best on inputs of a known, modest range, so the log magnitudes are rescaled. How they
# are rescaled decides whether the model can still tell a loud clip from a quiet one. A gain $g$
# multiplies every magnitude by $g$ and therefore *adds* $\log g$ to every log magnitude
# $L = \log(|X| + \epsilon)$ (wherever $|X|$ is well above the floor). Three ways to rescale $L$:
#
# per-clip min–max (the seed projects)
# : $\tilde L = (L - \min L) / (\max L - \min L)$, with the minimum and maximum taken over the clip. Adding
#   the same constant to every $L$ changes neither the numerator nor the denominator, so this scaling
#   *removes* the level, except where bins sit at the floor and do not move.
#
# fixed affine map (every model in this book, `models.Frontend`)
# : $\tilde L = \big(L - \log\epsilon\big) / \big(\log(N/2) - \log\epsilon\big)$, the same for every clip.
#   Silence maps to 0, and 1 is the largest magnitude a signal within full scale can reach in one bin
#   ($|x(n)| \le 1$ gives $|X(m,k)| \le \sum_n w(n) = N/2$ for the Hann window). A gain shifts every bin
#   above the floor by the same known amount, $\log g / (\log(N/2) - \log\epsilon)$.
#
# per-bin standardisation (`features.Normaliser`, shown for comparison; no model of this book uses it)
# : subtract a mean and divide by a standard deviation per frequency bin, both fitted once on training
#   clips. It also keeps level differences and can be undone exactly.
#
# The models use the fixed map rather than the fitted normaliser. It keeps the level, and it needs no
# statistics: nothing is fitted per clip, and nothing is fitted on a training set that new audio might
# not resemble, so the same input always gives the same features. Its output also stays between 0 and
# about 1, which the seed networks need: three of the four end in a sigmoid, which can only output
# values in that range, and two are trained with binary cross-entropy, which needs targets in it.
#
# The experiment below plays the same clips 0 to 30 dB quieter and records the mean model input under
# each scaling, once for the clean clips and once for noisy versions of them at {glue:text}`snr` dB
# (white noise mixed over the whole window, as in training).

# %%
waves, lengths = data.load_waveforms(table, sr, cfg.n_samples)
logmag = features.log_magnitude_batch(waves, cfg)
norm = features.Normaliser.fit(logmag)
lo, hi = np.log(cfg.log_floor), np.log(cfg.n_fft / 2)  # the fixed map of models.Frontend
probe = waves[: min(50, len(waves))]
noisy_probe = np.stack([
    noise.mix_at_snr(c, noise.coloured_noise("white", len(c), seed=run.seed + i), run.snr_db)[0]
    for i, c in enumerate(probe)]).astype(np.float32)
sweep = []
for inputs, clips_name in [(probe, "clean"), (noisy_probe, "noisy")]:
    for g in np.arange(-30, 1, 5):
        scaled = features.log_magnitude_batch(inputs * 10 ** (g / 20), cfg)
        sweep.append({"clips": clips_name, "gain (dB)": g,
                      "per-clip min-max": features.minmax_per_clip(scaled).mean(),
                      "fixed map (models)": ((scaled - lo) / (hi - lo)).mean(),
                      "per-bin normaliser": norm.transform(scaled).mean()})
sweep = pd.DataFrame(sweep)
span = sweep.groupby("clips").agg(lambda v: np.ptp(v)).drop(columns="gain (dB)")
span.round(3)

# %% [markdown]
# The table gives, for each scaling, how far the mean model input moves over the 30 dB of gain (its
# range over the sweep). Min–max and the fixed map are in units of their 0-to-1 scale; the normaliser in
# standard deviations. {numref}`fig-normalisation` shows the whole sweep. What to look for: a flat line
# means the model input does not know how loud the clip is.

# %% tags=["remove-cell"]
theory = 30 * np.log(10) / 20 / (hi - lo)
glue("snr", f"{run.snr_db:g}", display=False)
glue("n_probe", len(probe), display=False)
glue("fixed_theory", f"{theory:.3f}", display=False)
for clips_name in ("clean", "noisy"):
    glue(f"mm_{clips_name}", f"{span.loc[clips_name, 'per-clip min-max']:.3f}", display=False)
    glue(f"fx_{clips_name}", f"{span.loc[clips_name, 'fixed map (models)']:.3f}", display=False)
    glue(f"nz_{clips_name}", f"{span.loc[clips_name, 'per-bin normaliser']:.2f}", display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Mean model input of the same clips played 0 to 30 dB quieter, clean (left) and noisy (right), under per-clip min-max scaling, the models' fixed map and the fitted per-bin normaliser (right axis, standard units).", "name": "fig-normalisation"}}
fig, axes = plt.subplots(1, 2, figsize=(14, 4.2), layout="constrained", sharey=True)
for ax, clips_name in zip(axes, ["clean", "noisy"]):
    part = sweep[sweep["clips"] == clips_name]
    for i, column in enumerate(["per-clip min-max", "fixed map (models)"]):
        ax.plot(part["gain (dB)"], part[column], marker="o", color=f"C{i}", label=column)
    twin = ax.twinx()
    twin.plot(part["gain (dB)"], part["per-bin normaliser"], marker="s", ls="--", color="C2",
              label="per-bin normaliser (right axis)")
    twin.set_ylabel("Normaliser output (standard units)")
    ax.set(title=f"{clips_name} clips", xlabel="Gain applied to the clips (dB)",
           ylabel="Mean model input (0-1 scale)")
    lines = ax.get_legend_handles_labels()
    extra = twin.get_legend_handles_labels()
    ax.legend(lines[0] + extra[0], lines[1] + extra[1], fontsize=9, loc="lower right")
fig.suptitle("Does the model input know how loud the clip is?", fontweight="bold")
plt.show()

# %% [markdown]
# For the clean clips, the mean min–max input of {glue:text}`n_probe` clips moves by
# {glue:text}`mm_clean` over 30 dB: not nothing, because the padding and the silent bins sit at the
# floor, pin the minimum and stop it from following the gain. The noisy clips show what the formula
# predicts: the noise fills every bin, the minimum moves with the gain, and the min–max input moves by
# only {glue:text}`mm_noisy`. A denoiser's input is noisy, so under min–max scaling it barely knows how
# loud the clip was. The fixed map moves by {glue:text}`fx_noisy` for the noisy clips, close to the
# {glue:text}`fixed_theory` that the formula gives for bins above the floor (for the clean clips
# {glue:text}`fx_clean`, less, because padded bins stay at 0). The per-bin normaliser keeps the level as
# well ({glue:text}`nz_clean` and {glue:text}`nz_noisy` standard units), but only for data that resemble
# the clips it was fitted on.
#
# ## Back to audio
#
# The overlap-add formula above promises an exact round trip for an unmodified STFT. We check it on
# every clip of this run:

# %%
back = features.istft(features.stft(waves, cfg), cfg, length=cfg.n_samples)
errors = np.abs(back - waves).max(axis=1)
pd.Series(errors, name="max |x - istft(stft(x))| per clip").describe().to_frame()

# %% tags=["remove-cell"]
glue("roundtrip_error", f"{errors.max():.1e}", display=False)
glue("n_roundtrip", len(errors), display=False)

# %% [markdown]
# The largest sample error over {glue:text}`n_roundtrip` clips is {glue:text}`roundtrip_error` of full
# scale: float rounding.
#
# A model that predicts only a magnitude must get a phase from somewhere. Griffin-Lim
# {cite:p}`griffin1984signal` estimates one by alternating between the two domains: it inverts the
# magnitude with its current phase estimate by overlap-add, takes the STFT of the result, keeps that
# phase, and repeats. The seed projects used it. In this book the three magnitude models (`report_cae`,
# `seed_unet`, `minimal_cae`) and `mel_cnn`, whose real-valued gain leaves every bin's phase as it was,
# reuse the noisy phase instead, and `mask_unet` can correct the phase with its complex mask. Below, three
# waveforms are built from the *clean* magnitude of one clip: with its true phase, with a Griffin-Lim
# phase ({glue:text}`gl_iters` iterations), and with the phase of a noisy version of the clip at
# {glue:text}`snr` dB. Any difference between them is the phase alone.
#
# **Listen for** the timbre, not the noise: none of the three contains the noise's magnitude. With the
# true phase the clip should be indistinguishable from the original. Griffin-Lim's version typically has
# a phasey, hollow or metallic colour, most audible on the vowel. The noisy phase gives a rough, grainy,
# slightly reverberant voice, with a faint hiss-like texture where the noise dominated the phase: that
# is what a perfect magnitude model would still sound like.

# %%
exact = features.reconstruct_with_phase(np.abs(S), S, cfg, length=len(y))
gl = features.griffin_lim(np.abs(S), cfg, n_iter=griffin_lim_iters, length=len(y), seed=run.seed)
noisy_y = noise.mix_at_snr(y, noise.coloured_noise("white", len(y), seed=run.seed), run.snr_db)[0]
noisy_phase = features.reconstruct_with_phase(np.abs(S), features.stft(noisy_y, cfg), cfg,
                                              length=len(y))
audio.players({"original": y, "magnitude + true phase": exact,
               f"Griffin-Lim, {griffin_lim_iters} iterations": gl,
               f"magnitude + noisy phase ({run.snr_db:g} dB)": noisy_phase}, sr,
              title=f"Clip {sample['clip_id'].iloc[0]}: same magnitude, different phase")

# %% tags=["remove-cell"]
def log_spectral_distance(signal):
    return float(np.sqrt(np.mean((features.log_magnitude(features.stft(signal, cfg), cfg)
                                  - features.log_magnitude(S, cfg)) ** 2)))


glue("gl_iters", griffin_lim_iters, display=False)
glue("gl_snr", f"{metrics.snr_db(y, gl):.1f}", display=False)
glue("gl_lsd", f"{log_spectral_distance(gl):.2f}", display=False)
glue("np_snr", f"{metrics.snr_db(y, noisy_phase):.1f}", display=False)
glue("np_lsd", f"{log_spectral_distance(noisy_phase):.2f}", display=False)
glue("exact_snr", f"{metrics.snr_db(y, exact):.0f}", display=False)

# %% [markdown]
# With the true phase the waveform comes back with an SNR of {glue:text}`exact_snr` dB: exact up to float
# rounding.
# Griffin-Lim's waveform matches the original with an SNR of only {glue:text}`gl_snr` dB, although its
# magnitude is close (log-spectral distance {glue:text}`gl_lsd` natural-log units, the root mean square
# difference of the log magnitudes): the phase is different, and it is audible as a rough, phasey timbre.
# With the noisy phase the SNR is {glue:text}`np_snr` dB: that is what a *perfect* magnitude estimate
# would reach with the phase of this {glue:text}`snr` dB mixture, and it is the reason the book's best
# model is allowed to change the phase. Its log-spectral distance, {glue:text}`np_lsd`, is not zero:
# combining a magnitude with a phase that does not belong to it gives an STFT that no signal has, and
# overlap-add returns the closest signal, whose magnitude differs. Griffin-Lim does the opposite: it
# finds a phase that fits the magnitude well (a small distance), but not the phase of the original.
#
# ## Dimensions and speed
#
# What one example looks like for each dataset: the window in samples, the STFT size, and the memory of
# one log-magnitude input in 32-bit floats.

# %%
rows = []
for name in ("fsdd", "audiomnist"):
    c = features.FeatureConfig.for_sample_rate(data.spec(name).working_rate)
    rows.append({"dataset": name, "rate (Hz)": c.sample_rate, "window (s)": c.duration_s,
                 "samples": c.n_samples, "n_fft / hop": f"{c.n_fft} / {c.hop_length}",
                 "STFT (freq x frames)": f"{c.n_freqs} x {c.n_frames}",
                 "mel (bands x frames)": f"{c.n_mels} x {c.n_frames}",
                 "STFT input (kB, float32)": c.n_freqs * c.n_frames * 4 / 1000})
dims = pd.DataFrame(rows).set_index("dataset")
dims

# %% tags=["remove-cell"]
glue("n_frames", cfg.n_frames, display=False)
input_kb = dims["STFT input (kB, float32)"]
glue("input_ratio", f"{input_kb['audiomnist'] / input_kb['fsdd']:.1f}", display=False)

# %% [markdown]
# Because `FeatureConfig.for_sample_rate` keeps the window and hop at the same milliseconds, both
# datasets have the same number of frames per second ({glue:text}`n_frames` frames in a window), and the
# 16 kHz input is {glue:text}`input_ratio` times larger only because it has twice as many frequency
# bins.
#
# How fast does this machine turn clips into features? The table times four steps on this run's clips:
# decoding, resampling and fixing the length (without and with the cache), and the log-magnitude STFT
# computed in chunks or one clip at a time.

# %% tags=["hide-input"]
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
             "log-magnitude STFT, chunks of 128 clips",
             "log-magnitude STFT, Python loop over clips"],
    "seconds": [cold, warm, batched, loop],
})
speed["clips/s"] = len(table) / speed["seconds"]
speed.round(3)

# %% tags=["remove-cell"]
glue("cache_speedup", f"{cold / warm:.0f}", display=False)
glue("batch_speedup", f"{loop / batched:.1f}", display=False)

# %% [markdown]
# Decoded, resampled, fixed-length clips are cached as 16-bit integers in
# `$DIGITDENOISE_CACHE/waveforms/` under a key made of the clip ids, their file sizes, the rate and the
# window, so the next chapter that needs the same clips reads one file instead of decoding again
# ({glue:text}`cache_speedup`× faster here). The library computes the STFT a chunk of clips per call;
# a plain Python loop over single clips took {glue:text}`batch_speedup` times as long here. Timings on a
# shared machine vary from run to run, and on a few clips they are too short to mean much. Chapter 5
# computes the STFT inside the model, on the fly, from the noisy waveform.
#
# The complete feature configuration of this run (chapters 4 onwards build the same defaults with
# `FeatureConfig.for_sample_rate`). Each row is one of the choices this chapter made: the rate, the
# window in seconds, the STFT's size, hop and window (`win_length` None: as long as the FFT), the floor
# of the logarithm, and the mel bands (their number and frequency range), which only `mel_cnn` and
# the digit recogniser of chapters 6 and 7 (`models/release/instrument`) use.

# %%
pd.Series(dataclasses.asdict(cfg), name="value").to_frame()

# %% [markdown]
# ## Summary
#
# * The book works at 16 kHz for AudioMNIST and at FSDD's native 8 kHz; in this run
#   {glue:text}`lost_share` of the energy lay above the working Nyquist frequency.
# * A {glue:text}`window` s window cuts {glue:text}`cut_share` of the clips and is on average
#   {glue:text}`pad_share` padding. Zero padding is harmless for features and training, but padding a
#   noisy clip with silence at inference costs much of the improvement, so the `denoise` command mirrors.
# * The STFT $X(m,k)=\sum_n x(n)\,w(n-mH)\,e^{-2\pi i k n/N}$ with a {glue:text}`win_ms` ms Hann window
#   and a {glue:text}`hop_ms` ms hop is inverted by weighted overlap-add to within
#   {glue:text}`roundtrip_error` of full scale.
# * Per-clip min–max scaling moved the mean input of noisy clips by only {glue:text}`mm_noisy` over 30 dB
#   of gain; the models' fixed map moved it by {glue:text}`fx_noisy`, as its formula predicts.
# * Phase matters: the clean magnitude with a Griffin-Lim phase reached {glue:text}`gl_snr` dB SNR, with
#   the noisy phase {glue:text}`np_snr` dB; the book's best model predicts a complex mask that can also
#   correct the phase.
#
# ## Exercises
#
# 1. **A 48 kHz dataset.** Run `digitdenoise run --chapters 3 --dataset audiomnist-sample` and look at
#    {numref}`fig-resampling` and its table: how much energy lies above 8 kHz, and what is it? Compare the
#    FFT size and the number of frames with this run's.
# 2. **More Griffin-Lim.** Run `digitdenoise run --chapters 3 --profile smoke -p griffin_lim_iters 200`.
#    Does the log-spectral distance fall? Does the SNR rise as much? Explain why a magnitude can be
#    matched well by a phase that still gives a poor waveform SNR.
# 3. **When min–max keeps the level again.** Run
#    `digitdenoise run --chapters 3 --profile smoke -p snr_db 30` and compare the noisy panel of
#    {numref}`fig-normalisation` with this run's. At which step of the argument for min–max scaling
#    does very quiet noise change the outcome?
# 4. **A higher floor.** Before running, use the formula of the fixed map to predict how far 30 dB of gain
#    moves it with `log_floor` $= 10^{-3}$. Then run
#    `digitdenoise run --chapters 3 --profile smoke -p log_floor 1e-3` and check the prediction. What
#    happens to the quiet parts of the log-magnitude panel of {numref}`fig-scales`?
# 5. **Break the round trip.** In the round-trip cell of "Back to audio", replace both `cfg` inside
#    `features.istft(features.stft(waves, cfg), cfg, ...)` by
#    `dataclasses.replace(cfg, hop_length=cfg.n_fft)` and rerun it. Which samples are lost, and why?
#    Use the denominator $\sum_m w(n-mH)^2$ of the overlap-add formula. Does a hop of `cfg.n_fft // 2`
#    work?
