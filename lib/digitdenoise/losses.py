"""The losses the zoo trains on (chapter 5): the seeds' feature-domain losses by their Keras names, the
waveform models' negative SI-SDR (:func:`negative_si_sdr`) and its saturating form
(:class:`CappedNegativeSiSdr`, the general recipe of chapter 5).

Both custom losses are registered with Keras under :data:`digitdenoise.models.PACKAGE`; the registered
name is that package and the object's name, not this module's, so models saved when they lived in
:mod:`digitdenoise.training` load unchanged. :mod:`digitdenoise.training` re-exports every name here.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from . import models


@keras.saving.register_keras_serializable(package=models.PACKAGE)
def negative_si_sdr(clean, estimate):
    """Mean negative SI-SDR in dB over a batch of waveforms: the best model's loss (chapter 5)."""
    clean = clean - tf.reduce_mean(clean, axis=-1, keepdims=True)
    estimate = estimate - tf.reduce_mean(estimate, axis=-1, keepdims=True)
    dot = tf.reduce_sum(clean * estimate, axis=-1, keepdims=True)
    energy = tf.reduce_sum(clean**2, axis=-1, keepdims=True) + 1e-8
    target = dot / energy * clean
    residual = estimate - target
    ratio = (tf.reduce_sum(target**2, axis=-1) + 1e-8) / (tf.reduce_sum(residual**2, axis=-1) + 1e-8)
    return -10.0 * tf.math.log(ratio) / tf.math.log(10.0)


LOSSES = {"mse": "mean_squared_error", "bce": "binary_crossentropy", "si_sdr": negative_si_sdr}


@keras.saving.register_keras_serializable(package=models.PACKAGE)
class CappedNegativeSiSdr(keras.losses.Loss):
    """Negative SI-SDR that saturates at ``cap_db`` (chapter 5): ``-10 log10(|t|^2 / (|r|^2 + tau |t|^2))``
    with ``tau = 10^(-cap/10)``, ``t`` the scaled target and ``r`` the residual. Without a cap a clip with
    nothing to remove (the general recipe's clean inputs) has an unbounded score and its gradient would
    outweigh every noisy clip; with it, a clip already better than ``cap_db`` stops pulling on the weights
    (the "thresholded SNR" loss of Wisdom et al., 2020). Below about ``cap_db - 10`` it equals
    :func:`negative_si_sdr`."""

    def __init__(self, cap_db: float = 30.0, name: str = "capped_negative_si_sdr", **kwargs):
        super().__init__(name=name, **kwargs)
        self.cap_db = float(cap_db)

    def call(self, clean, estimate):
        tau = 10.0 ** (-self.cap_db / 10.0)
        clean = clean - tf.reduce_mean(clean, axis=-1, keepdims=True)
        estimate = estimate - tf.reduce_mean(estimate, axis=-1, keepdims=True)
        dot = tf.reduce_sum(clean * estimate, axis=-1, keepdims=True)
        energy = tf.reduce_sum(clean**2, axis=-1, keepdims=True) + 1e-8
        target = dot / energy * clean
        t2 = tf.reduce_sum(target**2, axis=-1)
        r2 = tf.reduce_sum((estimate - target) ** 2, axis=-1)
        return -10.0 * tf.math.log((t2 + 1e-8) / (r2 + tau * t2 + 1e-8)) / tf.math.log(10.0)

    def get_config(self):
        return {**super().get_config(), "cap_db": self.cap_db}


@keras.saving.register_keras_serializable(package=models.PACKAGE)
class DistillationLoss(keras.losses.Loss):
    """Knowledge distillation on the waveform (chapter 9): the student is scored against two targets at
    once, ``(1 - weight) * L(clean, estimate) + weight * L(teacher, estimate)``, with ``L`` the negative
    SI-SDR (saturating at ``cap_db`` where given, :class:`CappedNegativeSiSdr`). ``y_true`` stacks the two
    targets on a last axis of 2: the clean clip, then the teacher's output for the same noisy input. The
    teacher's output is a target the student can reach more easily than the clean clip (it is what a
    network can make of that input), and it carries what the teacher learned to leave alone; the clean
    term keeps the student from copying the teacher's mistakes. For validation pass the clean clip twice:
    the loss is then exactly ``L(clean, estimate)``."""

    def __init__(self, weight: float = 0.5, cap_db: float | None = 30.0, name: str = "distillation_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.weight = float(weight)
        self.cap_db = None if cap_db is None else float(cap_db)
        self._base = negative_si_sdr if cap_db is None else CappedNegativeSiSdr(cap_db).call

    def call(self, targets, estimate):
        clean, teacher = targets[..., 0], targets[..., 1]
        return (1.0 - self.weight) * self._base(clean, estimate) + self.weight * self._base(teacher, estimate)

    def get_config(self):
        return {**super().get_config(), "weight": self.weight, "cap_db": self.cap_db}
