"""What each ingredient of the general recipe buys (chapter 5's ablation table).

    python bench/ablation.py --runs runs/ablation --out bench/results/ablation.json

Trains the same short fine-tune of the previous release model (``models/release/fsdd-mask_unet``) once
with the full general recipe and once with each ingredient left out (``digitdenoise train --recipe
general --without ...``): two epochs of 2,000 pairs each, the best epoch on the same validation pairs
(drawn with the full recipe). Every run resumes from its checkpoint in ``--runs``. Then scores every run,
the starting model and the release model on the same test mixtures (speechocean762 and FSDD test
speakers, every test noise family, 0 and -5 dB; SI-SDR only) and on speech with no added noise (SI-SDR
of the output against its input), and writes one JSON. The runs are short: the table says what each
ingredient does early in training, not what a full-length run would reach.
"""

from __future__ import annotations

import argparse
import json
import datetime
import platform
import subprocess
import sys
import time
from pathlib import Path

from _common import progress, quiet_tensorflow  # bench/_common.py (the script's folder is on sys.path)

VARIANTS = {  # name -> ingredients left out
    "full recipe": [],
    "without speechocean762 voices": ["speechocean762-voices"],
    "without babble": ["babble"],
    "without generated families": ["families"],
    "without channel and level": ["channel"],
    "without clean inputs": ["clean"],
}
RUN = ["--recipe", "general", "--model", "mask_unet", "--init-from", "models/release/fsdd-mask_unet",
       "--epochs", "2", "--clips-per-epoch", "2000", "--learning-rate", "5e-4", "--lr-patience", "3",
       "--patience", "8"]


def _slug(name: str) -> str:
    return name.replace(" ", "-")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default="runs/ablation")
    parser.add_argument("--out", default="bench/results/ablation.json")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--only", nargs="+", default=None, help="variant names (see VARIANTS) to train/score")
    parser.add_argument("--clips", type=int, default=3, help="utterances per source, noise and SNR")
    parser.add_argument("--release", default="models/release/general-mask_unet")
    parser.add_argument("--stage1", default="models/release/general-mask_unet-stage1",
                        help="the release model's first stage (the general recipe without perturbed recordings)")
    args = parser.parse_args(argv)
    quiet_tensorflow()

    import numpy as np
    import pandas as pd

    from digitdenoise import generalisation, metrics, training
    from digitdenoise._io import write_json
    from digitdenoise.errors import DigitDenoiseError

    start = time.perf_counter()
    say = progress()

    chosen = {k: v for k, v in VARIANTS.items() if not args.only or k in args.only}
    runs = Path(args.runs)
    trained = {}
    for name, without in chosen.items():
        out = runs / _slug(name)
        if not (out / "done.txt").is_file():
            say(f"training: {name}")
            command = [sys.executable, "-m", "digitdenoise.cli"] + (
                ["--data-home", args.data_home] if args.data_home else []) + ["train", *RUN, "--out", str(out)] + (
                ["--without", *without] if without else [])
            if subprocess.run(command).returncode != 0:
                print(f"error: training {name!r} failed; rerun to resume.", file=sys.stderr)
                return 1
            (out / "done.txt").write_text("trained\n")
        trained[name] = out

    try:
        def label(name, path):
            history = pd.read_csv(Path(path) / "history.csv")
            clips = json.loads((Path(path) / "train_config.json").read_text())["train_config"]["clips_per_epoch"]
            return f"{name} ({len(history)} epochs of {clips:,} pairs)"

        models = {"starting model (previous release)": "models/release/fsdd-mask_unet",
                  label("release model, stage 1: general recipe", args.stage1): args.stage1,
                  label("release model, stage 2: + perturbed recordings", args.release): args.release,
                  **{name: str(path) for name, path in trained.items()}}
        loaded = {name: training.load_denoiser(path) for name, path in models.items()}
        sr = next(iter(loaded.values()))[0].cfg.sample_rate
        say("reading test speech and noise")
        speech = generalisation.test_speech(args.data_home, sr=sr, fsdd_clips=60, so_sentences=100)
        noises, families = generalisation.test_noises(args.data_home, sr=sr)
        mixtures = generalisation.make_mixtures(speech, noises, families, snrs=(-5.0, 0.0), clips=args.clips)
        methods = [generalisation.model_method(name, model) for name, (model, _) in loaded.items()]
        say(f"{len(mixtures.noisy)} mixtures, {len(methods)} models")
        per_clip, failures, _ = generalisation.run_methods(methods, mixtures, pesq=False, estoi=False, progress=say,
                                                           cache=True)
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = (per_clip.groupby(["method", "family"])["si_sdr_improvement"].mean().unstack("family"))
    table["all test noise"] = per_clip.groupby("method")["si_sdr_improvement"].mean()
    worse = per_clip.groupby("method")["si_sdr_improvement"].apply(lambda v: float(np.mean(v < 0)))
    clean_rows = speech.table.index[speech.table["source"].isin(["fsdd", "so-digits"])]
    clean = [speech.signals[i] for i in clean_rows]
    untouched = {}
    for name, (model, _) in loaded.items():
        outputs = training.denoise_signals(model, clean)
        untouched[name] = float(np.mean([metrics.si_sdr_db(x, y) for x, y in zip(clean, outputs)]))
    rows = []
    for name in models:
        info = loaded[name][1]
        history = pd.read_csv(Path(models[name]) / "history.csv") if (Path(models[name]) / "history.csv").is_file() \
            else None
        rows.append({"model": name, "left_out": VARIANTS.get(name, []), "dir": models[name],
                     "epochs": None if history is None else int(len(history)),
                     "clips_per_epoch": (info.get("train_config") or {}).get("clips_per_epoch"),
                     "train_seconds": None if history is None else round(float(history["epoch_seconds"].sum()), 1),
                     "si_sdri_by_family": {k: round(float(v), 3) for k, v in table.loc[name].items()},
                     "share_worse_than_input": round(worse[name], 4),
                     "clean_output_vs_input_db": round(untouched[name], 3),
                     "recipe_without": ((info.get("train_config") or {}).get("recipe") or {}).get("without", [])})
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "command": "python bench/ablation.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "machine": {"platform": platform.platform(), "python": platform.python_version()},
              "run_recipe": " ".join(RUN), "snrs_db": [-5.0, 0.0], "mixtures": len(mixtures.noisy),
              "clips_per_cell": args.clips, "failures": failures, "rows": rows,
              "seconds_this_invocation": round(time.perf_counter() - start, 1),
              "note": "train_seconds per row are each run's own training time; runs already trained are reused"}
    write_json(args.out, result)
    print(table.round(2).to_string())
    say(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
