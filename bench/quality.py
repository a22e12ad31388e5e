"""Quality bar (chapter 5): the best model against the oracle ideal ratio mask, on the held-out FSDD
speakers at -8 dB white noise, same STFT, same clips, same noise draws.

    python bench/quality.py --model-dir models/release/fsdd-mask_unet --out bench/results/quality.json

Prints the mean SI-SDR improvements with 95% confidence intervals (the model on the one-second evaluation
windows and on each clip at its own length, the oracle IRM) and the ratio model / IRM; writes JSON.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys

from _common import quiet_tensorflow  # bench/_common.py (the script's folder is on sys.path)


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
    quiet_tensorflow()

    from digitdenoise import evaluation, training
    from digitdenoise._io import write_json
    from digitdenoise.errors import DigitDenoiseError

    try:
        model, info = training.load_denoiser(args.model_dir)
        bar = evaluation.quality_bar(model, args.dataset, args.data_home, noise_kind=args.noise, snr_db=args.snr,
                                     seed=args.seed)
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "processor": platform.processor()},
        "model_dir": str(args.model_dir), "model": info.get("model"), "parameters": info.get("parameters"),
        "trained_on": (info.get("train_config") or {}).get("kinds"), **bar,
    }
    rows, ratio = bar["results"], bar["ratio_model_to_irm"]
    write_json(args.out, result)
    for name, r in rows.items():
        print(f"{name:>16}: SI-SDR improvement {r['si_sdr_improvement_db']:+.2f} dB "
              f"(95% CI {r['ci95'][0]:+.2f} to {r['ci95'][1]:+.2f}), output SI-SDR {r['si_sdr_out_db']:+.2f} dB")
    d = bar["model_minus_irm_db"]
    print(f"paired difference model - IRM: {d['mean']:+.2f} dB (95% CI {d['ci95'][0]:+.2f} to {d['ci95'][1]:+.2f}); "
          f"the model is better on {100 * d['share_of_clips_model_better']:.0f}% of clips")
    print(f"ratio model / oracle IRM: {ratio:.3f} ({bar['clips']} clips of {', '.join(result['test_speakers'])}, "
          f"{args.noise} noise at {args.snr:g} dB) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
