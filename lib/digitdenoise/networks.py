"""The networks of the model zoo (chapter 5): the four seed architectures rebuilt from their
descriptions, the book's best model (:func:`mask_unet`, optionally grown by :class:`DualPathBlock`
sequence layers) and its small, causal counterpart (:func:`small_tcn`).

Each builder takes the network's input image shape ``(bins, frames, 1)`` and returns a plain Keras
model; :mod:`digitdenoise.models` wraps it between the fixed front end and the entry's head, and
lists it in the zoo (:data:`digitdenoise.models.ZOO`).
"""

from __future__ import annotations

import keras

from .errors import ParameterError

PACKAGE = "digitdenoise"  # the package name Keras files register this project's layers under


def _conv_bn(x, filters, *, activation="relu", name=None):
    x = keras.layers.Conv2D(filters, 3, padding="same", activation=activation, name=name)(x)
    return keras.layers.BatchNormalization(name=None if name is None else f"{name}_bn")(x)


def report_cae(input_shape) -> keras.Model:
    """Seed 000, the student report's autoencoder (chapter 5): three 3x3 conv layers (32, 64, 128),
    each followed by batch normalisation, 2x2 max-pooling, a 128 conv, 2x upsampling, a 64 conv and a
    1-channel sigmoid conv. 316,289 parameters, as in the report's summary table; MSE loss."""
    inp = keras.Input(input_shape)
    x = _conv_bn(inp, 32)
    x = _conv_bn(x, 64)
    x = _conv_bn(x, 128)
    x = keras.layers.MaxPooling2D(2)(x)
    x = _conv_bn(x, 128)
    x = keras.layers.UpSampling2D(2)(x)
    x = _conv_bn(x, 64)
    out = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(inp, out, name="report_cae")


def _double_conv(x, filters):
    # momentum 0.9 is PyTorch's BatchNorm default (the U-Net seed is a PyTorch model); Keras' 0.99
    # lets the inference statistics lag so far behind a fast-changing network that a model that is
    # good in training mode does nothing in inference mode after a few hundred steps (chapter 5).
    for _ in range(2):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=True)(x)
        x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.ReLU()(x)
    return x


def seed_unet(input_shape) -> keras.Model:
    """Seed 001, the U-Net autoencoder (chapter 5): encoder blocks of 32, 64 and 128 channels, each two
    3x3 conv + batch-norm + ReLU, 2x2 max-pooling between blocks, a transposed-conv decoder (64, 32)
    with skip connections, and a 1x1 output conv. MSE loss."""
    inp = keras.Input(input_shape)
    e1 = _double_conv(inp, 32)
    e2 = _double_conv(keras.layers.MaxPooling2D(2)(e1), 64)
    b = _double_conv(keras.layers.MaxPooling2D(2)(e2), 128)
    d2 = keras.layers.Conv2DTranspose(64, 2, strides=2)(b)
    d2 = _double_conv(keras.layers.Concatenate()([d2, e2]), 64)
    d1 = keras.layers.Conv2DTranspose(32, 2, strides=2)(d2)
    d1 = _double_conv(keras.layers.Concatenate()([d1, e1]), 32)
    out = keras.layers.Conv2D(1, 1)(d1)
    return keras.Model(inp, out, name="seed_unet")


def mel_cnn(input_shape) -> keras.Model:
    """Seed 002, the small mel-spectrogram CNN autoencoder (chapter 5): conv 32 + pool, conv 64 + pool,
    two stride-2 transposed convs (64, 32) and a sigmoid 3x3 output conv. 74,497 parameters, binary
    cross-entropy loss."""
    inp = keras.Input(input_shape)
    x = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(inp)
    x = keras.layers.MaxPooling2D(2, padding="same")(x)
    x = keras.layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    x = keras.layers.MaxPooling2D(2, padding="same")(x)
    x = keras.layers.Conv2DTranspose(64, 3, strides=2, activation="relu", padding="same")(x)
    x = keras.layers.Conv2DTranspose(32, 3, strides=2, activation="relu", padding="same")(x)
    out = keras.layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(inp, out, name="mel_cnn")


def minimal_cae(input_shape) -> keras.Model:
    """Seed 004, the minimal denoising autoencoder (chapter 5): two conv stages and a 2x2 max-pool,
    then two transposed convs and a 2x upsampling, sigmoid output, binary cross-entropy. The seed gives
    the layer types but not the widths; we use 32 and 16 channels (mirrored)."""
    inp = keras.Input(input_shape)
    x = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(inp)
    x = keras.layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2DTranspose(16, 3, activation="relu", padding="same")(x)
    x = keras.layers.Conv2DTranspose(32, 3, activation="relu", padding="same")(x)
    x = keras.layers.UpSampling2D(2)(x)
    out = keras.layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(inp, out, name="minimal_cae")


DUAL_PATH_PREFIX = "dual_path"  # names of the layers mask_unet(dual_path=...) adds
REFINE_PREFIX = "refine"  # names of the layers small_tcn(refine=...) adds
GROWN_PREFIXES = (DUAL_PATH_PREFIX, REFINE_PREFIX)  # layers a grown network may have that its start lacks


DUAL_PATH_KINDS = ("gru", "attention")


@keras.saving.register_keras_serializable(package=PACKAGE)
class DualPathBlock(keras.layers.Layer):
    """One dual-path block on a ``(batch, bands, frames, channels)`` tensor (chapter 5): a sequence model
    runs along time in every band (the same weights in each), then one runs across the bands in every
    frame; each path's output is projected back to ``channels`` and added to its input. The projections
    start at zero, so a block inserted into a trained network leaves its output unchanged at first. The
    bands (or frames) are folded into the batch, so each path runs once over all its sequences.

    ``kind="gru"``: bidirectional GRUs of ``units`` per direction. ``kind="attention"``: multi-head
    self-attention (4 heads of ``units // 4``) after a layer norm, with a learned embedding of the band
    index on the frequency path (attention alone does not know which band is which); matrix products only,
    so the block exports to TFLite with any clip length, which a GRU's loop over a clip of unknown length
    does not (chapter 9)."""

    def __init__(self, units: int = 64, kind: str = "gru", **kwargs):
        super().__init__(**kwargs)
        if kind not in DUAL_PATH_KINDS:
            raise ParameterError(f"dual_path_kind={kind!r}: choose one of {', '.join(DUAL_PATH_KINDS)}.")
        self.units, self.kind = int(units), kind

    def build(self, input_shape):
        channels, bands = int(input_shape[-1]), input_shape[1]
        if self.kind == "gru":  # attribute names are the saved weights' paths: keep them
            self.time_rnn = keras.layers.Bidirectional(keras.layers.GRU(self.units, return_sequences=True), name="time_gru")
            self.freq_rnn = keras.layers.Bidirectional(keras.layers.GRU(self.units, return_sequences=True), name="freq_gru")
            self.time_rnn.build((None, None, channels))
            self.freq_rnn.build((None, None, channels))
            width = 2 * self.units
        else:
            if bands is None:
                raise ParameterError("an attention dual-path block needs a known number of bands.")
            heads, key_dim = 4, max(1, self.units // 4)
            self.time_norm = keras.layers.LayerNormalization(name="time_norm")
            self.freq_norm = keras.layers.LayerNormalization(name="freq_norm")
            self.time_attention = keras.layers.MultiHeadAttention(heads, key_dim, name="time_attention")
            self.freq_attention = keras.layers.MultiHeadAttention(heads, key_dim, name="freq_attention")
            for norm, attention in ((self.time_norm, self.time_attention), (self.freq_norm, self.freq_attention)):
                norm.build((None, None, channels))
                attention.build((None, None, channels), (None, None, channels))
            self.band_embedding = self.add_weight(shape=(int(bands), channels), initializer="zeros",
                                                  name="band_embedding")
            width = channels
        self.time_proj = keras.layers.Dense(channels, kernel_initializer="zeros", name="time_proj")
        self.freq_proj = keras.layers.Dense(channels, kernel_initializer="zeros", name="freq_proj")
        self.time_proj.build((None, None, width))
        self.freq_proj.build((None, None, width))

    def _sequence(self, rows, tag):
        if self.kind == "gru":
            return getattr(self, f"{tag}_rnn")(rows)
        y = getattr(self, f"{tag}_norm")(rows)
        return getattr(self, f"{tag}_attention")(y, y)

    def _along(self, x, tag, offset=None):
        """Run the ``tag`` path along axis 2 of ``(batch, n, length, channels)``, every one of the n rows at once."""
        shape = keras.ops.shape(x)
        rows = keras.ops.reshape(x, (-1, shape[2], shape[3]))
        if offset is not None:
            rows = rows + offset
        return x + keras.ops.reshape(getattr(self, f"{tag}_proj")(self._sequence(rows, tag)), shape)

    def call(self, x):
        x = self._along(x, "time")  # each band's sequence of frames
        x = keras.ops.transpose(x, (0, 2, 1, 3))
        x = self._along(x, "freq", self.band_embedding if self.kind == "attention" else None)  # each frame's bands
        return keras.ops.transpose(x, (0, 2, 1, 3))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "units": self.units, "kind": self.kind}


def mask_unet(input_shape, *, base: int = 16, depth: int = 4, dual_path: int = 0, dual_path_units: int = 64,
              dual_path_kind: str = "gru") -> keras.Model:
    """The book's model (chapter 5): a U-Net on the scaled log-magnitude whose two output channels are
    the real and imaginary parts of a complex mask (phase-aware: it can rotate the noisy phase as well
    as scale the magnitude). ``base`` channels at the top, doubled at each of ``depth - 1`` poolings;
    with the defaults about 480 k parameters. ``dual_path`` > 0 adds that many dual-path recurrent blocks
    (:class:`DualPathBlock`, ``dual_path_units`` per direction) at the bottleneck, so every band sees
    the whole clip and every other band; :func:`transfer_weights` starts them from a plain U-Net."""
    inp = keras.Input(input_shape)
    skips, x = [], inp
    for level in range(depth - 1):
        x = _double_conv(x, base * 2**level)
        skips.append(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = _double_conv(x, base * 2 ** (depth - 1))
    for index in range(dual_path):
        x = DualPathBlock(dual_path_units, dual_path_kind, name=f"{DUAL_PATH_PREFIX}{index}")(x)
    for level in reversed(range(depth - 1)):
        x = keras.layers.Conv2DTranspose(base * 2**level, 2, strides=2)(x)
        x = _double_conv(keras.layers.Concatenate()([x, skips[level]]), base * 2**level)
    out = keras.layers.Conv2D(2, 1, kernel_initializer="zeros", bias_initializer="zeros")(x)
    return keras.Model(inp, out, name="mask_unet")


# --------------------------------------------------------------------------------------------------
# The small model: the release model's job at a fraction of its cost

SMALL_TCN_LOOKAHEAD = 2  # frames of future input small_tcn sees (16 ms at 8 kHz, hop 64)


def _band_down(x, filters, *, freq_kernel=3):
    """Encoder stage on a time-major ``(batch, frames, bands, channels)`` tensor: a convolution over
    2 frames (the current one and the one before: causal) and ``freq_kernel`` bands, stride 2 along
    frequency, so the number of bands halves; leaky ReLU. No batch norm at these resolutions: on one CPU
    thread its two extra passes over the large tensors cost about 40% of the network's time, while a
    convolution, its bias and the activation run as one fused operation."""
    x = keras.layers.ZeroPadding2D(((1, 0), (freq_kernel // 2, freq_kernel // 2)))(x)  # past frame, band edges
    x = keras.layers.Conv2D(filters, (2, freq_kernel), strides=(1, 2))(x)
    return keras.layers.LeakyReLU(0.1)(x)


def _band_up(x, filters):
    """Decoder stage: doubles the number of bands without a transposed convolution (sub-pixel upsampling
    along frequency). A convolution over 3 bands of one frame makes ``2 * filters`` channels per band;
    a reshape turns each band's two halves into two adjacent bands of ``filters`` channels (time-major
    layout puts bands next to channels in memory, so this reshape copies nothing); leaky ReLU."""
    bands = x.shape[2]
    x = keras.layers.Conv2D(2 * filters, (1, 3), padding="same")(x)
    x = keras.layers.Reshape((-1, 2 * bands, filters))(x)
    return keras.layers.LeakyReLU(0.1)(x)


def _tcn_block(x, dilation: int, kernel: int, *, centred: bool = False):
    """Residual block on per-frame vectors ``(batch, frames, features)``: a depthwise convolution along
    time over ``kernel`` frames spaced ``dilation`` apart, all in the past (zero padding on the left
    only) or, ``centred``, as many ahead as back, then a pointwise layer that mixes all features (all
    bands) of the frame."""
    span = dilation * (kernel - 1)
    y = keras.layers.ZeroPadding1D((span // 2, span - span // 2) if centred else (span, 0))(x)
    y = keras.layers.DepthwiseConv1D(kernel, dilation_rate=dilation, use_bias=False)(y)
    y = keras.layers.BatchNormalization(momentum=0.9)(y)  # momentum as mask_unet's (see _double_conv)
    y = keras.layers.ReLU()(y)
    y = keras.layers.Conv1D(x.shape[-1], 1)(y)
    y = keras.layers.BatchNormalization(momentum=0.9)(y)
    return keras.layers.Add()([x, y])


def small_tcn(input_shape, *, channels: tuple[int, ...] = (8, 12, 16, 16), out_channels: int = 8,
              dilations: tuple[int, ...] = (1, 2, 4, 8, 16), kernel: int = 5,
              lookahead: int = SMALL_TCN_LOOKAHEAD, refine: int = 0, centred: int = 0) -> keras.Model:
    """The book's small model: a causal convolutional recurrent-style network (CRN, as in CRUSE or
    GTCRN) with a dilated temporal convolution network (TCN) where those have a GRU. Same input image
    and same two-channel complex-mask output as :func:`mask_unet`, so it trains with the same head,
    loss, trainer and recipes. With the defaults at 8 kHz (128 bins): 98,542 parameters and 27 M
    multiply-adds per second of audio (``mask_unet``: 484,578 and 562 M).

    * **Look-ahead shift.** The input is moved ``lookahead`` frames earlier (silence appended), so the
      causal layers below see ``lookahead`` frames of future. Every later layer is causal in time.
    * **Encoder** (time-major ``(batch, frames, bands, channels)``): four stages (:func:`_band_down`)
      of ``channels`` = 8, 12, 16, 16 filters, each halving the bands: 128 -> 64 -> 32 -> 16 -> 8
      bands of 500 Hz (a learned sub-band compression of the spectrum). The first stage looks at 5
      bins, the others at 3 bands; each also looks 1 frame back.
    * **Temporal model**: the 8 bands x 16 channels of a frame are one 128-feature vector (batch
      normalised); five residual blocks (:func:`_tcn_block`) of depthwise causal convolutions
      (5 taps, dilations 1, 2, 4, 8, 16) with full pointwise mixing across bands: 124 frames (about
      1 s, the training window) of past context. A GRU would step through the frames one at a time:
      in TensorFlow on one CPU thread about 30 us a frame, so one GRU layer alone would cost a
      real-time factor of about 0.004 on a long stream, more than this whole network
      (``bench/small_model.py`` measures it); the convolutions process all frames at once.
    * **Decoder**: four sub-pixel upsampling stages (:func:`_band_up`), each after adding the encoder
      output of the same resolution (skip connections), back to 128 bins of ``out_channels``
      channels; a zero-initialised 1x1 convolution makes the 2 mask channels (the identity mask at
      the start, like ``mask_unet``).
    * **Refinement** (``refine`` > 0 channels; 0 by default): a residual stage at full resolution before
      the mask. One causal convolution (2 frames x 3 bins, ``refine`` channels, leaky ReLU) sees the
      decoder's output beside the input image itself, and a 1x1 convolution adds its result back to the
      decoder's output. The encoder's first stage already halves the bins, so without it no layer sees
      a single bin of the input at its own resolution, as the narrow lines of a whistle, a hum's
      harmonics or an alarm need. The 1x1 convolution starts at zero, so a refined network starts as
      exactly the network without it and can be fine-tuned from its checkpoint
      (:func:`~digitdenoise.models.transfer_weights` skips the layers named ``refine...``).
    * **Centred blocks** (``centred`` > 0; 0 by default): the first ``centred`` temporal blocks look as
      far ahead as back (2 x dilation frames each way) instead of only back. Unlike a larger
      ``lookahead``, which shifts the input and so leaves the skip connections describing frames
      ahead of the one being masked, this adds future context where the bands are already compressed,
      with the skips still aligned. All five centred (``lookahead=0``): 62 frames ahead, like
      ``mask_unet`` a network that waits about half a second. The weights have the same shapes in
      every variant, so one can be fine-tuned from another.

    Time reach: output frame ``t`` depends on input frames ``t + lookahead - 128 .. t + lookahead``
    (128 past frames: 4 from the encoder, 124 from the TCN), ``t - 126 .. t + 2`` by default. So a
    streaming implementation (:class:`~digitdenoise.streaming.StreamingDenoiser`) keeps the last
    126 input frames as its state and waits for ``lookahead`` frames. Algorithmic
    latency, counted as in :mod:`digitdenoise.streaming` (the oldest sample of a hop, released once the
    look-ahead frames are complete): ``lookahead * hop + n_fft`` samples, 384 samples = **48 ms** at
    8 kHz with the default 2 frames (32 ms of STFT window, 16 ms of look-ahead); the release model
    needs 456 ms.
    """
    n_bins = input_shape[0]
    if n_bins % 2 ** len(channels):
        raise ParameterError(f"small_tcn halves the {n_bins} frequency bins {len(channels)} times; the number "
                             f"of bins must be a multiple of {2 ** len(channels)}.")
    if lookahead < 0:
        raise ParameterError(f"lookahead={lookahead}: must be 0 (causal) or more frames.")
    if refine < 0:
        raise ParameterError(f"refine={refine}: must be 0 (no refinement stage) or a number of channels.")
    if not 0 <= centred <= len(dilations):
        raise ParameterError(f"centred={centred}: must be between 0 (a causal TCN) and {len(dilations)} (every "
                             "temporal block looking as far ahead as back).")
    inp = keras.Input(input_shape)  # (batch, bins, frames, 1), as every zoo network
    x = keras.layers.Permute((2, 1, 3))(inp)  # time-major (batch, frames, bins, 1)
    if lookahead:
        x = keras.layers.Cropping2D(((lookahead, 0), (0, 0)))(x)  # drop the first frames ...
        x = keras.layers.ZeroPadding2D(((0, lookahead), (0, 0)))(x)  # ... and append silence (0 = silence)
    image, skips = x, []
    for level, filters in enumerate(channels):
        x = _band_down(x, filters, freq_kernel=5 if level == 0 else 3)
        skips.append(x)
    bands, width = x.shape[2], x.shape[3]
    x = keras.layers.Reshape((-1, bands * width))(x)  # one feature vector per frame
    x = keras.layers.BatchNormalization(momentum=0.9)(x)  # normalised bottleneck (cheap: 128 values a frame)
    for block, dilation in enumerate(dilations):
        x = _tcn_block(x, dilation, kernel, centred=block < centred)
    x = keras.layers.Reshape((-1, bands, width))(x)
    for skip, filters in zip(reversed(skips), (*reversed(channels[:-1]), out_channels)):
        x = _band_up(keras.layers.Add()([x, skip]), filters)
    if refine:
        y = keras.layers.Concatenate(name=f"{REFINE_PREFIX}_input")([x, image])
        y = keras.layers.ZeroPadding2D(((1, 0), (1, 1)), name=f"{REFINE_PREFIX}_pad")(y)  # frame before; edges
        y = keras.layers.Conv2D(refine, (2, 3), name=f"{REFINE_PREFIX}_conv")(y)
        y = keras.layers.LeakyReLU(0.1, name=f"{REFINE_PREFIX}_act")(y)
        y = keras.layers.Conv2D(x.shape[-1], 1, kernel_initializer="zeros", name=f"{REFINE_PREFIX}_out")(y)
        x = keras.layers.Add(name=f"{REFINE_PREFIX}_add")([x, y])  # starts as the unrefined network
    x = keras.layers.Conv2D(2, 1, kernel_initializer="zeros", bias_initializer="zeros")(x)
    out = keras.layers.Permute((2, 1, 3))(x)  # back to (batch, bins, frames, 2)
    return keras.Model(inp, out, name="small_tcn")
