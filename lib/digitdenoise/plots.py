"""Figure helpers shared by the chapters: one style, labelled axes, shared colour scales."""

from __future__ import annotations

import numpy as np


def book_style() -> None:
    """Seaborn style and figure resolution used by every chapter (call once at the top)."""
    import matplotlib as mpl
    import pandas as pd
    import seaborn as sns

    pd.set_option("display.max_colwidth", 200)
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "figure.autolayout": False,
                         "axes.titleweight": "bold"})


def spectrogram_db(y: np.ndarray, n_fft: int, hop_length: int, *, ref: float = 1.0) -> np.ndarray:
    """Power spectrogram in dB relative to ``ref`` (full scale by default, so levels compare; chapters 2-6)."""
    import librosa

    spec = np.abs(librosa.stft(np.asarray(y, np.float32), n_fft=n_fft, hop_length=hop_length)) ** 2
    return librosa.power_to_db(spec, ref=ref**2, amin=1e-10, top_db=None)


def spectrogram_panel(ax, spec_db: np.ndarray, sr: int, hop_length: int, *, title: str, vmin: float | None = None,
                      vmax: float | None = None, y_axis: str = "linear", n_fft: int | None = None):
    """Draw a dB spectrogram on ``ax`` with time (s) and frequency (Hz) axes and a title; returns the
    image so several panels can share one colour bar (chapters 2-6)."""
    import librosa.display

    img = librosa.display.specshow(spec_db, sr=sr, hop_length=hop_length, x_axis="time", y_axis=y_axis,
                                   ax=ax, vmin=vmin, vmax=vmax, cmap="magma", n_fft=n_fft)
    ax.set(title=title, xlabel="Time (s)", ylabel="Frequency (Hz)")
    return img


def outer_labels_only(axes, n_used: int | None = None) -> None:
    """In a grid of panels keep axis labels on the left column and bottom row only, and hide unused
    panels (chapters 2-6)."""
    grid = np.atleast_2d(axes)
    flat = list(grid.flat)
    n_used = len(flat) if n_used is None else n_used
    for i, ax in enumerate(flat):
        row, col = divmod(i, grid.shape[1])
        if i >= n_used:
            ax.set_visible(False)
            continue
        if col > 0:
            ax.set_ylabel("")
        below = i + grid.shape[1]
        if below < n_used:
            ax.set_xlabel("")


def waveform_panel(ax, y: np.ndarray, sr: int, *, title: str, ylim: float | None = None, color=None) -> None:
    """Waveform against time in seconds, amplitude in full-scale units (chapters 2-4)."""
    t = np.arange(len(y)) / sr
    ax.plot(t, y, lw=0.6, color=color)
    ax.set(title=title, xlabel="Time (s)", ylabel="Amplitude (FS)", xlim=(0, len(y) / sr))
    if ylim:
        ax.set_ylim(-ylim, ylim)
