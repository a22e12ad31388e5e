"""Block-by-block denoising of a live signal that equals whole-clip denoising (chapter 9: latency).

The zoo networks are convolutional along time and of finite reach: an output STFT frame depends on a
bounded range of input frames around it, its *receptive field*. :func:`time_reach` works that range out
from the network's layers (:class:`TimeReach`): it follows the time axis through Permute and Reshape
layers and knows zero padding, cropping, convolutions (strided, dilated, depthwise, transposed), pooling
and upsampling. For the two models of chapter 9:

* the release model, ``mask_unet`` (four levels of two 3x3 convolutions, 2x2 max-pooling three times,
  2x2 stride-2 transposed convolutions; non-causal): output frames ``[a, b)`` with ``a`` and ``b`` on
  the 8-frame pooling grid depend on input frames ``[a - 46, b + 46)``: 46 frames (368 ms at 8 kHz,
  hop 64) of context on each side;
* the small model, ``small_tcn`` (time-major after a Permute, its input moved ``lookahead`` frames
  earlier by a Cropping2D and a ZeroPadding2D, causal two-frame convolutions in its band encoder, causal
  dilated depthwise convolutions on per-frame vectors, sub-pixel upsampling along frequency only): no
  pooling in time, so grid 1, and output frame ``t`` depends on input frames ``t + lookahead - 128 ..
  t + lookahead``: context 126 frames (1008 ms) and look-ahead 2 (16 ms) with the default
  ``lookahead=2``. Its ``left`` is 128: the cropping drops the first ``lookahead`` frames of whatever
  it is given, so a window starts that much earlier, with frames nobody sees.

:class:`StreamingDenoiser` therefore keeps the last ``context`` STFT frames as its state (46 for the
release model, 126 for the small one) and, for each block of ``block_frames`` frames (a multiple of the
grid, so blocks stay on the pooling grid the whole-clip pass uses: a multiple of 8 for the release
model, any number down to one frame for the small model), waits for the look-ahead frames, runs the
network on ``[context | block | look-ahead]`` (the window's start rounded to the grid and reaching back
``left`` frames, the window completed on both sides with silence frames that the block provably does
not see), keeps the block's frames of the head's output and overlap-adds their inverse STFT into the
output. An output sample is released once no later frame overlaps it. At the end of the stream
:meth:`flush` pads the signal exactly as the whole-clip path does and processes the rest in one call,
so the concatenated output equals whole-clip processing up to float32 rounding (the tests measure
``<= 1e-4``; in practice about ``1e-6``). Batch normalisation runs in inference mode: a per-channel
affine map, which does not couple frames.

Two whole-clip references are offered, chosen by ``end``:

* ``"mirror"`` (default): ``training.denoise_signals``, the path of the ``denoise`` command and the
  service (the signal extended by mirroring to a whole number of pooled frames, and to at least
  ``training.MIN_CONTEXT_S``);
* ``"zeros"``: the Keras model called on the raw signal, ``model(x[None])`` (the frame axis padded
  with silence frames to a multiple of 8).

Algorithmic latency (:attr:`StreamingDenoiser.latency_samples`): the oldest output sample of a block
is released when the last look-ahead frame is complete, ``(block_frames + lookahead - 1) * hop + n_fft``
samples after it arrived: the block, the look-ahead and one STFT window, less one hop. For the release
model at 8 kHz with 8-frame blocks: ``(8 + 46 - 1) * 64 + 256 = 3648`` samples, **456 ms**; each extra
8-frame block adds 64 ms. The look-ahead dominates; a causal network is needed to go much lower: the
small model with one-frame blocks needs ``(1 + 2 - 1) * 64 + 256 = 384`` samples, **48 ms** (32 ms of
STFT window, 16 ms of look-ahead), and each extra frame of block adds 8 ms. Computation time comes on
top: every network call recomputes the block's whole context (for the small model with one-frame
blocks, a call on about 130 frames for each new frame), so larger blocks cost less per second of
audio; a stream that kept each layer's past activations instead would not. The no-harm guard of
:mod:`digitdenoise.inference` needs the whole signal and is not applied here.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from fractions import Fraction

import keras
import numpy as np
import tensorflow as tf

from . import models
from .errors import ParameterError

GRID = 8  # the front end pads the frame axis to a multiple of 8: whole-clip pooling windows start on it
ENDS = ("mirror", "zeros")

_POINTWISE = (keras.layers.InputLayer, keras.layers.BatchNormalization, keras.layers.ReLU, keras.layers.Activation,
              keras.layers.Dropout, keras.layers.LeakyReLU, keras.layers.Concatenate, keras.layers.Add,
              keras.layers.Multiply, keras.layers.Identity)
_CONVS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.DepthwiseConv1D,
          keras.layers.DepthwiseConv2D, keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
_TRANSPOSED = (keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose, keras.layers.Conv3DTranspose)
_POOLINGS = (keras.layers.MaxPooling1D, keras.layers.MaxPooling2D, keras.layers.AveragePooling1D,
             keras.layers.AveragePooling2D)
_UPSAMPLINGS = (keras.layers.UpSampling1D, keras.layers.UpSampling2D)
_ZERO_PADDINGS = (keras.layers.ZeroPadding1D, keras.layers.ZeroPadding2D)
_CROPPINGS = (keras.layers.Cropping1D, keras.layers.Cropping2D)


# --------------------------------------------------------------------------------------------------
# Receptive field along time, from the layers

@dataclasses.dataclass(frozen=True)
class TimeReach:
    """How far a network looks along the frame axis (chapter 9), for output blocks on its pooling grid.

    ``context``/``lookahead``: input frames needed before/after the block. ``left``/``right``: how far
    an input window must extend around the block so that every tensor of the network covers what the
    block needs of it: no layer's zero padding at a tensor edge reaches a value the block needs, and no
    cropping removes one (at least ``context``/``lookahead``; frames between ``context`` and ``left``
    and between ``lookahead`` and ``right`` may hold anything). ``grid``: the largest time stride of any
    tensor."""

    context: int
    lookahead: int
    left: int
    right: int
    grid: int


@dataclasses.dataclass(frozen=True)
class _Step:
    """What one layer does along time. ``axis``: the time axis of its output (batch = axis 0), the
    input's except after a Permute.

    ``up=False`` (convolution, pooling, padding, cropping, pointwise layers): output frame ``j`` reads
    input frames ``[j*stride - pad_left, j*stride - pad_left + span)``; the input is taken as extended by
    ``pad_left``/``pad_right`` frames (negative: cropped). ``up=True`` (transposed convolution,
    upsampling): input frame ``i`` writes output frames ``[i*stride - pad_left, i*stride - pad_left +
    span)``, and the output has ``(n - 1)*stride + span - pad_left - pad_right`` frames."""

    axis: int
    span: int = 1
    stride: int = 1
    pad_left: int = 0
    pad_right: int = 0
    up: bool = False

    @property
    def time_stride(self) -> Fraction:
        """Input frames one output frame spans (2 for a pooling, 1/2 for an upsampling)."""
        return Fraction(1, self.stride) if self.up else Fraction(self.stride)

    def reads(self, lo: int, hi: int) -> tuple[int, int]:
        """Input frames ``[lo', hi')`` the layer reads to produce output frames ``[lo, hi)``."""
        k, s, p = self.span, self.stride, self.pad_left
        if self.up:  # input i writes outputs [i*s - p, i*s - p + k)
            return -((-(lo + p - k + 1)) // s), (hi - 1 + p) // s + 1
        return lo * s - p, (hi - 1) * s - p + k

    def length(self, n: int) -> int:
        """Output frames for ``n`` input frames."""
        k, s = self.span, self.stride
        if self.up:
            return (n - 1) * s + k - self.pad_left - self.pad_right
        return (n + self.pad_left + self.pad_right - k) // s + 1


def _window_step(axis: int, span: int, stride: int, padding: str) -> _Step:
    """A convolution or pooling (TensorFlow's "same" padding, for input lengths divisible by the stride)."""
    if padding == "same":
        total = max(span - stride, 0)
        return _Step(axis, span, stride, total // 2, total - total // 2)
    if padding == "causal":
        return _Step(axis, span, stride, span - 1, 0)
    return _Step(axis, span, stride)


def _static_product(dims) -> int | None:
    return None if any(d is None for d in dims) else math.prod(dims)


def _step(layer, axis: int, in_shape: tuple, out_shape: tuple) -> _Step:
    """The :class:`_Step` of ``layer`` for an input whose time axis (batch = axis 0) is ``axis``."""
    name = f"{layer.name} ({type(layer).__name__})"
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise ParameterError(f"time_reach: {name}: only channels_last layers are supported.")
    rank = len(in_shape)
    spatial = axis - 1  # index of the time axis in a channels_last layer's kernel_size, padding, ...
    if isinstance(layer, (*_CONVS, *_TRANSPOSED, *_POOLINGS, *_UPSAMPLINGS, *_ZERO_PADDINGS, *_CROPPINGS)) \
            and not 0 <= spatial < rank - 2:
        raise ParameterError(f"time_reach: {name} works on axes 1..{rank - 2}; time is axis {axis}.")
    if isinstance(layer, _TRANSPOSED):
        k, s = layer.kernel_size[spatial], layer.strides[spatial]
        if layer.dilation_rate[spatial] != 1 or layer.output_padding is not None:
            raise ParameterError(f"time_reach: {name}: dilated or output-padded transposed convolutions are "
                                 "not supported.")
        if layer.padding == "same":  # n*s output frames
            pad_left = max(k - s, 0) // 2
            return _Step(axis, k, s, pad_left, k - s - pad_left, up=True)
        return _Step(axis, k, s, 0, min(k - s, 0), up=True)  # "valid": n*s + max(k - s, 0) frames
    if isinstance(layer, _CONVS):
        span = layer.dilation_rate[spatial] * (layer.kernel_size[spatial] - 1) + 1
        return _window_step(axis, span, layer.strides[spatial], layer.padding)
    if isinstance(layer, _POOLINGS):
        return _window_step(axis, layer.pool_size[spatial], layer.strides[spatial], layer.padding)
    if isinstance(layer, _UPSAMPLINGS):
        f = layer.size if isinstance(layer.size, int) else layer.size[spatial]
        return _Step(axis, f, f, up=True)
    if isinstance(layer, _ZERO_PADDINGS):  # output frame j is input frame j - before
        before, after = layer.padding if rank == 3 else layer.padding[spatial]
        return _Step(axis, pad_left=before, pad_right=after)
    if isinstance(layer, _CROPPINGS):  # output frame j is input frame j + before
        before, after = layer.cropping if rank == 3 else layer.cropping[spatial]
        return _Step(axis, pad_left=-before, pad_right=-after)
    if isinstance(layer, keras.layers.Permute):  # output axis i (from 1) is input axis dims[i - 1]
        return _Step(list(layer.dims).index(axis) + 1)
    if isinstance(layer, keras.layers.Reshape):
        # frames stay frames if the axes before time are kept and only the axes after it are regrouped
        if (axis < len(out_shape) and tuple(in_shape[1:axis]) == tuple(out_shape[1:axis])
                and None not in in_shape[1:axis]
                and _static_product(in_shape[axis + 1:]) is not None
                and _static_product(in_shape[axis + 1:]) == _static_product(out_shape[axis + 1:])):
            return _Step(axis)
        raise ParameterError(f"time_reach: {name} mixes the time axis {axis} of {in_shape} into {out_shape}.")
    if isinstance(layer, keras.layers.Concatenate) and layer.axis % rank == axis:
        raise ParameterError(f"time_reach: {name} concatenates along time.")
    if isinstance(layer, _POINTWISE):
        return _Step(axis)
    raise ParameterError(f"time_reach: layer {name} is not supported.")


def time_reach(network: keras.Model, *, time_axis: int = 2) -> TimeReach:
    """The receptive field of a functional Keras network along the time axis (chapter 9).

    ``time_axis``: the input's frame axis (2 for the zoo's ``(batch, freq, frames, channels)`` images);
    layers such as Permute and Reshape move it, and the analysis follows it to the output, which must be
    at the input's frame rate and length, with time on the same axis. Walks the layer graph forwards to
    find each tensor's time axis, stride (its grid) and length for a long input, then backwards from one
    output block of one grid unit to find the range of every tensor the block depends on. The block is
    placed far from 0 so that no range is clipped; the result holds for any block on the grid.
    """
    nodes_by_depth = network._nodes_by_depth  # Keras 3 functional graph; depth 0 holds the outputs
    depths = sorted(nodes_by_depth)
    axis = {id(t): time_axis for t in network.inputs}
    stride = {id(t): Fraction(1) for t in network.inputs}
    steps = []  # (node, step), inputs first
    for depth in reversed(depths):
        for node in nodes_by_depth[depth]:
            if node.is_input:
                continue
            ins = node.input_tensors
            a_in, s_in = {axis[id(t)] for t in ins}, {stride[id(t)] for t in ins}
            if len(a_in) != 1 or len(s_in) != 1:
                raise ParameterError(f"time_reach: {node.operation.name} joins tensors of different time axes "
                                     "or strides.")
            step = _step(node.operation, a_in.pop(), tuple(ins[0].shape), tuple(node.outputs[0].shape))
            s_out = s_in.pop() * step.time_stride
            for t in node.outputs:
                axis[id(t)], stride[id(t)] = step.axis, s_out
            steps.append((node, step))
    grid = int(max(stride.values()))
    # tensor lengths for an input of n0 frames (a multiple of the grid, as every window is)
    n0 = 1024 * grid
    length = {id(t): n0 for t in network.inputs}
    for node, step in steps:
        n_in = {length[id(t)] for t in node.input_tensors}
        if len(n_in) != 1:
            raise ParameterError(f"time_reach: {node.operation.name} joins tensors of different lengths.")
        n_out = step.length(n_in.pop())
        for t in node.outputs:
            length[id(t)] = n_out
    # frames a tensor has beyond (negative: short of) the input's extent, in its own frames
    excess = {k: length[k] - n0 / stride[k] for k in length}
    for t in network.outputs:
        if stride[id(t)] != 1 or excess[id(t)] != 0 or axis[id(t)] != time_axis:
            raise ParameterError("time_reach: the network's output is not at the input's frame rate, length "
                                 "and time axis.")
    a = 64 * grid * 16  # one grid unit far from frame 0
    b = a + grid
    needed = {id(t): (a, b) for t in network.outputs}
    for node, step in reversed(steps):  # outputs first: every consumer of a tensor before its producer
        outs = [needed[id(t)] for t in node.outputs if id(t) in needed]
        if not outs:
            continue
        lo, hi = step.reads(min(r[0] for r in outs), max(r[1] for r in outs))
        for t in node.input_tensors:
            old = needed.get(id(t))
            needed[id(t)] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
    (inp,) = network.inputs
    lo, hi = needed[id(inp)]
    # an input window [w0, w1) (on the grid) gives tensor k frames [w0/s, w1/s + excess) of the whole
    # clip's: it covers the block's needs if w0 <= a - left and w1 >= b + right
    left = max(a - r[0] * stride[k] for k, r in needed.items())
    right = max((r[1] - excess[k]) * stride[k] - b for k, r in needed.items())
    return TimeReach(context=a - lo, lookahead=hi - b, left=int(math.ceil(left)), right=int(math.ceil(right)),
                     grid=grid)


def measured_reach(model: models.Denoiser, *, frames: int = 256, block: tuple[int, int] = (128, 136),
                   seed: int = 0) -> tuple[int, int]:
    """``(context, lookahead)`` measured by perturbation (chapter 9): each input frame of a random image
    is changed in turn and the frames whose change moves the network's output on ``block`` give the
    extent. A check on :func:`time_reach` (ReLUs, max-pooling or a far contribution below float32
    rounding could hide a dependency; they do not for the trained release model, nor for the small model
    with random weights of the tests)."""
    rng = np.random.default_rng(seed)
    shape = (1, model.frontend.n_bins if model.entry.input_kind == "linear" else model.cfg.n_mels, frames, 1)
    base = rng.uniform(0.2, 0.8, shape).astype(np.float32)
    batch = np.repeat(base, frames, axis=0)
    for j in range(frames):
        batch[j, :, j, 0] = rng.uniform(0.0, 1.0, shape[1])
    run = tf.function(lambda x: model.network(x, training=False),
                      input_signature=[tf.TensorSpec((None, shape[1], frames, 1), tf.float32)])
    moved = []
    for i in range(0, frames, 31):
        # the unperturbed image rides in every batch: the same kernels compute it and its variants, so
        # an unchanged output is bit-identical (a different batch size may change the rounding)
        out = run(tf.constant(np.concatenate([base, batch[i:i + 31]]))).numpy()[:, :, block[0]:block[1]]
        moved += [i + k for k in range(out.shape[0] - 1) if np.any(out[k + 1] != out[0])]
    return block[0] - min(moved), max(moved) + 1 - block[1]


# --------------------------------------------------------------------------------------------------
# The head without the inverse STFT (Denoiser.reconstruct up to tf_istft)

def _estimate(model: models.Denoiser, spec: tf.Tensor, out: tf.Tensor) -> tf.Tensor:
    """Complex STFT estimate ``(batch, frames, n_freqs)`` from the noisy STFT and the network output,
    exactly as :meth:`~digitdenoise.models.Denoiser.reconstruct` computes it before its inverse STFT."""
    fe, cfg = model.frontend, model.cfg
    n_freqs, n_frames = cfg.n_freqs, tf.shape(spec)[1]
    if model.entry.head == "magnitude":
        log_mag = fe.unscale(fe.from_image(out, n_freqs, n_frames, fill=0.0))
        mag = tf.nn.relu(tf.exp(log_mag) - cfg.log_floor)
        phase = spec / tf.cast(tf.maximum(tf.abs(spec), 1e-8), spec.dtype)
        return tf.cast(mag, spec.dtype) * phase
    if model.entry.head == "mel_gain":
        noisy_mel = fe.mel_features(spec)
        gain_mel = tf.exp((out - noisy_mel) * (fe.hi - fe.lo))[..., 0][:, :, :n_frames]
        gain = tf.transpose(tf.einsum("bmt,mf->bft", gain_mel, model._mel_to_linear), [0, 2, 1])
        return spec * tf.cast(gain, spec.dtype)
    real = 1.0 + fe.from_image(out[..., :1], n_freqs, n_frames)
    imag = fe.from_image(out[..., 1:], n_freqs, n_frames)
    radius = tf.sqrt(real**2 + imag**2 + 1e-12)
    scale = models.MASK_BOUND * tf.tanh(radius / models.MASK_BOUND) / radius
    return spec * tf.complex(real * scale, imag * scale)


_COMPILED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _compiled(model: models.Denoiser):
    """``(stft, run)`` graphs for ``model``, traced once and shared by all its streams.

    ``stft(padded samples (1, n))``: :func:`models.tf_stft` without its centre padding (a stream keeps
    the padded signal itself). ``run(spec, keep_from, keep_to)``: the network on an STFT window
    ``(1, frames, n_freqs)`` and the windowed inverse-FFT frames of the estimate on frames
    ``[keep_from, keep_to)`` of it, ``(1, keep_to - keep_from, n_fft)``."""
    fns = _COMPILED.get(model)
    if fns is not None:
        return fns
    cfg, fe = model.cfg, model.frontend

    @tf.function(input_signature=[tf.TensorSpec((1, None), tf.float32)])
    def stft(x):
        return tf.signal.stft(x, frame_length=cfg.n_fft, frame_step=cfg.hop_length, fft_length=cfg.n_fft,
                              window_fn=models._hann, pad_end=False)

    @tf.function(input_signature=[tf.TensorSpec((1, None, cfg.n_freqs), tf.complex64),
                                  tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.int32)])
    def run(spec, keep_from, keep_to):
        if model.entry.input_kind == "mel":
            image = fe.mel_features(spec)
        else:
            image = fe.to_image(fe.scale(tf.math.log(tf.abs(spec) + cfg.log_floor)))
        out = model.network(image, training=False)
        est = _estimate(model, spec, out)[:, keep_from:keep_to]
        return tf.signal.irfft(est, fft_length=[cfg.n_fft]) * models._hann(cfg.n_fft)

    _COMPILED[model] = (stft, run)
    return stft, run


# --------------------------------------------------------------------------------------------------
# The streaming denoiser

class StreamingDenoiser:
    """Denoise a signal fed in pieces of any size, with the output of whole-clip processing (chapter 9).

    ``process(samples)`` takes the next input samples (1-D float, model rate) and returns the output
    samples that are final so far; ``flush()`` ends the stream and returns the rest. The outputs
    concatenated have the input's length and equal ``training.denoise_signals(model, [x])[0]``
    (``end="mirror"``) or ``model(x[None])[0]`` (``end="zeros"``) to float32 rounding. ``block_frames``
    (a multiple of the network's time grid: 8 for the release model, any for the small model) is how
    many STFT frames one network call outputs in steady state; larger blocks cost fewer calls and more
    latency (:attr:`latency_ms`). The state carried between blocks is the last ``reach.context`` STFT
    frames. See the module docstring for the method.
    """

    def __init__(self, model: models.Denoiser, *, block_frames: int = 8, end: str = "mirror",
                 max_call_frames: int = 2048):
        if end not in ENDS:
            raise ParameterError(f"end={end!r}: choose one of {', '.join(ENDS)}.")
        cfg = model.cfg
        if cfg.win_length not in (None, cfg.n_fft):
            raise ParameterError("streaming needs win_length == n_fft.")
        self.model, self.cfg, self.end = model, cfg, end
        self.reach = time_reach(model.network)
        grid = self.reach.grid
        if GRID % grid:
            raise ParameterError(f"the network's time grid ({grid}) does not divide {GRID}.")
        if not isinstance(block_frames, (int, np.integer)) or block_frames <= 0 or block_frames % grid:
            raise ParameterError(f"block_frames={block_frames!r}: must be a positive multiple of {grid} "
                                 "(the network's time grid, on which the whole-clip pass pools).")
        self.block_frames = int(block_frames)
        self._grid = grid
        # frames a block waits for: its look-ahead, and at least as far as any tensor must reach, so the
        # whole-clip pass's right edge (at or after the frames already seen) cannot be closer than that
        self.lookahead = max(self.reach.lookahead, self.reach.right)
        self._left = grid * math.ceil(self.reach.left / grid)  # window start before a block, on the grid
        self._context = self.reach.context  # STFT frames kept before a block: the state carried
        self.max_call_frames = max(int(max_call_frames), self.block_frames)
        self._hop, self._n_fft, self._pad = cfg.hop_length, cfg.n_fft, cfg.n_fft // 2
        self._window = models._hann(cfg.n_fft).numpy().astype(np.float64)
        from .training import MIN_CONTEXT_S

        self._min_samples = int(round(MIN_CONTEXT_S * cfg.sample_rate))
        self._stft, self._run = _compiled(model)
        self.reset()

    # ---------------------------------------------------------------- properties
    @property
    def latency_samples(self) -> int:
        """Algorithmic latency in samples: ``(block_frames + lookahead - 1) * hop + n_fft``."""
        return (self.block_frames + self.lookahead - 1) * self._hop + self._n_fft

    @property
    def latency_ms(self) -> float:
        """Algorithmic latency in milliseconds (456 ms for the release model with 8-frame blocks, 48 ms for
        the small model with one-frame blocks)."""
        return 1000.0 * self.latency_samples / self.cfg.sample_rate

    # ---------------------------------------------------------------- state
    def reset(self) -> None:
        """Forget the stream: the next :meth:`process` starts a new signal."""
        self._received = 0  # real samples received
        self._finished = False
        # padded signal (n_fft/2 zeros, then the samples) from padded index _x0 on: what frames still need
        self._x = np.zeros(self._pad, np.float32)
        self._x0 = 0
        self._tail = np.zeros(0, np.float32)  # the latest real samples (mirror extension at the end)
        self._spec = np.zeros((0, self.cfg.n_freqs), np.complex64)  # STFT frames from frame _s0 on
        self._s0 = 0
        self._frames = 0  # STFT frames computed so far
        self._done = 0  # frames whose estimate has been overlap-added (a multiple of block_frames until flush)
        # overlap-add accumulators from padded sample index _y0 on; _emitted real samples returned so far
        self._acc = np.zeros(0, np.float64)
        self._env = np.zeros(0, np.float64)
        self._y0 = 0
        self._emitted = 0

    # ---------------------------------------------------------------- feeding
    def _add_samples(self, samples: np.ndarray) -> None:
        self._x = np.concatenate([self._x, samples])
        keep = max(self._min_samples, GRID * self._hop)
        self._tail = np.concatenate([self._tail, samples])[-keep:]

    def _compute_frames(self) -> None:
        """STFT of every frame whose samples have all arrived (frame t spans padded [t*hop, t*hop + n_fft))."""
        hop, n_fft = self._hop, self._n_fft
        end = self._x0 + self._x.size
        n_new = (end - n_fft) // hop + 1 - self._frames if end >= n_fft else 0
        if n_new <= 0:
            return
        start = self._frames * hop - self._x0
        segment = self._x[start:start + (n_new - 1) * hop + n_fft]
        frames = self._stft(tf.constant(segment[None]))[0].numpy()
        self._spec = np.concatenate([self._spec, frames])
        self._frames += n_new
        # drop samples no future frame reads
        drop = self._frames * hop - self._x0
        self._x, self._x0 = self._x[drop:], self._x0 + drop

    def _process_frames(self, upto: int, *, final: bool) -> None:
        """Estimate frames ``[_done, upto)`` and overlap-add them; windows of at most ``max_call_frames``."""
        step = self.max_call_frames // self.block_frames * self.block_frames  # >= block_frames
        grid = self._grid
        while self._done < upto:
            a = self._done
            # at the end, the last call takes every frame within reach of the end (see below)
            last = final and upto - a <= step + self.lookahead
            b = upto if last else min(upto, a + step)
            w0 = max(0, a - self._left)
            if last:
                # the whole-clip right edge: frames up to the end, which the front end pads to a multiple of
                # 8 with silence counted from frame 0. The window starts on that grid too (the frames it
                # adds on the left are silence the block does not see), so the silence after the end is the
                # whole clip's: a network that looks ahead reads it, and its own zero padding, as there.
                w0 = w0 // 8 * 8
                w1 = upto
            else:
                # the real frames the block depends on, then silence frames it does not see
                w1 = a + grid * math.ceil((b - a + self.lookahead) / grid)
            # the frames the block sees, [a - context, b + lookahead), and more real ones up to w1 where
            # already computed; silence frames before and after them, which the block does not see
            h0, h1 = max(w0, a - self._context), min(w1, self._frames)
            window = self._spec[h0 - self._s0:h1 - self._s0]
            if h0 > w0 or h1 < w1:
                n_freqs = window.shape[1]
                window = np.concatenate([np.zeros((h0 - w0, n_freqs), window.dtype), window,
                                         np.zeros((w1 - h1, n_freqs), window.dtype)])
            frames = self._run(tf.constant(window[None]), tf.constant(a - w0, tf.int32),
                               tf.constant(b - w0, tf.int32))[0].numpy()
            self._overlap_add(a, frames.astype(np.float64))
            self._done = b
        # forget frames no later block sees: keep the last `context` frames
        drop = max(0, self._done - self._context) - self._s0
        if drop > 0:
            self._spec, self._s0 = self._spec[drop:], self._s0 + drop

    def _overlap_add(self, first: int, frames: np.ndarray) -> None:
        hop, n_fft = self._hop, self._n_fft
        end = (first + len(frames) - 1) * hop + n_fft
        grow = end - (self._y0 + self._acc.size)
        if grow > 0:
            self._acc = np.concatenate([self._acc, np.zeros(grow)])
            self._env = np.concatenate([self._env, np.zeros(grow)])
        w2 = self._window**2
        for k, frame in enumerate(frames):
            s = (first + k) * hop - self._y0
            self._acc[s:s + n_fft] += frame
            self._env[s:s + n_fft] += w2

    def _release(self, final_padded: int, limit: int | None = None) -> np.ndarray:
        """Output samples at padded positions below ``final_padded`` not yet returned (real index
        ``padded - n_fft/2``; at most ``limit`` real samples in all)."""
        stop = final_padded - self._pad  # real index
        if limit is not None:
            stop = min(stop, limit)
        if stop <= self._emitted:
            return np.zeros(0, np.float32)
        lo, hi = self._emitted + self._pad - self._y0, stop + self._pad - self._y0
        out = (self._acc[lo:hi] / np.maximum(self._env[lo:hi], 1e-8)).astype(np.float32)
        self._emitted = stop
        self._acc, self._env, self._y0 = self._acc[hi:], self._env[hi:], self._y0 + hi
        return out

    def process(self, samples) -> np.ndarray:
        """Feed the next samples (1-D, the model's rate); returns the output samples now final."""
        if self._finished:
            raise ParameterError("the stream was flushed: call reset() to start a new one.")
        samples = np.asarray(samples, np.float32).reshape(-1)
        if samples.size == 0:
            return np.zeros(0, np.float32)
        self._received += samples.size
        self._add_samples(samples)
        self._compute_frames()
        # blocks whose look-ahead frames have all arrived
        ready = (self._frames - self.lookahead - self._done) // self.block_frames
        if ready > 0:
            self._process_frames(self._done + ready * self.block_frames, final=False)
        return self._release(self._done * self._hop)

    def flush(self) -> np.ndarray:
        """End the stream: pad it as the whole-clip path does, process the rest, return the last samples."""
        if self._finished:
            raise ParameterError("the stream was already flushed: call reset() to start a new one.")
        self._finished = True
        n = self._received
        if n == 0:
            return np.zeros(0, np.float32)
        if self.end == "mirror":  # as training.denoise_signals: mirror to padded_length(max(n, minimum))
            from .training import padded_length

            extra = padded_length(max(n, self._min_samples), self.cfg) - n
            if extra > 0:  # the tail holds the whole signal whenever extra could exceed it
                self._add_samples(np.pad(self._tail, (0, extra), mode="symmetric")[-extra:])
        self._add_samples(np.zeros(self._pad, np.float32))  # the centred STFT's end padding
        self._compute_frames()
        self._process_frames(self._frames, final=True)
        return self._release(self._y0 + self._acc.size, limit=n)

    def denoise(self, signal, chunk: int | None = None) -> np.ndarray:
        """Stream a whole signal through in pieces of ``chunk`` samples (default: one block); for tests
        and demonstrations."""
        signal = np.asarray(signal, np.float32).reshape(-1)
        chunk = chunk or self.block_frames * self._hop
        self.reset()
        parts = [self.process(signal[i:i + chunk]) for i in range(0, signal.size, chunk)]
        parts.append(self.flush())
        return np.concatenate(parts)
