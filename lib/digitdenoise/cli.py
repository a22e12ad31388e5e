"""The ``digitdenoise`` command line: fetch data, run chapters, build the book.

    digitdenoise fetch fsdd                       # download a dataset into the data home
    digitdenoise run --profile smoke --chapters 1,4
    digitdenoise build                            # strict jupyter-book build of book/
    digitdenoise book --profile default           # all of the above; what `make book` runs

Errors the user can fix print one line (``error: ...``) and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .config import DATASET_NAMES, PROFILES
from .errors import DigitDenoiseError


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="default", choices=tuple(PROFILES), help="smoke, default or full")
    p.add_argument("--dataset", default="fsdd", choices=DATASET_NAMES)
    p.add_argument("--chapters", default="all", help="chapter numbers, e.g. 1,4 (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--artifacts", default=None, help="artifacts folder (default: artifacts/<dataset>-<profile>)")
    p.add_argument("--out", default=None, help="where executed notebooks go (default: <root>/book/chapters)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digitdenoise", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=".", help="repository root (holds notebooks/, book/, _config.yml)")
    parser.add_argument("--data-home", default=None,
                        help="folder holding the datasets (default: $DIGITDENOISE_DATA_HOME)")
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="make sure datasets are in the data home (download if missing)")
    fetch.add_argument("what", nargs="+", choices=("fsdd", "audiomnist", "noise", "audiomnist-meta"))
    run = sub.add_parser("run", help="execute chapters with papermill")
    _add_run_args(run)
    build = sub.add_parser("build", help="build the HTML book from executed chapters")
    build.add_argument("--no-strict", action="store_true", help="do not turn warnings into errors")
    train = sub.add_parser("train", help="train one zoo model and save it with its configs")
    train.add_argument("--model", default="mask_unet")
    train.add_argument("--dataset", default="fsdd", choices=DATASET_NAMES)
    train.add_argument("--epochs", type=int, default=40)
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--learning-rate", type=float, default=None)
    train.add_argument("--time-budget", type=float, default=None, help="seconds; stop after the epoch that crosses it")
    train.add_argument("--clips-per-speaker", type=int, default=None)
    train.add_argument("--val-clips", type=int, default=280, help="validation clips (one noise type each)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", required=True, help="output folder (resumes if it holds a checkpoint)")
    book = sub.add_parser("book", help="fetch data, run every chapter, build the book")
    _add_run_args(book)
    book.add_argument("--offline", action="store_true", help="never download; fail if data is missing")
    return parser


def _fetch(what: list[str], data_home: str | None, download: bool = True) -> None:
    from . import data, noise

    for item in what:
        if item == "noise":
            print(f"noise recordings: {noise.ensure_noise_recordings(data_home, download=download)}")
        elif item == "audiomnist-meta":
            n = len(data.audiomnist_metadata(data_home, download=download))
            print(f"AudioMNIST metadata: {n} speakers")
        else:
            root = data.ensure_dataset(item, data_home, download=download)
            summary = data.verify_dataset(item, data_home)
            print(f"{item}: {summary['clips']} clips, {summary['speakers']} speakers in {root}")


def _run(args: argparse.Namespace) -> list[dict]:
    from .runner import parameters_for, run_chapters

    root = Path(args.root).resolve()
    # Chapters run with the repository root as working directory: a relative artifacts path keeps
    # local paths out of the published book. A data home from the environment is inherited by the
    # kernel, so it is passed only when given on the command line.
    artifacts = args.artifacts or f"artifacts/{args.dataset}-{args.profile}"
    out = Path(args.out) if args.out else root / "book" / "chapters"
    data_home = str(Path(args.data_home).expanduser().resolve()) if args.data_home else None
    params = parameters_for(dataset=args.dataset, profile=args.profile, data_home=data_home,
                            artifacts_dir=artifacts, seed=args.seed)
    artifacts_path = root / artifacts if not Path(artifacts).is_absolute() else Path(artifacts)
    return run_chapters(root, out, params, chapters=args.chapters, failed_dir=artifacts_path / "failed",
                        timings_file=artifacts_path / "chapter_timings.json")


def _build(root: Path, strict: bool = True) -> Path:
    from .runner import build_book

    return build_book(root / "book", config=root / "_config.yml", strict=strict)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "fetch":
            _fetch(args.what, args.data_home)
        elif args.command == "run":
            _run(args)
        elif args.command == "train":
            from . import training

            tcfg = training.TrainConfig(model=args.model, epochs=args.epochs, batch_size=args.batch_size,
                                        learning_rate=args.learning_rate, seed=args.seed,
                                        time_budget_s=args.time_budget)
            prepared = training.prepare_data(args.dataset, args.data_home, seed=args.seed,
                                             clips_per_speaker=args.clips_per_speaker,
                                             max_val_clips=args.val_clips, progress=True)
            result = training.train_model(prepared.train_clean, prepared.source, prepared.val_noisy,
                                          prepared.val_clean, prepared.cfg, tcfg, args.out,
                                          speakers=prepared.train_speakers)
            print(f"trained {args.model} for {len(result.history)} epochs ({result.stopped}) in "
                  f"{result.seconds:.0f} s; saved to {result.out_dir}")
        elif args.command == "build":
            print(f"book: {_build(Path(args.root).resolve(), strict=not args.no_strict)}")
        elif args.command == "book":
            start = time.perf_counter()
            what = ["audiomnist-meta", "noise", args.dataset]
            _fetch([w for w in what if w != "audiomnist-sample"], args.data_home, download=not args.offline)
            timings = _run(args)
            index = _build(Path(args.root).resolve())
            print("\nchapter timings:")
            for t in timings:
                print(f"  {t['chapter']}. {t['slug']:<18} {t['seconds']:7.1f} s")
            print(f"  total (with data check and build) {time.perf_counter() - start:7.1f} s")
            print(f"\nbook: {index}")
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
