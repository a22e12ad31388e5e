"""Running a trained denoiser on arrays (chapters 5-6, and chapter 9 for precision and speed).

:func:`denoise_batch` denoises fixed-length clips (validation and evaluation, chapters 5-8);
:func:`denoise_signals` denoises mono signals of any lengths, extended only to :func:`padded_length` by
mirroring (chapter 8, appendix 9; the ``denoise`` command and the service go through it). Both call the
model's forward pass compiled once into a TensorFlow graph (``_inference_fn``), in float32 or, on CPUs
that compute it natively (:func:`cpu_has_bfloat16`), in bfloat16 (:data:`PRECISIONS`, chapter 9).
:mod:`digitdenoise.training` re-exports every name here; this module does not import it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import weakref
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from . import models
from .errors import ParameterError
from .features import FeatureConfig


@contextlib.contextmanager
def _quiet_tensorflow():
    # calling fit once per epoch (to checkpoint between epochs, chapter 5) or tracing several models in a
    # row (denoise_batch) makes TensorFlow warn about retracing; the warning is harmless here and would
    # clutter every chapter
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


_INFERENCE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
MAX_BATCH_FRAMES = 6144  # STFT frames per model call when denoising signals of any length (about 48 s at 8 kHz)
MIN_CONTEXT_S = 0.5  # shorter signals are extended to this by mirroring (appendix 9 measures why)


PRECISIONS = ("float32", "bfloat16")


def cpu_has_bfloat16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX-512 BF16 or AMX), where a bfloat16 network is
    faster than float32 (appendix 9, chapter 9); elsewhere bfloat16 is emulated and slower."""
    try:
        with open("/proc/cpuinfo") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _bfloat16_network(model: models.Denoiser) -> keras.Model:
    """A copy of the model's network computing in bfloat16 (weights kept in float32 and cast per layer,
    Keras' ``mixed_bfloat16`` policy). The weights are copied once: for inference only."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        shape = model.frontend.mel_input_shape if model.entry.input_kind == "mel" else model.frontend.input_shape
        network = model.entry.build(shape, **model.network_kwargs)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    network.set_weights(model.network.get_weights())
    return network


def _inference_fn(model: models.Denoiser, precision: str = "float32"):
    """The model's forward pass compiled once into a TensorFlow graph (chapters 5-8). Calling a Keras
    model eagerly walks its layers in Python on every call: about 50 ms for one window on this CPU, against
    about 9 ms for the graph (appendix 9 measures the effect). The graph takes any number of signals of any
    one length. With ``precision="bfloat16"`` the network (not the STFT, the mask or the inverse STFT)
    computes in bfloat16: about 1.4 times faster on CPUs with AVX-512 BF16, with the same SI-SDR."""
    if precision not in PRECISIONS:
        raise ParameterError(f"precision={precision!r}: choose one of {', '.join(PRECISIONS)}.")
    if not isinstance(model, models.Denoiser) and hasattr(model, "inference_fn"):
        return model.inference_fn(precision)  # another engine (export.TFLiteDenoiser, chapter 9)
    cache = _INFERENCE.setdefault(model, {})
    fn = cache.get(precision)
    if fn is None:
        if precision == "float32":
            @tf.autograph.experimental.do_not_convert
            def forward(x):
                return model(x, training=False)
        else:
            network = _bfloat16_network(model)

            @tf.autograph.experimental.do_not_convert
            def forward(x):
                spec, image = model.frontend.features(x)
                if model.entry.input_kind == "mel":
                    image = model.frontend.mel_features(spec)
                out = tf.cast(network(image, training=False), tf.float32)
                return model.reconstruct(spec, out, tf.shape(x)[-1])

        fn = tf.function(forward, input_signature=[tf.TensorSpec((None, None), tf.float32)])
        cache[precision] = fn
    return fn


def denoise_batch(model: models.Denoiser, noisy: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
    """Run a denoiser over ``(n, samples)`` fixed-length clips in batches (chapters 5-8)."""
    noisy = np.asarray(noisy, dtype=np.float32)
    if noisy.ndim != 2 or noisy.shape[1] != model.cfg.n_samples:
        raise ParameterError(f"denoise_batch needs clips of shape (n, {model.cfg.n_samples}), got {noisy.shape}.")
    forward = _inference_fn(model)
    with _quiet_tensorflow():  # several models traced in a row make TensorFlow warn about retracing
        out = [forward(noisy[i:i + batch_size]).numpy() for i in range(0, len(noisy), batch_size)]
    return np.concatenate(out) if out else np.zeros_like(noisy)


def padded_length(n_samples: int, cfg: FeatureConfig) -> int:
    """The fewest samples, at least ``n_samples``, whose centred STFT has a multiple of 8 frames, the
    unit the U-Nets' three poolings need (appendix 9, chapter 9): padding a clip only this far, instead of to the
    one-second training window, is what makes short clips cheap."""
    hop = cfg.hop_length
    frames = int(math.ceil(int(n_samples) / hop)) + 1
    return (int(math.ceil(frames / 8)) * 8 - 1) * hop


def denoise_signals(model: models.Denoiser, signals: Sequence[np.ndarray], *,
                    max_batch_frames: int = MAX_BATCH_FRAMES, min_context_s: float = MIN_CONTEXT_S,
                    precision: str = "float32") -> list[np.ndarray]:
    """Denoise mono signals of any lengths at the model's rate (chapter 8, appendix 9; the ``denoise``
    command and the service go through here). Each output has its input's length.

    The networks are fully convolutional, so a signal needs no one-second window: it is extended only to
    :func:`padded_length` (at most 64 ms more), or to ``min_context_s`` if it is shorter, and signals of
    the same extended length go through the model together, at most ``max_batch_frames`` STFT frames per
    call. The extension mirrors the signal instead of appending silence: training never showed the model
    digital silence after noisy speech, and zero padding a short clip to one second costs it about 10 dB
    of SI-SDR improvement on FSDD (appendix 9). The minimum context gives a short clip some of the
    noise-only frames a training window has (0.5 s recovers all but about 0.1 dB of the training-window
    score on FSDD's held-out speaker). ``precision`` as in :func:`_inference_fn`."""
    signals = [np.asarray(x, np.float32) for x in signals]
    for i, x in enumerate(signals):
        if x.ndim != 1 or x.size == 0:
            raise ParameterError(f"denoise_signals: signal {i} must be non-empty and 1-D, got shape {x.shape}.")
    minimum = int(round(min_context_s * model.cfg.sample_rate))
    groups: dict[int, list[int]] = {}
    for i, x in enumerate(signals):
        groups.setdefault(padded_length(max(x.size, minimum), model.cfg), []).append(i)
    forward = _inference_fn(model, precision)
    out: list[np.ndarray] = [np.zeros(0, np.float32)] * len(signals)
    for length, members in sorted(groups.items()):
        per_call = max(1, max_batch_frames // (length // model.cfg.hop_length + 1))
        for k in range(0, len(members), per_call):
            chunk = members[k:k + per_call]
            batch = np.stack([np.pad(signals[i], (0, length - signals[i].size), mode="symmetric") for i in chunk])
            result = forward(batch).numpy()
            for row, i in enumerate(chunk):
                out[i] = result[row, :signals[i].size]
    return out
