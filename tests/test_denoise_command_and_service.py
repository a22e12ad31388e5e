"""The `denoise` command and the HTTP service, on real audio, over a real loopback socket."""

from __future__ import annotations

import concurrent.futures
import http.client
import io
import json
import shutil
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from digitdenoise import cli, inference, training
from digitdenoise.errors import AudioFileError, ParameterError


@pytest.fixture
def audio_dir(tmp_path, data_home):
    """Real clips in several shapes: FSDD 8 kHz mono, AudioMNIST 48 kHz, a stereo 44.1 kHz file made of
    two real clips, a 3.5 s concatenation, and the broken files the command must survive."""
    src = tmp_path / "in"
    (src / "nested" / "deeper").mkdir(parents=True)
    shutil.copy(data_home / "fsdd" / "recordings" / "0_nicolas_0.wav", src / "fsdd.wav")
    sample = sorted((data_home / "audiomnist-sample" / "data").rglob("*.wav"))[0]
    shutil.copy(sample, src / "nested" / "audiomnist.wav")
    a, _ = sf.read(data_home / "fsdd" / "recordings" / "1_nicolas_0.wav", dtype="float32")
    b, _ = sf.read(data_home / "fsdd" / "recordings" / "2_nicolas_0.wav", dtype="float32")
    import librosa

    n = min(a.size, b.size)
    stereo = librosa.resample(np.stack([a[:n], b[:n]]), orig_sr=8000, target_sr=44100, axis=-1)
    sf.write(src / "nested" / "deeper" / "stereo.flac", stereo.T, 44100)
    long = np.concatenate([sf.read(p, dtype="float32")[0] for p in sorted((data_home / "fsdd" / "recordings").glob("*_theo_1*.wav"))])
    sf.write(src / "long.wav", long[: int(3.5 * 8000)], 8000)
    return src


def _broken(folder):
    (folder / "empty.wav").write_bytes(b"")
    (folder / "notes.wav").write_text("these are not samples")
    good = (folder / "fsdd.wav").read_bytes()
    (folder / "corrupt.wav").write_bytes(b"JUNK" + good[4:])  # RIFF tag destroyed


def test_denoise_files_round_trip(audio_dir, tmp_path, enhancer, capsys):
    out = tmp_path / "out"
    assert cli.denoise_main([str(audio_dir), "-o", str(out), "--quiet"]) == 0
    for rel in ["fsdd.wav", "nested/audiomnist.wav", "nested/deeper/stereo.flac", "long.wav"]:
        x, sr_in = sf.read(audio_dir / rel, always_2d=True)
        y, sr_out = sf.read(out / "in" / rel, always_2d=True)
        assert sr_out == sr_in and y.shape == (x.shape[0], 1), rel
        assert np.isfinite(y).all() and np.abs(y).max() > 0
    summary = capsys.readouterr().out
    assert "4 file(s) denoised, 0 failed" in summary and "real-time factor" in summary


def test_long_audio_in_overlapping_pieces_equals_one_pass(enhancer, data_home):
    clip, sr = sf.read(data_home / "fsdd" / "recordings" / "5_theo_3.wav", dtype="float32")
    n = int(2.4 * enhancer.window)  # three pieces, the last one overlapping more
    long = np.tile(clip, int(np.ceil(n / clip.size)))[:n]
    long = long + 0.05 * np.random.default_rng(0).standard_normal(n).astype(np.float32)
    out = enhancer.enhance(long, sr)
    pieces = enhancer._pieces(n)
    assert len(pieces) == 3 and pieces[0][0] == 0 and pieces[-1][1] == n
    assert all(s % enhancer.unit == 0 and e - s <= enhancer.window for s, e in pieces)
    assert all(e0 - s1 == enhancer.overlap for (_, e0), (s1, _) in zip(pieces, pieces[1:]))
    assert out.shape == long.shape and np.isfinite(out).all()
    # the joined pieces equal one pass of the fully convolutional model over the whole signal
    whole = training.denoise_signals(enhancer.model, [long])[0]
    assert np.abs(out - whole).max() < 1e-4 * np.abs(whole).max()


def test_signals_of_any_length_match_the_training_window(enhancer, data_home):
    model = enhancer.model  # the trained release model: an untrained one outputs a constant mask
    cfg, hop = model.cfg, model.cfg.hop_length
    for n in (1, 63, 64, 65, 447, 448, 449, 8000):
        frames = training.padded_length(n, cfg) // hop + 1
        assert training.padded_length(n, cfg) >= n and frames % 8 == 0 and frames - 8 < n / hop + 1
    clip, _ = sf.read(data_home / "fsdd" / "recordings" / "3_jackson_0.wav", dtype="float32")
    x = np.tile(clip, 3)[:7000] + 0.05 * np.random.default_rng(1).standard_normal(7000).astype(np.float32)
    y, short, one = training.denoise_signals(model, [x, x[:1000], x[:1]])
    window = training.denoise_batch(model, np.pad(x, (0, 8000 - x.size), mode="symmetric")[None])[0]
    assert (y.size, short.size, one.size) == (7000, 1000, 1) and np.isfinite(one).all()
    # extended to 7.2 s (= 8 frames) instead of a whole second, the output only differs within the
    # U-Net's reach (about 0.4 s) of the end
    keep = 7000 - int(0.45 * cfg.sample_rate)
    assert np.abs(y[:keep] - window[:keep]).max() < 1e-4 * np.abs(window).max()
    assert np.abs(y - window[:7000]).max() > 0  # the extension is really shorter
    with pytest.raises(ParameterError, match="signal 1 must be non-empty"):
        training.denoise_signals(model, [clip, np.zeros(0, np.float32)])


def test_short_files_keep_the_quality_of_the_training_window(enhancer, data_home):
    """The path the command and the service take (each clip alone, at its own length) must score like the
    evaluation's one-second windows; appending silence instead of mirroring lost about 10 dB here."""
    from digitdenoise import data, evaluation, noise

    cfg = enhancer.model.cfg
    clips = data.assign_split(data.load_clips("fsdd", data_home), seed=0)
    test = data.subsample(clips[clips["split"] == "test"], 40, seed=0).reset_index(drop=True)
    clean, lengths = data.load_waveforms(test, cfg.sample_rate, cfg.n_samples)
    noisy = evaluation.eval_mixtures(clean, lengths, noise.NoiseSource(cfg.sample_rate), "white", -8.0, seed=0)
    own = enhancer.enhance_many([x[:n] for x, n in zip(noisy, lengths)], [cfg.sample_rate] * len(noisy))
    own = np.stack([np.pad(y, (0, cfg.n_samples - y.size)) for y in own])
    bf16 = training.denoise_signals(enhancer.model, [x[:n] for x, n in zip(noisy, lengths)], precision="bfloat16")
    bf16 = np.stack([np.pad(y, (0, cfg.n_samples - y.size)) for y in bf16])
    scores = {name: evaluation.si_sdr_table(clean, noisy, est, lengths)["si_sdr_improvement"].mean()
              for name, est in (("own", own), ("window", training.denoise_batch(enhancer.model, noisy)),
                                ("bfloat16", bf16))}
    assert scores["window"] > 8.0 and scores["own"] > scores["window"] - 0.4, scores
    assert abs(scores["bfloat16"] - scores["own"]) < 0.1, scores  # bfloat16 arithmetic: the same quality


def test_bad_inputs_fail_one_by_one_with_clear_messages(audio_dir, tmp_path, enhancer, capsys):
    _broken(audio_dir)
    out = tmp_path / "out"
    status = cli.denoise_main([str(audio_dir / "fsdd.wav"), str(audio_dir / "empty.wav"), str(audio_dir / "notes.wav"),
                               str(audio_dir / "corrupt.wav"), str(audio_dir / "long.wav"), str(tmp_path / "nowhere"),
                               "-o", str(out), "--quiet", "--max-seconds", "2"])
    err = capsys.readouterr().err
    assert status == 1
    assert "empty.wav: the file is empty (0 bytes)" in err
    assert "notes.wav: not a readable audio file" in err
    assert "corrupt.wav: not a readable audio file" in err
    assert "long.wav: 3.5 s is longer than the limit of 2 s" in err
    assert "nowhere: no such file or folder" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["fsdd.wav"]  # nothing half-written for the failures


def test_outputs_are_never_overwritten_unless_asked(audio_dir, tmp_path, enhancer, capsys):
    out = tmp_path / "out"
    src = audio_dir / "fsdd.wav"
    assert cli.denoise_main([str(src), "-o", str(out), "--quiet"]) == 0
    before = (out / "fsdd.wav").stat().st_mtime_ns
    assert cli.denoise_main([str(src), "-o", str(out), "--quiet"]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert (out / "fsdd.wav").stat().st_mtime_ns == before
    time.sleep(0.01)
    assert cli.denoise_main([str(src), "-o", str(out), "--quiet", "--overwrite"]) == 0
    # an output folder that maps a file onto itself is refused even with --overwrite
    original = src.read_bytes()
    assert cli.denoise_main([str(src), "-o", str(audio_dir), "--quiet", "--overwrite"]) == 1
    assert "would replace the input itself" in capsys.readouterr().err
    assert src.read_bytes() == original


def test_unreadable_folder_is_reported(monkeypatch, tmp_path):
    import os

    (tmp_path / "locked").mkdir()

    def walk(top, onerror=None, **kwargs):
        onerror(PermissionError(13, "Permission denied", str(top)))
        return iter(())

    monkeypatch.setattr(os, "walk", walk)
    files, problems = inference.collect_inputs([tmp_path / "locked"])
    assert files == [] and problems == [f"{tmp_path / 'locked'}: cannot read this folder (Permission denied)."]


def test_decode_rejects_non_finite_and_reports_the_name(tmp_path):
    path = tmp_path / "nan.wav"
    sf.write(path, np.array([0.0, np.nan, 0.1], np.float32), 8000, subtype="FLOAT")
    with pytest.raises(AudioFileError, match="nan.wav: the audio contains NaN"):
        inference.decode(path)


# ---------------------------------------------------------------- HTTP service
@pytest.fixture(scope="module")
def server(enhancer):
    from waitress import create_server

    from digitdenoise.service import create_app

    app = create_app(enhancer, max_upload_mb=0.5, max_seconds=4.0)
    srv = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield app, srv.effective_port
    srv.close()


def _request(port, method, path, body=None, ctype="audio/wav"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": ctype} if ctype else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, resp.getheader("Content-Type"), data


def _wav_bytes(data_home, name="3_nicolas_4.wav"):
    return (data_home / "fsdd" / "recordings" / name).read_bytes()


def test_service_health_and_round_trip(server, data_home):
    _, port = server
    status, ctype, body = _request(port, "GET", "/health", ctype=None)
    info = json.loads(body)
    assert status == 200 and info["status"] == "ok" and info["model"] == "mask_unet" and info["sample_rate"] == 8000
    assert info["engine"] == "keras"  # the default; `denoise serve --engine tflite` runs the export
    wav = _wav_bytes(data_home)
    status, ctype, body = _request(port, "POST", "/denoise", wav)
    assert status == 200 and ctype == "audio/wav"
    x, sr_in = sf.read(io.BytesIO(wav))
    y, sr_out = sf.read(io.BytesIO(body))
    assert sr_out == sr_in and y.shape == x.shape


@pytest.mark.parametrize("case", ["content-type", "empty", "not-audio", "too-big", "too-long", "wrong-method", "no-route"])
def test_service_errors_are_json_4xx(server, data_home, case):
    _, port = server
    wav = _wav_bytes(data_home)
    long = io.BytesIO()
    sf.write(long, np.zeros(5 * 8000, np.float32) + 0.01, 8000, format="WAV")
    request = {
        "content-type": ("POST", "/denoise", wav, "text/plain", 415),
        "empty": ("POST", "/denoise", b"", "audio/wav", 400),
        "not-audio": ("POST", "/denoise", b"hello, I am not a wav file", "audio/wav", 400),
        "too-big": ("POST", "/denoise", b"\0" * (600 * 1024), "audio/wav", 413),
        "too-long": ("POST", "/denoise", long.getvalue(), "audio/wav", 413),
        "wrong-method": ("GET", "/denoise", None, None, 405),
        "no-route": ("POST", "/nothing-here", wav, "audio/wav", 404),
    }[case]
    status, ctype, body = _request(port, *request[:4])
    assert status == request[4]
    assert ctype.startswith("application/json")
    message = json.loads(body)["error"]
    assert message and "Traceback" not in message
    assert " at 0x" not in message and "object" not in message  # never a Python object's repr


def test_service_accepts_a_multipart_file_field_like_curl_dash_f(server, data_home):
    _, port = server
    wav = _wav_bytes(data_home)
    boundary = "digitdenoise-test-boundary"

    def form(field, payload):
        return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"x.wav\"\r\n"
                f"Content-Type: audio/wav\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()

    ctype = f"multipart/form-data; boundary={boundary}"
    status, out_type, body = _request(port, "POST", "/denoise", form("file", wav), ctype)
    assert status == 200 and out_type == "audio/wav"
    assert sf.read(io.BytesIO(body))[0].shape == sf.read(io.BytesIO(wav))[0].shape
    status, _, body = _request(port, "POST", "/denoise", form("audio", wav), ctype)
    assert status == 400 and "'file' field" in json.loads(body)["error"]
    status, _, body = _request(port, "POST", "/denoise", form("file", b"not audio at all"), ctype)
    message = json.loads(body)["error"]
    assert status == 400 and message.startswith("x.wav:") and " at 0x" not in message


def test_service_500_never_leaks_a_traceback(enhancer, data_home, monkeypatch):
    from digitdenoise.service import create_app

    app = create_app(enhancer)
    monkeypatch.setattr(enhancer, "enhance", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("secret internals")))
    resp = app.test_client().post("/denoise", data=_wav_bytes(data_home), content_type="audio/wav")
    assert resp.status_code == 500
    body = resp.get_json()
    assert "secret internals" not in json.dumps(body) and "Traceback" not in json.dumps(body)


def test_service_load_200_requests_4_concurrent(server, data_home):
    _, port = server
    wavs = [_wav_bytes(data_home, f"{d}_nicolas_{t}.wav") for d in range(10) for t in range(2)]

    def one(i):
        start = time.perf_counter()
        status, _, body = _request(port, "POST", "/denoise", wavs[i % len(wavs)])
        return status, time.perf_counter() - start, len(body)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, range(200)))
    statuses = [s for s, _, _ in results]
    latencies = np.array([t for _, t, _ in results]) * 1000
    print(f"\nload test: 200 requests, 4 concurrent: errors {sum(s != 200 for s in statuses)}, "
          f"p50 {np.percentile(latencies, 50):.1f} ms, p95 {np.percentile(latencies, 95):.1f} ms, "
          f"max {latencies.max():.1f} ms")
    assert statuses == [200] * 200


def test_python_client_round_trip_and_errors(server, data_home, tmp_path):
    from digitdenoise.errors import DataError
    from digitdenoise.service import post_file

    _, port = server
    src = data_home / "fsdd" / "recordings" / "7_nicolas_3.wav"
    timing = post_file(f"http://127.0.0.1:{port}", str(src), str(tmp_path / "clean.wav"))
    assert sf.info(tmp_path / "clean.wav").frames == sf.info(src).frames and timing["audio_s"] > 0
    (tmp_path / "bad.wav").write_text("no audio here")
    with pytest.raises(DataError, match="answered 400: upload: not a readable audio file"):
        post_file(f"http://127.0.0.1:{port}", str(tmp_path / "bad.wav"), str(tmp_path / "out.wav"))
    assert not (tmp_path / "out.wav").exists()
    with pytest.raises(DataError, match="cannot reach the service"):
        post_file("http://127.0.0.1:9", str(src), str(tmp_path / "out.wav"), timeout=5)


def test_enhance_input_errors_name_the_problem(enhancer):
    from digitdenoise.errors import ParameterError

    with pytest.raises(ParameterError, match="2 signals but 1 sample rates"):
        enhancer.enhance_many([np.zeros(100, np.float32)] * 2, [8000])
    with pytest.raises(ParameterError, match="non-empty mono audio"):
        enhancer.enhance(np.zeros((2, 100), np.float32), 8000)
    with pytest.raises(ParameterError, match="sample_rate must be positive"):
        enhancer.enhance(np.zeros(100, np.float32), 0)
    assert enhancer.enhance(np.zeros(3, np.float32), 48000).shape == (3,)  # shorter than one model sample


def test_an_unknown_precision_is_refused_by_name(enhancer):
    with pytest.raises(ParameterError, match="precision='half': choose auto, float32, bfloat16"):
        inference.Enhancer(model=enhancer.model, precision="half")
    with pytest.raises(ParameterError, match="precision='half'"):
        training.denoise_signals(enhancer.model, [np.zeros(100, np.float32)], precision="half")


def test_no_harm_guard_passes_the_input_where_the_model_changes_little():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(8000).astype(np.float32)
    low, high = inference.GUARD_DB
    # an estimate that is the input up to a scale and a perturbation 30 dB down: the input comes back
    near = 0.7 * x + 0.7 * 10 ** (-30 / 20) * rng.standard_normal(8000).astype(np.float32)
    np.testing.assert_array_equal(inference.no_harm_guard(x, near), x)
    # an estimate far from the input (much removed) is returned untouched
    far = 0.3 * x + rng.standard_normal(8000).astype(np.float32)
    np.testing.assert_array_equal(inference.no_harm_guard(x, far), far)
    # halfway between the two thresholds the result is half of each
    e = rng.standard_normal(8000).astype(np.float32)
    e -= x * (e @ x) / (x @ x)  # orthogonal to x
    mid = (low + high) / 2
    est = x + e * np.sqrt((x @ x) / (e @ e) / 10 ** (mid / 10))
    np.testing.assert_allclose(inference.no_harm_guard(x, est), 0.5 * est + 0.5 * x, atol=1e-3)
    np.testing.assert_array_equal(inference.no_harm_guard(x, near, None), near)
    with pytest.raises(ParameterError, match="guard_db"):
        inference.no_harm_guard(x, near, (20.0, 10.0))


def test_guard_leaves_clean_speech_closer_to_the_input_and_noisy_speech_alone(enhancer, data_home):
    from digitdenoise import metrics

    clip, sr = sf.read(data_home / "fsdd" / "recordings" / "7_nicolas_3.wav", dtype="float32")
    raw = inference.Enhancer(model=enhancer.model, precision="float32", guard_db=None)
    clean_raw, clean_guarded = raw.enhance(clip, sr), enhancer.enhance(clip, sr)
    assert metrics.si_sdr_db(clip, clean_guarded) >= metrics.si_sdr_db(clip, clean_raw)
    noisy = clip + np.random.default_rng(1).standard_normal(clip.size).astype(np.float32) * np.std(clip)
    np.testing.assert_array_equal(enhancer.enhance(noisy, sr), raw.enhance(noisy, sr))  # 0 dB: much to remove


def test_denoise_command_terminal_has_no_tensorflow_start_up_notes(tmp_path, data_home):
    import os
    import re
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from digitdenoise.cli import denoise_main; sys.exit(denoise_main())",
         str(data_home / "fsdd" / "recordings" / "0_nicolas_0.wav"), "-o", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    terminal = result.stdout + result.stderr
    assert "1 file(s) denoised" in terminal
    noise = re.compile(r"Kernel is running over TCP|cuInit|NodeDef|absl::InitializeLog|oneDNN|cuda drivers")
    assert not [line for line in terminal.splitlines() if noise.search(line)], terminal
