"""The TFLite export (chapter 9): one self-contained file of built-in operators that denoises real
noisy speech like the Keras release model, and stands in for it in the library's denoising paths."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from digitdenoise import export, noise, training
from digitdenoise.data import read_audio
from digitdenoise.errors import DataError, ParameterError
from digitdenoise.inference import default_model_dir

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def model(release_model):
    return release_model


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("tflite") / "general-mask_unet.tflite"
    assert export.to_tflite(default_model_dir(), path) == path
    return path


@pytest.fixture(scope="module")
def engine(exported):
    return export.TFLiteDenoiser(exported, num_threads=1)


@pytest.fixture(scope="module")
def noisy_clips(data_home):
    """Twelve real FSDD clips (six speakers, their own lengths) with excerpts of two real recordings
    (a tap, dishes) at 0 and 5 dB."""
    rec = data_home / "fsdd" / "recordings"
    names = ["0_george_3", "1_jackson_11", "2_lucas_20", "3_nicolas_8", "4_theo_31", "5_yweweler_40",
             "6_george_9", "7_jackson_2", "8_lucas_44", "9_nicolas_17", "0_theo_5", "1_yweweler_26"]
    noises = noise.load_noise_recordings(data_home / "noise", 8000, names=["running_tap", "doing_the_dishes"])
    out = []
    for i, name in enumerate(names):
        clean = read_audio(rec / f"{name}.wav", 8000)[0]
        rec_noise = noises["running_tap" if i % 2 else "doing_the_dishes"]
        start = 4000 * i
        out.append(noise.mix_at_snr(clean, rec_noise[start:start + clean.size], 5.0 * (i % 2))[0].astype(np.float32))
    return out


def test_file_is_self_contained_and_written_atomically(exported):
    content = exported.read_bytes()
    assert content[4:8] == b"TFL3"  # a TFLite flatbuffer
    assert b"Flex" not in content  # no TensorFlow (select) ops: runs in a bare LiteRT interpreter
    meta = json.loads(export.sidecar_path(exported).read_text())
    assert meta["model"] == "mask_unet" and meta["feature_config"]["sample_rate"] == 8000
    assert meta["check_max_abs_diff"] <= TOLERANCE
    assert sorted(p.name for p in exported.parent.iterdir()) == [exported.name, exported.name + ".json"]


def test_parity_fixed_length_batch(model, engine, noisy_clips):
    from digitdenoise.features import batch_fixed_length

    batch, _ = batch_fixed_length(noisy_clips, model.cfg.n_samples)
    keras_out = training.denoise_batch(model, batch)
    tflite_out = engine(batch)
    assert tflite_out.shape == batch.shape and tflite_out.dtype == np.float32
    diff = float(np.max(np.abs(tflite_out - keras_out)))
    print(f"TFLite vs Keras, 1 s clips: max abs difference {diff:.3g}")
    assert diff <= TOLERANCE
    assert np.max(np.abs(keras_out)) > 0.05
    # the library's batch path runs the engine unchanged
    assert np.array_equal(training.denoise_batch(engine, batch), tflite_out)


def test_parity_own_lengths(model, engine, noisy_clips):
    keras_out = training.denoise_signals(model, noisy_clips, precision="float32")
    tflite_out = training.denoise_signals(engine, noisy_clips)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(tflite_out, keras_out))
    print(f"TFLite vs Keras, clips at their own lengths: max abs difference {diff:.3g}")
    assert [a.shape for a in tflite_out] == [x.shape for x in noisy_clips]
    assert diff <= TOLERANCE


def test_any_batch_and_length(model, engine, noisy_clips):
    x = noisy_clips[0][:1234]
    for batch in (x[None], np.stack([x, x[::-1]]), x[None, :1]):
        ref = model(tf.constant(batch), training=False).numpy()
        assert float(np.max(np.abs(engine(batch) - ref))) <= TOLERANCE
    with pytest.raises(ParameterError):
        engine(x)  # 1-D: a batch is (batch, samples)


def test_the_small_causal_model_exports_with_the_same_output(noisy_clips, tmp_path):
    """small_tcn's layers (time-major permutes, causal and depthwise 1-D convolutions, sub-pixel upsampling)
    convert to built-in operators too; random weights, so the check cannot pass with an identity mask."""
    from digitdenoise import models

    cfg = training.load_denoiser(default_model_dir())[0].cfg
    small = models.build_denoiser("small_tcn", cfg)
    rng = np.random.default_rng(0)
    small.network.set_weights([(w + rng.normal(scale=0.05, size=w.shape)).astype(np.float32) if w.ndim >= 2 else w
                               for w in small.network.get_weights()])
    training.save_denoiser(small, tmp_path / "small")
    path = export.to_tflite(tmp_path / "small", tmp_path / "small.tflite")
    assert b"Flex" not in path.read_bytes()
    engine = export.TFLiteDenoiser(path, num_threads=1)
    keras_out = training.denoise_signals(small, noisy_clips[:4], precision="float32")
    tflite_out = training.denoise_signals(engine, noisy_clips[:4])
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(tflite_out, keras_out)) <= TOLERANCE
    assert max(float(np.max(np.abs(a - x))) for a, x in zip(keras_out, noisy_clips)) > 1e-3  # not the identity


@pytest.mark.parametrize("kind, exports", [("attention", True), ("gru", False)])
def test_a_dual_path_unet_exports_with_attention_but_not_with_a_gru(kind, exports, noisy_clips, tmp_path):
    """Attention is matrix products and exports for any clip length; a GRU's loop over a clip of unknown
    length needs TensorFlow's own operators (Flex), which a self-contained file leaves out: a clear error."""
    from digitdenoise import models
    from digitdenoise.errors import DigitDenoiseError

    cfg = training.load_denoiser(default_model_dir())[0].cfg
    grown = models.build_denoiser("mask_unet", cfg, base=8, depth=3, dual_path=1, dual_path_units=8, dual_path_kind=kind)
    rng = np.random.default_rng(0)
    grown.network.set_weights([(w + rng.normal(scale=0.05, size=w.shape)).astype(np.float32) if w.ndim >= 2 else w
                               for w in grown.network.get_weights()])
    training.save_denoiser(grown, tmp_path / "grown")
    if not exports:
        with pytest.raises(DigitDenoiseError, match="TFLite"):
            export.to_tflite(tmp_path / "grown", tmp_path / "grown.tflite")
        assert not (tmp_path / "grown.tflite").exists()
        return
    path = export.to_tflite(tmp_path / "grown", tmp_path / "grown.tflite")
    engine = export.TFLiteDenoiser(path, num_threads=1)
    keras_out = training.denoise_signals(grown, noisy_clips[:4], precision="float32")
    tflite_out = training.denoise_signals(engine, noisy_clips[:4])
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(tflite_out, keras_out)) <= TOLERANCE
    assert max(float(np.max(np.abs(a - x))) for a, x in zip(keras_out, noisy_clips)) > 1e-3  # not the identity


def test_from_model_dir_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITDENOISE_CACHE", str(tmp_path / "cache"))
    first = export.TFLiteDenoiser.from_model_dir(default_model_dir())
    (cached,) = (tmp_path / "cache" / "tflite").glob("*.tflite")
    stamp = cached.stat().st_mtime_ns
    second = export.TFLiteDenoiser.from_model_dir(default_model_dir())
    assert cached.stat().st_mtime_ns == stamp  # reused, not converted again
    assert first.model_name == second.model_name == "mask_unet"
    meta = json.loads(export.sidecar_path(cached).read_text())
    assert meta["source_sha256"].startswith(cached.stem.rsplit("-", 1)[1])
    # a cached file whose source hash does not match is converted again
    meta["source_sha256"] = "0" * 64
    export.sidecar_path(cached).write_text(json.dumps(meta))
    export.TFLiteDenoiser.from_model_dir(default_model_dir())
    assert json.loads(export.sidecar_path(cached).read_text())["source_sha256"] != "0" * 64
    with pytest.raises(DataError):
        export.TFLiteDenoiser(tmp_path / "missing.tflite")


def test_onnx_export(model, noisy_clips, tmp_path):
    pytest.importorskip("tf2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    from digitdenoise.features import batch_fixed_length

    path = export.to_onnx(model, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    batch, _ = batch_fixed_length(noisy_clips[:4], model.cfg.n_samples)
    got = session.run(None, {session.get_inputs()[0].name: batch})[0]
    diff = float(np.max(np.abs(got - training.denoise_batch(model, batch))))
    print(f"ONNX vs Keras, 1 s clips: max abs difference {diff:.3g}")
    assert diff <= TOLERANCE


@pytest.mark.parametrize("module", ["export", "streaming"])
def test_public_names_name_their_chapter(module):
    import importlib
    import inspect
    import re

    mod = importlib.import_module(f"digitdenoise.{module}")
    missing = [name for name, obj in vars(mod).items()
               if not name.startswith("_") and getattr(obj, "__module__", None) == mod.__name__
               and (inspect.isfunction(obj) or inspect.isclass(obj))
               and not re.search(r"chapters? \d", inspect.getdoc(obj) or "", re.I)]
    assert not missing
