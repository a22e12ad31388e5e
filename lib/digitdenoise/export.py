"""A trained denoiser as one self-contained TensorFlow Lite file (chapter 9: deployment without
TensorFlow).

:func:`to_tflite` converts the *whole* waveform-to-waveform graph of a :class:`~digitdenoise.models.Denoiser`
(STFT, scaled log-magnitude, network, head, inverse STFT) to TFLite **built-in** operators only, so the
file runs in any LiteRT / TFLite interpreter without the TensorFlow "select ops" (Flex) runtime. The
Keras graph itself does not convert that way: complex multiplication (``tf.Complex``), ``tf.signal.irfft``
and slices written with ``...`` or ``None`` have no built-in TFLite kernel. :func:`export_forward`
therefore rewrites the same computation in real arithmetic with the *same* weights:

* the STFT is ``tf.signal.frame`` + the Hann window + ``tf.signal.rfft`` (TFLite's ``RFFT2D``), split
  into real and imaginary parts;
* the complex mask is applied as two real products (``(a + ib)(c + id)``, written out);
* the inverse real FFT is one matrix product with a fixed ``(2 * n_freqs, n_fft)`` cosine/sine matrix;
* overlap-add is ``n_fft / hop`` shifted sums of reshaped frames (so ``n_fft`` must be a multiple of
  ``hop_length``, true of every :class:`~digitdenoise.features.FeatureConfig` built by
  ``for_sample_rate``).

Batch size and length are free (``(batch, samples)`` in, the same shape out), like the Keras model.
:class:`TFLiteDenoiser` runs the file and can stand in for the Keras model wherever the library
denoises (``training.denoise_batch``, ``training.denoise_signals``, ``inference.Enhancer(model=...)``).
Next to ``model.tflite`` a small ``model.tflite.json`` records the feature configuration and the model
name, which the interpreter needs to pad signals the way the Keras path does, and the SHA-256 of the
``model.keras`` it came from.

:func:`to_onnx` writes the same graph as ONNX (with an STFT by matrix product, the one form tf2onnx
translates); it needs the optional ``tf2onnx``, ``onnx`` and ``onnxruntime`` packages.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import models
from ._io import atomic_path, quiet_native_stderr, write_json
from .errors import DataError, ParameterError
from .features import FeatureConfig, mel_filterbank

SIDECAR_SUFFIX = ".json"  # model.tflite -> model.tflite.json


# --------------------------------------------------------------------------------------------------
# The forward pass in real arithmetic (TFLite built-in operators only)

def _overlap_add(frames: tf.Tensor, hop: int, ratio: int) -> tf.Tensor:
    """``(batch, frames, ratio * hop)`` -> ``(batch, (frames + ratio - 1) * hop)``, the sum of the frames
    placed ``hop`` apart (``tf.signal.overlap_and_add``, whose slices TFLite cannot convert)."""
    batch, n_frames = tf.shape(frames)[0], tf.shape(frames)[1]
    parts = tf.reshape(frames, [batch, n_frames, ratio, hop])
    total = None
    for r in range(ratio):
        # the r-th hop-long piece of frame t lands on output block t + r
        piece = tf.pad(parts[:, :, r, :], [[0, 0], [r, ratio - 1 - r], [0, 0]])
        total = piece if total is None else total + piece
    return tf.reshape(total, [batch, (n_frames + ratio - 1) * hop])


def _irfft_matrix(n_fft: int) -> np.ndarray:
    """``(2 * n_freqs, n_fft)`` matrix ``M`` with ``irfft(re + i im) = concat([re, im]) @ M``.

    ``x[n] = (1 / N) sum_k c_k (re_k cos(2 pi k n / N) - im_k sin(2 pi k n / N))`` with ``c_k = 1`` at
    DC and Nyquist and 2 elsewhere (the Hermitian half counted twice); built in float64."""
    n_freqs = n_fft // 2 + 1
    k = np.arange(n_freqs)[:, None]
    n = np.arange(n_fft)[None, :]
    weight = np.full((n_freqs, 1), 2.0)
    weight[0] = 1.0
    if n_fft % 2 == 0:
        weight[-1] = 1.0
    angle = 2.0 * np.pi * k * n / n_fft
    return np.concatenate([weight * np.cos(angle), -weight * np.sin(angle)]).astype(np.float32) / n_fft


class _StaticUpSampling2D(keras.layers.Layer):
    """Nearest-neighbour 2-D upsampling that keeps the channel count static. Keras' ``UpSampling2D``
    (``ops.repeat``) leaves it unknown when the time axis is free, and TFLite's ``CONV_2D`` after it then
    does not convert (report_cae, minimal_cae)."""

    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = tuple(size)

    def call(self, x):
        (fh, fw), channels = self.size, x.shape[-1]
        shape = tf.shape(x)
        x = tf.expand_dims(tf.expand_dims(x, 2), 4)  # (batch, rows, 1, cols, 1, channels)
        x = tf.tile(x, [1, 1, fh, 1, fw, 1])
        return tf.reshape(x, [shape[0], shape[1] * fh, shape[2] * fw, channels])


def _exportable_network(network: keras.Model) -> keras.Model:
    """``network`` itself, or (if it upsamples) a copy sharing its weights with each ``UpSampling2D``
    replaced by :class:`_StaticUpSampling2D`."""
    if not any(isinstance(layer, keras.layers.UpSampling2D) for layer in network.layers):
        return network
    for layer in network.layers:
        if isinstance(layer, keras.layers.UpSampling2D) and layer.interpolation != "nearest":
            raise ParameterError(f"export supports nearest-neighbour upsampling only ({layer.name}).")

    def swap(layer):
        if isinstance(layer, keras.layers.UpSampling2D):
            return _StaticUpSampling2D(layer.size, name=layer.name)
        return layer  # the same layer object: the copy shares the trained weights

    return keras.models.clone_model(network, clone_function=swap)


def _rfft_matrix(window: np.ndarray) -> np.ndarray:
    """``(n_fft, 2 * n_freqs)`` matrix: ``frame @ M = concat([re, im])`` of the windowed frame's rfft."""
    n_fft = window.size
    n = np.arange(n_fft)[:, None]
    k = np.arange(n_fft // 2 + 1)[None, :]
    angle = 2.0 * np.pi * n * k / n_fft
    return (window.astype(np.float64)[:, None] * np.concatenate([np.cos(angle), -np.sin(angle)], axis=1)).astype(np.float32)


def export_forward(model: models.Denoiser, *, dft: str = "fft"):
    """The denoiser's forward pass ``(batch, samples) -> (batch, samples)`` as a ``tf.function`` made of
    operators TFLite has built-in kernels for (chapter 9). Same weights and same arithmetic as
    ``model(x)`` up to float32 rounding (the parity test measures it).

    ``dft="fft"`` computes the STFT with ``tf.signal.rfft`` (TFLite ``RFFT2D``); ``dft="matmul"`` with
    one matrix product, which leaves no complex tensor in the graph at all (what ONNX converters need)."""
    if dft not in ("fft", "matmul"):
        raise ParameterError(f"dft={dft!r}: choose fft or matmul.")
    cfg, fe, entry = model.cfg, model.frontend, model.entry
    n_fft, hop = cfg.n_fft, cfg.hop_length
    if cfg.win_length not in (None, n_fft):
        raise ParameterError(f"export needs win_length == n_fft (got {cfg.win_length}, n_fft={n_fft}).")
    if n_fft % hop:
        raise ParameterError(f"export needs n_fft ({n_fft}) to be a multiple of hop_length ({hop}).")
    ratio, pad, n_freqs, n_bins = n_fft // hop, n_fft // 2, cfg.n_freqs, fe.n_bins
    # NumPy arrays, not eager tensors: they become constants inside the graph (an eager tensor would be
    # a captured input, which ONNX converters turn into an extra model input)
    window = models._hann(n_fft).numpy()
    irfft = _irfft_matrix(n_fft)
    rfft = _rfft_matrix(window) if dft == "matmul" else None
    mel_to_linear = model._mel_to_linear.numpy()
    lo, hi, floor = fe.lo, fe.hi, cfg.log_floor
    mel_fb = mel_filterbank(cfg).T
    network = _exportable_network(model.network)

    def pad_to_8(x):  # (batch, rows, frames) -> (batch, rows, frames padded to a multiple of 8, 1)
        # (8 - T mod 8) mod 8, not floormod(-T, 8): ONNX converters turn a negative floormod into fmod
        x = tf.pad(x, [[0, 0], [0, 0], [0, tf.math.floormod(8 - tf.math.floormod(tf.shape(x)[2], 8), 8)]])
        return tf.expand_dims(x, 3)

    def from_image(out, channel, n_frames, fill):  # (batch, bins, padded, C) -> (batch, frames, n_freqs)
        # tf.slice + reshape: a plain slice that both TFLite and tf2onnx translate
        x = tf.slice(out, [0, 0, 0, channel], [-1, n_bins, n_frames, 1])
        x = tf.reshape(x, [tf.shape(out)[0], n_bins, n_frames])
        x = tf.pad(x, [[0, 0], [0, n_freqs - n_bins], [0, 0]], constant_values=fill)
        return tf.transpose(x, [0, 2, 1])

    def mel_image(power):  # |S|^2 (batch, frames, n_freqs) -> scaled log mel image (Frontend.mel_features)
        mel_mag = tf.sqrt(tf.matmul(power, mel_fb) + 1e-12)
        scaled = (tf.math.log(mel_mag + floor) - lo) / (hi - lo)
        return pad_to_8(tf.transpose(scaled, [0, 2, 1]))

    @tf.function(input_signature=[tf.TensorSpec((None, None), tf.float32, name="noisy")])
    def forward(noisy):
        length = tf.shape(noisy)[1]
        # centred STFT with zero padding, as models.tf_stft
        frames = tf.signal.frame(tf.pad(noisy, [[0, 0], [pad, pad]]), n_fft, hop)
        batch, n_frames = tf.shape(frames)[0], tf.shape(frames)[1]
        if dft == "fft":
            spec = tf.signal.rfft(frames * window, fft_length=[n_fft])
            re, im, mag = tf.math.real(spec), tf.math.imag(spec), tf.abs(spec)
        else:
            both = tf.reshape(tf.matmul(tf.reshape(frames, [batch * n_frames, n_fft]), rfft),
                              [batch, n_frames, 2 * n_freqs])
            re, im = both[:, :, :n_freqs], both[:, :, n_freqs:]
            mag = tf.sqrt(re * re + im * im)
        if entry.input_kind == "mel":
            image = mel_image(mag * mag)
        else:
            scaled = (tf.math.log(mag + floor) - lo) / (hi - lo)
            image = pad_to_8(tf.transpose(scaled, [0, 2, 1])[:, :n_bins, :])
        out = network(image, training=False)
        # the heads of Denoiser.reconstruct, in real arithmetic
        if entry.head == "magnitude":
            est_mag = tf.nn.relu(tf.exp(from_image(out, 0, n_frames, 0.0) * (hi - lo) + lo) - floor)
            gain = est_mag / tf.maximum(mag, 1e-8)
            est_re, est_im = re * gain, im * gain
        elif entry.head == "mel_gain":
            noisy_mel = mel_image(mag * mag)
            gain_mel = tf.exp((out[:, :, :n_frames, 0] - noisy_mel[:, :, :n_frames, 0]) * (hi - lo))
            gain = tf.transpose(tf.einsum("bmt,mf->bft", gain_mel, mel_to_linear), [0, 2, 1])
            est_re, est_im = re * gain, im * gain
        else:  # bounded complex mask
            real = 1.0 + from_image(out, 0, n_frames, 0.0)
            imag = from_image(out, 1, n_frames, 0.0)
            radius = tf.sqrt(real * real + imag * imag + 1e-12)
            scale = models.MASK_BOUND * tf.tanh(radius / models.MASK_BOUND) / radius
            m_re, m_im = real * scale, imag * scale
            est_re, est_im = re * m_re - im * m_im, re * m_im + im * m_re
        # inverse STFT as models.tf_istft: irfft, window, overlap-add, divide by the summed squared window
        flat = tf.reshape(tf.concat([est_re, est_im], axis=2), [batch * n_frames, 2 * n_freqs])
        time_frames = tf.reshape(tf.matmul(flat, irfft), [batch, n_frames, n_fft]) * window
        y = _overlap_add(time_frames, hop, ratio)
        envelope = _overlap_add(tf.zeros([1, n_frames, 1]) + window * window, hop, ratio)
        y = y / tf.maximum(envelope, 1e-8)
        return tf.identity(y[:, pad:pad + length], name="denoised")

    return forward


# --------------------------------------------------------------------------------------------------
# Conversion

def _keras_file(model_dir: str | Path) -> Path:
    path = Path(model_dir)
    return path / "model.keras" if path.is_dir() else path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _as_denoiser(model_dir_or_denoiser) -> tuple[models.Denoiser, dict]:
    """The model and what the sidecar records of its source (a saved model's SHA-256, so that a cached
    export can tell it is stale)."""
    if isinstance(model_dir_or_denoiser, models.Denoiser):
        return model_dir_or_denoiser, {"model": model_dir_or_denoiser.model_name}
    from .training import load_denoiser

    model, info = load_denoiser(model_dir_or_denoiser)
    keras_file = _keras_file(model_dir_or_denoiser)
    return model, {"model": info.get("model", model.model_name), "source": str(keras_file),
                   "source_sha256": _sha256(keras_file)}


def sidecar_path(export_path: str | Path) -> Path:
    """The JSON file next to an export (``model.tflite`` -> ``model.tflite.json``) that records its
    model name and feature configuration (chapter 9)."""
    export_path = Path(export_path)
    return export_path.with_name(export_path.name + SIDECAR_SUFFIX)


def _checked_meta(model: models.Denoiser, info: dict, fmt: str, run, check: bool, tolerance: float,
                  seed: int) -> dict:
    """The sidecar's content; with ``check``, ``run`` (the converted model on a ``(2, n_samples)``
    probe) is compared with the Keras model first and a difference above ``tolerance`` raises."""
    meta = {"format": f"digitdenoise-{fmt}-1", "model": info.get("model", model.model_name),
            "feature_config": model.feature_config, "input": "noisy (batch, samples) float32",
            "output": "denoised (batch, samples) float32", "tensorflow": tf.__version__,
            **{key: info[key] for key in ("source", "source_sha256") if key in info}}
    if check:
        rng = np.random.default_rng(seed)
        probe = (0.1 * rng.standard_normal((2, model.cfg.n_samples))).astype(np.float32)
        reference = model(tf.constant(probe), training=False).numpy()
        diff = float(np.max(np.abs(run(probe) - reference)))
        if not diff <= tolerance:
            raise DataError(f"{fmt} export of {meta['model']} differs from the Keras model by {diff:.3g} "
                            f"(tolerance {tolerance:g}); nothing written.")
        meta["check_max_abs_diff"] = diff
    return meta


def _write(out_path: str | Path, content: bytes, meta: dict) -> Path:
    """The sidecar, then the model file, each written atomically."""
    out_path = Path(out_path)
    write_json(sidecar_path(out_path), meta)
    with atomic_path(out_path, suffix=out_path.suffix or ".bin") as tmp:
        tmp.write_bytes(content)
    return out_path


def to_tflite(model_dir_or_denoiser, out_path: str | Path, *, check: bool = True, tolerance: float = 1e-4,
              seed: int = 0) -> Path:
    """Convert a denoiser (a saved model folder or a loaded :class:`~digitdenoise.models.Denoiser`) to a
    self-contained float32 TFLite file at ``out_path`` (chapter 9), written atomically, with the
    ``.tflite.json`` sidecar beside it. Returns ``out_path``.

    With ``check`` (default) the converted file is run on one second of noise-like audio and its output
    compared with the Keras model's: a difference above ``tolerance`` raises a
    :class:`~digitdenoise.errors.DataError` and nothing is written. The measured difference is stored in
    the sidecar.
    """
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    model, info = _as_denoiser(model_dir_or_denoiser)
    # the weights are frozen into constants first: converted with the model as its trackable object,
    # the Keras 3 variables stay resource variables that a bare interpreter leaves uninitialised (NaN)
    frozen = convert_variables_to_constants_v2(export_forward(model).get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen], tf.Module())
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # no Flex: self-contained
    logger = tf.get_logger()  # the converter logs the temporary files it writes; keep pages and terminals quiet
    level = logger.level
    logger.setLevel("ERROR")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                flatbuffer = converter.convert()
            except Exception as exc:  # the converter's own error is pages of MLIR locations
                loops = "TensorList" in str(exc)
                raise DataError(
                    f"{info.get('model', 'this model')} does not convert to a self-contained TFLite file (built-in "
                    "operators only): " + ("a recurrent layer loops over a clip of unknown length (a dual-path "
                    "block with dual_path_kind='attention' exports)." if loops else
                    f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")) from None
    finally:
        logger.setLevel(level)
    meta = _checked_meta(model, info, "tflite",
                         lambda x: TFLiteDenoiser(flatbuffer, model.feature_config, model_name=info.get("model"))(x),
                         check, tolerance, seed)
    return _write(out_path, flatbuffer, meta)


def to_onnx(model_dir_or_denoiser, out_path: str | Path, *, opset: int = 17, check: bool = True,
            tolerance: float = 1e-4, seed: int = 0) -> Path:
    """The same waveform-to-waveform graph as an ONNX file (chapter 9), converted with ``tf2onnx`` and
    checked with ``onnxruntime`` (both optional: ``pip install tf2onnx onnx onnxruntime``). The STFT is a
    matrix product here (``export_forward(dft="matmul")``): tf2onnx translates ``RFFT`` only when
    its sole consumer is a magnitude. Written atomically with its ``.onnx.json`` sidecar."""
    try:
        import tf2onnx
    except ImportError:
        raise DataError("ONNX export needs tf2onnx: pip install 'tf2onnx>=1.17,<2' 'onnx>=1.17,<2' "
                        "'onnxruntime>=1.20,<2'.") from None
    import logging

    model, info = _as_denoiser(model_dir_or_denoiser)
    forward = export_forward(model, dft="matmul")
    previous = logging.getLogger("tf2onnx").level
    logging.getLogger("tf2onnx").setLevel(logging.ERROR)  # it logs every optimiser pass
    try:
        proto, _ = tf2onnx.convert.from_function(
            forward, input_signature=[tf.TensorSpec((None, None), tf.float32, name="noisy")], opset=opset)
    finally:
        logging.getLogger("tf2onnx").setLevel(previous)
    content = proto.SerializeToString()

    def run(x):
        import onnxruntime

        session = onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
        return session.run(None, {session.get_inputs()[0].name: x})[0]

    meta = _checked_meta(model, info, "onnx", run, check, tolerance, seed)
    meta["opset"] = opset
    return _write(out_path, content, meta)


# --------------------------------------------------------------------------------------------------
# Running an export

def _interpreter_class():
    """LiteRT's interpreter (``ai-edge-litert``, which also runs the file where TensorFlow is not
    installed) if importable, else TensorFlow's ``tf.lite.Interpreter`` (deprecated in favour of
    LiteRT, still shipped with TensorFlow 2.21). Both give the same output to float32 rounding."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        Interpreter = tf.lite.Interpreter
    return Interpreter


class TFLiteDenoiser:
    """A ``.tflite`` export that denoises like the Keras model it came from (chapter 9).

    ``engine(noisy)`` maps ``(batch, samples)`` float32 to the same shape, like ``Denoiser(noisy)``. The
    object also carries ``cfg``, ``feature_config`` and ``model_name``, and registers its forward pass as
    its own inference function, so ``training.denoise_batch(engine, ...)``,
    ``training.denoise_signals(engine, ...)`` and ``inference.Enhancer(model=engine)`` run it unchanged.
    It computes in float32 whatever precision those ask for. ``num_threads=None`` lets the interpreter
    choose; calls are serialised with a lock (an interpreter is not thread-safe).
    """

    def __init__(self, source: str | Path | bytes, feature_config: dict | None = None, *,
                 model_name: str | None = None, num_threads: int | None = None):
        if isinstance(source, (bytes, bytearray)):
            content, self.path, meta = bytes(source), None, {}
        else:
            self.path = Path(source)
            if not self.path.is_file():
                raise DataError(f"no TFLite model at {self.path}; create one with export.to_tflite().")
            content = self.path.read_bytes()
            side = sidecar_path(self.path)
            meta = json.loads(side.read_text()) if side.is_file() else {}
        if feature_config is None:
            feature_config = meta.get("feature_config")
            if feature_config is None:
                raise DataError(f"{sidecar_path(self.path)} is missing: pass feature_config explicitly.")
        self.feature_config = dict(feature_config)
        self.cfg = FeatureConfig.from_dict(self.feature_config)
        self.model_name = model_name or meta.get("model", "tflite")
        self.num_threads = num_threads
        with warnings.catch_warnings(), quiet_native_stderr():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
            self._interpreter = _interpreter_class()(model_content=content, num_threads=num_threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, int] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_model_dir(cls, model_dir: str | Path, *, cache_path: str | Path | None = None,
                       num_threads: int | None = None) -> "TFLiteDenoiser":
        """The export of a saved model folder, converted on first use and cached (the ``--engine tflite``
        path): at ``cache_path``, or in ``$DIGITDENOISE_CACHE/tflite/`` under the folder's name and a
        hash of its ``model.keras``. A cached file made from other weights is converted again."""
        from .config import cache_dir

        keras_file = _keras_file(model_dir)
        if not keras_file.is_file():
            raise DataError(f"no saved model at {keras_file}.")
        digest = _sha256(keras_file)
        target = (Path(cache_path) if cache_path is not None
                  else cache_dir() / "tflite" / f"{keras_file.parent.name}-{digest[:16]}.tflite")
        side = sidecar_path(target)
        fresh = target.is_file() and side.is_file() and json.loads(side.read_text()).get("source_sha256") == digest
        if not fresh:
            to_tflite(keras_file.parent, target)
        return cls(target, num_threads=num_threads)

    def __call__(self, noisy, training: bool = False) -> np.ndarray:
        """Denoise a ``(batch, samples)`` float32 batch; returns a NumPy array of the same shape."""
        x = np.ascontiguousarray(np.asarray(noisy, dtype=np.float32))
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
            raise ParameterError(f"TFLiteDenoiser expects a non-empty (batch, samples) array, got shape {x.shape}.")
        with self._lock:
            if self._shape != x.shape:  # re-plan the buffers only when the shape changes
                self._interpreter.resize_tensor_input(self._input, list(x.shape), strict=False)
                with quiet_native_stderr():  # the runtime announces its CPU delegate here
                    self._interpreter.allocate_tensors()
                self._shape = x.shape
            self._interpreter.set_tensor(self._input, x)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output).copy()

    def inference_fn(self, precision: str = "float32"):
        """A callable like ``training._inference_fn(model, precision)``: batch in, tensor out (float32)."""
        return lambda x: tf.convert_to_tensor(self(np.asarray(x)))

    def describe(self) -> dict:
        return {"engine": "tflite", "model": self.model_name, "path": str(self.path) if self.path else None,
                "num_threads": self.num_threads, "sample_rate": self.cfg.sample_rate}


__all__ = ["export_forward", "to_tflite", "to_onnx", "TFLiteDenoiser", "sidecar_path"]
