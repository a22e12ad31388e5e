"""Compile librosa's numba functions once into their on-disk cache (``make install`` runs this).

librosa compiles its numba kernels the first time a process imports or calls them, about 20 s of CPU
on this project's 2-core reference machine, and caches the result beside its sources (or in
``$NUMBA_CACHE_DIR``). Doing it once at install time means every later process (each chapter's kernel,
each test worker, the ``denoise`` command) only reads the cache, and no two processes ever write the same
cache file at once (a process that reads a half-written one can crash)."""

from __future__ import annotations

import time


def warm_librosa() -> float:
    """Call every librosa function the project uses that numba compiles (resampling, STFT and its inverse,
    YIN/pYIN pitch, zero crossings, peak picking); returns the seconds it took."""
    start = time.perf_counter()
    import librosa
    import numpy as np

    y = np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1
    librosa.resample(y, orig_sr=8000, target_sr=16000, res_type="soxr_hq")
    librosa.istft(librosa.stft(y, n_fft=256, hop_length=64), hop_length=64, length=y.size)
    librosa.yin(y, fmin=60, fmax=400, sr=8000, frame_length=512, hop_length=128)
    librosa.pyin(y[:4000], fmin=60, fmax=400, sr=8000, frame_length=512, hop_length=128)
    librosa.feature.zero_crossing_rate(y)
    librosa.util.peak_pick(np.abs(y), pre_max=3, post_max=3, pre_avg=3, post_avg=3, delta=0.01, wait=2)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"librosa's numba functions compiled and cached in {warm_librosa():.0f} s")
