"""The command line: the ``denoise`` command's ``--strength`` option (chapter 8), validated before anything
is read and passed through to the model's output, and ``digitdenoise export`` (appendix 9)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from digitdenoise import cli, inference


@pytest.mark.parametrize("value", ["1.5", "abc", "-0.2", "nan"])
def test_denoise_rejects_a_strength_outside_0_to_1_by_name(value, tmp_path, data_home, capsys, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("the model must not be loaded for a bad --strength")

    monkeypatch.setattr(inference, "Enhancer", no_model)
    clip = data_home / "fsdd" / "recordings" / "0_nicolas_0.wav"
    assert cli.denoise_main([str(clip), "-o", str(tmp_path / "out"), "--quiet", "--strength", value]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: --strength must be a number from 0 to 1 (0: the input unchanged, 1: the model's "
                   f"full suppression); got {value!r}.")
    assert not (tmp_path / "out").exists()


def test_denoise_strength_0_writes_the_input_and_0_5_lies_between(tmp_path, data_home, capsys):
    clip = data_home / "fsdd" / "recordings" / "4_george_1.wav"
    x, sr = sf.read(clip, dtype="float32")
    noisy = (0.5 * x + 0.05 * np.random.default_rng(3).standard_normal(x.size)).astype(np.float32)
    sf.write(tmp_path / "noisy.wav", noisy, sr, subtype="FLOAT")
    outs = {}
    for strength in ("0", "0.5", "1"):
        assert cli.denoise_main([str(tmp_path / "noisy.wav"), "-o", str(tmp_path / strength), "--quiet",
                                 "--strength", strength]) == 0
        outs[strength] = sf.read(tmp_path / strength / "noisy.wav", dtype="float32")[0]
    assert "1 file(s) denoised, 0 failed" in capsys.readouterr().out
    np.testing.assert_array_equal(outs["0"], noisy)
    f = inference.input_share(0.5)
    np.testing.assert_allclose(outs["0.5"], f * noisy + (1 - f) * outs["1"], atol=1e-6)
    assert np.abs(outs["1"] - noisy).max() > 0.01  # the full strength did remove something


def test_denoise_help_explains_strength(capsys):
    with pytest.raises(SystemExit):
        cli.denoise_main(["--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the help to the terminal
    assert "--strength S" in text and "from 0 (the input unchanged) to 1" in text and "18 dB at 0.5" in text


def test_export_writes_a_checked_tflite_file_and_refuses_to_overwrite(tmp_path, capsys):
    from digitdenoise import export

    out = tmp_path / "release.tflite"
    assert cli.main(["export", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert out.read_bytes()[4:8] == b"TFL3" and "largest difference from the Keras model" in printed.out
    meta = json.loads(export.sidecar_path(out).read_text())
    assert meta["check_max_abs_diff"] <= 1e-4 and meta["feature_config"]["sample_rate"] == 8000
    assert "XNNPACK" not in printed.err  # the runtime's start-up note stays off the terminal
    before = out.stat().st_mtime_ns
    assert cli.main(["export", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err and out.stat().st_mtime_ns == before
    assert cli.main(["export", "--out", str(tmp_path / "missing" / "m.tflite")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_denoise_engine_tflite_matches_keras_and_caches_its_export(tmp_path, data_home, capsys, monkeypatch):
    monkeypatch.setenv("DIGITDENOISE_CACHE", str(tmp_path / "cache"))
    small = str(inference.default_model_dir().parent / "general-small_tcn")  # quick to convert
    clips = [data_home / "fsdd" / "recordings" / name for name in ("3_jackson_5.wav", "7_yweweler_2.wav")]
    rng = np.random.default_rng(5)
    for clip in clips:
        x, sr = sf.read(clip, dtype="float32")
        sf.write(tmp_path / clip.name, (x + 0.05 * rng.standard_normal(x.size)).astype(np.float32), sr, subtype="FLOAT")
    files = [str(tmp_path / clip.name) for clip in clips]
    common = ["--model", small, "--quiet", "--no-guard"]
    assert cli.denoise_main(files + ["-o", str(tmp_path / "keras"), "--precision", "float32"] + common) == 0
    assert cli.denoise_main(files + ["-o", str(tmp_path / "tflite"), "--engine", "tflite"] + common) == 0
    for clip in clips:
        k = sf.read(tmp_path / "keras" / clip.name, dtype="float32")[0]
        t = sf.read(tmp_path / "tflite" / clip.name, dtype="float32")[0]
        assert np.abs(k - t).max() <= 1e-4 and np.abs(t).max() > 0, clip.name
    exported = sorted((tmp_path / "cache" / "tflite").glob("general-small_tcn-*.tflite"))
    assert len(exported) == 1  # converted once, then reused: a second run converts nothing
    before = exported[0].stat().st_mtime_ns
    assert cli.denoise_main(files[:1] + ["-o", str(tmp_path / "again"), "--engine", "tflite"] + common) == 0
    assert exported[0].stat().st_mtime_ns == before
    capsys.readouterr()
    assert cli.denoise_main(files + ["-o", str(tmp_path / "bad"), "--engine", "tflite", "--precision", "bfloat16"]
                            + common) == 2
    assert "tflite engine computes in float32" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_the_tflite_engine_refuses_what_it_cannot_run_by_name(tmp_path):
    from digitdenoise.errors import DataError, ParameterError

    with pytest.raises(ParameterError, match="engine='onnx': choose keras or tflite"):
        inference.Enhancer(engine="onnx")
    with pytest.raises(DataError, match=f"no saved model at {tmp_path}"):
        inference.Enhancer(tmp_path, engine="tflite")  # an empty folder: nothing to convert
    with pytest.raises(ParameterError, match="pass model_dir, not a loaded model"):
        inference.Enhancer(model=object(), engine="tflite")
