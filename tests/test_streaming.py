"""Streaming denoising (chapter 9): block by block, with carried state, the output equals whole-clip
processing; the receptive field and the latency are what the module documents."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from digitdenoise import noise, streaming, training
from digitdenoise.data import read_audio
from digitdenoise.errors import ParameterError

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def model(release_model):
    return release_model


@pytest.fixture(scope="module")
def noisy(data_home):
    """About 2.4 s of real speech (three FSDD clips back to back) with a real tap recording at 5 dB."""
    rec = data_home / "fsdd" / "recordings"
    clean = np.concatenate([read_audio(rec / f"{d}_jackson_7.wav", 8000)[0] for d in (3, 5, 8)])
    tap = noise.load_noise_recordings(data_home / "noise", 8000, names=["running_tap"])["running_tap"]
    return noise.mix_at_snr(clean, tap[1000:1000 + clean.size], 5.0)[0].astype(np.float32)


@pytest.fixture(scope="module")
def whole(model, noisy):
    """The two whole-clip references: the deploy path (mirror-extended) and the raw Keras call."""
    return {"mirror": training.denoise_signals(model, [noisy])[0],
            "zeros": model(tf.constant(noisy[None]), training=False).numpy()[0]}


def test_receptive_field_of_release_model(model):
    reach = streaming.time_reach(model.network)
    assert (reach.context, reach.lookahead, reach.grid) == (46, 46, 8)
    assert (reach.left, reach.right) == (46, 46)
    # the perturbation measurement agrees with the analysis of the layers
    assert streaming.measured_reach(model, frames=128, block=(64, 72)) == (46, 46)


@pytest.mark.parametrize("block_frames", [8, 24, 64])
def test_streaming_equals_whole_clip(model, noisy, whole, block_frames):
    stream = streaming.StreamingDenoiser(model, block_frames=block_frames)
    out = stream.denoise(noisy)  # pieces of one block each
    assert out.shape == noisy.shape and out.dtype == np.float32
    diff = float(np.max(np.abs(out - whole["mirror"])))
    print(f"block_frames={block_frames}: max |streaming - whole clip| = {diff:.3g}")
    assert diff <= TOLERANCE
    assert np.max(np.abs(whole["mirror"])) > 0.05  # the comparison is not between two silences


def test_zero_padded_reference(model, noisy, whole):
    out = streaming.StreamingDenoiser(model, block_frames=16, end="zeros").denoise(noisy, chunk=1000)
    assert float(np.max(np.abs(out - whole["zeros"]))) <= TOLERANCE


def test_irregular_pieces(model, noisy, whole):
    rng = np.random.default_rng(3)
    stream = streaming.StreamingDenoiser(model, block_frames=8)
    parts, start = [], 0
    while start < noisy.size:
        size = int(rng.choice([0, 1, 7, 64, 301, 1500]))
        parts.append(stream.process(noisy[start:start + size]))
        start += size
    early = sum(p.size for p in parts)
    parts.append(stream.flush())
    out = np.concatenate(parts)
    assert early > noisy.size // 2  # most of the output came out before the end of the stream
    assert out.shape == noisy.shape
    assert float(np.max(np.abs(out - whole["mirror"]))) <= TOLERANCE
    with pytest.raises(ParameterError):
        stream.process(noisy[:10])
    stream.reset()  # a stream can be reused
    assert float(np.max(np.abs(stream.denoise(noisy[:3000], chunk=777)
                                - training.denoise_signals(model, [noisy[:3000]])[0]))) <= TOLERANCE


def test_short_signals(model, noisy):
    for n in (1, 200, 2047):  # shorter than one block, one window, the minimum context
        x = noisy[:n]
        out = streaming.StreamingDenoiser(model).denoise(x, chunk=100)
        assert out.shape == (n,)
        assert float(np.max(np.abs(out - training.denoise_signals(model, [x])[0]))) <= TOLERANCE
    stream = streaming.StreamingDenoiser(model)
    assert stream.flush().size == 0


def test_latency(model, noisy):
    stream = streaming.StreamingDenoiser(model, block_frames=8)
    assert stream.latency_samples == (8 + 46 - 1) * 64 + 256 == 3648
    assert stream.latency_ms == pytest.approx(456.0)
    assert streaming.StreamingDenoiser(model, block_frames=16).latency_ms == pytest.approx(520.0)
    # fed sample by sample, no output sample waits longer than the documented latency (and some wait
    # exactly that long)
    x, received, emitted, worst = noisy[:6000], 0, 0, 0
    for i in range(x.size):
        emitted += stream.process(x[i:i + 1]).size
        received += 1
        if emitted:
            worst = max(worst, received - emitted)
    assert worst == stream.latency_samples - 1  # the newest sample itself counts as one


def test_bad_parameters(model):
    with pytest.raises(ParameterError):
        streaming.StreamingDenoiser(model, block_frames=12)
    with pytest.raises(ParameterError):
        streaming.StreamingDenoiser(model, end="reflect")
