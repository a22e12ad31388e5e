"""Audio players and figure helpers for the book (every chapter).

Players are plain HTML ``<audio>`` elements with the sound embedded as a WAV data URI, so they play in
Jupyter, in the executed notebooks and in the static HTML book alike. Sounds that are compared share
one gain, so a quieter clip really sounds quieter (``IPython.display.Audio`` would normalise each
clip on its own and hide exactly the differences a reader wants to hear).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Mapping

import numpy as np
import soundfile as sf

from .errors import ParameterError


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    """16-bit PCM WAV bytes of a mono float signal in [-1, 1], values outside clipped (every chapter)."""
    y = _checked(y)
    buf = io.BytesIO()
    sf.write(buf, np.clip(y, -1.0, 1.0), int(sr), format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _checked(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0:
        raise ParameterError(f"an audio player needs a non-empty 1-D signal, got shape {y.shape}.")
    return y


def _shared_gain(signals: list[np.ndarray], headroom: float = 0.9) -> float:
    peak = max(float(np.max(np.abs(_checked(s)))) for s in signals)
    return headroom / peak if peak > 0 else 1.0


def audio_tag(y: np.ndarray, sr: int, *, gain: float = 1.0) -> str:
    """An ``<audio controls>`` element (HTML string) playing ``y * gain`` (every chapter)."""
    data = base64.b64encode(wav_bytes(np.asarray(y) * gain, sr)).decode("ascii")
    return f'<audio controls preload="metadata" src="data:audio/wav;base64,{data}"></audio>'


def players(sounds: Mapping[str, np.ndarray], sr: int, *, title: str | None = None, shared_gain: bool = True):
    """A row of labelled players, one per ``label: signal``, with one gain for all (every chapter)."""
    from IPython.display import HTML

    if not sounds:
        raise ParameterError("players() needs at least one sound.")
    gain = _shared_gain(list(sounds.values())) if shared_gain else 1.0
    cells = "".join(
        f'<div style="display:inline-block;margin:0 1em 0.5em 0"><div><b>{html.escape(label)}</b></div>'
        f"{audio_tag(y, sr, gain=gain)}</div>"
        for label, y in sounds.items()
    )
    head = f"<p><b>{html.escape(title)}</b></p>" if title else ""
    return HTML(f'<div class="dd-players">{head}{cells}</div>')


def player_grid(rows: Mapping[str, Mapping[str, np.ndarray]], sr: int, *, title: str | None = None,
                row_header: str = ""):
    """A table of players: one row per entry of ``rows``, one column per inner key; all share one gain
    so levels compare across the whole grid (chapters 4 and 6)."""
    from IPython.display import HTML

    if not rows:
        raise ParameterError("player_grid() needs at least one row.")
    columns = list(next(iter(rows.values())).keys())
    gain = _shared_gain([y for r in rows.values() for y in r.values()])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = ""
    for name, row in rows.items():
        if list(row.keys()) != columns:
            raise ParameterError(f"row {name!r} has columns {list(row)}; expected {columns}.")
        cells = "".join(f"<td>{audio_tag(row[c], sr, gain=gain)}</td>" for c in columns)
        body += f"<tr><th>{html.escape(name)}</th>{cells}</tr>"
    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    return HTML(f'<table class="dd-player-grid">{caption}<thead><tr><th>{html.escape(row_header)}</th>{head}'
                f"</tr></thead><tbody>{body}</tbody></table>")


def dbfs(y: np.ndarray) -> float:
    """RMS level in dB relative to full scale (a full-scale sine is -3 dBFS; chapter 1)."""
    y = np.asarray(y, dtype=np.float64)
    return float(10 * np.log10(np.mean(y**2) + 1e-20))
