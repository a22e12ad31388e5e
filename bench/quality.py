"""Quality bar (chapter 5): the best model against the oracle ideal ratio mask, on the held-out FSDD
speakers at -8 dB white noise, same STFT, same clips, same noise draws.

    python bench/quality.py --model-dir models/release/fsdd-mask_unet --out bench/results/quality.json

Prints both mean SI-SDR improvements with 95% confidence intervals and their ratio; writes JSON.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time

import numpy as np


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", default="models/release/fsdd-mask_unet")
    parser.add_argument("--dataset", default="fsdd")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--snr", type=float, default=-8.0)
    parser.add_argument("--noise", default="white")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="bench/results/quality.json")
    args = parser.parse_args(argv)

    from digitdenoise import baselines, data, evaluation, noise, training
    from digitdenoise._io import write_json
    from digitdenoise.errors import DigitDenoiseError

    try:
        model, info = training.load_denoiser(args.model_dir)
        cfg = model.cfg
        clips = data.assign_split(data.load_clips(args.dataset, args.data_home), seed=args.seed)
        test = clips[clips["split"] == "test"].reset_index(drop=True)
        clean, lengths = data.load_waveforms(test, cfg.sample_rate, cfg.n_samples)
        recordings = noise.load_noise_recordings(noise.ensure_noise_recordings(args.data_home), cfg.sample_rate)
        _, eval_recs = noise.partition_recordings(recordings)
        source = noise.NoiseSource(cfg.sample_rate, recordings=eval_recs)
        noisy = evaluation.eval_mixtures(clean, lengths, source, args.noise, args.snr, seed=args.seed)
        start = time.perf_counter()
        estimate = training.denoise_batch(model, noisy)
        model_seconds = time.perf_counter() - start
        irm = baselines.ideal_ratio_mask(clean, noisy, cfg)
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = {}
    for name, est in (("model", estimate), ("oracle_irm", irm)):
        table = evaluation.si_sdr_table(clean, noisy, est, lengths)
        mean, lo, hi = evaluation.mean_ci(table["si_sdr_improvement"])
        rows[name] = {"si_sdr_improvement_db": mean, "ci95": [lo, hi], "si_sdr_out_db": float(table["si_sdr_out"].mean())}
    ratio = rows["model"]["si_sdr_improvement_db"] / rows["oracle_irm"]["si_sdr_improvement_db"]
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "processor": platform.processor()},
        "dataset": args.dataset, "test_speakers": sorted(test["speaker"].unique()), "clips": int(len(test)),
        "noise": args.noise, "snr_db": args.snr, "seed": args.seed, "model_dir": str(args.model_dir),
        "model": info.get("model"), "parameters": info.get("parameters"),
        "results": rows, "ratio_model_to_irm": ratio, "model_seconds": model_seconds,
        "audio_seconds": float(lengths.sum() / cfg.sample_rate),
    }
    write_json(args.out, result)
    for name, r in rows.items():
        print(f"{name:>11}: SI-SDR improvement {r['si_sdr_improvement_db']:+.2f} dB "
              f"(95% CI {r['ci95'][0]:+.2f} to {r['ci95'][1]:+.2f}), output SI-SDR {r['si_sdr_out_db']:+.2f} dB")
    print(f"ratio model / oracle IRM: {ratio:.3f} ({len(test)} clips of {', '.join(result['test_speakers'])}, "
          f"{args.noise} noise at {args.snr:g} dB) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
