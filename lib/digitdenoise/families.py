"""Generated noise families: noises drawn from a shape, not recorded (chapter 4).

Chapter 4 teaches these families beyond the three noise colours: a random spectral tilt
(:func:`tilt_noise`), band-limited noise (:func:`band_noise`), mains hum with harmonics (:func:`hum`),
amplitude-modulated noise (:func:`modulated_noise`), clicks (:func:`clicks`) and sirens and alarms
(:func:`tonal_noise`). :func:`draw_family` draws one random member of a family (:data:`FAMILIES`) with its
parameters from a seed; every noise is unit RMS and a pure function of its seed.

Chapter 5's general recipe (:mod:`digitdenoise.augment`) draws from these families, so that a noise's
shape, not one recording, is what the general model learns to remove. The names stay reachable as
``augment.<name>``, where they lived before this module was split out.
"""

from __future__ import annotations

import numpy as np

from .config import check_choice, check_number
from .errors import DataError

__all__ = ["FAMILIES", "TONAL_KINDS", "tilt_noise", "band_noise", "hum", "modulated_noise", "clicks", "tonal_noise",
           "draw_family"]

FAMILIES = ("tilt", "band", "hum", "modulated", "clicks", "tonal")

#: How :func:`tonal_noise` moves its pitch: up and down, in glides, or in steps between held tones.
TONAL_KINDS = ("sweep", "chirp", "steps")


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _unit(x: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    if not np.isfinite(rms) or rms == 0.0:
        raise DataError("a generated noise came out silent; this is a bug, please report it.")
    return (x / rms).astype(np.float32)


def _shaped(n_samples: int, gain_of_freq, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n_samples))
    f = np.fft.rfftfreq(n_samples)  # cycles per sample, 0 ... 0.5
    return np.fft.irfft(spectrum * gain_of_freq(f), n=n_samples)


def tilt_noise(n_samples: int, beta: float, seed=None) -> np.ndarray:
    """Gaussian noise whose power falls as 1/f^beta for any real ``beta`` (chapter 4): 0 is white, 1
    pink, 2 brown, negative values rise towards high frequencies (hiss). Unit RMS."""
    check_number("beta", beta, minimum=-3, maximum=4)
    rng = _rng(seed)

    def gain(f):
        g = np.zeros_like(f)
        g[1:] = f[1:] ** (-beta / 2.0)
        return g

    return _unit(_shaped(n_samples, gain, rng))


def band_noise(n_samples: int, sr: int, low_hz: float, high_hz: float, seed=None) -> np.ndarray:
    """White noise kept between ``low_hz`` and ``high_hz`` with soft (raised-cosine, third-octave)
    edges (chapter 4): fans, engines and hiss confined to a band. Unit RMS."""
    nyquist = sr / 2
    check_number("low_hz", low_hz, minimum=0, maximum=nyquist)
    check_number("high_hz", high_hz, minimum=low_hz + 1, maximum=nyquist)
    rng = _rng(seed)

    def gain(f):
        hz = f * sr
        octaves_below = np.log2(np.maximum(hz, 1e-3) / max(low_hz, 1e-3))
        octaves_above = np.log2(np.maximum(hz, 1e-3) / high_hz)
        lo = np.clip(octaves_below * 3 + 0.5, 0, 1) if low_hz > 0 else np.ones_like(hz)
        hi = np.clip(0.5 - octaves_above * 3, 0, 1)
        return np.sin(np.pi / 2 * lo) * np.sin(np.pi / 2 * hi)

    return _unit(_shaped(n_samples, gain, rng))


def hum(n_samples: int, sr: int, f0: float, n_harmonics: int, seed=None) -> np.ndarray:
    """Mains hum (chapter 4): a fundamental ``f0`` (50 or 60 Hz) and its harmonics below Nyquist with
    random levels falling about 6 dB per octave and random phases, plus a little broadband noise so the
    spectrum between the lines is not empty. Unit RMS."""
    check_number("f0", f0, minimum=10, maximum=sr / 2)
    n_harmonics = check_number("n_harmonics", n_harmonics, minimum=1, integer=True)
    rng = _rng(seed)
    t = np.arange(n_samples) / sr
    out = np.zeros(n_samples)
    for k in range(1, n_harmonics + 1):
        if k * f0 >= sr / 2:
            break
        out += rng.uniform(0.3, 1.0) / k * np.sin(2 * np.pi * k * f0 * (1 + rng.normal(0, 1e-3)) * t
                                                  + rng.uniform(0, 2 * np.pi))
    out = _unit(out) + 0.05 * rng.standard_normal(n_samples)
    return _unit(out)


def modulated_noise(n_samples: int, sr: int, rate_hz: float, depth: float, seed=None) -> np.ndarray:
    """Noise whose level rises and falls ``rate_hz`` times a second by ``depth`` (0-1) (chapter 4):
    machinery, wipers, a washing machine. The carrier is noise of a random tilt. Unit RMS."""
    check_number("rate_hz", rate_hz, minimum=0.05, maximum=sr / 4)
    check_number("depth", depth, minimum=0, maximum=1)
    rng = _rng(seed)
    carrier = tilt_noise(n_samples, float(rng.uniform(-1, 2)), rng)
    t = np.arange(n_samples) / sr
    envelope = 1 - depth * 0.5 * (1 + np.sin(2 * np.pi * rate_hz * t + rng.uniform(0, 2 * np.pi)))
    return _unit(carrier * envelope)


def clicks(n_samples: int, sr: int, rate_hz: float, seed=None) -> np.ndarray:
    """Impulsive noise (chapter 4): short decaying bursts (1-10 ms) at random times, ``rate_hz`` per
    second on average, with random amplitudes over a faint noise floor: keyboards, crackle, dripping.
    Unit RMS."""
    check_number("rate_hz", rate_hz, minimum=0.1, maximum=1000)
    rng = _rng(seed)
    out = 0.02 * rng.standard_normal(n_samples)
    n_clicks = max(1, int(rng.poisson(rate_hz * n_samples / sr)))
    for start in rng.integers(0, n_samples, size=n_clicks):
        length = int(sr * rng.uniform(0.001, 0.010))
        burst = rng.standard_normal(length) * np.exp(-np.arange(length) / max(1.0, length / 4))
        stop = min(n_samples, start + length)
        out[start:stop] += rng.uniform(0.3, 1.0) * burst[: stop - start]
    return _unit(out)


def tonal_noise(n_samples: int, sr: int, kind: str, low_hz: float, high_hz: float, rate_hz: float,
                beeps_hz: float | None = None, seed=None) -> np.ndarray:
    """Sirens and alarms (chapter 4): a fundamental and a few harmonics whose pitch moves between
    ``low_hz`` and ``high_hz``, ``rate_hz`` times a second, in one of :data:`TONAL_KINDS`:

    * ``sweep``: up and down smoothly (a sine or a triangle on a log-frequency scale): a wailing siren
      at a slow rate, a yelp or warble at a fast one, a horn or buzzer with vibrato when ``high_hz`` is
      close to ``low_hz`` (equal: a held tone);
    * ``chirp``: a glide from one end to the other, up or down, that starts again;
    * ``steps``: two or three held tones in turn (``low_hz``, ``high_hz`` and sometimes the geometric
      mean between them), ``rate_hz`` changes a second: a two-tone "hi-lo" alarm.

    ``beeps_hz`` gates the sound on and off that many times a second (a beeping alarm: on for a random
    30-80 % of each period, with 3 ms ramps; a window that would be mostly off starts with a beep);
    ``None`` keeps it on. One to eight harmonics, at random levels that fall on average, random phases;
    harmonics whose frequency would pass 0.45 ``sr`` are left out. A faint white floor (-40 to -20 dB)
    fills the spectrum between the lines. Unit RMS."""
    check_choice("tonal kind", kind, TONAL_KINDS)
    check_number("low_hz", low_hz, minimum=20, maximum=0.45 * sr)
    check_number("high_hz", high_hz, minimum=low_hz, maximum=0.45 * sr)
    check_number("rate_hz", rate_hz, minimum=0.01, maximum=50)
    if beeps_hz is not None:
        check_number("beeps_hz", beeps_hz, minimum=0.1, maximum=50)
    rng = _rng(seed)
    t = np.arange(n_samples) / sr
    cycles = rate_hz * t + rng.uniform(0, 1)
    if kind == "sweep":
        if rng.random() < 0.5:
            position = 0.5 * (1 - np.cos(2 * np.pi * cycles))  # sine
        else:
            position = 1 - 2 * np.abs(cycles % 1.0 - 0.5)  # triangle
    elif kind == "chirp":
        position = (cycles % 1.0) ** np.exp(rng.uniform(np.log(0.5), np.log(2.0)))  # straight or curved glide
        if rng.random() < 0.5:
            position = 1 - position  # gliding down
    else:
        levels = np.array([0.0, 1.0] if rng.random() < 0.7 else [0.0, 0.5, 1.0])
        position = rng.permutation(levels)[np.floor(cycles).astype(np.int64) % levels.size]
    pitch = low_hz * (high_hz / low_hz) ** position  # Hz, sample by sample
    phase = 2 * np.pi * np.cumsum(pitch) / sr
    tone = np.zeros(n_samples)
    slope = rng.uniform(0.0, 1.0)
    for k in range(1, int(rng.integers(1, 9)) + 1):
        if k > 1 and k * high_hz >= 0.45 * sr:
            break
        level = 10 ** (rng.uniform(-20, 0) / 20) / k**slope
        tone += level * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    if beeps_hz is not None:
        duty, offset = rng.uniform(0.3, 0.8), rng.uniform(0, 1)
        gate = ((beeps_hz * t + offset) % 1.0 < duty).astype(np.float64)
        if gate.mean() < 0.2:
            gate = ((beeps_hz * t) % 1.0 < duty).astype(np.float64)
        ramp = np.hanning(max(3, int(0.003 * sr)))
        tone *= np.convolve(gate, ramp / ramp.sum(), mode="same")
    out = _unit(tone) + 10 ** (rng.uniform(-40, -20) / 20) * rng.standard_normal(n_samples)
    return _unit(out)


def _tonal_draw(n_samples: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One siren or alarm with parameters in the ranges of the Hu collection's *training* alarms and
    sirens, with a margin (chapter 4); the test files were not consulted for the ranges."""
    top = min(2000.0, 0.45 * sr)  # the highest fundamental: the training sirens reach about 1.5 kHz
    kind = str(rng.choice(TONAL_KINDS, p=[0.5, 0.2, 0.3]))
    if kind == "sweep" and rng.random() < 0.4:  # a held horn or buzzer (n38, n41, n42), barely moving
        ratio, rate = rng.uniform(1.0, 1.06), np.exp(rng.uniform(np.log(0.2), np.log(5)))
    elif kind == "sweep":  # wail (n33, n34: under one sweep a second) to yelp (n31: about 3)
        ratio, rate = np.exp(rng.uniform(np.log(1.2), np.log(2.8))), np.exp(rng.uniform(np.log(0.2), np.log(5)))
    elif kind == "chirp":  # repeated glides (n37: one every 0.65 s)
        ratio, rate = np.exp(rng.uniform(np.log(1.3), np.log(2.8))), np.exp(rng.uniform(np.log(0.3), np.log(4)))
    else:  # two-tone alarms (n36: 1.25 apart, 0.8 s per tone): a major second to a minor sixth, 0.5-4 a second
        ratio, rate = np.exp(rng.uniform(np.log(1.12), np.log(1.6))), np.exp(rng.uniform(np.log(0.5), np.log(4)))
    # lowest fundamental: the training alarms start at about 260 Hz (n41); 200 Hz leaves a margin
    low = float(np.exp(rng.uniform(np.log(200.0), np.log(top / ratio))))
    beeps = float(np.exp(rng.uniform(np.log(0.5), np.log(8)))) if rng.random() < 0.3 else None
    return tonal_noise(n_samples, sr, kind, low, min(low * float(ratio), top), float(rate), beeps, seed=rng)


def draw_family(family: str, n_samples: int, sr: int, seed=None) -> np.ndarray:
    """One random member of a generated noise family (:data:`FAMILIES`), its parameters drawn from
    ``seed`` (chapter 4)."""
    check_choice("noise family", family, FAMILIES)
    rng = _rng(seed)
    if family == "tilt":
        return tilt_noise(n_samples, float(rng.uniform(-1.0, 2.5)), rng)
    if family == "band":
        low = float(np.exp(rng.uniform(np.log(60), np.log(sr / 6))))
        high = float(min(sr / 2, low * 2 ** rng.uniform(1, 4)))
        return band_noise(n_samples, sr, low, high, rng)
    if family == "hum":
        return hum(n_samples, sr, float(rng.choice([50.0, 60.0])), int(rng.integers(3, 40)), rng)
    if family == "modulated":
        return modulated_noise(n_samples, sr, float(np.exp(rng.uniform(np.log(0.5), np.log(20)))),
                               float(rng.uniform(0.5, 1.0)), rng)
    if family == "tonal":  # a second siren or alarm sounds at the same time in a fifth of the draws
        out = _tonal_draw(n_samples, sr, rng)
        if rng.random() < 0.2:
            out = _unit(out + 10 ** (rng.uniform(-10, 0) / 20) * _tonal_draw(n_samples, sr, rng))
        return out
    return clicks(n_samples, sr, float(np.exp(rng.uniform(np.log(2), np.log(60)))), rng)
