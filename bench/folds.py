"""Leave-one-speaker-out folds on FSDD (chapter 7): every speaker a test speaker.

    python bench/folds.py --runs runs/folds --out bench/results/folds.json

Trains one model per FSDD speaker with the same recipe (``digitdenoise.folds.FOLD_RECIPE``; each fold
resumes from its checkpoint in ``--runs``), then scores each fold's model on its own held-out speaker
under chapter 6's noise conditions and writes the fold plan, budgets, training curves and the summaries
chapter 7 shows to ``--out``; the per-clip table stays beside it (``folds.per_clip.csv.gz``, not in git),
and ``--reuse-scores`` summarises it again without scoring.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

from _common import commit, quiet_tensorflow  # bench/_common.py (the script's folder is on sys.path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", default="runs/folds", help="where the fold models train (resumable)")
    parser.add_argument("--out", default="bench/results/folds.json")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--snr", type=float, default=-8.0, help="SNR of the test mixtures (dB), as chapter 6")
    parser.add_argument("--clips-per-digit", type=int, default=10)
    parser.add_argument("--only", nargs="+", default=None, metavar="SPEAKER", help="train/score these folds only")
    parser.add_argument("--reuse-scores", action="store_true",
                        help="summarise the per-clip table an earlier run left beside --out instead of scoring again")
    parser.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples for each speaker's interval")
    args = parser.parse_args(argv)
    quiet_tensorflow()

    import pandas as pd

    from digitdenoise import data, folds, training
    from digitdenoise._io import write_json
    from digitdenoise.errors import DigitDenoiseError

    start = time.perf_counter()
    try:
        speakers = sorted(data.load_clips("fsdd", args.data_home)["speaker"].unique())
        plan = folds.fold_plan(speakers)
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    runs = Path(args.runs)
    out_json = Path(args.out)
    clips_path = out_json.with_name(out_json.name.replace(".json", "") + ".per_clip.csv.gz")  # local only
    earlier = pd.read_csv(clips_path) if args.reuse_scores and clips_path.is_file() else None
    if args.reuse_scores and earlier is None:
        print(f"error: --reuse-scores needs {clips_path} from an earlier run; run without it.", file=sys.stderr)
        return 2
    entries, tables = [], []
    for fold in plan:
        if args.only and fold["test"] not in args.only:
            continue
        out = runs / fold["test"]
        done = out / "done.json"
        if not done.is_file():
            print(f"fold {fold['test']}: training (validation {fold['validation']}, train {', '.join(fold['train'])})",
                  flush=True)
            command = [sys.executable, "-m", "digitdenoise.cli"] + (
                ["--data-home", args.data_home] if args.data_home else []) + folds.train_command(fold, out)
            t0 = time.perf_counter()
            result = subprocess.run(command)
            if result.returncode != 0:
                print(f"error: training fold {fold['test']} failed (exit {result.returncode}); rerun to resume.",
                      file=sys.stderr)
                return result.returncode
            done.write_text(json.dumps({"wall_seconds": round(time.perf_counter() - t0, 1)}))
        model, info = training.load_denoiser(out)
        history = pd.read_csv(out / "history.csv")
        t0 = time.perf_counter()
        if earlier is not None:
            per_clip = earlier[earlier["fold"] == fold["test"]]
        else:
            per_clip = folds.evaluate_fold(model, fold, args.data_home, snr_db=args.snr,
                                           clips_per_digit=args.clips_per_digit)
        tables.append(per_clip)
        mine = per_clip[per_clip["method"] == "fold model"]
        n = len(history)
        last_fifth = max(1, n // 5)
        val = history["val_loss"].to_numpy()
        gain = float(val[: n - last_fifth].min() - val.min()) if n > last_fifth else float("nan")
        entries.append({**fold, "epochs": n, "train_seconds": round(float(history["epoch_seconds"].sum()), 1),
                        "best_val_loss": round(float(val.min()), 4), "last_fifth_gain_db": round(gain, 3),
                        "val_loss": [round(float(v), 4) for v in val],
                        "mean_si_sdri": round(float(mine["si_sdr_improvement"].mean()), 3),
                        "score_seconds": round(time.perf_counter() - t0, 1)})
        print(f"fold {fold['test']}: {n} epochs, SI-SDR improvement {mine['si_sdr_improvement'].mean():+.2f} dB "
              f"on {mine['clip_id'].nunique()} clips x {mine['noise'].nunique()} noises", flush=True)
    if not tables:
        print("error: no fold matched --only.", file=sys.stderr)
        return 2
    per_clip = pd.concat(tables, ignore_index=True).round(4)
    if earlier is None:
        tmp = clips_path.with_suffix(".tmp")
        per_clip.to_csv(tmp, index=False, compression="gzip")
        tmp.replace(clips_path)
    write_json(out_json, {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/folds.py", *(argv if argv is not None else sys.argv[1:])]),
        "commit": commit(), "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "recipe": folds.FOLD_RECIPE, "snr_db": args.snr, "clips_per_digit": args.clips_per_digit,
        "folds": entries, **folds.summarise(per_clip, n_boot=args.n_boot),
        "scores_reused_from_an_earlier_run": earlier is not None,
        "seconds_this_invocation": round(time.perf_counter() - start, 1)})
    print(f"{len(entries)} folds -> {out_json} (per-clip table: {clips_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
