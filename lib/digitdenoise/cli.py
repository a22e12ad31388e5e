"""The ``digitdenoise`` command line: fetch data, run chapters, build the book.

    digitdenoise fetch fsdd                       # download a dataset into the data home
    digitdenoise run --profile smoke --chapters 1,4
    digitdenoise build                            # strict jupyter-book build of book/
    digitdenoise book --profile default           # all of the above; what `make book` runs

Errors the user can fix print one line (``error: ...``) and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .config import DATASET_NAMES, PROFILES
from .errors import DigitDenoiseError, ParameterError
from .inference import ENGINES  # no TensorFlow at import, so --help stays quick


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default="default", choices=tuple(PROFILES), help="smoke, default or full")
    p.add_argument("--dataset", default="fsdd", choices=DATASET_NAMES)
    p.add_argument("--chapters", default="all", help="chapter numbers, e.g. 1,4 (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--artifacts", default=None, help="artifacts folder (default: artifacts/<dataset>-<profile>)")
    p.add_argument("--out", default=None, help="where executed notebooks go (default: <root>/book/chapters)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="set a chapter parameter, e.g. -p snr_db -5 (repeatable; goes to the chapters that have it)")
    p.add_argument("--jobs", type=int, default=2,
                   help="run chapters 1-4 (which depend on nothing but the data) this many at a time "
                        "(default: 2; 1 runs every chapter in order)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digitdenoise", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=".", help="repository root (holds notebooks/, book/, _config.yml)")
    parser.add_argument("--data-home", default=None,
                        help="folder holding the datasets (default: $DIGITDENOISE_DATA_HOME)")
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="make sure datasets are in the data home (download if missing)")
    fetch.add_argument("what", nargs="+",
                       choices=("fsdd", "audiomnist", "noise", "audiomnist-meta", "speechocean762", "hu-nonspeech"))
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
    train.add_argument("--snr-range", type=float, nargs=2, default=(-10.0, 5.0), metavar=("LOW", "HIGH"),
                       help="training SNRs in dB over the one-second window (padding included), drawn uniformly")
    train.add_argument("--val-snr", type=float, default=-8.0,
                       help="SNR of the validation mixtures in dB, over the one-second window (default -8)")
    train.add_argument("--noise-kinds", nargs="+", default=None, metavar="KIND",
                       help="train and validate on these noise types only (default: white pink brown recording babble)")
    train.add_argument("--speed-factors", type=float, nargs="+", default=(), metavar="F",
                       help="add copies of the training clips played F times faster (e.g. 0.9 1.1)")
    train.add_argument("--patience", type=int, default=4, help="epochs without improvement before stopping")
    train.add_argument("--lr-patience", type=int, default=2,
                       help="epochs without improvement before the learning rate halves")
    train.add_argument("--clips-per-epoch", type=int, default=None,
                       help="training clips per epoch, a fresh random subset each epoch (default: all)")
    train.add_argument("--average-weights", action="store_true",
                       help="also validate the running mean of every epoch's weights and keep it if it is better")
    train.add_argument("--init-from", default=None, help="saved model folder to fine-tune instead of starting afresh")
    train.add_argument("--teacher", default=None, metavar="MODEL_DIR",
                       help="distil: also train towards this saved model's output on each noisy batch (chapter 9; "
                            "waveform-trained models only)")
    train.add_argument("--teacher-weight", type=float, default=0.5, metavar="W",
                       help="share of the loss that compares with the teacher's output (default 0.5; with --teacher)")
    train.add_argument("--recipe", default="fsdd", choices=("fsdd", "general"),
                       help="fsdd: the dataset's speakers and the FSDD noise mixer (chapter 4); general: FSDD and "
                            "speechocean762 voices, Hu noises, generated families, sentence babble, clean inputs "
                            "(chapter 5; --dataset, --noise-kinds, --speed-factors and --val-snr do not apply)")
    train.add_argument("--precise-bn", type=int, default=0, metavar="BATCHES",
                       help="re-estimate batch-norm statistics on this many training batches after each epoch "
                            "(chapter 5); 0: Keras' moving averages")
    train.add_argument("--network", nargs="+", default=[], metavar="KEY=VALUE",
                       help="options of the model's builder, e.g. small_tcn's lookahead=12 refine=8 (chapter 9)")
    train.add_argument("--loss", default=None, choices=("si_sdr", "mse", "bce"),
                       help="train on this loss instead of the model's own (si_sdr: end to end on the waveform)")
    train.add_argument("--sdr-cap", type=float, default=None,
                       help="SI-SDR loss saturates at this many dB (default: none; 30 with --recipe general)")
    train.add_argument("--noise-perturb", type=float, default=None, metavar="SHARE",
                       help="general recipe only: play this share of the noise recordings faster or slower, through "
                            "another channel, sometimes mixed with a second one (augment.perturbed_recording); default 0")
    train.add_argument("--without", nargs="+", default=[], metavar="INGREDIENT",
                       help="general recipe only: leave these out (an ablation run, chapter 5): "
                            "speechocean762-voices, babble, families, channel, clean")
    train.add_argument("--test-speakers", nargs="+", default=None, metavar="SPEAKER",
                       help="hold these speakers out as the test split (default: the seeded draw; FSDD recipe)")
    train.add_argument("--validation-speakers", nargs="+", default=None, metavar="SPEAKER",
                       help="validate on these speakers (default: the seeded draw; FSDD recipe)")
    train.add_argument("--out", required=True, help="output folder (resumes if it holds a checkpoint)")
    train.add_argument("--extend", action="store_true",
                       help="if --out holds a finished run without its checkpoint (the committed models of a fresh "
                            "clone), go on from its kept weights under a larger --epochs or --time-budget (cumulative): "
                            "history, best score and learning rate carry on, the optimiser starts afresh (chapter 5)")
    exp = sub.add_parser("export", help="export a saved model to one TFLite or ONNX file (appendix 9)")
    exp.add_argument("--model", default=None, help="saved model folder (default: the release model)")
    exp.add_argument("--format", choices=("tflite", "onnx"), default="tflite",
                     help="tflite (needs only TensorFlow) or onnx (needs the 'export' extra)")
    exp.add_argument("--out", required=True, help="the file to write (its .json sidecar goes beside it)")
    exp.add_argument("--overwrite", action="store_true", help="replace an existing file")
    book = sub.add_parser("book", help="fetch data, run every chapter, build the book")
    _add_run_args(book)
    book.add_argument("--offline", action="store_true", help="never download; fail if data is missing")
    return parser


def _fetch(what: list[str], data_home: str | None, download: bool = True) -> None:
    from . import data, datasets, noise

    for item in what:
        if item in datasets.names():
            print(f"{item}: {datasets.ensure(item, data_home, download=download, progress=True)}")
        elif item == "noise":
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
    from .runner import parse_parameter

    extra = {name: parse_parameter(value) for name, value in getattr(args, "parameter", [])}
    clash = sorted(set(extra) & set(params) | set(extra) & {"data_home"})
    if clash:
        option = {"artifacts_dir": "--artifacts"}.get(clash[0], "--" + clash[0].replace("_", "-"))
        raise ParameterError(f"-p {clash[0]}: set it with its own option ({option}).")
    if extra and not args.out:  # an exercise run never overwrites the book's pages or its timings
        out = artifacts_path / "exercises"
        print(f"chapters with -p parameters go to {out} (give --out to choose)")
    return run_chapters(root, out, params, chapters=args.chapters, failed_dir=artifacts_path / "failed",
                        timings_file=None if extra else artifacts_path / "chapter_timings.json", extra=extra,
                        jobs=getattr(args, "jobs", 2))


def _build(root: Path, strict: bool = True) -> Path:
    from .runner import build_book

    return build_book(root / "book", config=root / "_config.yml", strict=strict)


def load_tensorflow_quietly() -> None:
    """Load TensorFlow with file descriptor 2 pointed at a temporary file (``_io.quiet_native_stderr``):
    its C++ runtime writes start-up notes (oneDNN, CUDA probing, CPU features) straight to that descriptor
    when it loads, whatever ``TF_CPP_MIN_LOG_LEVEL`` says. The notes are shown only if loading fails;
    later errors show in full."""
    import os

    from ._io import quiet_native_stderr

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    with quiet_native_stderr():
        import tensorflow

        tensorflow.config.list_physical_devices()  # probes for GPUs (cuInit) now, not at the first model


def _guarded(func, args) -> int:
    """Run a command; errors the user can fix print one line and exit 2, Ctrl-C exits 130."""
    try:
        return func(args)
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``digitdenoise`` console script (README)."""
    return _guarded(_main, build_parser().parse_args(argv))


def _main(args) -> int:
    if args.command == "fetch":
        _fetch(args.what, args.data_home)
    elif args.command == "run":
        _run(args)
    elif args.command == "train":
        load_tensorflow_quietly()
        from . import training

        args.network = _network_options(args.network)
        if args.network:  # a misspelt option fails now, not after the data are prepared
            from . import models

            models.check_network_kwargs(args.model, args.network)
        if (args.without or args.noise_perturb is not None) and args.recipe != "general":
            raise ParameterError("--without and --noise-perturb change the general recipe; add --recipe general.")
        if args.recipe == "general":
            if args.test_speakers or args.validation_speakers:
                raise ParameterError("--test-speakers/--validation-speakers apply to the FSDD recipe only; the "
                                     "general recipe's splits are fixed (see `digitdenoise train --help`).")
            _train_general(args)
            return 0
        prepared = training.prepare_data(args.dataset, args.data_home, seed=args.seed,
                                         clips_per_speaker=args.clips_per_speaker,
                                         max_val_clips=args.val_clips, kinds=args.noise_kinds,
                                         val_snr_db=args.val_snr, test_speakers=args.test_speakers,
                                         validation_speakers=args.validation_speakers, progress=True)
        fold_recipe = None
        if args.test_speakers or args.validation_speakers:  # record the split the run was given
            fold_recipe = {"name": "fsdd", "splits": {args.dataset: {
                split: sorted(prepared.clips.loc[prepared.clips["split"] == split, "speaker"].unique().tolist())
                for split in ("train", "validation", "test")}}}
        tcfg = training.TrainConfig(model=args.model, epochs=args.epochs, batch_size=args.batch_size,
                                    learning_rate=args.learning_rate, seed=args.seed,
                                    time_budget_s=args.time_budget, snr_range=tuple(args.snr_range),
                                    patience=args.patience, init_from=args.init_from, teacher=args.teacher, teacher_weight=args.teacher_weight,
                                    speed_factors=tuple(args.speed_factors), lr_patience=args.lr_patience,
                                    clips_per_epoch=args.clips_per_epoch, average_weights=args.average_weights,
                                    sdr_cap_db=args.sdr_cap, recipe=fold_recipe, loss=args.loss,
                                    precise_bn_batches=args.precise_bn, network=args.network, **({"kinds": tuple(args.noise_kinds)} if args.noise_kinds else {}))
        result = training.train_model(prepared.train_clean, prepared.source, prepared.val_noisy,
                                      prepared.val_clean, prepared.cfg, tcfg, args.out,
                                      speakers=prepared.train_speakers, extend=args.extend)
        _report_training(args.model, result)
    elif args.command == "export":
        _export(args)
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
    return 0


def _export(args) -> None:
    """``digitdenoise export``: the model's whole waveform-to-waveform graph in one file (appendix 9),
    checked against the Keras model before it is written (atomically)."""
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise ParameterError(f"--out {out} exists; pass --overwrite to replace it.")
    if out.parent and not out.parent.is_dir():
        raise ParameterError(f"--out {out}: the folder {out.parent} does not exist.")
    load_tensorflow_quietly()
    from . import export, inference

    folder = Path(args.model) if args.model else inference.default_model_dir()
    convert = export.to_tflite if args.format == "tflite" else export.to_onnx
    path = convert(folder, out)
    meta = json.loads(export.sidecar_path(path).read_text())
    check = meta.get("check_max_abs_diff")
    print(f"{args.format}: {path} ({path.stat().st_size / 1e6:.1f} MB) from {folder}"
          + (f"; largest difference from the Keras model on the check: {check:.1e}" if check is not None else ""))


def _train_general(args) -> None:
    """``digitdenoise train --recipe general``: the general release model's recipe (chapter 5)."""
    from . import augment, training

    full = augment.Recipe()  # the validation pairs: the standard recipe, whatever the training recipe adds
    recipe = augment.ablated(full if args.noise_perturb is None else
                             augment.Recipe(noise_perturb_share=args.noise_perturb), args.without)
    prepared = augment.prepare_general(args.data_home, recipe=recipe, val_recipe=full, seed=args.seed,
                                       speechocean762_voices="speechocean762-voices" not in args.without,
                                       progress=True)
    tcfg = training.TrainConfig(model=args.model, epochs=args.epochs, batch_size=args.batch_size,
                                learning_rate=args.learning_rate, seed=args.seed, time_budget_s=args.time_budget,
                                patience=args.patience, init_from=args.init_from, teacher=args.teacher, teacher_weight=args.teacher_weight, lr_patience=args.lr_patience,
                                clips_per_epoch=args.clips_per_epoch, average_weights=args.average_weights,
                                sdr_cap_db=30.0 if args.sdr_cap is None else args.sdr_cap,
                                snr_range=recipe.snr_range, kinds=tuple(recipe.kinds), loss=args.loss,
                                precise_bn_batches=args.precise_bn, network=args.network,
                                recipe={"name": "general", **recipe.to_dict(), "splits": prepared.splits,
                                        **({"without": sorted(args.without)} if args.without else {})})
    print(f"general recipe: {len(prepared.mixer)} training windows, {len(prepared.val_noisy)} validation pairs")
    result = training.train_model(prepared.mixer.clean, None, prepared.val_noisy, prepared.val_clean, prepared.cfg,
                                  tcfg, args.out, mixer=prepared.mixer, extend=args.extend)
    _report_training(args.model, result)


def _report_training(model: str, result) -> None:
    """The last line of ``digitdenoise train``: what the run holds now, and whether this call trained."""
    if result.resumed_from and result.resumed_from >= len(result.history):
        print(f"nothing trained: {result.out_dir} holds {model} after {len(result.history)} epochs "
              f"({result.stopped}, {result.seconds:.0f} s in all)")
    else:
        print(f"trained {model} for {len(result.history)} epochs ({result.stopped}) in "
              f"{result.seconds:.0f} s; saved to {result.out_dir}")


def _network_options(items: list[str]) -> dict | None:
    """``--network KEY=VALUE ...`` as builder keyword arguments; values are read as JSON (numbers, lists),
    and a bare word that is not JSON as text (``dual_path_kind=attention``)."""
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParameterError(f"--network {item!r}: write each option as KEY=VALUE, e.g. lookahead=12.")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            if not value.isidentifier():
                raise ParameterError(f"--network {item!r}: {value!r} is not a number, a word or a JSON value.") from None
            options[key] = value
    return options or None


# ---------------------------------------------------------------- the `denoise` command
DENOISE_USAGE = """denoise INPUT... -o OUTDIR [--model DIR] [--overwrite] [--max-seconds S] [--precision P] [--no-guard]
                [--strength S] [--engine keras|tflite]
       denoise serve [--host 127.0.0.1] [--port 8000] [--model DIR] [--max-upload-mb MB] [--max-seconds S]
                [--engine keras|tflite]"""
ENGINE_HELP = ("what runs the network: keras (the default) or tflite (the model exported once to TensorFlow Lite, "
               "checked against Keras and cached in $DIGITDENOISE_CACHE/tflite; float32; often faster on a CPU "
               "without AVX-512 BF16, appendix 9)")


def _denoise_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="denoise", usage=DENOISE_USAGE,
                                description="Denoise audio files (recursively through folders) with the book's best model.")
    p.add_argument("inputs", nargs="+", help="audio files or folders")
    p.add_argument("-o", "--out", required=True, help="output folder (created; inputs are never overwritten)")
    p.add_argument("--model", default=None, help="saved model folder (default: the release checkpoint, or $DIGITDENOISE_MODEL)")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that already exist")
    p.add_argument("--max-seconds", type=float, default=600.0, help="refuse files longer than this (default 600)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16"),
                   help="network arithmetic (default auto: bfloat16 where the CPU has AVX-512 BF16)")
    p.add_argument("--no-guard", action="store_true",
                   help="always return the model's output (default: pass the input through where the model "
                        "finds almost nothing to remove, the do-no-harm guard of chapter 6)")
    p.add_argument("--strength", default="1", metavar="S",
                   help="suppression strength from 0 (the input unchanged) to 1 (the model's full suppression, "
                        "the default): mixes (1-S)^3 of the input back in, so no bin loses more than "
                        "60*log10(1/(1-S)) dB, e.g. 18 dB at 0.5 (chapter 8)")
    p.add_argument("--engine", default="keras", choices=ENGINES, help=ENGINE_HELP)
    return p


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="denoise serve", description="Serve the denoiser over HTTP (POST /denoise, GET /health).")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--model", default=None, help="saved model folder (default: the release checkpoint)")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--max-upload-mb", type=float, default=20.0)
    p.add_argument("--max-seconds", type=float, default=60.0, help="longest accepted audio (s)")
    p.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16"),
                   help="network arithmetic (default auto: bfloat16 where the CPU has AVX-512 BF16)")
    p.add_argument("--no-guard", action="store_true",
                   help="always return the model's output (default: pass the input through where the model "
                        "finds almost nothing to remove, the do-no-harm guard of chapter 6)")
    p.add_argument("--engine", default="keras", choices=ENGINES, help=ENGINE_HELP)
    return p


def denoise_main(argv: list[str] | None = None) -> int:
    """Entry point of the ``denoise`` console script (chapter 8; README, "Denoise your own files")."""
    argv = list(sys.argv[1:] if argv is None else argv)
    load_tensorflow_quietly()
    if argv[:1] == ["serve"]:
        return _guarded(_serve, _serve_parser().parse_args(argv[1:]))
    return _guarded(_denoise_files, _denoise_parser().parse_args(argv))


def _serve(args) -> int:
    from .inference import GUARD_DB, Enhancer
    from .service import serve

    serve(Enhancer(args.model, precision=args.precision, guard_db=None if args.no_guard else GUARD_DB,
                   engine=args.engine), host=args.host, port=args.port, threads=args.threads,
          max_upload_mb=args.max_upload_mb, max_seconds=args.max_seconds)
    return 0


BATCH_AUDIO_S = 30.0  # the command sends files through the model together, about this much audio at a time


def _denoise_files(args) -> int:
    from tqdm.auto import tqdm

    from .inference import GUARD_DB, Enhancer, check_output_path, check_strength, collect_inputs, decode, write_audio

    strength = check_strength(args.strength, "--strength")  # before any file or the model is touched
    files, problems = collect_inputs(args.inputs)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if not files:
        print("error: no audio files found in the inputs "
              "(looked for .wav, .flac, .ogg, .aiff).", file=sys.stderr)
        return 1
    out_root = Path(args.out)
    enhancer = Enhancer(args.model, precision=args.precision, guard_db=None if args.no_guard else GUARD_DB,
                        engine=args.engine)
    start = time.perf_counter()
    done, failed, audio_s, compute_s = 0, len(problems), 0.0, 0.0
    pending: list[tuple[Path, object]] = []  # decoded files waiting to go through the model together
    planned: set[Path] = set()

    def flush() -> None:
        nonlocal done, failed, audio_s, compute_s
        if not pending:
            return
        t0 = time.perf_counter()
        outputs = enhancer.enhance_many([d.audio for _, d in pending], [d.sample_rate for _, d in pending],
                                        strength=strength)
        compute_s += time.perf_counter() - t0
        for (target, decoded), out in zip(pending, outputs):
            try:
                write_audio(target, out, decoded.sample_rate, decoded.subtype)
            except OSError as exc:
                tqdm.write(f"error: {target}: cannot write ({exc.strerror or exc}).", file=sys.stderr)
                failed += 1
                continue
            done += 1
            audio_s += decoded.audio.size / decoded.sample_rate
        pending.clear()

    for source, rel in tqdm(files, desc="denoising", unit="file", disable=args.quiet):
        target = out_root / rel
        try:
            check_output_path(source, target, args.overwrite)
            if target.resolve() in planned:
                raise DigitDenoiseError(f"{source}: another input already writes {target}; rename one of them.")
            planned.add(target.resolve())
            pending.append((target, decode(source, max_seconds=args.max_seconds)))
        except DigitDenoiseError as exc:
            tqdm.write(f"error: {exc}", file=sys.stderr)
            failed += 1
        if sum(d.audio.size / d.sample_rate for _, d in pending) >= BATCH_AUDIO_S:
            flush()
    flush()
    wall = time.perf_counter() - start
    rtf = compute_s / audio_s if audio_s else float("nan")
    print(f"{done} file(s) denoised, {failed} failed; {audio_s:.1f} s of audio in {wall:.1f} s wall time; "
          f"real-time factor {rtf:.4f} (processing time / audio time); outputs in {out_root}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
