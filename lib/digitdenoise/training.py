"""One training recipe for every model of the zoo (chapter 5).

:func:`train_model` runs inside a ``tf.distribute`` strategy (several GPUs: data parallel, no code
change), feeds a ``tf.data`` pipeline from chapter 4's :class:`~digitdenoise.noise.OnTheFlyMixer`
(fresh noise every epoch), and after every epoch writes a checkpoint (weights *and* optimizer state),
the learning-rate/early-stopping state and the CSV history, atomically. Started again with the same
output folder it resumes after the last completed epoch and ends where an uninterrupted run would.
With the same seed two runs give the same weights.

The losses live in :mod:`digitdenoise.losses` and running a trained denoiser on arrays in
:mod:`digitdenoise.denoising`; this module re-exports their names (``training.denoise_batch`` and so on).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any, Sequence

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from . import models
from ._io import write_json, write_text
from .checkpoints import (_save, chapter5_folders, config_fingerprint, heard_speech_commands_noise,  # noqa: F401
                          load_chapter5_models, load_denoiser, recorded_state, save_denoiser, saved_info,
                          schedule_step)
from .checkpoints import _nothing_left, _refuse_stale_checkpoint
from .config import check_number
from .denoising import (MAX_BATCH_FRAMES, MIN_CONTEXT_S, PRECISIONS, _bfloat16_network,  # noqa: F401
                        _inference_fn, _quiet_tensorflow, cpu_has_bfloat16, denoise_batch, denoise_signals,
                        padded_length)
from .errors import DataError, ParameterError
from .features import FeatureConfig
from .losses import LOSSES, CappedNegativeSiSdr, DistillationLoss, negative_si_sdr  # noqa: F401
from .noise import NoiseSource, OnTheFlyMixer

# the losses (losses.py), running a trained denoiser (denoising.py) and saved checkpoints (checkpoints.py)
# were split out of this module; their names stay reachable as training.<name> for the chapters, the CLI,
# the benchmarks and the tests (bench/ uses the two private ones)
__all__ = [
    # defined here
    "VALIDATION_SCORE", "TrainConfig", "TrainResult", "TrainingData", "strategy", "train_model",
    "recalibrate_batch_norm", "precise_batch_norm", "validation_si_sdr_improvement", "prepare_data", "train_or_reuse",
    # re-exported from checkpoints.py
    "save_denoiser", "load_denoiser", "saved_info", "load_chapter5_models", "chapter5_folders",
    "heard_speech_commands_noise",
    # re-exported from losses.py
    "LOSSES", "CappedNegativeSiSdr", "DistillationLoss", "negative_si_sdr",
    # re-exported from denoising.py
    "MAX_BATCH_FRAMES", "MIN_CONTEXT_S", "PRECISIONS", "cpu_has_bfloat16", "denoise_batch", "denoise_signals",
    "padded_length", "_inference_fn", "_bfloat16_network",
]

_DETERMINISM_ON = False


VALIDATION_SCORE = "val_si_sdr_improvement_db"  # the history's per-epoch SI-SDR improvement column


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (chapter 5); saved beside the model."""

    model: str
    epochs: int = 20
    batch_size: int = 16
    learning_rate: float | None = None  # None: the zoo entry's rate (the seed's own where it gave one)
    snr_range: tuple[float, float] = (-10.0, 5.0)
    kinds: tuple[str, ...] = ("white", "pink", "brown", "recording", "babble")
    seed: int = 0
    patience: int = 4  # epochs without validation improvement before stopping
    lr_patience: int = 2  # epochs without improvement before halving the learning rate
    lr_factor: float = 0.5
    min_lr: float = 1e-5
    clips_per_epoch: int | None = None  # None: every training clip once per epoch
    clipnorm: float | None = None  # clip each gradient to this norm (None: the zoo entry's choice)
    time_budget_s: float | None = None  # stop after the epoch that crosses this
    init_from: str | None = None  # start from this saved denoiser's weights (fine-tuning) instead of random
    speed_factors: tuple[float, ...] = ()  # extra copies of the training clips played this much faster
    average_weights: bool = False  # also validate the running mean of every epoch's weights (weight averaging)
    sdr_cap_db: float | None = None  # SI-SDR loss saturates here (None: no cap); the general recipe uses 30
    recipe: dict | None = None  # the general recipe (augment.Recipe.to_dict() and its data); None: FSDD mixer
    loss: str | None = None  # None: the zoo entry's own loss; "si_sdr" trains a seed end to end on the waveform
    precise_bn_batches: int = 0  # > 0: re-estimate batch-norm statistics on this many training batches each epoch
    network: dict | None = None  # keyword arguments for the zoo entry's builder (e.g. small_tcn's lookahead)
    teacher: str | None = None  # a saved denoiser whose outputs are a second target (distillation, chapter 9)
    teacher_weight: float = 0.5  # the teacher target's share of the loss (with ``teacher`` only)

    def __post_init__(self):
        models.zoo_entry(self.model)
        check_number("epochs", self.epochs, minimum=1, integer=True)
        check_number("batch_size", self.batch_size, minimum=1, integer=True)
        if self.learning_rate is not None:
            check_number("learning_rate", self.learning_rate, minimum=1e-7, maximum=1.0)
        check_number("patience", self.patience, minimum=1, integer=True)
        check_number("lr_patience", self.lr_patience, minimum=1, integer=True)
        if self.clips_per_epoch is not None:
            check_number("clips_per_epoch", self.clips_per_epoch, minimum=1, integer=True)
        if self.time_budget_s is not None:
            check_number("time_budget_s", self.time_budget_s, minimum=1)
        for factor in self.speed_factors:
            check_number("speed factor", factor, minimum=0.5, maximum=2.0)
        check_number("precise_bn_batches", self.precise_bn_batches, minimum=0, integer=True)
        if self.network:
            models.check_network_kwargs(self.model, self.network)
        if self.loss is not None and self.loss not in LOSSES:
            raise ParameterError(f"loss={self.loss!r} is not one of {sorted(LOSSES)}.")
        if self.sdr_cap_db is not None:
            check_number("sdr_cap_db", self.sdr_cap_db, minimum=5, maximum=100)
        check_number("teacher_weight", self.teacher_weight, minimum=0.0, maximum=1.0)
        if self.teacher is not None and self.loss_name != "si_sdr":
            raise ParameterError(f"teacher={self.teacher!r}: distillation compares waveforms, so it needs a model "
                                 f"trained end to end on the waveform (loss si_sdr); {self.model} is trained with "
                                 f"{self.loss_name}. Add --loss si_sdr or leave --teacher out.")
        lo, hi = self.snr_range
        check_number("snr_range[0]", lo, minimum=-60, maximum=60)
        check_number("snr_range[1]", hi, minimum=lo, maximum=60)

    @property
    def loss_name(self) -> str:
        """The loss this run trains on: ``loss`` where given, else the zoo entry's own."""
        return self.loss if self.loss is not None else models.zoo_entry(self.model).loss

    @property
    def lr(self) -> float:
        return self.learning_rate if self.learning_rate is not None else models.zoo_entry(self.model).learning_rate

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["snr_range"], d["kinds"] = list(self.snr_range), list(self.kinds)
        d["speed_factors"] = list(self.speed_factors)
        for key in ("speed_factors", "average_weights", "sdr_cap_db", "recipe", "loss", "precise_bn_batches",
                    "network", "teacher"):  # saved before these options
            if not d[key]:  # existed compare equal
                del d[key]
        if self.teacher is None:
            del d["teacher_weight"]
        return d

    def fingerprint(self) -> str:
        return config_fingerprint(self.to_dict())


@dataclasses.dataclass
class TrainResult:
    """What :func:`train_model` returns: the model, its history and where it was saved (chapter 5)."""

    model: models.Denoiser
    history: pd.DataFrame
    seconds: float
    out_dir: Path
    stopped: str
    resumed_from: int


def strategy() -> tf.distribute.Strategy:
    """Mirrored data parallelism over every GPU when there are several, else the default (chapter 5)."""
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()


def _deterministic(seed: int) -> None:
    global _DETERMINISM_ON
    keras.utils.set_random_seed(int(seed))
    if not _DETERMINISM_ON:
        tf.config.experimental.enable_op_determinism()
        _DETERMINISM_ON = True


def _dataset(mixer: OnTheFlyMixer, epoch: int, tcfg: TrainConfig, to_domain) -> tf.data.Dataset:
    n = len(mixer) if tcfg.clips_per_epoch is None else min(len(mixer), tcfg.clips_per_epoch)
    order = np.random.default_rng([tcfg.seed, epoch, 0xFFFFFFFF]).permutation(len(mixer))[:n]
    n_samples = mixer.clean.shape[1]

    def generate():
        for i in order:
            noisy, clean, _, _ = mixer.pair(int(i), epoch)
            yield noisy, clean

    spec = (tf.TensorSpec((n_samples,), tf.float32), tf.TensorSpec((n_samples,), tf.float32))
    ds = tf.data.Dataset.from_generator(generate, output_signature=spec)
    ds = ds.apply(tf.data.experimental.assert_cardinality(len(order))).batch(tcfg.batch_size)
    return ds.map(to_domain, num_parallel_calls=1, deterministic=True).prefetch(2)


def _val_dataset(noisy: np.ndarray, clean: np.ndarray, batch_size: int, to_domain) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices((noisy.astype(np.float32), clean.astype(np.float32)))
    return ds.batch(batch_size).map(to_domain).cache()


def _compile(trainable: keras.Model, tcfg: TrainConfig, lr: float) -> None:
    clipnorm = tcfg.clipnorm if tcfg.clipnorm is not None else models.zoo_entry(tcfg.model).clipnorm
    loss = LOSSES[tcfg.loss_name]
    if tcfg.sdr_cap_db is not None:
        if tcfg.loss_name != "si_sdr":
            raise ParameterError(f"sdr_cap_db applies to the SI-SDR loss; {tcfg.model} is trained with "
                                 f"{tcfg.loss_name}.")
        loss = CappedNegativeSiSdr(tcfg.sdr_cap_db)
    if tcfg.teacher is not None:
        loss = DistillationLoss(tcfg.teacher_weight, tcfg.sdr_cap_db)
    trainable.compile(optimizer=keras.optimizers.Adam(learning_rate=lr, clipnorm=clipnorm), loss=loss,
                      jit_compile=False)


def train_model(train_clean: np.ndarray, source: NoiseSource, val_noisy: np.ndarray, val_clean: np.ndarray,
                cfg: FeatureConfig, tcfg: TrainConfig, out_dir: str | Path, *, speakers: Sequence[str] | None = None,
                verbose: int = 2, echo=print, mixer=None, extend: bool = False) -> TrainResult:
    """Train zoo model ``tcfg.model`` on fixed-length clean training clips mixed on the fly with
    ``source``; validate on fixed ``(val_noisy, val_clean)`` pairs (chapter 5).

    Seed networks learn in their feature domain with their own losses; the best model learns on the
    waveform with negative SI-SDR, and so does a seed whose ``tcfg.loss`` is ``"si_sdr"`` (its head's
    reconstruction is differentiable). The learning rate halves after ``lr_patience`` epochs without a
    better validation loss; training stops after ``patience`` such epochs, at ``epochs``, or after the
    epoch that exceeds ``time_budget_s``. The weights of the best validation epoch are kept; with
    ``average_weights`` the running mean of the weights of every epoch so far is a candidate as well
    (its validation loss is the history's ``val_loss_average``), and ``best_epoch`` names which won.
    Writes ``model.keras``, ``feature_config.json``, ``train_config.json`` and ``history.csv`` to
    ``out_dir``; ``checkpoint.keras`` and ``state.json`` hold the resumable state. A ``mixer`` (such as
    :class:`~digitdenoise.augment.GeneralMixer`, the general recipe) replaces the FSDD mixer built from
    ``train_clean`` and ``source``; its clips must match the feature config's window.

    With ``extend``, a finished run in ``out_dir`` whose resumable checkpoint is gone (a fresh clone of the
    committed models) goes on from its kept weights under a larger ``epochs`` or ``time_budget_s``: see
    :func:`~digitdenoise.checkpoints.recorded_state`. A run that had stopped early, or has no epochs or
    seconds left, is returned as it is. An empty ``out_dir`` trains as without ``extend``.
    """
    out_dir = Path(out_dir)
    entry = models.zoo_entry(tcfg.model)
    if train_clean.ndim != 2 or train_clean.shape[1] != cfg.n_samples:
        raise ParameterError(f"training clips must be (n, {cfg.n_samples}) for this feature config, got {train_clean.shape}.")
    if val_noisy.shape != val_clean.shape or val_noisy.shape[1:] != (cfg.n_samples,):
        raise ParameterError(f"validation pairs must both be (n, {cfg.n_samples}), got {val_noisy.shape} and {val_clean.shape}.")
    if len(val_noisy) == 0:
        raise DataError("no validation pairs: the validation split is empty.")
    teacher = None if tcfg.teacher is None else _load_teacher(tcfg.teacher, cfg)  # a wrong teacher fails first
    _deterministic(tcfg.seed)
    if mixer is not None:
        if mixer.clean.shape[1] != cfg.n_samples:
            raise ParameterError(f"the mixer's windows have {mixer.clean.shape[1]} samples; the feature config "
                                 f"needs {cfg.n_samples}.")
    elif tcfg.speed_factors:  # speed-perturbed copies keep their speaker's name: babble still comes from others
        from .noise import speed_perturb

        copies = [speed_perturb(train_clean, f, cfg.sample_rate) for f in tcfg.speed_factors]
        keep = np.sum(np.square(np.concatenate(copies)), axis=1) > 0  # a slowed clip cut to silence is dropped
        train_clean = np.concatenate([train_clean, np.concatenate(copies)[keep]])
        if speakers is not None:
            extra = [s for _ in tcfg.speed_factors for s in speakers]
            speakers = list(speakers) + [e for e, k in zip(extra, keep) if k]
    if mixer is None:
        probe = OnTheFlyMixer(train_clean, source, seed=tcfg.seed, speakers=speakers)
        kinds = [k for k in tcfg.kinds if k in probe.kinds]
        if not kinds:
            raise ParameterError(f"none of the training noise kinds {list(tcfg.kinds)} is available; have "
                                 f"{probe.kinds}.")
        mixer = OnTheFlyMixer(train_clean, source, kinds=kinds, snr_range=tcfg.snr_range, seed=tcfg.seed,
                              speakers=speakers)
    state_file, ckpt = out_dir / "state.json", out_dir / "checkpoint.keras"
    best_file = out_dir / "best.keras"
    state = {"fingerprint": tcfg.fingerprint(), "epoch": -1, "best": None, "best_epoch": None, "wait": 0,
             "lr_wait": 0, "lr": tcfg.lr, "history": [], "seconds": 0.0}
    resumed_from = 0
    with strategy().scope():
        denoiser = models.build_denoiser(tcfg.model, cfg, **(tcfg.network or {}))
        domain = "waveform" if tcfg.loss_name == "si_sdr" else "features"
        if state_file.is_file() and ckpt.is_file():
            saved = json.loads(state_file.read_text())
            if saved.get("fingerprint") != state["fingerprint"]:
                raise ParameterError(f"{out_dir} holds a run with a different configuration; use another folder "
                                     "or delete it to start afresh.")
            state = saved
            _refuse_stale_checkpoint(out_dir, state)
            resumed_from = state["epoch"] + 1
            finished = _nothing_left(state, tcfg)
            if finished and (out_dir / "model.keras").is_file():  # a finished run: returned, nothing rewritten
                echo(f"{out_dir} is not trained further: {finished[1]}")
                return TrainResult(load_denoiser(out_dir)[0], pd.DataFrame(state["history"]), state["seconds"],
                                   out_dir, finished[0], resumed_from)
            trainable = keras.models.load_model(ckpt)
            echo(f"resuming {tcfg.model} after epoch {state['epoch'] + 1} from {ckpt}")
        elif extend and (out_dir / "model.keras").is_file():
            state = recorded_state(out_dir, tcfg)
            resumed_from = state["epoch"] + 1
            kept, _ = load_denoiser(out_dir)
            finished = _nothing_left(state, tcfg)
            if finished:
                echo(f"{out_dir} is not extended: {finished[1]}")
                return TrainResult(kept, pd.DataFrame(state["history"]), state["seconds"], out_dir,
                                   state["stopped"], resumed_from)
            models.transfer_weights(kept.network, denoiser.network)
            trainable = denoiser if domain == "waveform" else denoiser.network
            _compile(trainable, tcfg, state["lr"])
            _save(trainable, best_file)
            echo(f"extending {tcfg.model} after epoch {resumed_from} from the weights kept in {out_dir} (epoch "
                 f"{state['best_epoch']}; the optimiser starts afresh)")
        else:
            if tcfg.init_from is not None:
                start_from, _ = load_denoiser(tcfg.init_from)
                if start_from.model_name != tcfg.model or start_from.feature_config != denoiser.feature_config:
                    raise ParameterError(f"init_from={tcfg.init_from!r} holds a {start_from.model_name} with another "
                                         f"feature config; fine-tuning needs the same model ({tcfg.model}) and features.")
                models.transfer_weights(start_from.network, denoiser.network)
                echo(f"starting from the weights in {tcfg.init_from}")
            trainable = denoiser if domain == "waveform" else denoiser.network
            _compile(trainable, tcfg, tcfg.lr)

    if teacher is not None:  # distillation: the teacher's output on the same noisy batch is a second target
        echo(f"distilling from {tcfg.teacher} (teacher weight {tcfg.teacher_weight:g})")

        def to_domain(noisy, clean):
            return noisy, tf.stack([clean, tf.stop_gradient(teacher(noisy, training=False))], axis=-1)

        def to_val_domain(noisy, clean):  # validation scores the student against the clean clip only
            return noisy, tf.stack([clean, clean], axis=-1)
    elif domain == "waveform":
        def to_domain(noisy, clean):
            return noisy, clean
        to_val_domain = to_domain
    else:
        def to_domain(noisy, clean):
            return denoiser.network_input(noisy), denoiser.feature_target(clean)
        to_val_domain = to_domain

    val_ds = _val_dataset(val_noisy, val_clean, tcfg.batch_size, to_val_domain)
    average_file, averaged = out_dir / "average.keras", None

    def make_trainable():
        with strategy().scope():
            fresh = models.build_denoiser(tcfg.model, cfg, **(tcfg.network or {}))
        return fresh if domain == "waveform" else fresh.network

    if tcfg.average_weights and state.get("averaged", 0) > 0:
        averaged = keras.models.load_model(average_file)
    start = time.perf_counter() - state["seconds"]
    finished = _nothing_left(state, tcfg)  # a resumed run killed after its last epoch, before it was saved
    stopped = finished[0] if finished else "epochs"
    for epoch in range(state["epoch"] + 1, tcfg.epochs if not finished else 0):
        trainable.optimizer.learning_rate.assign(state["lr"])
        t0 = time.perf_counter()
        with _quiet_tensorflow():
            if not tcfg.precise_bn_batches:
                fit = trainable.fit(_dataset(mixer, epoch, tcfg, to_domain), validation_data=val_ds, epochs=1,
                                    verbose=verbose, shuffle=False)
                loss, val_loss = float(fit.history["loss"][-1]), float(fit.history["val_loss"][-1])
            else:  # validate after the batch-norm statistics are re-estimated with this epoch's final weights
                fit = trainable.fit(_dataset(mixer, epoch, tcfg, to_domain), epochs=1, verbose=verbose,
                                    shuffle=False)
                loss = float(fit.history["loss"][-1])
                if domain == "features" and trainable is not denoiser.network:
                    denoiser.network.set_weights(trainable.get_weights())
                ema_score = validation_si_sdr_improvement(trainable if domain == "waveform" else denoiser,
                                                          val_noisy, val_clean)
                recalibrate_batch_norm(trainable, _calibration_batches(mixer, epoch, tcfg.seed, tcfg.precise_bn_batches,
                                                                     tcfg.batch_size, to_domain))
                val_loss = float(trainable.evaluate(val_ds, verbose=0))
        row = {"epoch": epoch + 1, "loss": loss, "val_loss": val_loss, "learning_rate": state["lr"]}
        if tcfg.precise_bn_batches:
            row[f"{VALIDATION_SCORE}_moving_average_bn"] = ema_score
        # one unit for every model, whatever its loss: the SI-SDR improvement on the validation pairs
        if domain == "features" and trainable is not denoiser.network:  # resumed: the checkpoint is its own copy
            denoiser.network.set_weights(trainable.get_weights())
        row[VALIDATION_SCORE] = validation_si_sdr_improvement(
            trainable if domain == "waveform" else denoiser, val_noisy, val_clean)
        candidate, candidate_loss, label = trainable, val_loss, epoch + 1
        if tcfg.average_weights:
            averaged, average = _update_average(averaged, trainable, make_trainable, state, average_file,
                                                val_ds, tcfg)
            row["val_loss_average"] = average
            if average < val_loss:
                candidate, candidate_loss, label = averaged, average, f"mean of epochs 1-{epoch + 1}"
        row["epoch_seconds"] = time.perf_counter() - t0
        state["history"].append(row)
        if schedule_step(state, candidate_loss, label, tcfg):
            _save(candidate, best_file)
        state["epoch"] = epoch
        state["seconds"] = time.perf_counter() - start
        _save(trainable, ckpt)
        write_json(state_file, state)
        write_text(out_dir / "history.csv", pd.DataFrame(state["history"]).to_csv(index=False))
        if state["wait"] >= tcfg.patience:
            stopped = "early stopping"
            break
        if tcfg.time_budget_s is not None and state["seconds"] >= tcfg.time_budget_s:
            stopped = "time budget"
            break

    best = keras.models.load_model(best_file, compile=False)  # only its weights are read
    final = models.build_denoiser(tcfg.model, cfg, **(tcfg.network or {}))
    (final if domain == "waveform" else final.network).set_weights(best.get_weights())
    clipnorm = tcfg.clipnorm if tcfg.clipnorm is not None else entry.clipnorm
    extra = {"stopped": stopped, "best_epoch": state["best_epoch"], "train_seconds": state["seconds"],
             "learning_rate_used": tcfg.lr, "clipnorm_used": clipnorm}
    extra["epochs_run"] = len(state["history"])  # what an extension checks history.csv against
    if state.get("extensions"):
        extra["extensions"] = state["extensions"]
    save_denoiser(final, out_dir, tcfg, extra=extra)
    return TrainResult(final, pd.DataFrame(state["history"]), state["seconds"], out_dir, stopped, resumed_from)


def _load_teacher(path: str, cfg: FeatureConfig) -> models.Denoiser:
    """The saved denoiser at ``path``, frozen, checked to read the student's windows (same features)."""
    teacher, _ = load_denoiser(path)
    if teacher.feature_config != cfg.to_dict():
        raise ParameterError(f"teacher={path!r} was trained on other features ({teacher.feature_config}); "
                             f"the student's are {cfg.to_dict()}. Distil from a model with the same sample rate, "
                             "STFT and window.")
    teacher.trainable = False
    return teacher


def _calibration_batches(mixer, epoch: int, seed: int, n_batches: int, batch_size: int, to_domain=None):
    """``n_batches`` batches of the mixer's training pairs for ``epoch`` (network inputs only, through
    ``to_domain`` where given), drawn reproducibly from the seed and the epoch."""
    rng = np.random.default_rng([seed, epoch, 0xB17C])
    n = min(len(mixer), n_batches * batch_size)
    order = rng.permutation(len(mixer))[:n]
    for start in range(0, n, batch_size):
        pairs = [mixer.pair(int(i), epoch) for i in order[start:start + batch_size]]
        noisy = tf.constant(np.stack([p[0] for p in pairs]).astype(np.float32))
        yield noisy if to_domain is None else to_domain(noisy, noisy)[0]


def precise_batch_norm(model: models.Denoiser, mixer, *, batches: int = 30, batch_size: int = 16,
                       seed: int = 0) -> int:
    """Re-estimate a saved denoiser's batch-norm statistics on ``batches`` batches of training pairs from
    ``mixer`` (chapter 5; see :func:`recalibrate_batch_norm`), in place, and return how many batches were
    used. Chapter 5 uses it to ask whether a seed's failure is its loss or its normalising statistics."""
    return recalibrate_batch_norm(model, _calibration_batches(mixer, 0, seed, batches, batch_size))


def recalibrate_batch_norm(network: keras.Model, batches) -> int:
    """Precise batch normalisation (chapter 5): set every batch-norm layer's moving mean and variance to
    the average of its batch statistics over ``batches`` of training inputs, computed with the network's
    current weights, and return how many batches were used.

    During training a batch-norm layer normalises with the statistics of the batch; at inference it uses
    moving averages updated as ``m <- momentum * m + (1 - momentum) * batch``. With Keras' default momentum
    0.99 the average remembers about a hundred steps, so while the weights still change quickly it
    describes a network that no longer exists, and the model can be good in training mode and poor at
    inference. Re-estimating the statistics with frozen weights removes that lag (Wu and Johnson,
    "Rethinking batch in BatchNorm", 2021). The weights are untouched; layers without batch norm are
    unaffected."""
    layers = [layer for layer in network._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    if not layers:
        return 0
    momenta = [layer.momentum for layer in layers]
    used = 0
    try:
        for used, batch in enumerate(batches, start=1):
            for layer in layers:  # a running mean: the first batch replaces the old statistics entirely
                layer.momentum = (used - 1) / used
            network(batch, training=True)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    return used


def validation_si_sdr_improvement(model: models.Denoiser, noisy: np.ndarray, clean: np.ndarray) -> float:
    """Mean SI-SDR improvement in dB of ``model`` on fixed-length validation pairs (chapter 5): the one
    unit in which every model's learning curve can be compared, whatever loss it trains on. The trainer
    records it after every epoch (the history's ``val_si_sdr_improvement_db``).

    Only the pairs with added noise count: a pair whose input is its clean clip itself (the general
    recipe's ``clean`` kind, which teaches the model to leave speech alone) has no noise to remove, and
    its input SI-SDR is unbounded, so its "improvement" would be a large negative number that says nothing
    about denoising. How a model treats clean speech is measured by the no-added-noise condition of the
    generalisation benchmark (chapter 6) instead. NaN when no pair has added noise."""
    from .metrics import si_sdr_db

    noisy, clean = np.asarray(noisy), np.asarray(clean)
    with_noise = np.array([not np.array_equal(n, c) for n, c in zip(noisy, clean)], dtype=bool)
    if not with_noise.any():
        return float("nan")
    estimate = denoise_batch(model, noisy[with_noise])
    return float(np.mean([si_sdr_db(c, e) - si_sdr_db(c, n)
                          for c, e, n in zip(clean[with_noise], estimate, noisy[with_noise])]))


def _update_average(averaged, trainable, make, state: dict, target: Path, val_ds, tcfg: TrainConfig):
    """Fold this epoch's weights into the running mean (moving batch-norm statistics included), save it
    resumably and return ``(averaged model, its validation loss)``. Averaging the weights of the epochs of
    one run smooths the epoch-to-epoch wander of a small-data fine-tune (chapter 5)."""
    n = int(state.get("averaged", 0))
    weights = trainable.get_weights()
    if averaged is None:
        averaged = make()
        averaged.set_weights(weights)
        _compile(averaged, tcfg, state["lr"])  # compiled to be evaluated; its optimizer is built (never
        averaged.optimizer.build(averaged.trainable_variables)  # used) so the saved file loads cleanly
    else:
        averaged.set_weights([a + (w - a) / (n + 1) for a, w in zip(averaged.get_weights(), weights)])
    state["averaged"] = n + 1
    with _quiet_tensorflow():
        average = float(averaged.evaluate(val_ds, verbose=0))
    _save(averaged, target)
    return averaged, average


@dataclasses.dataclass
class TrainingData:
    """Fixed-length clips, noise and validation pairs for one dataset and seed (chapter 5)."""

    cfg: FeatureConfig
    clips: pd.DataFrame  # the clip table with a ``split`` column
    train_clean: np.ndarray
    train_speakers: list[str]
    source: NoiseSource  # training noise: generated, training parts of recordings
    eval_recordings: dict[str, np.ndarray]
    val_noisy: np.ndarray
    val_clean: np.ndarray
    val_kinds: list[str]


def prepare_data(dataset: str, data_home=None, *, seed: int = 0, clips_per_speaker: int | None = None,
                 val_snr_db: float = -8.0, max_val_clips: int | None = 200, kinds: Sequence[str] | None = None,
                 test_speakers: Sequence[str] | None = None, validation_speakers: Sequence[str] | None = None,
                 progress: bool = False) -> TrainingData:
    """Everything :func:`train_model` needs, built the book's way (chapters 4 and 5): speaker-disjoint
    split, fixed-length clips at the working rate, recordings split in time with two held out, and
    validation pairs drawn once at ``val_snr_db``, one noise type per clip in turn, from the noise types
    seen in training (the evaluation parts of the recordings). ``max_val_clips`` caps the validation clips
    (spread over the validation speakers); ``kinds`` restricts the validation noise to those training
    noise types (a specialist model, chapter 5, is validated on its own noise only). ``test_speakers`` and
    ``validation_speakers`` replace the seeded speaker draw (the leave-one-speaker-out folds of chapter 7)."""
    from . import data, noise

    known = (*noise.COLOURS, "recording", "babble")
    if kinds is not None and (not kinds or any(k not in known for k in kinds)):
        raise ParameterError(f"noise kinds {list(kinds)!r}: choose one or more of {', '.join(known)}.")
    spec = data.spec(dataset)
    cfg = FeatureConfig.for_sample_rate(spec.working_rate)
    given = {k: list(v) for k, v in (("test_speakers", test_speakers), ("validation_speakers", validation_speakers))
             if v is not None}
    clips = data.assign_split(data.load_clips(dataset, data_home, clips_per_speaker=clips_per_speaker, seed=seed),
                              seed=seed, **given)
    train = clips[clips["split"] == "train"].reset_index(drop=True)
    val = clips[clips["split"] == "validation"]
    if max_val_clips is not None and len(val) > max_val_clips:
        val = data.subsample(val, max(1, max_val_clips // val["speaker"].nunique()), seed=seed)
    val = val.reset_index(drop=True)
    train_clean, _ = data.load_waveforms(train, cfg.sample_rate, cfg.n_samples, progress=progress)
    val_clean, _ = data.load_waveforms(val, cfg.sample_rate, cfg.n_samples, progress=progress)
    recordings = noise.load_noise_recordings(noise.ensure_noise_recordings(data_home), cfg.sample_rate)
    train_recs, eval_recs = noise.partition_recordings(recordings)
    source = noise.NoiseSource(cfg.sample_rate, recordings=train_recs)
    seen = {k: v for k, v in eval_recs.items() if k not in noise.HELD_OUT_RECORDINGS}
    # one noise type per validation clip, round robin; babble from training speakers only
    step = max(1, len(train_clean) // 40)
    val_source = noise.NoiseSource(cfg.sample_rate, recordings=seen, babble_clips=list(train_clean[::step]))
    val_kinds = [k for k in ["white", "pink", "brown", "babble", *sorted(seen)] if k in val_source.kinds]
    if kinds is not None:
        val_kinds = [k for k in val_kinds if k in kinds or (k in seen and "recording" in kinds)]
    val_noisy = np.stack([
        noise.mix_at_snr(c, val_source.draw(val_kinds[i % len(val_kinds)], c.size, np.random.default_rng([seed, i, 99])),
                         val_snr_db)[0]
        for i, c in enumerate(val_clean)])
    return TrainingData(cfg, clips, train_clean, list(train["speaker"]), source, eval_recs, val_noisy, val_clean,
                        val_kinds)


def train_or_reuse(prepared: TrainingData, tcfg: TrainConfig, out_dir: str | Path, *, verbose: int = 2,
                   echo=print) -> tuple[models.Denoiser, pd.DataFrame, bool]:
    """Train ``tcfg.model`` on ``prepared`` data into ``out_dir``, or reuse the model already there if it
    was trained with exactly this configuration (chapter 5 reruns quickly). Returns
    ``(model, history, reused)``."""
    out_dir = Path(out_dir)
    if (out_dir / "model.keras").is_file() and (out_dir / "history.csv").is_file():
        model, info = load_denoiser(out_dir)
        if info.get("train_config") == tcfg.to_dict():
            echo(f"{tcfg.model}: reusing the model in {out_dir} (same configuration)")
            return model, pd.read_csv(out_dir / "history.csv"), True
    state = out_dir / "state.json"
    if state.is_file() and json.loads(state.read_text()).get("fingerprint") != tcfg.fingerprint():
        echo(f"{tcfg.model}: {out_dir} holds a run with another configuration; starting afresh")
        for name in ("state.json", "checkpoint.keras", "best.keras", "model.keras", "history.csv"):
            (out_dir / name).unlink(missing_ok=True)
    result = train_model(prepared.train_clean, prepared.source, prepared.val_noisy, prepared.val_clean, prepared.cfg,
                         tcfg, out_dir, speakers=prepared.train_speakers, verbose=verbose, echo=echo)
    return result.model, result.history, False
