"""Helpers every benchmark script shares: the commit a result came from, and compact JSON numbers."""

from __future__ import annotations

import subprocess
from pathlib import Path


def commit() -> str:
    """The git commit of the working tree, with "+uncommitted changes" when tracked files other than the
    recorded results (bench/results/, which the benchmarks themselves rewrite) differ."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=here)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)bench/results"], capture_output=True, text=True,
                               cwd=here.parent).stdout.strip()
        return out.stdout.strip() + ("+uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def rounded(obj, digits: int = 4):
    """``obj`` with every float rounded to ``digits`` decimals, or below 1 to ``digits`` significant digits
    so that a learning rate of 2.5e-4 stays itself (the JSON stays small enough for git)."""
    if isinstance(obj, float):
        return round(obj, digits) if abs(obj) >= 1 or obj == 0 or obj != obj else float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v, digits) for v in obj]
    return obj


def progress():
    """A ``say(message)`` that prints each message after the seconds since this call."""
    import time

    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.0f} s] {message}", flush=True)

    return say


def quiet_tensorflow() -> None:
    """Load TensorFlow before any model code, with its C++ start-up notes (absl, CUDA probing, CPU
    features) kept off the terminal, as the ``digitdenoise`` command does: a benchmark prints its progress
    and results, not the framework's log."""
    from digitdenoise.cli import load_tensorflow_quietly

    load_tensorflow_quietly()
