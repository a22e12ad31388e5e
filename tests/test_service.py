"""The service's ``strength`` parameter (chapter 8): a query parameter or a multipart form field,
validated with a JSON 400 that names it."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile as sf

from digitdenoise import inference



@pytest.fixture(scope="module")
def client(enhancer):
    from digitdenoise.service import create_app

    return create_app(enhancer, max_upload_mb=0.5, max_seconds=4.0).test_client()


@pytest.fixture(scope="module")
def noisy_wav(data_home):
    x, sr = sf.read(data_home / "fsdd" / "recordings" / "8_yweweler_2.wav", dtype="float32")
    noisy = (0.5 * x + 0.05 * np.random.default_rng(5).standard_normal(x.size)).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, noisy, sr, format="WAV", subtype="FLOAT")
    return buf.getvalue(), noisy


def _audio(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "audio/wav"
    return sf.read(io.BytesIO(resp.data), dtype="float32")[0]


def _multipart(client, wav, **fields):
    return client.post("/denoise", data={"file": (io.BytesIO(wav), "x.wav"), **fields},
                       content_type="multipart/form-data")


def test_service_accepts_strength_in_multipart_and_query(client, noisy_wav):
    wav, noisy = noisy_wav
    full = _audio(client.post("/denoise", data=wav, content_type="audio/wav"))
    resp = _multipart(client, wav, strength="0.5")
    half = _audio(resp)
    assert resp.headers["X-Suppression-Strength"] == "0.5"
    f = inference.input_share(0.5)
    np.testing.assert_allclose(half, f * noisy + (1 - f) * full, atol=1e-6)
    query = _audio(client.post("/denoise?strength=0.5", data=wav, content_type="audio/wav"))
    np.testing.assert_array_equal(query, half)
    np.testing.assert_array_equal(_audio(_multipart(client, wav, strength="0")), noisy)
    np.testing.assert_array_equal(_audio(_multipart(client, wav)), full)  # no strength: 1, today's output
    np.testing.assert_array_equal(_audio(client.post("/denoise?strength=1", data=wav, content_type="audio/wav")), full)


@pytest.mark.parametrize("value", ["1.5", "abc", "-1", "", "nan"])
@pytest.mark.parametrize("where", ["query", "multipart"])
def test_service_rejects_a_bad_strength_with_a_json_400(client, noisy_wav, value, where):
    wav, _ = noisy_wav
    if where == "query":
        resp = client.post(f"/denoise?strength={value}", data=wav, content_type="audio/wav")
    else:
        resp = _multipart(client, wav, strength=value)
    assert resp.status_code == 400 and resp.mimetype == "application/json"
    assert resp.get_json()["error"] == ("strength must be a number from 0 to 1 (0: the input unchanged, 1: "
                                        f"the model's full suppression); got {value!r}.")


def test_service_refuses_strength_given_twice(client, noisy_wav):
    wav, _ = noisy_wav
    resp = client.post("/denoise?strength=0.2", data={"file": (io.BytesIO(wav), "x.wav"), "strength": "0.8"},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "strength is given 2 times" in resp.get_json()["error"]


def test_health_reports_the_strength_range(client):
    info = json.loads(client.get("/health").data)
    assert info["strength"] == {"default": 1.0, "range": [0.0, 1.0]}


def test_python_client_sends_strength(client, noisy_wav, tmp_path, monkeypatch):
    """``post_file(strength=...)`` puts it in the query string, checked before anything is sent."""
    import urllib.request

    from digitdenoise.errors import ParameterError
    from digitdenoise.service import post_file

    wav, noisy = noisy_wav
    (tmp_path / "in.wav").write_bytes(wav)
    sent = {}

    class Answer(io.BytesIO):
        headers = {"X-Processing-Seconds": "0.1", "X-Audio-Seconds": "1.0"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):
        sent["url"] = request.full_url
        path = request.full_url.split("127.0.0.1:8000", 1)[1]
        return Answer(client.post(path, data=request.data, content_type="audio/wav").data)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    post_file("http://127.0.0.1:8000", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), strength=0)
    assert sent["url"] == "http://127.0.0.1:8000/denoise?strength=0.0"
    np.testing.assert_array_equal(sf.read(tmp_path / "out.wav", dtype="float32")[0], noisy)
    with pytest.raises(ParameterError, match="strength must be a number from 0 to 1"):
        post_file("http://127.0.0.1:8000", str(tmp_path / "in.wav"), str(tmp_path / "bad.wav"), strength=1.5)
