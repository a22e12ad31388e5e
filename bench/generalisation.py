"""Generalisation benchmark (chapter 6): every method on test voices and microphones, unseen noise recordings
and familiar noise kinds.

    python bench/generalisation.py --model-dir models/release/general-mask_unet \
        --previous models/release/fsdd-mask_unet --out bench/results/generalisation.json

Clean speech: FSDD's test speaker and speechocean762's test speakers (digit strings and sentences).
Noise: the Hu test files, the Speech Commands recordings (cross-corpus), white, pink, and babble of 1 and
3 test-split talkers; SNR -8, -5, 0, +5 dB. Methods: the model, the previous release model, noisereduce
(stationary), DeepFilterNet3, the oracle IRM and PSM. Also: the FSDD -8 dB white quality bar and the
recordings with no added noise (PocketSphinx word accuracy, SI-SDR against the input). Writes one JSON
with the per-condition table (95% bootstrap CIs), the bars, the model, the data splits and the commit, and
a per-clip CSV beside it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path

from _common import commit, progress, quiet_tensorflow, rounded  # bench/_common.py (the script's folder is on sys.path)


def _epochs_trained(model_dir) -> int | None:
    """How many epochs the run trained (rows of its history.csv); None where it kept no history."""
    import pandas as pd

    history_file = Path(model_dir) / "history.csv"
    return len(pd.read_csv(history_file)) if history_file.is_file() else None


def _validation_db(model_dir, info) -> float | None:
    """The capped SI-SDR (dB) on the recipe's validation pairs at the kept epoch, from the run's history.csv
    (the negative of its val_loss), or None without one."""
    import pandas as pd

    history_file = Path(model_dir) / "history.csv"
    if not history_file.is_file() or not isinstance(info.get("best_epoch"), int):
        return None
    history = pd.read_csv(history_file).set_index("epoch")
    return round(-float(history.loc[info["best_epoch"], "val_loss"]), 3)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", default="models/release/general-mask_unet")
    parser.add_argument("--previous", default="models/release/fsdd-mask_unet",
                        help="the previous release model, run on the same mixtures ('' to leave it out)")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--clips", type=int, default=5, help="utterances per source, noise and SNR")
    parser.add_argument("--fsdd-clips", type=int, default=120)
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--snrs", type=float, nargs="+", default=[-8.0, -5.0, 0.0, 5.0])
    parser.add_argument("--no-peers", action="store_true", help="leave DeepFilterNet3 out (quick runs)")
    parser.add_argument("--no-pesq", action="store_true")
    parser.add_argument("--no-cache", action="store_true",
                        help="recompute the peers', classical methods' and oracles' scores even if cached")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="bench/results/generalisation.json")
    args = parser.parse_args(argv)
    quiet_tensorflow()

    from digitdenoise import evaluation, generalisation, inference, training
    from digitdenoise._io import write_text
    from digitdenoise.errors import DigitDenoiseError

    start = time.perf_counter()
    say = progress()

    try:
        model, info = training.load_denoiser(args.model_dir)
        name = "release model"
        # the release model as the denoise command runs it (with its do-no-harm guard), and without the guard
        methods = [generalisation.model_method(name, model, guard_db=inference.GUARD_DB),
                   generalisation.model_method(f"{name} (no guard)", model)]
        previous_info = None
        if args.previous:
            previous, previous_info = training.load_denoiser(args.previous)
            methods.append(generalisation.model_method("previous release model", previous))
        cfg = model.cfg
        extra, missing = generalisation.peer_methods(cfg.sample_rate, cfg, peers=() if args.no_peers else ("deepfilternet3",))
        methods += extra
        say("reading test speech and noise")
        speech = generalisation.test_speech(args.data_home, sr=cfg.sample_rate, fsdd_clips=args.fsdd_clips,
                                            so_sentences=args.sentences, seed=args.seed)
        noises, families = generalisation.test_noises(args.data_home, sr=cfg.sample_rate, seed=args.seed)
        mixtures = generalisation.make_mixtures(speech, noises, families, snrs=args.snrs, clips=args.clips,
                                                seed=args.seed)
        say(f"{len(mixtures.noisy)} mixtures ({sum(x.size for x in mixtures.noisy) / cfg.sample_rate / 60:.0f} min "
            f"of audio), {len(methods)} methods")
        per_clip, failures, seconds = generalisation.run_methods(methods, mixtures, pesq=not args.no_pesq, progress=say,
                                                                 cache=not args.no_cache)
        failures.update({k: v for k, v in missing.items()})
        summary = generalisation.summarise(per_clip)
        say("FSDD quality bar (-8 dB white)")
        bar = evaluation.quality_bar(model, "fsdd", args.data_home, noise_kind="white", snr_db=-8.0, seed=args.seed)
        say("no added noise (PocketSphinx)")
        no_noise = generalisation.no_added_noise([m for m in methods if m.family != "oracle"], args.data_home,
                                                 sr=cfg.sample_rate, seed=args.seed)
        bars = generalisation.check_bars(per_clip, name, fsdd_white=bar, no_noise=no_noise)
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    out = Path(args.out)
    per_clip_file = out.with_suffix(".per_clip.csv.gz")
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "command": "python bench/generalisation.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "seconds": round(time.perf_counter() - start, 1),
        "model": {"dir": str(args.model_dir), "name": info.get("model"), "parameters": info.get("parameters"),
                  "guard_db": list(inference.GUARD_DB), "train_config": info.get("train_config"),
                  "best_epoch": info.get("best_epoch"), "train_seconds": info.get("train_seconds"),
                  "stopped": info.get("stopped"), "epochs_trained": _epochs_trained(args.model_dir),
                  "validation_db": _validation_db(args.model_dir, info),
                  # did its training, or the weights it started from, hear the Speech Commands set?
                  "heard_speech_commands_noise": training.heard_speech_commands_noise(args.model_dir)},
        "previous_model": {"dir": str(args.previous), "train_config": (previous_info or {}).get("train_config"),
                           "heard_speech_commands_noise": training.heard_speech_commands_noise(args.previous)},
        "splits": ((info.get("train_config") or {}).get("recipe") or {}).get("splits"),
        "test_data": {"speech": speech.table.groupby("source").agg(utterances=("clip_id", "size"),
                                                                   speakers=("speaker", "nunique")).to_dict("index"),
                      "noises": {family: sorted(n for n, f in families.items() if f == family)
                                 for family in generalisation.NOISE_FAMILIES},
                      "snrs_db": args.snrs, "clips_per_cell": args.clips, "mixtures": len(mixtures.noisy)},
        "method_seconds": {k: (round(v, 1) if v == v else "scores reused from the cache") for k, v in seconds.items()},
        "failures": failures,
        "summary": json.loads(summary.to_json(orient="split", index=False)),
        "by_noise": json.loads(generalisation.summarise(per_clip, ("source", "noise", "snr_db", "method"))
                               .to_json(orient="split", index=False)),
        "fsdd_white_bar": bar,
        "no_added_noise": no_noise,
        "bars": bars,
        "per_clip": per_clip_file.name,
    }
    write_text(out, json.dumps(rounded(result), sort_keys=True, separators=(",", ":")) + "\n")  # compact: ~0.3 MB
    write_text(per_clip_file.with_suffix(""), per_clip.to_csv(index=False))
    import gzip
    import shutil

    with open(per_clip_file.with_suffix(""), "rb") as src, gzip.open(per_clip_file, "wb") as dst:
        shutil.copyfileobj(src, dst)
    per_clip_file.with_suffix("").unlink()
    table = summary[(summary["snr_db"] == 0.0)].pivot_table(index=["source", "family"], columns="method", values="si_sdri")
    print(table.round(2).to_string())
    for b in bars:
        print(f"{'PASS' if b['passed'] else 'MISS'}  {b['bar']}: {b['value']} (target {b['target']})")
    say(f"written {out} and {per_clip_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
