"""Sampling profile of the deploy path (appendix 9): the best model denoising the FSDD test speaker's
clips, each at its own length, on one core, as the ``denoise`` command runs them.

    pip install py-spy
    py-spy record --idle --rate 50 --format raw -o prof.txt -- python bench/profile_deploy.py
    python bench/profile_deploy.py --summarise prof.txt

The summary splits the samples taken inside ``Enhancer.enhance_many`` into TensorFlow graph execution
and everything else (Python, numpy padding, bookkeeping).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter


def run(data_home: str | None, repeats: int) -> None:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from digitdenoise import data, evaluation, inference, noise

    clips = data.assign_split(data.load_clips("fsdd", data_home), seed=0)
    test = clips[clips["split"] == "test"].reset_index(drop=True)
    clean, lengths = data.load_waveforms(test, 8000, 8000)
    noisy = evaluation.eval_mixtures(clean, lengths, noise.NoiseSource(8000), "white", -8.0, seed=0)
    own = [x[:n] for x, n in zip(noisy, lengths)]
    enhancer = inference.Enhancer()
    for _ in range(repeats + 1):  # the first call builds the graphs
        enhancer.enhance_many(own, [8000] * len(own))


def summarise(path: str) -> None:
    shares, total = Counter(), 0
    with open(path) as handle:
        for line in handle:
            stack, count = line.rsplit(" ", 1)
            frames = stack.split(";")
            if not any("enhance_many" in f for f in frames):
                continue
            total += int(count)
            if any("quick_execute" in f for f in frames):
                shares["TensorFlow graph execution"] += int(count)
            else:
                shares[f"other: {frames[-1][:80]}"] += int(count)
    if not total:
        sys.exit(f"{path}: no samples inside Enhancer.enhance_many; was it recorded with --idle?")
    print(f"{total} samples inside Enhancer.enhance_many")
    for name, count in shares.most_common(6):
        print(f"{100 * count / total:5.1f}%  {name}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--summarise", metavar="RAW_PROFILE", default=None)
    args = parser.parse_args()
    summarise(args.summarise) if args.summarise else run(args.data_home, args.repeats)
