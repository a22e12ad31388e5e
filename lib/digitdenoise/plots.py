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


def spectrogram_grid(signals: dict[str, np.ndarray], sr: int, n_fft: int, hop_length: int, *, ncols: int | None = None,
                     title: str | None = None, range_db: float = 80.0, panel_size: tuple[float, float] = (3.8, 3.4),
                     colorbar_label: str = "Power (dB re full scale)"):
    """Panels of dB spectrograms (re full scale), one per named signal, on **one** colour scale: the
    brightest bin of all panels is the top and ``range_db`` below it is black, so a darker panel is a
    quieter signal. ``ncols`` panels per row (all in one row by default); axis labels on the outer panels
    only; one colour bar. Returns the figure (chapters 4 and 6)."""
    import matplotlib.pyplot as plt

    if not signals:
        raise ValueError("spectrogram_grid needs at least one signal")
    specs = {name: spectrogram_db(y, n_fft, hop_length) for name, y in signals.items()}
    top = max(float(s.max()) for s in specs.values())
    ncols = len(specs) if ncols is None else max(1, min(int(ncols), len(specs)))
    nrows = int(np.ceil(len(specs) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), sharex=True,
                             sharey=True, layout="constrained", squeeze=False)
    for ax, (name, spec) in zip(axes.flat, specs.items()):
        img = spectrogram_panel(ax, spec, sr, hop_length, title=name, vmin=top - range_db, vmax=top, n_fft=n_fft)
    outer_labels_only(axes, n_used=len(specs))
    fig.colorbar(img, ax=axes, label=colorbar_label, shrink=0.85)
    if title:
        fig.suptitle(title, fontweight="bold")
    return fig


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


def interval_bars(ax, summary, labels: str, *, title: str, xlabel: str) -> None:
    """Horizontal bars of ``summary["mean"]`` with ``ci_low``..``ci_high`` whiskers, sorted by mean and
    labelled by column ``labels``; rows with ``flagged`` true are grey (chapter 7: groups with too few
    speakers are shown, not ranked)."""
    summary = summary.sort_values("mean", kind="stable")
    y = np.arange(len(summary))
    flagged = summary["flagged"] if "flagged" in summary else [False] * len(summary)
    ax.barh(y, summary["mean"], color=["0.7" if f else "C0" for f in flagged])
    ax.errorbar(summary["mean"], y, xerr=[summary["mean"] - summary["ci_low"], summary["ci_high"] - summary["mean"]],
                fmt="none", ecolor="black", elinewidth=0.8)
    ax.set_yticks(y, summary[labels], fontsize="small")
    ax.axvline(0, color="black", lw=0.8)
    ax.set(title=title, xlabel=xlabel)


def count_heatmap(ax, summary, rows: str, columns: str, *, title: str, min_count: int, value_label: str) -> None:
    """Heatmap of ``summary["mean"]`` over ``rows`` x ``columns``; each cell also shows its number of
    speakers, and cells with fewer than ``min_count`` are left blank (chapter 7)."""
    import seaborn as sns

    means = summary.pivot(index=rows, columns=columns, values="mean")
    speakers = summary.pivot(index=rows, columns=columns, values="speakers").reindex_like(means)
    mask = speakers.isna() | (speakers < min_count)
    cells = means.round(1).astype(str) + "\n" + speakers.fillna(0).astype(int).astype(str) + " spk"
    if mask.to_numpy().all():
        ax.text(0.5, 0.5, f"no cell has {min_count} or more speakers", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        sns.heatmap(means, mask=mask, annot=cells.where(~mask, ""), fmt="", cmap="viridis", ax=ax,
                    cbar_kws={"label": value_label}, annot_kws={"fontsize": "x-small"})
    ax.set(title=title, xlabel=columns, ylabel=rows)


def improvement_vs_snr(summary, methods, *, rows: str = "source", columns: str = "family", metric: str = "si_sdri",
                       ylabel: str = "SI-SDR improvement (dB)"):
    """Grid of mean improvement against input SNR with 95% interval bands, one panel per (``rows``,
    ``columns``) cell and one line per method (chapter 6's generalisation figure). Returns the figure."""
    import matplotlib.pyplot as plt

    row_values = list(dict.fromkeys(summary[rows]))
    col_values = list(dict.fromkeys(summary[columns]))
    fig, axes = plt.subplots(len(row_values), len(col_values), figsize=(3.4 * len(col_values), 2.6 * len(row_values)),
                             sharex=True, sharey=True, layout="constrained", squeeze=False)
    for i, r in enumerate(row_values):
        for j, c in enumerate(col_values):
            ax = axes[i, j]
            cell = summary[(summary[rows] == r) & (summary[columns] == c)]
            for k, method in enumerate(methods):
                line = cell[cell["method"] == method].sort_values("snr_db")
                if line.empty:
                    continue
                ax.plot(line["snr_db"], line[metric], marker="o", ms=3, color=f"C{k}", label=method,
                        ls="--" if method.startswith("oracle") else "-")
                ax.fill_between(line["snr_db"], line[f"{metric}_lo"], line[f"{metric}_hi"], color=f"C{k}", alpha=0.15)
            ax.axhline(0, color="black", lw=0.8)
            ax.set_title(f"{r} / {c}", fontsize="small")
            if i == len(row_values) - 1:
                ax.set_xlabel("Input SNR (dB)")
            if j == 0:
                ax.set_ylabel(ylabel)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6), fontsize="small")
    return fig
