import base64
import io
import re

import numpy as np
import pytest
import soundfile as sf

from digitdenoise import audio
from digitdenoise.errors import ParameterError


def _decoded(html):
    return [sf.read(io.BytesIO(base64.b64decode(b))) for b in re.findall(r'data:audio/wav;base64,([^"]+)"', html)]


def test_players_embed_playable_wav_with_a_shared_gain():
    t = np.arange(8000) / 8000
    loud, quiet = 0.5 * np.sin(2 * np.pi * 440 * t), 0.05 * np.sin(2 * np.pi * 440 * t)
    html = audio.players({"loud": loud, "quiet": quiet}, 8000, title="two <tones>").data
    assert "two &lt;tones&gt;" in html and html.count("<audio") == 2
    (a, sr_a), (b, sr_b) = _decoded(html)
    assert sr_a == sr_b == 8000 and len(a) == len(b) == 8000
    assert np.max(np.abs(a)) == pytest.approx(0.9, abs=1e-3)
    assert np.max(np.abs(a)) / np.max(np.abs(b)) == pytest.approx(10, rel=0.01)  # level difference kept


def test_player_grid_layout_and_errors():
    rows = {"white": {"clean": np.ones(100) * 0.1, "noisy": np.ones(100) * 0.2},
            "pink": {"clean": np.ones(100) * 0.1, "noisy": np.ones(100) * 0.3}}
    html = audio.player_grid(rows, 8000, title="grid", row_header="noise").data
    assert html.count("<audio") == 4 and "<th>noisy</th>" in html
    with pytest.raises(ParameterError, match="columns"):
        audio.player_grid({"a": {"x": np.ones(3)}, "b": {"y": np.ones(3)}}, 8000)
    with pytest.raises(ParameterError, match="non-empty 1-D"):
        audio.players({"empty": np.zeros(0)}, 8000)
