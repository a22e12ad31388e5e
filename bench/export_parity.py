"""TFLite export against the Keras model (chapter 9): parity and one-thread speed.

    python bench/export_parity.py                 # parity + RTFs, ~1 minute
    python bench/export_parity.py --repeats 9
    python bench/export_parity.py --model-dir models/release/general-small_tcn --out bench/results/export_parity-small.json

Converts the release model (or ``--model-dir``) to TFLite (in a temporary folder), checks that its output matches the Keras
model on 20 real FSDD clips mixed with a real noise recording, then times each engine in its own fresh
process pinned to one core, with one thread (TensorFlow intra- and inter-op parallelism 1; the TFLite
interpreter with ``num_threads=1``; onnxruntime with one intra- and inter-op thread, when tf2onnx and
onnxruntime are installed): the Keras graph of ``training._inference_fn`` in float32 and in
bfloat16 (the ``denoise`` command's choice on CPUs with AVX-512 BF16), the TFLite file, and the
streaming denoiser. Each is timed on the 20 one-second windows as one batch and one clip per call;
RTF = seconds of compute per second of audio (median over the repeats, after a warm-up call). Prints
one JSON object. Like ``bench/run.py`` it reports, it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import commit  # bench/_common.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "release" / "general-mask_unet"
ENGINES = ("keras float32", "keras bfloat16", "tflite", "onnxruntime", "streaming (8-frame blocks)")


def _clips(data_home: str | None):
    """20 one-second windows: FSDD clips (two per digit, several speakers) + 'running_tap' at 0 dB."""
    import numpy as np

    from digitdenoise import data, noise
    from digitdenoise.features import batch_fixed_length

    table = data.load_clips("fsdd", data_home, download=False).sort_values("path").reset_index(drop=True)
    picked = table.groupby("digit", group_keys=False).apply(lambda g: g.iloc[[0, len(g) // 2]])
    clean = [data.read_audio(p, 8000)[0] for p in picked["path"]]
    home = Path(data_home) if data_home else data.dataset_root("fsdd").parent
    tap = noise.load_noise_recordings(home / "noise", 8000, names=["running_tap"])["running_tap"]
    noisy = [noise.mix_at_snr(c, tap[i * 8000:i * 8000 + c.size], 0.0)[0] for i, c in enumerate(clean)]
    batch, _ = batch_fixed_length(noisy, 8000)
    return batch.astype(np.float32)


def _worker(engine: str, repeats: int, data_home: str | None, tflite_path: str, onnx_path: str, model_dir: Path) -> dict:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from digitdenoise import export, streaming, training

    batch = _clips(data_home)
    if engine.startswith("keras"):
        model, _ = training.load_denoiser(model_dir)
        forward = training._inference_fn(model, engine.split()[1])
        run = lambda x: forward(x).numpy()  # noqa: E731
    elif engine == "tflite":
        tfl = export.TFLiteDenoiser(tflite_path, num_threads=1)
        run = tfl
    elif engine == "onnxruntime":
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        run = lambda x: session.run(None, {"noisy": x})[0]  # noqa: E731
    else:
        model, _ = training.load_denoiser(model_dir)
        stream = streaming.StreamingDenoiser(model, block_frames=8)
        run = lambda x: np.stack([stream.denoise(row, chunk=512) for row in x])  # noqa: E731
    audio_s = batch.shape[0] * batch.shape[1] / 8000
    out = {"engine": engine}
    for name, fn in (("batch of 20", lambda: run(batch)),
                     ("one clip per call", lambda: [run(batch[i:i + 1]) for i in range(len(batch))])):
        fn()  # warm-up: graph tracing, tensor allocation
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        out[name] = {"rtf_median": float(np.median(times)) / audio_s, "rtf_min": min(times) / audio_s}
    return out


def _parity(data_home: str | None, tflite_path: str, onnx_path: str, model_dir: Path) -> dict:
    import numpy as np

    from digitdenoise import export, training

    model, _ = training.load_denoiser(model_dir)
    export.to_tflite(model, tflite_path)
    batch = _clips(data_home)
    keras_out = training.denoise_batch(model, batch)
    tflite_out = export.TFLiteDenoiser(tflite_path)(batch)
    out = {"clips": int(batch.shape[0]), "max_abs_output": float(np.max(np.abs(keras_out))),
           "tflite_max_abs_diff": float(np.max(np.abs(tflite_out - keras_out))),
           "tflite_bytes": Path(tflite_path).stat().st_size}
    try:
        export.to_onnx(model, onnx_path)
        import onnxruntime

        session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        out["onnx_max_abs_diff"] = float(np.max(np.abs(session.run(None, {"noisy": batch})[0] - keras_out)))
    except Exception as exc:  # tf2onnx / onnxruntime are optional
        out["onnx"] = f"not measured: {exc}"
    return out


def _relative(path: Path) -> str:
    """``path`` relative to the repository where it lies inside it (as the other recorded results name models)."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--worker", choices=ENGINES, default=None)
    parser.add_argument("--tflite", default=None)
    parser.add_argument("--onnx", default=None)
    parser.add_argument("--out", default=None, help="also write the JSON here (e.g. bench/results/export_parity.json)")
    parser.add_argument("--model-dir", default=str(MODEL), help="saved model folder (default: the release model)")
    args = parser.parse_args()
    model_dir = Path(args.model_dir)
    if args.worker:
        print(json.dumps(_worker(args.worker, args.repeats, args.data_home, args.tflite, args.onnx, model_dir)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path, onnx_path = str(Path(tmp) / "model.tflite"), str(Path(tmp) / "model.onnx")
        result = {"parity": _parity(args.data_home, path, onnx_path, model_dir), "speed": []}
        for engine in ENGINES:
            if engine == "onnxruntime" and not Path(onnx_path).is_file():
                continue
            cmd = [sys.executable, __file__, "--worker", engine, "--repeats", str(args.repeats), "--tflite", path,
                   "--onnx", onnx_path, "--model-dir", str(model_dir)]
            if args.data_home:
                cmd += ["--data-home", args.data_home]
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
            if proc.returncode != 0:
                result["speed"].append({"engine": engine, "error": proc.stderr.strip().splitlines()[-1:]})
                continue
            result["speed"].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "commit": commit(),
              "machine": {"platform": platform.platform(), "processor": platform.processor()},
              "model_dir": _relative(model_dir), **result}
    print(json.dumps(result, indent=2))
    if args.out:
        from digitdenoise._io import write_json

        write_json(args.out, result)


if __name__ == "__main__":
    main()
