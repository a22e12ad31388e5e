"""Downstream benchmark (chapter 7): does denoising help recognise the digit?

    python bench/downstream.py --out bench/results/downstream.json

Clean speech: the FSDD denoisers' test speaker (``nicolas``, from the release model's splits), FSDD's test
takes 0-4 (50 clips), and every speechocean762 test speaker's digit strings. Noise: the Hu test files
(no denoiser and not the instrument trained on them), one per utterance in a seeded round robin, the same
excerpt at every SNR; -8, -5, 0 and +5 dB over the utterance for FSDD, 0 dB for the digit strings.
Methods: those of chapter 6's generalisation benchmark (the release model with the ``denoise`` command's
do-no-harm guard and without it, the previous release model, noisereduce, DeepFilterNet3, the oracle IRM
and PSM). Judges: chapter 7's instrument
(``models/release/instrument``, digit accuracy, Wilson 95% intervals) and PocketSphinx restricted to the digit
words (digit accuracy on FSDD, word accuracy on the digit strings with a speaker bootstrap), a second
opinion; both with their clean accuracy. The denoised audio is cached under
``$DIGITDENOISE_CACHE/generalisation/`` (only a changed model is run again).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import inspect
import json
import platform
import sys
import time

import numpy as np
from _common import commit, progress, quiet_tensorflow, rounded  # bench/_common.py (the script's folder is on sys.path)


FLIPS = ["wrong_to_right", "right_to_wrong", "change", "change_lo", "change_hi"]
SO_FLIPS = ["fewer_errors", "more_errors", "change", "change_lo", "change_hi"]


def _key(method_key: str, noisy: list[np.ndarray], sr: int) -> str:
    digest = hashlib.sha1(repr(("downstream", method_key, sr, len(noisy))).encode())
    for x in noisy:
        digest.update(np.ascontiguousarray(x, np.float32).tobytes())
    return digest.hexdigest()[:16]


def run_cached(method, noisy, clean, sr, *, cache: bool, say) -> tuple[list[np.ndarray], float | None]:
    """The method's outputs for every mixture, from the cache when the same method (name, or the hash of
    a trained model's weights) already ran on exactly these mixtures."""
    from digitdenoise._io import atomic_path
    from digitdenoise.config import cache_dir

    file = cache_dir() / "generalisation" / f"downstream-{_key(method.version or method.name, noisy, sr)}.npz"
    if cache and file.is_file():
        with np.load(file) as stored:
            flat, ends = stored["audio"], stored["ends"]
        say(f"{method.name}: outputs reused from {file.name}")
        return [flat[a:b] for a, b in zip(np.r_[0, ends[:-1]], ends)], None
    say(f"{method.name}: {len(noisy)} mixtures")
    t0 = time.perf_counter()
    out = [np.asarray(y, np.float32) for y in method.run(noisy, clean)]
    seconds = time.perf_counter() - t0
    if any(y.shape != x.shape for y, x in zip(out, noisy)):
        raise RuntimeError(f"{method.name} changed the length of a signal")
    if cache:
        with atomic_path(file, suffix=".npz") as tmp, open(tmp, "wb") as fh:
            np.savez(fh, audio=np.concatenate(out), ends=np.cumsum([y.size for y in out]))
    return out, seconds


def mixtures(signals, noises: dict[str, np.ndarray], snrs, seed: int, stream: int):
    """Each signal with one Hu test noise (seeded round robin) at every SNR, the same excerpt at each SNR.
    Returns ``[(signal index, noise name, snr, noisy)]``."""
    from digitdenoise.noise import excerpt, mix_at_snr

    names = sorted(noises, key=lambda n: int(n.split("/n")[1]))
    order = np.random.default_rng([seed, stream]).permutation(len(names))
    out = []
    for i, clean in enumerate(signals):
        name = names[order[i % len(names)]]
        rng = np.random.default_rng([seed, stream, i])
        for _ in range(20):  # some Hu recordings have digital silence: draw again
            noise = excerpt(noises[name], clean.size, rng)
            if np.sum(np.square(noise, dtype=np.float64)) > 1e-6 * noise.size:
                break
        for snr in snrs:
            out.append((i, name, float(snr), mix_at_snr(clean, noise, float(snr))[0]))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instrument", default="models/release/instrument")
    parser.add_argument("--model-dir", default="models/release/general-mask_unet")
    parser.add_argument("--previous", default="models/release/fsdd-mask_unet",
                        help="the previous release model ('' to leave it out)")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--snrs", type=float, nargs="+", default=[-8.0, -5.0, 0.0, 5.0])
    parser.add_argument("--so-snrs", type=float, nargs="+", default=[0.0], help="SNRs for the digit strings")
    parser.add_argument("--no-peers", action="store_true", help="leave DeepFilterNet3 out (quick runs)")
    parser.add_argument("--no-cache", action="store_true", help="run every method again")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="bench/results/downstream.json")
    args = parser.parse_args(argv)
    quiet_tensorflow()

    from digitdenoise import baselines, data, generalisation, inference, instrument, recognition, training
    from digitdenoise._io import write_text
    from digitdenoise.datasets import hu_nonspeech, speechocean762
    from digitdenoise.errors import DigitDenoiseError

    start = time.perf_counter()
    say = progress()

    try:
        judge = instrument.DigitInstrument.load(args.instrument)
        sphinx = recognition.SphinxDigits()
        model, info = training.load_denoiser(args.model_dir)
        sr, cfg = model.cfg.sample_rate, model.cfg
        # as chapter 6's comparison runs it: with the denoise command's do-no-harm guard where the library has
        # one, and without it
        guard = getattr(inference, "GUARD_DB", None)
        if guard is not None and "guard_db" in inspect.signature(generalisation.model_method).parameters:
            methods = [generalisation.model_method("release model", model, guard_db=guard),
                       generalisation.model_method("release model (no guard)", model)]
        else:
            methods = [generalisation.model_method("release model", model)]
        if args.previous:
            previous, _ = training.load_denoiser(args.previous)
            methods.append(generalisation.model_method("previous release model", previous))
        extra, failures = generalisation.peer_methods(sr, cfg, peers=() if args.no_peers else ("deepfilternet3",))
        # chapter 6's classical methods too, each signal at its own length
        classical = [generalisation.SignalMethod(name, "classical", run) for name, run in (
            ("spectral gating (non-stationary)",
             lambda noisy, clean: [baselines.spectral_gating(x, sr, stationary=False)[0] for x in noisy]),
            ("Wiener (decision-directed)",
             lambda noisy, clean: [baselines.statistical_gain(x[None], cfg, rule="wiener")[0] for x in noisy]),
            ("MMSE-STSA",
             lambda noisy, clean: [baselines.statistical_gain(x[None], cfg, rule="mmse_stsa")[0] for x in noisy]))]
        methods += extra[:1] + classical + extra[1:]
        splits = info["train_config"]["recipe"]["splits"]
        test_speakers = splits["fsdd"]["test"]

        say("clean accuracy of both judges on FSDD's test takes 0-4 (all six speakers)")
        every = instrument.instrument_clips(args.data_home, instrument.TEST_TAKES)
        every_audio = data.read_clips(every["path"], sr)
        words = [recognition.DIGIT_WORDS[d] for d in every["digit"]]
        clean_rows = []
        inst_ok = judge.predict(every_audio, sr) == every["digit"].to_numpy()
        sphinx_hyp = [sphinx.transcribe(y, sr) for y in every_audio]
        sphinx_ok = np.array([h == [w] for h, w in zip(sphinx_hyp, words)])
        for name, ok in (("instrument", inst_ok), ("pocketsphinx", sphinx_ok)):
            for speaker in [*sorted(every["speaker"].unique()), "all"]:
                mask = np.ones(len(every), bool) if speaker == "all" else (every["speaker"] == speaker).to_numpy()
                k, n = int(ok[mask].sum()), int(mask.sum())
                lo, hi = recognition.wilson_interval(k, n)
                clean_rows.append([name, speaker, n, k / n, lo, hi])

        fsdd_mask = every["speaker"].isin(test_speakers).to_numpy()
        fsdd = every[fsdd_mask].reset_index(drop=True)
        fsdd_clean = [every_audio[i] for i in np.flatnonzero(fsdd_mask)]
        fsdd_truth = fsdd["digit"].to_numpy()
        # the digit strings of speechocean762's test speakers: the rows generalisation.test_speech calls so-digits
        so_table = speechocean762.load_utterances(args.data_home, splits=("test",), kind="digits").reset_index(drop=True)
        so_clean = speechocean762.read(so_table, sr, args.data_home)
        noises = hu_nonspeech.load("test", sr, args.data_home)
        fsdd_mix = mixtures(fsdd_clean, noises, args.snrs, args.seed, 0)
        so_mix = mixtures(so_clean, noises, args.so_snrs, args.seed, 1)
        noisy = [m[3] for m in fsdd_mix + so_mix]
        clean = [fsdd_clean[m[0]] for m in fsdd_mix] + [so_clean[m[0]] for m in so_mix]
        say(f"{len(fsdd_mix)} FSDD mixtures ({len(fsdd)} clips of {', '.join(test_speakers)}), {len(so_mix)} digit-string "
            f"mixtures ({len(so_table)} utterances, {so_table['speaker'].nunique()} speakers), {len(methods)} methods")

        outputs, seconds = {"noisy": noisy}, {}
        for method in methods:
            try:
                outputs[method.name], took = run_cached(method, noisy, clean, sr, cache=not args.no_cache, say=say)
            except Exception as exc:  # a peer that fails is reported, the others still run
                if method.family != "peer":
                    raise
                failures[method.name] = f"{type(exc).__name__}: {exc}"
                continue
            seconds[method.name] = round(took, 1) if took is not None else "outputs reused from the cache"
        conditions = list(outputs)
        n_fsdd = len(fsdd_mix)
        snr_of = np.array([m[2] for m in fsdd_mix])

        say("the instrument on every FSDD output")
        inst_pred = {c: judge.predict(outputs[c][:n_fsdd], sr) for c in conditions}
        inst_clean = judge.predict(fsdd_clean, sr)
        say("PocketSphinx on every FSDD output")
        sphinx_fsdd = {c: [sphinx.transcribe(y, sr) for y in outputs[c][:n_fsdd]] for c in conditions}
        sphinx_clean = [sphinx_hyp[i] for i in np.flatnonzero(fsdd_mask)]
        say("PocketSphinx on every digit string")
        refs = [t.lower().split() for t in so_table["text"]]
        so_index = [m[0] for m in so_mix]
        so_snr = np.array([m[2] for m in so_mix])
        so_hyp = {c: [sphinx.transcribe(y, sr) for y in outputs[c][n_fsdd:]] for c in conditions}
        so_clean_hyp = [sphinx.transcribe(y, sr) for y in so_clean]
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def code(hyp: list[str]) -> str:  # one character per clip: the digit heard, '-' none, '+' several words
        return "-" if not hyp else "+" if len(hyp) > 1 else str(recognition.DIGIT_WORDS.index(hyp[0]))

    fsdd_tables, predictions = [], {"instrument": {}, "pocketsphinx": {}}
    for recogniser in ("instrument", "pocketsphinx"):
        if recogniser == "instrument":
            clean_code = "".join(map(str, inst_clean))
            per = {c: "".join(map(str, inst_pred[c])) for c in conditions}
        else:
            clean_code = "".join(code(h) for h in sphinx_clean)
            per = {c: "".join(code(h) for h in sphinx_fsdd[c]) for c in conditions}
        truth = "".join(map(str, fsdd_truth))
        predictions[recogniser]["clean"] = clean_code
        clean_ok = np.array([a == b for a, b in zip(clean_code, truth)])
        for snr in args.snrs:
            rows = np.flatnonzero(snr_of == snr)
            ok = {"clean": clean_ok}
            for c in conditions:
                got = "".join(per[c][i] for i in rows)
                predictions[recogniser].setdefault(f"{snr:+g} dB", {})[c] = got
                ok[c] = np.array([a == b for a, b in zip(got, truth)])
            table = recognition.compare_conditions(ok, "noisy", seed=args.seed)
            table.loc[table["condition"] == "clean", FLIPS] = np.nan  # denoising flips only
            fsdd_tables.append(table.assign(recogniser=recogniser, snr_db=snr))
    import pandas as pd

    fsdd_table = pd.concat(fsdd_tables, ignore_index=True)
    so_tables, so_errors = [], {}
    for snr in args.so_snrs:
        rows = np.flatnonzero(so_snr == snr)
        errors = {"clean": [recognition.word_errors(refs[so_index[i]], so_clean_hyp[so_index[i]]) for i in rows]}
        for c in conditions:
            errors[c] = [recognition.word_errors(refs[so_index[i]], so_hyp[c][i]) for i in rows]
        so_errors[f"{snr:+g} dB"] = errors
        table = recognition.compare_word_accuracy(errors, [len(refs[so_index[i]]) for i in rows],
                                                  [so_table["speaker"].iloc[so_index[i]] for i in rows], "noisy",
                                                  seed=args.seed)
        table.loc[table["condition"] == "clean", SO_FLIPS] = np.nan
        so_tables.append(table.assign(snr_db=snr))
    so_summary = pd.concat(so_tables, ignore_index=True)
    clean_table = pd.DataFrame(clean_rows, columns=["recogniser", "speaker", "clips", "accuracy", "lo", "hi"])
    inst_all = clean_table[(clean_table["recogniser"] == "instrument") & (clean_table["speaker"] == "all")].iloc[0]
    at0 = fsdd_table[fsdd_table["snr_db"] == 0.0].set_index(["recogniser", "condition"])["accuracy"]
    so0 = so_summary[so_summary["snr_db"] == 0.0].set_index("condition")["word_accuracy"] if 0.0 in args.so_snrs else None
    bars = [{"bar": "the instrument's clean accuracy (FSDD test takes 0-4, all six speakers)",
             "value": float(inst_all["accuracy"]), "target": ">= 0.95", "passed": bool(inst_all["accuracy"] >= 0.95)}]
    if 0.0 in args.snrs:
        for recogniser in ("instrument", "pocketsphinx"):
            bars.append({"bar": f"{recogniser}, FSDD {', '.join(test_speakers)}, Hu test noise, 0 dB: clean / noisy / "
                                "release model accuracy reported",
                         "value": [float(at0[(recogniser, c)]) for c in ("clean", "noisy", "release model")],
                         "target": "reported", "passed": True})

    def split(table: pd.DataFrame) -> dict:
        return json.loads(table.to_json(orient="split", index=False))

    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "command": "python bench/downstream.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "seconds": round(time.perf_counter() - start, 1),
        "instrument": {"dir": args.instrument, "parameters": judge.info.get("parameters"),
                       "trained_on": judge.info.get("trained_on"), "validation": judge.info.get("validation"),
                       "augmentation": judge.info.get("augmentation"),
                       "training_seconds": judge.info.get("training_seconds"),
                       "clean_accuracy": float(inst_all["accuracy"])},
        "pocketsphinx": {"settings": recognition.SPHINX_SETTINGS, "rate": "8 kHz upsampled to 16 kHz",
                         "clean_accuracy": float(clean_table[(clean_table["recogniser"] == "pocketsphinx")
                                                             & (clean_table["speaker"] == "all")]["accuracy"].iloc[0]),
                         "note": "well under 0.95 on FSDD: a second opinion, not the bar",
                         "so_digits_clean_16k_word_accuracy": None},
        "models": {"release model": args.model_dir, "previous release model": args.previous or None,
                   "release_guard_db": list(guard) if guard is not None else None},
        "splits": splits,
        "test_data": {"fsdd": {"speakers": test_speakers, "takes": "0-4", "clips": int(len(fsdd)),
                               "clip_ids": list(fsdd["clip_id"]), "digits": "".join(map(str, fsdd_truth))},
                      "so_digits": {"utterances": int(len(so_table)), "speakers": int(so_table["speaker"].nunique()),
                                    "words": int(sum(map(len, refs))), "clip_ids": list(so_table["clip_id"])},
                      "noises": sorted(noises, key=lambda n: int(n.split("/n")[1])),
                      "noise_assignment": "one Hu test file per utterance, seeded round robin, same excerpt at every SNR",
                      "snrs_db": args.snrs, "so_snrs_db": args.so_snrs, "seed": args.seed},
        "conditions": ["clean", *conditions],
        "method_seconds": seconds,
        "failures": failures,
        "clean": split(clean_table),
        "fsdd": split(fsdd_table),
        "so_digits": split(so_summary),
        "predictions": predictions,
        "so_word_errors": so_errors,
        "bars": bars,
    }
    say("PocketSphinx on the digit strings at their own 16 kHz")
    original = speechocean762.read(so_table, None, args.data_home)
    result["pocketsphinx"]["so_digits_clean_16k_word_accuracy"] = recognition.word_accuracy(
        refs, [sphinx.transcribe(y, speechocean762.SAMPLE_RATE) for y in original])
    result["seconds"] = round(time.perf_counter() - start, 1)
    write_text(args.out, json.dumps(rounded(result), sort_keys=True, separators=(",", ":")) + "\n")
    show = fsdd_table[fsdd_table["snr_db"] == 0.0].pivot_table(index="condition", columns="recogniser",
                                                               values="accuracy", sort=False)
    print("FSDD, Hu test noise, 0 dB: digit accuracy\n" + show.round(3).to_string())
    if so0 is not None:
        print("speechocean762 test digit strings, 0 dB: PocketSphinx word accuracy\n" + so0.round(3).to_string())
    say(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
