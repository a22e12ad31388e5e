"""The student report's own metric next to SI-SDR (chapter 6): spectrogram-domain SNR improvement and SI-SDR
improvement of the same outputs, on the held-out FSDD speakers at -8 dB white noise.

    python bench/report_metric.py --model-dir models/release/zoo/report_cae --out bench/results/report_metric.json

The clips, the noise draws and the model runs are those of bench/quality.py (``evaluation.quality_bar``).
For each ``--model-dir`` (repeat the option for several models), for the noisy input and for the oracle
IRM it prints the mean spectrogram SNR improvement as the report computed it
(``metrics.report_snr_improvement_db``: linear STFT magnitudes) and the mean SI-SDR improvement, each
with a 95% CI, and the share of clips on which the two disagree in sign. A model that predicts a
magnitude is also scored on its network's output spectrogram before resynthesis, as the report did.
The JSON adds the power and scaled-log readings of the metric and the per-clip values.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
from pathlib import Path

from _common import commit, progress, quiet_tensorflow, rounded  # bench/_common.py (the script's folder is on sys.path)

HEADLINE = "magnitude"  # the reading of the report's spectrogram (see metrics.report_snr_improvement_db)
TOL_DB = 1e-6  # improvements closer to 0 than this have no sign (float noise of a scaled copy)


def _ci(values) -> dict:
    from digitdenoise.evaluation import mean_ci

    mean, lo, hi = mean_ci(values)
    return {"mean": mean, "ci95": [lo, hi]}


def _disagree(a, b) -> float:
    """Share of clips where one improvement is positive and the other negative."""
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    return float(np.mean(((a > TOL_DB) & (b < -TOL_DB)) | ((a < -TOL_DB) & (b > TOL_DB))))


def network_magnitudes(model, noisy, *, batch_size: int = 64):
    """Magnitude spectrograms ``(n, n_fft / 2, frames)`` that a magnitude-head model's network outputs for
    ``noisy``, before the noisy phase and the inverse STFT turn them into audio (what the report scored)."""
    import numpy as np
    import tensorflow as tf

    fe, cfg = model.frontend, model.cfg
    out = []
    for start in range(0, len(noisy), batch_size):
        x = tf.convert_to_tensor(noisy[start:start + batch_size], tf.float32)
        image = model.network(model.network_input(x), training=False)
        log_mag = fe.unscale(fe.from_image(image, cfg.n_freqs, cfg.n_frames, fill=0.0))
        magnitude = tf.nn.relu(tf.exp(log_mag) - cfg.log_floor)  # as Denoiser.reconstruct's magnitude head
        out.append(np.transpose(magnitude.numpy(), (0, 2, 1))[:, : cfg.n_fft // 2])
    return np.concatenate(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", action="append", default=None,
                        help="a saved model folder; repeat for several (default models/release/zoo/report_cae)")
    parser.add_argument("--dataset", default="fsdd")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--snr", type=float, default=-8.0)
    parser.add_argument("--noise", default="white")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clips", type=int, default=None, help="at most this many test clips (quick runs)")
    parser.add_argument("--out", default="bench/results/report_metric.json")
    args = parser.parse_args(argv)
    quiet_tensorflow()
    model_dirs = args.model_dir or ["models/release/zoo/report_cae"]

    import numpy as np

    from digitdenoise import baselines, evaluation, metrics, training
    from digitdenoise._io import write_json
    from digitdenoise.errors import DigitDenoiseError

    say = progress()
    try:
        loaded = []
        for folder in model_dirs:
            model, info = training.load_denoiser(folder)
            loaded.append((str(folder), model, info))
            say(f"loaded {folder} ({model.model_name})")
        cfg = loaded[0][1].cfg
        for folder, model, _ in loaded[1:]:
            if model.cfg != cfg:
                raise DigitDenoiseError(f"{folder} uses other features than {loaded[0][0]}; score models with "
                                        "different feature configs in separate runs.")
        test, clean, noisy, lengths = evaluation.quality_bar_mixtures(
            cfg, args.dataset, args.data_home, noise_kind=args.noise, snr_db=args.snr, seed=args.seed,
            max_clips=args.clips)
    except DigitDenoiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    say(f"{len(test)} clips of {', '.join(sorted(test['speaker'].unique()))}, {args.noise} noise at {args.snr:g} dB")

    domains = metrics.SPECTROGRAM_DOMAINS
    clean_mag = [metrics.report_spectrogram(c, cfg, length=n) for c, n in zip(clean, lengths)]
    clean_specs = {d: [metrics.to_spectrogram_domain(m, cfg, d) for m in clean_mag] for d in domains}
    si_in = np.array([metrics.si_sdr_db(c[:n], x[:n]) for c, x, n in zip(clean, noisy, lengths)])

    def spec_snrs(magnitudes):
        return {d: np.array([metrics.spectrogram_snr_db(c, metrics.to_spectrogram_domain(m, cfg, d))
                             for c, m in zip(clean_specs[d], magnitudes)]) for d in domains}

    noisy_mag = [metrics.report_spectrogram(x, cfg, length=n) for x, n in zip(noisy, lengths)]
    spec_in = spec_snrs(noisy_mag)

    def score(magnitudes, estimate):
        spec_out = spec_snrs(magnitudes)
        si_out = np.array([metrics.si_sdr_db(c[:n], e[:n]) for c, e, n in zip(clean, estimate, lengths)])
        si_gain = si_out - si_in
        row, per_clip = {}, {}
        for d in domains:
            gain = spec_out[d] - spec_in[d]
            entry = {"spectrogram_snr_improvement_db": _ci(gain), "sign_disagreement_share": _disagree(gain, si_gain),
                     "spectrogram_snr_out_db": float(np.mean(spec_out[d]))}
            if d == HEADLINE:
                row.update(entry)
                per_clip["spectrogram_snr_improvement_db"] = gain.tolist()
            else:
                row.setdefault("other_domains", {})[d] = entry
        level = np.array([10 * np.log10((np.mean(np.square(e[:n])) + 1e-20) / (np.mean(np.square(c[:n])) + 1e-20))
                          for c, e, n in zip(clean, estimate, lengths)])  # SI-SDR ignores it, the report's metric not
        row.update({"si_sdr_improvement_db": _ci(si_gain), "si_sdr_out_db": float(np.mean(si_out)),
                    "output_level_re_clean_db": _ci(level)})
        per_clip["si_sdr_improvement_db"] = si_gain.tolist()
        return row, per_clip

    def own_magnitudes(estimate):
        return [metrics.report_spectrogram(e, cfg, length=n) for e, n in zip(estimate, lengths)]

    results, per_clip = {}, {}
    results["noisy input"], per_clip["noisy input"] = score(noisy_mag, noisy)
    results["noisy input"].update(kind="input")
    irm = baselines.ideal_ratio_mask(clean, noisy, cfg)
    results["oracle IRM"], per_clip["oracle IRM"] = score(own_magnitudes(irm), irm)
    results["oracle IRM"].update(kind="oracle")
    say("noisy input and oracle IRM scored")
    names = [Path(folder).name for folder, _, _ in loaded]
    for (folder, model, info), name in zip(loaded, names):
        label = name if names.count(name) == 1 else folder
        estimate = training.denoise_batch(model, noisy)  # one-second windows, as quality_bar's "model" row
        common = {"model_dir": folder, "model": model.model_name, "parameters": info.get("parameters"),
                  "trained_on": (info.get("train_config") or {}).get("kinds")}
        results[label], per_clip[label] = score(own_magnitudes(estimate), estimate)
        results[label].update(kind="model", **common)
        if model.entry.head == "magnitude":
            magnitudes = network_magnitudes(model, noisy)
            net = f"{label} (network output)"
            results[net], per_clip[net] = score([m[:, : 1 + n // cfg.hop_length] for m, n in zip(magnitudes, lengths)],
                                                estimate)
            results[net].update(kind="model network output", **common,
                                note="spectrogram SNR of the network's output magnitude before resynthesis (the "
                                     "report's procedure); SI-SDR of the model's waveform")
        say(f"{label} scored")

    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/report_metric.py", *(argv if argv is not None else sys.argv[1:])]),
        "commit": commit(), "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "dataset": args.dataset, "test_speakers": sorted(test["speaker"].unique()), "clips": int(len(test)),
        "noise": args.noise, "snr_db": args.snr, "seed": args.seed, "feature_config": cfg.to_dict(),
        "metric": {"headline_domain": HEADLINE, "domains": list(domains),
                   "definition": "per clip, 10 log10(sum C^2 / sum (C - E)^2) minus the same with the noisy input "
                                 "X for E; C, E, X are STFT spectrograms without the Nyquist bin over the frames "
                                 "covering the clip's real length (metrics.report_snr_improvement_db)",
                   "sign_disagreement": f"share of clips where one improvement is above {TOL_DB:g} dB and the "
                                        f"other below -{TOL_DB:g} dB"},
        "report_value_db": metrics.REPORT_CLAIMED_DB,
        "results": results,
        "per_clip": {"clip_ids": list(test["clip_id"]), "lengths": [int(n) for n in lengths], **per_clip},
    }
    write_json(args.out, rounded(result))
    for label, r in results.items():
        s, q = r["spectrogram_snr_improvement_db"], r["si_sdr_improvement_db"]
        print(f"{label:>36}: spectrogram SNR impr. {s['mean']:+6.2f} dB [{s['ci95'][0]:+.2f}, {s['ci95'][1]:+.2f}]"
              f" | SI-SDR impr. {q['mean']:+6.2f} dB [{q['ci95'][0]:+.2f}, {q['ci95'][1]:+.2f}]"
              f" | signs disagree on {100 * r['sign_disagreement_share']:3.0f}% of clips")
    n_in = results["noisy input"]
    print(f"noisy input levels: spectrogram SNR {n_in['spectrogram_snr_out_db']:+.2f} dB, SI-SDR "
          f"{n_in['si_sdr_out_db']:+.2f} dB; the report's figure: {metrics.REPORT_CLAIMED_DB:+.2f} dB (its own AudioMNIST "
          f"test set) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
