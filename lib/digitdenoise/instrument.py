"""A spoken-digit classifier used as a measuring instrument (chapter 7: does denoising help recognise
the digit?).

The question of chapter 7 needs a recogniser that is *good on clean speech*: if it misses half the
clean digits (PocketSphinx on FSDD, see :mod:`digitdenoise.recognition`), whatever denoising does to its
score is lost in its own errors. This recogniser is therefore a **measuring device, not the object of
study**: like a thermometer it may be calibrated on the very population it measures. It follows FSDD's
own convention: takes 0-4 of every speaker are test, so it trains on takes 10-49 of all six speakers,
chooses its epoch on takes 5-9, and is scored on takes 0-4 (300 clips, 50 of them by ``nicolas``, the
denoisers' test speaker). It has therefore heard nicolas' voice (other takes), but none of the test takes,
and none of the Hu *test* noises of the downstream benchmark.

To be usable on noisy and on denoised audio it trains with mild augmentation, stated exactly in its
``config.json``: half of the training clips of each epoch get a fresh excerpt of one of the Hu *train*
noises or white or pink noise at 0-20 dB SNR (over the clip), and every clip may start up to 0.1 s later.

Input: a log-mel spectrogram (the book's 8 kHz :class:`~digitdenoise.features.FeatureConfig`, 64 mels)
shifted so its loudest cell is 0 (so the level of a clip does not matter) and floored 80 dB below; clips
shorter than one second are zero-padded to one second, longer ones are kept whole (the network ends in a
maximum over time). Network: four 3x3 convolution blocks, a convolution over the remaining frequency
rows, the maximum over time and a 10-way softmax (about 0.1 M parameters, 0.4 MB).

Train it with ``python -m digitdenoise.instrument --out models/release/instrument`` (about 2 minutes of CPU
time on two cores; 5 minutes of wall time beside another training); load it with :meth:`DigitInstrument.load`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .config import check_number
from .errors import DataError, ParameterError
from .features import FeatureConfig, log_mel

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / "models" / "release" / "instrument"
TEST_TAKES = tuple(range(0, 5))  # FSDD's own test takes
VALIDATION_TAKES = tuple(range(5, 10))  # epoch selection only
TRAIN_TAKES = tuple(range(10, 50))
DYNAMIC_RANGE = float(np.log(1e8))  # 80 dB below the loudest cell (natural log of power)

#: The training recipe (chapter 7); everything in it is written to ``config.json``.
RECIPE: dict[str, Any] = {
    "epochs": 12, "batch_size": 64, "learning_rate": 3e-3, "width": 16, "dropout": 0.3,
    "noise_share": 0.5, "snr_range_db": [0.0, 20.0], "noise_kinds": ["hu-train", "white", "pink"],
    "max_shift_s": 0.1, "seed": 0,
}


def features(signals: Sequence[np.ndarray], cfg: FeatureConfig) -> np.ndarray:
    """The instrument's input for signals of one length at ``cfg.sample_rate``: ``(batch, n_mels, frames, 1)``
    log-mel, each clip shifted so its maximum is 0, floored at -80 dB and scaled to [-1, 1] (chapter 7)."""
    batch = np.stack([np.asarray(s, np.float32) for s in signals])
    x = log_mel(batch, cfg)
    x = x - x.max(axis=(-2, -1), keepdims=True)
    x = np.maximum(x, -DYNAMIC_RANGE) / (DYNAMIC_RANGE / 2) + 1.0
    return x[..., None].astype(np.float32)


def build_classifier(cfg: FeatureConfig, *, width: int = 16, dropout: float = 0.3):
    """The instrument's network (chapter 7): four conv-BN-ReLU blocks (``width`` x 1, 2, 3, 4 channels, the
    first three followed by 2x2 max pooling), a convolution spanning the remaining frequency rows, the
    maximum over time (any clip length) and a softmax over the ten digits."""
    import keras

    check_number("width", width, minimum=2, maximum=256, integer=True)
    inputs = keras.Input((cfg.n_mels, None, 1), name="log_mel")
    x = inputs
    for i, mult in enumerate((1, 2, 3, 4)):
        x = keras.layers.Conv2D(width * mult, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.ReLU()(x)
        if i < 3:
            x = keras.layers.MaxPooling2D(2)(x)
    rows = cfg.n_mels // 8
    x = keras.layers.Conv2D(width * 6, (rows, 1), padding="valid", activation="relu")(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="digit_instrument")


def _padded(y: np.ndarray, n_samples: int) -> np.ndarray:
    y = np.asarray(y, np.float32)
    return np.pad(y, (0, n_samples - y.size)) if y.size < n_samples else y


class DigitInstrument:
    """The trained spoken-digit classifier of chapter 7. ``predict(signals, sr)`` returns one digit per
    signal; ``probabilities`` the softmax. Signals at another rate are resampled to the instrument's."""

    def __init__(self, model, cfg: FeatureConfig, info: dict[str, Any] | None = None):
        self.model, self.cfg, self.info = model, cfg, dict(info or {})

    @classmethod
    def load(cls, path: str | Path = DEFAULT_DIR) -> "DigitInstrument":
        """Load ``model.keras`` and ``config.json`` from ``path`` (chapter 7); a clear error when missing."""
        import keras

        path = Path(path)
        model_file, config_file = path / "model.keras", path / "config.json"
        if not model_file.is_file() or not config_file.is_file():
            raise DataError(f"no instrument at {path}: train it with `python -m digitdenoise.instrument --out {path}`.")
        info = json.loads(config_file.read_text())
        try:
            model = keras.models.load_model(model_file, compile=False)
        except Exception as exc:  # keras raises many types for a broken archive
            raise DataError(f"{model_file} cannot be loaded ({type(exc).__name__}: {exc}).") from None
        return cls(model, FeatureConfig.from_dict(info["feature_config"]), info)

    def probabilities(self, signals: Sequence[np.ndarray], sr: int, *, batch: int = 128) -> np.ndarray:
        """``(n, 10)`` digit probabilities; clips of equal (padded) length go through the network together."""
        sr = check_number("sr", sr, minimum=1000, maximum=384000, integer=True)
        signals = [np.asarray(s, np.float32) for s in signals]
        for i, s in enumerate(signals):
            if s.ndim != 1 or s.size == 0:
                raise ParameterError(f"signal {i} must be non-empty and 1-D, got shape {s.shape}.")
        if sr != self.cfg.sample_rate:
            import librosa

            signals = [librosa.resample(s, orig_sr=sr, target_sr=self.cfg.sample_rate) for s in signals]
        out = np.zeros((len(signals), 10), np.float32)
        groups: dict[int, list[int]] = {}
        for i, s in enumerate(signals):
            groups.setdefault(max(s.size, self.cfg.n_samples), []).append(i)
        for length, members in groups.items():
            for k in range(0, len(members), batch):
                chunk = members[k:k + batch]
                x = features([_padded(signals[i], length) for i in chunk], self.cfg)
                out[chunk] = np.asarray(self.model(x, training=False))
        return out

    def predict(self, signals: Sequence[np.ndarray], sr: int) -> np.ndarray:
        """The most probable digit of each signal (chapter 7)."""
        if len(signals) == 0:
            return np.zeros(0, np.int64)
        return self.probabilities(signals, sr).argmax(axis=1)


def instrument_clips(data_home=None, takes: Sequence[int] = TEST_TAKES, speakers: Sequence[str] | None = None
                     ) -> pd.DataFrame:
    """The FSDD clips of the given ``takes`` (and ``speakers``; default all six), chapter 7's clip table."""
    from . import data

    table = data.load_clips("fsdd", data_home)
    keep = table["take"].isin(list(takes))
    if speakers is not None:
        keep &= table["speaker"].isin(list(speakers))
    return table[keep].reset_index(drop=True)


def _augmented(waves: np.ndarray, lengths: np.ndarray, noises: list[np.ndarray], recipe: dict[str, Any],
               rng: np.random.Generator, sr: int) -> np.ndarray:
    from .noise import coloured_noise, excerpt, mix_at_snr

    out = np.zeros_like(waves)
    max_shift = int(recipe["max_shift_s"] * sr)
    lo, hi = recipe["snr_range_db"]
    for i, (y, n) in enumerate(zip(waves, lengths)):
        clip = y[:n]
        if rng.random() < recipe["noise_share"]:
            pick = int(rng.integers(len(noises) + 2))
            if pick < len(noises):
                noise = excerpt(noises[pick], n, rng)
                if not np.any(noise):  # a silent stretch of a recording: draw white noise instead
                    noise = coloured_noise("white", n, rng)
            else:
                noise = coloured_noise(("white", "pink")[pick - len(noises)], n, rng)
            clip, _ = mix_at_snr(clip, noise, float(rng.uniform(lo, hi)))
        shift = int(rng.integers(0, max_shift + 1)) if max_shift else 0
        clip = clip[:waves.shape[1] - shift]
        out[i, shift:shift + clip.size] = clip
    return out


def train_instrument(train: pd.DataFrame, validation: pd.DataFrame | None = None, *, cfg: FeatureConfig | None = None,
                     recipe: dict[str, Any] | None = None, data_home=None, noises: list[np.ndarray] | None = None,
                     progress: Callable[[str], None] | None = None) -> tuple[DigitInstrument, dict[str, Any]]:
    """Train the instrument on the clips of ``train`` (chapter 7) and keep the epoch with the best accuracy on
    ``validation`` (the last epoch without one). The recipe (:data:`RECIPE`, overridden by ``recipe``)
    sets the epochs and the augmentation; ``noises`` defaults to the Hu *train* split. Returns the
    instrument and a record of what it saw and how it trained (``config.json``)."""
    import keras

    from . import data
    from .datasets import hu_nonspeech

    r = {**RECIPE, **(recipe or {})}
    cfg = cfg or FeatureConfig()
    check_number("epochs", r["epochs"], minimum=1, integer=True)
    if len(train) == 0:
        raise ParameterError("train_instrument needs at least one training clip.")
    t0 = time.perf_counter()
    keras.utils.set_random_seed(int(r["seed"]))
    rng = np.random.default_rng(int(r["seed"]))
    if noises is None:
        noises = list(hu_nonspeech.load("train", cfg.sample_rate, data_home).values())
    waves, lengths = data.load_waveforms(train, cfg.sample_rate, cfg.n_samples)
    labels = train["digit"].to_numpy()
    if validation is not None and len(validation):
        val_waves, _ = data.load_waveforms(validation, cfg.sample_rate, cfg.n_samples)
        val_x, val_y = features(val_waves, cfg), validation["digit"].to_numpy()
    else:
        val_x = val_y = None
    model = build_classifier(cfg, width=int(r["width"]), dropout=float(r["dropout"]))
    steps = int(np.ceil(len(train) / r["batch_size"])) * int(r["epochs"])
    schedule = keras.optimizers.schedules.CosineDecay(float(r["learning_rate"]), steps, alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history, best, best_weights = [], -1.0, None
    for epoch in range(int(r["epochs"])):
        x = features(_augmented(waves, lengths, noises, r, rng, cfg.sample_rate), cfg)
        fit = model.fit(x, labels, batch_size=int(r["batch_size"]), epochs=1, verbose=0, shuffle=True)
        row = {"epoch": epoch + 1, "loss": float(fit.history["loss"][-1]), "accuracy": float(fit.history["accuracy"][-1])}
        if val_x is not None:
            row["val_accuracy"] = float((np.asarray(model.predict(val_x, verbose=0)).argmax(1) == val_y).mean())
            if row["val_accuracy"] >= best:  # ties go to the later (more annealed) epoch
                best, best_weights, row["kept"] = row["val_accuracy"], model.get_weights(), True
        history.append(row)
        if progress:
            progress(f"epoch {epoch + 1}/{r['epochs']}: loss {row['loss']:.3f}, train acc {row['accuracy']:.3f}"
                     + (f", validation acc {row['val_accuracy']:.3f}" if "val_accuracy" in row else ""))
    # a fresh, uncompiled copy: model.keras holds the weights without the optimizer state
    final = build_classifier(cfg, width=int(r["width"]), dropout=float(r["dropout"]))
    final.set_weights(best_weights if best_weights is not None else model.get_weights())
    kept = max((h for h in history if h.get("kept")), key=lambda h: h["epoch"], default=history[-1])
    info = {
        "feature_config": cfg.to_dict(),
        "recipe": r,
        "parameters": int(final.count_params()),
        "trained_on": _describe(train, "training (weights)"),
        "validation": _describe(validation, "epoch selection only") if val_x is not None else None,
        "augmentation": (f"each epoch, a fresh {r['noise_share']:.0%} of the training clips mixed with an excerpt of "
                         f"one of {len(noises)} noise recordings (the Hu train split, never its test files) or "
                         f"white or pink noise, SNR uniform in {r['snr_range_db'][0]:g}-{r['snr_range_db'][1]:g} dB "
                         f"over the clip; every clip delayed by 0-{r['max_shift_s']:g} s; 1 s windows"),
        "best_epoch": int(kept["epoch"]),
        "history": history,
        "training_seconds": round(time.perf_counter() - t0, 1),
    }
    return DigitInstrument(final, cfg, info), info


def _describe(table: pd.DataFrame | None, role: str) -> dict[str, Any] | None:
    if table is None:
        return None
    takes = sorted(int(t) for t in table["take"].unique())
    return {"role": role, "dataset": "fsdd", "speakers": sorted(map(str, table["speaker"].unique())),
            "takes": f"{takes[0]}-{takes[-1]}" if takes == list(range(takes[0], takes[-1] + 1)) else takes,
            "clips": int(len(table))}


def accuracy_by_speaker(instrument: DigitInstrument, table: pd.DataFrame, *, signals: Sequence[np.ndarray] | None = None
                        ) -> pd.DataFrame:
    """Clean accuracy of ``instrument`` on the clips of ``table`` (chapter 7): one row per speaker and one
    ``all`` row, with clips, correct, accuracy and its Wilson 95% interval."""
    from . import data
    from .recognition import wilson_interval

    if signals is None:
        signals = data.read_clips(table["path"], instrument.cfg.sample_rate)
    correct = instrument.predict(signals, instrument.cfg.sample_rate) == table["digit"].to_numpy()
    rows = []
    for speaker, mask in [*((s, (table["speaker"] == s).to_numpy()) for s in sorted(table["speaker"].unique())),
                          ("all", np.ones(len(table), bool))]:
        k, n = int(correct[mask].sum()), int(mask.sum())
        lo, hi = wilson_interval(k, n)
        rows.append({"speaker": speaker, "clips": n, "correct": k, "accuracy": k / n, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def save_instrument(instrument: DigitInstrument, out: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Write ``model.keras`` and ``config.json`` (the record of :func:`train_instrument` plus ``extra``) to
    ``out`` (chapter 7)."""
    from ._io import atomic_path, write_json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "model.keras", suffix=".keras") as tmp:
        instrument.model.save(tmp)
    instrument.info.update(extra or {})
    write_json(out / "config.json", instrument.info)
    for name in ("model.keras", "config.json"):
        (out / name).chmod(0o644)  # the temporary files were private
    return out


def main(argv=None) -> int:
    """``python -m digitdenoise.instrument --out models/release/instrument``: train on FSDD takes 10-49 (epoch chosen on
    takes 5-9), score takes 0-4, save (chapter 7)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Train chapter 7's spoken-digit instrument on FSDD.")
    parser.add_argument("--out", default=str(DEFAULT_DIR))
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--seed", type=int, default=RECIPE["seed"])
    args = parser.parse_args(argv)
    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - start:5.0f} s] {message}", flush=True)

    from .errors import DigitDenoiseError

    try:
        train = instrument_clips(args.data_home, TRAIN_TAKES)
        validation = instrument_clips(args.data_home, VALIDATION_TAKES)
        test = instrument_clips(args.data_home, TEST_TAKES)
        say(f"training on {len(train)} clips, choosing the epoch on {len(validation)}, testing on {len(test)}")
        instrument, info = train_instrument(train, validation, data_home=args.data_home, progress=say,
                                            recipe={"epochs": args.epochs, "seed": args.seed})
        scores = accuracy_by_speaker(instrument, test)
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    clean = {row.speaker: {"clips": row.clips, "accuracy": round(row.accuracy, 4), "ci95": [round(row.lo, 4), round(row.hi, 4)]}
             for row in scores.itertuples()}
    save_instrument(instrument, args.out, {
        "test": _describe(test, "evaluation (never trained or selected on)"),
        "clean_accuracy": clean,
        "command": "python -m digitdenoise.instrument " + " ".join(argv if argv is not None else sys.argv[1:]),
    })
    print(scores.round(4).to_string(index=False))
    say(f"written {args.out}/model.keras ({(Path(args.out) / 'model.keras').stat().st_size / 1e6:.2f} MB) and config.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
