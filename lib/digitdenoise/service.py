"""A small HTTP service around the denoiser (``denoise serve``; the README shows a client).

    POST /denoise   body: a WAV/FLAC/OGG file, Content-Type audio/wav (or audio/x-wav, audio/flac,
                    audio/ogg, application/octet-stream), or a multipart/form-data upload with the file in
                    a ``file`` field (``curl -F file=@x.wav``) -> the denoised audio as WAV, same rate and
                    length
                    optional ``strength``, a number from 0 to 1 (default 1): the suppression strength of
                    chapter 8 (:func:`inference.apply_strength`: 1 the model's full output, 0 the input
                    unchanged, 0.5 at most 18 dB removed in any bin), as a query parameter
                    (``/denoise?strength=0.5``) or, in a multipart upload, a form field
                    (``curl -F file=@x.wav -F strength=0.5``); the value used comes back in the
                    ``X-Suppression-Strength`` header, and one outside [0, 1] or not a number is a 400
    GET  /health    -> JSON: status and the loaded model

Why Flask (served by waitress): inference is synchronous TensorFlow work that holds a lock, so an async
framework would buy nothing; Flask's request-size limit, error handlers and test client are exactly
what this needs, and waitress is a production WSGI server in pure Python with a thread pool. Errors are
JSON ``{"error": ...}`` with a 4xx status for a bad request; a 5xx never carries a traceback.
"""

from __future__ import annotations

import logging
import time

from .errors import AudioFileError, ParameterError
from .inference import DEFAULT_STRENGTH, Enhancer, check_strength, decode, encode_wav

ACCEPTED_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "audio/flac", "audio/x-flac",
                  "audio/ogg", "application/octet-stream")
DEFAULT_MAX_UPLOAD_MB = 20.0
DEFAULT_MAX_SECONDS = 60.0


def create_app(enhancer: Enhancer, *, max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
               max_seconds: float = DEFAULT_MAX_SECONDS):
    """The Flask application serving ``enhancer`` (chapter 8; README, "HTTP service")."""
    from flask import Flask, Response, jsonify, request
    from werkzeug.exceptions import HTTPException

    app = Flask("digitdenoise")
    app.config["MAX_CONTENT_LENGTH"] = int(max_upload_mb * 1024 * 1024)
    log = logging.getLogger("digitdenoise.service")

    def error(status: int, message: str):
        return jsonify({"error": message}), status

    @app.get("/health")
    def health():
        return jsonify({"status": "ok", **enhancer.describe(), "max_upload_mb": max_upload_mb,
                        "max_seconds": max_seconds,
                        "strength": {"default": DEFAULT_STRENGTH, "range": [0.0, 1.0]}})

    def requested_strength(multipart: bool) -> float:
        """The ``strength`` of the request: the query parameter or, in a multipart upload, the form field
        (given once, in one of the two places); default 1."""
        values = request.args.getlist("strength") + (request.form.getlist("strength") if multipart else [])
        if len(values) > 1:
            raise ParameterError(f"strength is given {len(values)} times ({', '.join(map(repr, values))}); "
                                 "give it once, as ?strength=S or as a form field.")
        return check_strength(values[0]) if values else DEFAULT_STRENGTH

    @app.post("/denoise")
    def denoise():
        ctype = (request.mimetype or "").lower()
        name = "upload"
        if ctype == "multipart/form-data":  # an HTML form or `curl -F file=@x.wav`
            upload = request.files.get("file")
            if upload is None:
                return error(400, "the multipart upload has no 'file' field; send the audio as file=@x.wav "
                                  f"(fields received: {', '.join(request.files) or 'none'}).")
            body, name = upload.read(), upload.filename or "upload"
        elif ctype not in ACCEPTED_TYPES:
            return error(415, f"Content-Type {ctype or '(none)'} is not accepted; send the audio file as the body "
                              f"with one of: {', '.join(ACCEPTED_TYPES)}, or as the 'file' field of a "
                              "multipart/form-data upload.")
        else:
            body = request.get_data(cache=False)
        try:
            strength = requested_strength(ctype == "multipart/form-data")
        except ParameterError as exc:
            return error(400, str(exc))
        if not body:
            return error(400, f"{name}: the upload is empty; send an audio file.")
        try:
            decoded = decode(body, name=name, max_seconds=max_seconds)
        except AudioFileError as exc:
            status = 413 if "longer than the limit" in str(exc) else 400
            return error(status, str(exc))
        start = time.perf_counter()
        out = enhancer.enhance(decoded.audio, decoded.sample_rate, strength=strength)
        seconds = time.perf_counter() - start
        response = Response(encode_wav(out, decoded.sample_rate, decoded.subtype), mimetype="audio/wav")
        response.headers["X-Processing-Seconds"] = f"{seconds:.4f}"
        response.headers["X-Audio-Seconds"] = f"{decoded.audio.size / decoded.sample_rate:.4f}"
        response.headers["X-Suppression-Strength"] = str(strength)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 413:
            return error(413, f"the upload is larger than the limit of {max_upload_mb:g} MB.")
        return error(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def internal_error(exc):
        log.exception("internal error while serving %s", request.path)
        return error(500, "internal error while processing the request; the server log has the details.")

    return app


def serve(enhancer: Enhancer, *, host: str = "127.0.0.1", port: int = 8000, threads: int = 4,
          max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB, max_seconds: float = DEFAULT_MAX_SECONDS) -> None:
    """Serve the app with waitress until interrupted (chapter 8; ``denoise serve``)."""
    from waitress import serve as waitress_serve

    app = create_app(enhancer, max_upload_mb=max_upload_mb, max_seconds=max_seconds)
    print(f"serving {enhancer.describe()['model']} on http://{host}:{port} (POST /denoise, GET /health)", flush=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="digitdenoise")


def post_file(url: str, source: str, target: str, *, timeout: float = 60.0, strength: float | None = None) -> dict:
    """A minimal client (chapter 8; README): POST the audio file ``source`` to a running service at ``url``
    (e.g. ``http://127.0.0.1:8000``), write the denoised WAV to ``target`` atomically and return the
    server's timing headers. ``strength`` (0 to 1) is sent as the query parameter; ``None`` leaves the
    server's default, 1. A 4xx/5xx answer raises :class:`DataError` with the server's message."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request
    from pathlib import Path

    from ._io import atomic_path
    from .errors import DataError

    query = "" if strength is None else "?" + urllib.parse.urlencode({"strength": str(check_strength(strength))})
    request = urllib.request.Request(url.rstrip("/") + "/denoise" + query, data=Path(source).read_bytes(),
                                     headers={"Content-Type": "audio/wav"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body, headers = response.read(), response.headers
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["error"]
        except (ValueError, KeyError):
            message = exc.reason
        raise DataError(f"{source}: the service answered {exc.code}: {message}") from None
    except urllib.error.URLError as exc:
        raise DataError(f"cannot reach the service at {url} ({exc.reason}); start it with `denoise serve`.") from None
    with atomic_path(Path(target), suffix=".wav") as tmp:
        Path(tmp).write_bytes(body)
    return {"processing_s": float(headers.get("X-Processing-Seconds", "nan")),
            "audio_s": float(headers.get("X-Audio-Seconds", "nan"))}
