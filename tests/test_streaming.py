"""Streaming denoising (chapter 9): block by block, with carried state, the output equals whole-clip
processing; the receptive field and the latency are what the module documents."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from digitdenoise import features, models, noise, streaming, training
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


def _feed_in_pieces(stream, signal, seed, after_each=None):
    """Feed ``signal`` to ``stream`` in pieces of random sizes (0 to 1500 samples); the outputs so far."""
    rng = np.random.default_rng(seed)
    parts, start = [], 0
    while start < signal.size:
        size = int(rng.choice([0, 1, 7, 64, 301, 1500]))
        parts.append(stream.process(signal[start:start + size]))
        start += size
        if after_each is not None:
            after_each(stream)
    return parts


def test_irregular_pieces(model, noisy, whole):
    stream = streaming.StreamingDenoiser(model, block_frames=8)
    parts = _feed_in_pieces(stream, noisy, 3)
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


# ---------------------------------------------------------------------------------------------- small_tcn
@pytest.fixture(scope="module")
def small():
    """The small causal model (lookahead 2 frames) with random weights, fixed seed: its output layer is
    zero-initialised, which would make every comparison one between identity masks. Kernels are drawn
    to keep the signal's scale from layer to layer, and the oldest tap of every temporal convolution is
    made large, so that the far end of the context moves the output well above the tolerance (with
    plain small random weights it moves it by less than 1e-7, and a stream one frame short of context
    would pass the comparisons)."""
    return _randomised(models.build_denoiser("small_tcn", features.FeatureConfig()))


def _randomised(model, large_taps=(0,)):
    """``model`` with the random weights the ``small`` fixture describes; ``large_taps`` are the taps of
    every temporal convolution made large (the oldest; add -1, the newest, for the far future of a
    centred block)."""
    rng = np.random.default_rng(11)
    for w in model.network.weights:
        if "moving_variance" in w.path or "gamma" in w.path:
            value = rng.uniform(0.8, 1.2, w.shape)
        elif "moving_mean" in w.path or "beta" in w.path or "bias" in w.path:
            value = rng.normal(0.0, 0.1, w.shape)
        elif "depthwise" in w.path:  # (taps, features, 1)
            value = rng.normal(0.0, np.sqrt(2.0 / w.shape[0]), w.shape)
            for tap in large_taps:
                value[tap] = np.sign(value[tap]) * (np.abs(value[tap]) + 1.0)
        else:
            value = rng.normal(0.0, np.sqrt(2.0 / np.prod(w.shape[:-1])), w.shape)
        w.assign(value.astype(np.float32))
    return model


@pytest.fixture(scope="module")
def small_whole(small, noisy):
    return {"mirror": training.denoise_signals(small, [noisy])[0],
            "zeros": small(tf.constant(noisy[None]), training=False).numpy()[0]}


def test_receptive_field_of_small_model(small):
    """Output frame t reads input frames t + lookahead - 128 .. t + lookahead (models.small_tcn); the
    window reaches 2 frames further back (left 128) because the look-ahead cropping drops them."""
    reach = streaming.time_reach(small.network)
    assert reach == streaming.TimeReach(context=126, lookahead=2, left=128, right=2, grid=1)
    assert streaming.measured_reach(small) == (126, 2)
    assert streaming.measured_reach(small, frames=160, block=(140, 141)) == (126, 2)
    for look in (0, 5):  # derived from the layers, not from the default
        reach = streaming.time_reach(models.small_tcn((128, None, 1), lookahead=look))
        assert reach == streaming.TimeReach(context=128 - look, lookahead=look, left=128, right=look, grid=1)
    for centred in (1, 3, 5):  # centred blocks look 2 x dilation frames ahead (dilations 1, 2, 4, 8, 16)
        ahead = 2 * sum((1, 2, 4, 8, 16)[:centred])
        reach = streaming.time_reach(models.small_tcn((128, None, 1), lookahead=0, centred=centred))
        assert reach == streaming.TimeReach(context=128 - ahead, lookahead=ahead, left=128 - ahead, right=ahead,
                                            grid=1)


@pytest.mark.parametrize("end", streaming.ENDS)
def test_small_model_with_centred_blocks_streams_exactly(noisy, end):
    """A small model whose first three temporal blocks look ahead (14 frames) streams as exactly as the
    causal one, up to the last samples: there its look-ahead reads the silence and the zero padding
    after the end of the clip, which the stream's last window must place where the whole clip has them
    (on the front end's grid of 8 frames; a window starting elsewhere missed by up to 0.04)."""
    model = _randomised(models.build_denoiser("small_tcn", features.FeatureConfig(), lookahead=0, centred=3),
                        large_taps=(0, -1))
    whole = (training.denoise_signals(model, [noisy])[0] if end == "mirror"
             else model(tf.constant(noisy[None]), training=False).numpy()[0])
    stream = streaming.StreamingDenoiser(model, block_frames=1, end=end)
    assert stream.lookahead == 14 and stream.latency_ms == 144
    for chunk in (77, 1001):
        assert float(np.max(np.abs(stream.denoise(noisy, chunk=chunk) - whole))) <= TOLERANCE
    assert np.max(np.abs(whole - noisy)) > 0.05


@pytest.mark.parametrize("end", streaming.ENDS)
@pytest.mark.parametrize("block_frames, chunk", [(1, None), (1, 77), (3, 333), (8, 1001), (13, 64)])
def test_small_model_streaming_equals_whole_clip(small, noisy, small_whole, end, block_frames, chunk):
    stream = streaming.StreamingDenoiser(small, block_frames=block_frames, end=end)
    out = stream.denoise(noisy, chunk=chunk)
    assert out.shape == noisy.shape and out.dtype == np.float32
    diff = float(np.max(np.abs(out - small_whole[end])))
    print(f"small_tcn, end={end}, block_frames={block_frames}, chunk={chunk}: max |streaming - whole| = {diff:.3g}")
    assert diff <= TOLERANCE
    assert np.max(np.abs(small_whole[end] - noisy)) > 0.05  # the random mask does change the signal


def test_small_model_needs_its_whole_context(small, noisy, small_whole, monkeypatch):
    """The equality tests have teeth: a stream that believes the model reaches one frame less far back
    differs from whole-clip processing by far more than the tolerance."""
    real = streaming.time_reach
    monkeypatch.setattr(streaming, "time_reach", lambda network: dataclasses.replace(
        real(network), context=125, left=127))
    out = streaming.StreamingDenoiser(small, block_frames=1).denoise(noisy, chunk=77)
    assert float(np.max(np.abs(out - small_whole["mirror"]))) > 10 * TOLERANCE


def test_small_model_irregular_pieces_and_short_signals(small, noisy, small_whole):
    def state_is_bounded(stream):  # the state: the last `context` frames, and frames awaiting look-ahead
        assert stream._spec.shape[0] <= stream.reach.context + stream.lookahead + stream.block_frames

    stream = streaming.StreamingDenoiser(small, block_frames=1)
    parts = _feed_in_pieces(stream, noisy, 4, after_each=state_is_bounded)
    parts.append(stream.flush())
    assert float(np.max(np.abs(np.concatenate(parts) - small_whole["mirror"]))) <= TOLERANCE
    for n in (1, 200, 2047):
        x = noisy[:n]
        for end, ref in (("mirror", training.denoise_signals(small, [x])[0]),
                         ("zeros", small(tf.constant(x[None]), training=False).numpy()[0])):
            out = streaming.StreamingDenoiser(small, block_frames=1, end=end).denoise(x, chunk=100)
            assert out.shape == (n,)
            assert float(np.max(np.abs(out - ref))) <= TOLERANCE


def test_small_model_latency(small, noisy):
    stream = streaming.StreamingDenoiser(small, block_frames=1)
    assert stream.lookahead == 2
    assert stream.latency_samples == (1 + 2 - 1) * 64 + 256 == 384
    assert stream.latency_ms == pytest.approx(48.0)
    assert streaming.StreamingDenoiser(small, block_frames=8).latency_ms == pytest.approx(104.0)
    x, emitted, worst = noisy[:3000], 0, 0
    for received in range(1, x.size + 1):
        emitted += stream.process(x[received - 1:received]).size
        if emitted:
            worst = max(worst, received - emitted)
    assert worst == stream.latency_samples - 1  # the newest sample itself counts as one
    with pytest.raises(ParameterError):
        streaming.StreamingDenoiser(small, block_frames=0)
