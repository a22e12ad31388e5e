"""The model zoo (chapter 5): four seed architectures rebuilt from their descriptions, the book's own
best model and its small, causal counterpart (:func:`small_tcn`), all wrapped so that every one of them
maps a noisy waveform to a denoised waveform. The networks themselves are built in
:mod:`digitdenoise.networks`.

A denoiser here is three parts:

* a fixed **front end** (:class:`Frontend`): STFT (centred, Hann), log-magnitude, a fixed affine scaling
  of log-magnitude to about [0, 1] (no per-clip statistics, so levels survive), the Nyquist bin dropped
  and the frames padded to a multiple of 8 so two or three 2x2 poolings fit;
* a **network**: one of :data:`ZOO`;
* a **head** that turns the network output back into audio with the noisy phase: an estimated
  magnitude (seed models), a mel-domain gain spread back to linear frequency (the mel seed), or a
  bounded complex mask (the best model and the small model).

Seed networks are trained on their own feature-domain losses (MSE or binary cross-entropy between
scaled spectrograms, as the seeds did); the best and the small model are trained end to end on the
waveform with a negative SI-SDR loss. See :mod:`digitdenoise.training`.
"""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import tensorflow as tf

from .errors import ParameterError
from .features import FeatureConfig, mel_filterbank
from .networks import GROWN_PREFIXES, PACKAGE, mask_unet, mel_cnn, minimal_cae, report_cae, seed_unet, small_tcn


# --------------------------------------------------------------------------------------------------
# STFT in TensorFlow (matches librosa's centred STFT with zero padding)

def _hann(frame_length, dtype=tf.float32):
    return tf.signal.hann_window(frame_length, periodic=True, dtype=dtype)


def tf_stft(x: tf.Tensor, cfg: FeatureConfig) -> tf.Tensor:
    """Centred STFT of ``(batch, samples)`` -> complex ``(batch, frames, n_freqs)`` (chapter 5)."""
    pad = cfg.n_fft // 2
    x = tf.pad(x, [[0, 0], [pad, pad]])
    return tf.signal.stft(x, frame_length=cfg.n_fft, frame_step=cfg.hop_length, fft_length=cfg.n_fft,
                          window_fn=_hann, pad_end=False)


def tf_istft(spec: tf.Tensor, cfg: FeatureConfig, length: int) -> tf.Tensor:
    """Inverse of :func:`tf_stft`, cut to ``length`` samples (chapter 5).

    Overlap-add of windowed frames divided by the summed squared window, as librosa does; TensorFlow's
    ``inverse_stft_window_fn`` assumes full overlap and is wrong in the first ``n_fft - hop`` samples.
    """
    window = _hann(cfg.n_fft)
    frames = tf.signal.irfft(spec, fft_length=[cfg.n_fft]) * window
    y = tf.signal.overlap_and_add(frames, cfg.hop_length)
    n_frames = tf.shape(spec)[-2]
    envelope = tf.signal.overlap_and_add(tf.tile((window**2)[None, :], [n_frames, 1]), cfg.hop_length)
    y = y / tf.maximum(envelope, 1e-8)
    pad = cfg.n_fft // 2
    return y[:, pad:pad + length]


@dataclasses.dataclass(frozen=True)
class Frontend:
    """Fixed feature transform shared by every model (chapter 5).

    ``scaled = (log(|S| + floor) - log(floor)) / (log(n_fft / 2) - log(floor))``: 0 is silence, 1 the
    largest magnitude a full-scale signal can reach with the Hann window (its sum, ``n_fft / 2``). Model
    inputs are ``(freq, frames, 1)`` with the Nyquist bin dropped and frames padded with silence to a
    multiple of 8. The networks leave the frame axis free, so the same weights run on a one-second training
    window or on a whole recording (chapter 8, appendix 9).
    """

    cfg: FeatureConfig

    @property
    def lo(self) -> float:
        return math.log(self.cfg.log_floor)

    @property
    def hi(self) -> float:
        return math.log(self.cfg.n_fft / 2)

    @property
    def n_bins(self) -> int:
        return self.cfg.n_fft // 2

    @property
    def n_frames(self) -> int:
        return self.cfg.n_frames

    @property
    def padded_frames(self) -> int:
        return int(math.ceil(self.cfg.n_frames / 8) * 8)

    @property
    def input_shape(self) -> tuple[int, None, int]:
        return (self.n_bins, None, 1)

    @property
    def mel_input_shape(self) -> tuple[int, None, int]:
        return (self.cfg.n_mels, None, 1)

    def scale(self, log_mag: tf.Tensor) -> tf.Tensor:
        return (log_mag - self.lo) / (self.hi - self.lo)

    def unscale(self, scaled: tf.Tensor) -> tf.Tensor:
        return scaled * (self.hi - self.lo) + self.lo

    @staticmethod
    def _pad_to_8(x: tf.Tensor) -> tf.Tensor:
        """``(batch, freq, frames)`` padded with zeros (silence) to a multiple of 8 frames."""
        return tf.pad(x, [[0, 0], [0, 0], [0, tf.math.floormod(-tf.shape(x)[2], 8)]])

    def to_image(self, frames_by_freq: tf.Tensor) -> tf.Tensor:
        """``(batch, frames, freqs)`` -> ``(batch, freqs[:n_bins], frames padded to a multiple of 8, 1)``."""
        x = tf.transpose(frames_by_freq, [0, 2, 1])[:, : self.n_bins, :]
        return self._pad_to_8(x)[..., None]

    def from_image(self, image: tf.Tensor, n_freqs: int, n_frames, fill: float = 0.0) -> tf.Tensor:
        """Inverse of :meth:`to_image`: ``(batch, bins, padded, 1)`` -> ``(batch, n_frames, n_freqs)``."""
        x = image[..., 0][:, :, :n_frames]
        missing = n_freqs - x.shape[1]
        x = tf.pad(x, [[0, 0], [0, missing], [0, 0]], constant_values=fill)
        return tf.transpose(x, [0, 2, 1])

    def features(self, waveform: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """``(complex STFT, scaled log-magnitude image)`` of a waveform batch."""
        spec = tf_stft(waveform, self.cfg)
        log_mag = tf.math.log(tf.abs(spec) + self.cfg.log_floor)
        return spec, self.to_image(self.scale(log_mag))

    def mel_features(self, spec: tf.Tensor) -> tf.Tensor:
        """Scaled log mel magnitude image ``(batch, n_mels, padded, 1)`` of a complex STFT."""
        fb = tf.constant(mel_filterbank(self.cfg).T)  # (n_freqs, n_mels)
        mel_mag = tf.sqrt(tf.matmul(tf.abs(spec) ** 2, fb) + 1e-12)
        log_mel = tf.math.log(mel_mag + self.cfg.log_floor)
        x = tf.transpose(self.scale(log_mel), [0, 2, 1])
        return self._pad_to_8(x)[..., None]


# --------------------------------------------------------------------------------------------------
# The zoo: each network (see digitdenoise.networks) with its input, head, loss and learning rate

@dataclasses.dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo: how to build it, what it sees, what it outputs and how it is trained."""

    name: str
    build: object
    seed: str
    input_kind: str  # "linear" or "mel"
    head: str  # "magnitude", "mel_gain" or "complex_mask"
    loss: str  # "mse", "bce" or "si_sdr"
    learning_rate: float
    description: str
    clipnorm: float | None = None  # gradient clipping; None for the seeds, which used none


ZOO: dict[str, ZooEntry] = {
    "report_cae": ZooEntry("report_cae", report_cae, "000 (student report)", "linear", "magnitude", "mse", 1e-4,
                           "3 conv + BN, pool, conv, upsample, conv, sigmoid; MSE on spectrograms"),
    "seed_unet": ZooEntry("seed_unet", seed_unet, "001 (U-Net README)", "linear", "magnitude", "mse", 2e-4,
                          "U-Net 32-64-128, transposed-conv decoder, skips; MSE on spectrograms"),
    "mel_cnn": ZooEntry("mel_cnn", mel_cnn, "002 (FSDD mel notebook)", "mel", "mel_gain", "bce", 1e-3,
                        "74 k-parameter mel CNN autoencoder; BCE on mel spectrograms"),
    "minimal_cae": ZooEntry("minimal_cae", minimal_cae, "004 (denoise script)", "linear", "magnitude", "bce", 1e-3,
                            "2 conv + pool, 2 deconv + upsample, sigmoid; BCE on spectrograms"),
    "mask_unet": ZooEntry("mask_unet", mask_unet, "this book", "linear", "complex_mask", "si_sdr", 1e-3,
                          "U-Net 16-128, bounded complex mask, noisy phase corrected; SI-SDR on waveforms",
                          clipnorm=1.0),
    "small_tcn": ZooEntry("small_tcn", small_tcn, "this book", "linear", "complex_mask", "si_sdr", 1e-3,
                          "99 k-parameter causal CRN: strided band encoder, dilated causal TCN, sub-pixel "
                          "decoder with skips, bounded complex mask, 48 ms latency; SI-SDR on waveforms",
                          clipnorm=1.0),
}
BEST_MODEL = "mask_unet"
MASK_BOUND = 1.5  # largest mask magnitude the best model may apply


def transfer_weights(source: keras.Model, target: keras.Model) -> int:
    """Copy ``source``'s weights into ``target`` layer by layer in order, skipping the layers only
    ``target`` has (those :func:`mask_unet` names ``dual_path...`` and :func:`small_tcn` ``refine...``),
    so a grown network starts from a trained one (chapter 5). Only layers with weights are paired, so
    variants that differ in layers without any (``small_tcn``'s look-ahead shift, padding) can start from
    each other. Returns the number of layers copied; a clear error if the rest differ, or if ``source``
    has grown layers that ``target`` lacks (their training would be lost)."""
    def weighted(model):
        return [layer for layer in model.layers if layer.weights and not layer.name.startswith(GROWN_PREFIXES)]

    lost = sorted({layer.name for layer in source.layers if layer.weights and layer.name.startswith(GROWN_PREFIXES)}
                  - {layer.name for layer in target.layers})
    if lost:
        raise ParameterError(f"cannot start {target.name} from {source.name}: {target.name} has no layers "
                             f"{', '.join(lost)}, so their training would be lost; build it with the same options.")
    own, theirs = weighted(target), weighted(source)
    if len(own) != len(theirs):
        raise ParameterError(f"cannot start {target.name} from {source.name}: {len(theirs)} layers with weights "
                             f"against {len(own)} outside the grown layers (dual-path blocks, refinement).")
    grown = {layer.name: layer for layer in source.layers if layer.weights and layer.name.startswith(GROWN_PREFIXES)}
    pairs = list(zip(own, theirs)) + [(layer, grown[layer.name]) for layer in target.layers if layer.name in grown]
    for mine, other in pairs:  # grown layers both have (fine-tuning a grown network) are copied by name
        weights = other.get_weights()
        if [w.shape for w in weights] != [w.shape for w in mine.get_weights()]:
            raise ParameterError(f"cannot start {target.name} from {source.name}: layer {mine.name} has other "
                                 "shapes (another base, depth or width?).")
        mine.set_weights(weights)
    return len(pairs)


def check_network_kwargs(name: str, kwargs: dict) -> None:
    """Check that ``kwargs`` are options of zoo model ``name``'s builder (chapter 5), so a misspelt
    ``--network`` option fails before a training run starts rather than deep inside Keras."""
    import inspect

    params = inspect.signature(zoo_entry(name).build).parameters
    options = [p for p, v in params.items() if v.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(kwargs) - set(options))
    if unknown:
        raise ParameterError(f"{name} has no option {', '.join(unknown)}; its options are: "
                             f"{', '.join(options) or 'none'}.")
    for key, value in kwargs.items():  # a value of the default's kind: a number for a number, text for text
        default = params[key].default
        if isinstance(default, (int, float)) and not isinstance(default, bool) and (
                isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ParameterError(f"{name} option {key}={value!r} is not a number (default {default!r}).")
        if isinstance(default, str) and not isinstance(value, str):
            raise ParameterError(f"{name} option {key}={value!r} is not a word (default {default!r}).")


def zoo_entry(name: str) -> ZooEntry:
    """The :class:`ZooEntry` for ``name``, or a clear error listing the models (chapter 5)."""
    if name not in ZOO:
        raise ParameterError(f"model={name!r} is not in the zoo; choose one of {', '.join(ZOO)}.")
    return ZOO[name]


@keras.saving.register_keras_serializable(package=PACKAGE)
class Denoiser(keras.Model):
    """Noisy waveform ``(batch, samples)`` in, denoised waveform out (chapter 5). Wraps one zoo network
    between the fixed :class:`Frontend` and the entry's head; saved and loaded as one ``.keras`` file."""

    def __init__(self, model_name: str, feature_config: dict, network_kwargs: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.model_name = model_name
        self.entry = zoo_entry(model_name)
        self.feature_config = dict(feature_config)
        self.cfg = FeatureConfig.from_dict(self.feature_config)
        self.frontend = Frontend(self.cfg)
        self.network_kwargs = dict(network_kwargs or {})
        shape = self.frontend.mel_input_shape if self.entry.input_kind == "mel" else self.frontend.input_shape
        self.network = self.entry.build(shape, **self.network_kwargs)
        fb = mel_filterbank(self.cfg)  # (n_mels, n_freqs)
        self._mel_to_linear = tf.constant((fb / np.maximum(fb.sum(axis=0, keepdims=True), 1e-8)).astype(np.float32))

    def get_config(self):
        return {"model_name": self.model_name, "feature_config": self.feature_config,
                "network_kwargs": self.network_kwargs, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # the two halves, used separately for feature-domain training -------------------------------
    def network_input(self, noisy: tf.Tensor) -> tf.Tensor:
        spec, image = self.frontend.features(noisy)
        return self.frontend.mel_features(spec) if self.entry.input_kind == "mel" else image

    def feature_target(self, clean: tf.Tensor) -> tf.Tensor:
        """The clean clip in the domain a seed network is trained to output."""
        return self.network_input(clean)

    def reconstruct(self, spec: tf.Tensor, out: tf.Tensor, length: int) -> tf.Tensor:
        fe, n_freqs = self.frontend, self.cfg.n_freqs
        n_frames = tf.shape(spec)[1]
        if self.entry.head == "magnitude":
            log_mag = fe.unscale(fe.from_image(out, n_freqs, n_frames, fill=0.0))
            mag = tf.nn.relu(tf.exp(log_mag) - self.cfg.log_floor)
            phase = spec / tf.cast(tf.maximum(tf.abs(spec), 1e-8), spec.dtype)
            est = tf.cast(mag, spec.dtype) * phase
        elif self.entry.head == "mel_gain":
            noisy_mel = fe.mel_features(spec)
            gain_mel = tf.exp((out - noisy_mel) * (fe.hi - fe.lo))[..., 0][:, :, :n_frames]  # (B, mels, T)
            gain = tf.transpose(tf.einsum("bmt,mf->bft", gain_mel, self._mel_to_linear), [0, 2, 1])
            est = spec * tf.cast(gain, spec.dtype)
        else:  # complex mask
            # z = (1 + a) + i b: the zero-initialised output layer starts close to the identity mask;
            # M = z * B tanh(|z| / B) / |z| keeps the direction of z and bounds |M| smoothly by B.
            real = 1.0 + fe.from_image(out[..., :1], n_freqs, n_frames)
            imag = fe.from_image(out[..., 1:], n_freqs, n_frames)
            radius = tf.sqrt(real**2 + imag**2 + 1e-12)
            scale = MASK_BOUND * tf.tanh(radius / MASK_BOUND) / radius
            est = spec * tf.complex(real * scale, imag * scale)
        return tf_istft(est, self.cfg, length)

    def format_ceiling(self, noisy, clean):
        """What this model's output format can reach at best (chapter 5): the waveform obtained when the
        network's output is replaced by the clean target itself. ``None`` for the complex-mask head,
        whose ideal output is not a feature image."""
        if self.entry.head == "complex_mask":
            return None
        noisy = tf.convert_to_tensor(noisy, tf.float32)
        spec, _ = self.frontend.features(noisy)
        return self.reconstruct(spec, self.feature_target(tf.convert_to_tensor(clean, tf.float32)),
                                noisy.shape[-1]).numpy()

    def call(self, noisy, training=False):
        length = noisy.shape[-1] if noisy.shape[-1] is not None else tf.shape(noisy)[-1]
        spec, image = self.frontend.features(noisy)
        inp = self.frontend.mel_features(spec) if self.entry.input_kind == "mel" else image
        out = self.network(inp, training=training)
        return self.reconstruct(spec, out, length)


def build_denoiser(model_name: str, cfg: FeatureConfig, **network_kwargs) -> Denoiser:
    """Build a zoo model as a :class:`Denoiser` and run it once so its weights exist (chapter 5)."""
    model = Denoiser(model_name, cfg.to_dict(), network_kwargs)
    model(tf.zeros((1, cfg.n_samples)))
    return model
