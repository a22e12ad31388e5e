"""Recognising the spoken digits: an off-the-shelf judge of whether denoising helps (chapters 6 and 7).

:class:`SphinxDigits` runs CMU PocketSphinx (its wheel ships the US-English acoustic model and the
pronouncing dictionary, so it works offline) with a grammar that allows only sequences of the ten
digit words. It was not trained by us and never saw this book's data, which makes it an independent
second opinion; it is not a strong recogniser (chapter 6 reports its clean accuracy).

Word accuracy is ``1 - WER``: one minus (substitutions + deletions + insertions) / reference words,
computed with ``jiwer``. It can be negative when the recogniser inserts many words.

Chapter 7 asks whether denoising helps a recogniser. Its bar is a recogniser that is good on clean
speech, the instrument of :mod:`digitdenoise.instrument`; PocketSphinx is the second opinion. The
statistics for both are here (:func:`wilson_interval`, :func:`compare_conditions` for digit accuracy with
the digits turned wrong -> right and right -> wrong, :func:`compare_word_accuracy` for digit strings), and
:func:`load_downstream` reads the recorded ``bench/results/downstream.json``.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .config import check_number
from .errors import DataError, DigitDenoiseError, ParameterError

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SPHINX_RATE = 16000
# Decoder settings: a word insertion penalty and silence probability chosen on speechocean762's
# *training and validation* speakers' digit strings (never the test speakers); the package defaults
# (wip 0.65) insert many extra digits into a grammar of repeated digits.
SPHINX_SETTINGS = {"wip": 1e-3, "silprob": 0.1}


class RecogniserUnavailable(DigitDenoiseError):
    """PocketSphinx is not installed or failed to start (chapter 6)."""


@functools.cache
def _decoder(wip: float, silprob: float):
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise RecogniserUnavailable(f"pocketsphinx is not installed ({exc}); `pip install pocketsphinx`.") from None
    grammar = ("#JSGF V1.0;\ngrammar digits;\npublic <digits> = ( " + " | ".join(DIGIT_WORDS) + " )+ ;\n")
    decoder = Decoder(loglevel="FATAL", samprate=SPHINX_RATE, wip=wip, silprob=silprob)
    decoder.add_jsgf_string("digits", grammar)
    decoder.activate_search("digits")
    return decoder


class SphinxDigits:
    """PocketSphinx restricted to the ten digit words (chapter 6): ``transcribe(signal, sr)`` returns the
    recognised words. Audio at other rates is resampled to 16 kHz."""

    def __init__(self, *, wip: float = SPHINX_SETTINGS["wip"], silprob: float = SPHINX_SETTINGS["silprob"]):
        check_number("wip", wip, minimum=1e-30, maximum=10)
        check_number("silprob", silprob, minimum=0, maximum=1)
        self.decoder = _decoder(float(wip), float(silprob))

    def transcribe(self, signal: np.ndarray, sr: int) -> list[str]:
        """The digit words PocketSphinx hears in one utterance (possibly none)."""
        y = np.asarray(signal, np.float32)
        if y.ndim != 1 or y.size == 0:
            raise ParameterError(f"transcribe needs a non-empty 1-D signal, got shape {y.shape}.")
        if int(sr) != SPHINX_RATE:
            import librosa

            y = librosa.resample(y, orig_sr=int(sr), target_sr=SPHINX_RATE)
        peak = float(np.max(np.abs(y)))
        if peak > 1.0:  # keep the int16 conversion from wrapping; the level does not matter to the decoder
            y = y / peak
        self.decoder.start_utt()
        self.decoder.process_raw((y * 32767).astype(np.int16).tobytes(), full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return hyp.hypstr.split() if hyp is not None else []


def word_errors(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Substitutions + deletions + insertions turning ``reference`` into ``hypothesis`` (chapter 6)."""
    import jiwer

    if not reference:
        raise ParameterError("the reference transcript is empty; word errors are undefined.")
    out = jiwer.process_words(" ".join(reference), " ".join(hypothesis) if hypothesis else "")
    return int(out.substitutions + out.deletions + out.insertions)


def word_accuracy(references: Sequence[Sequence[str]], hypotheses: Sequence[Sequence[str]]) -> float:
    """``1 - WER`` over a set of utterances (errors and reference words summed first; chapter 6)."""
    if len(references) != len(hypotheses) or not references:
        raise ParameterError(f"need one hypothesis per reference, got {len(hypotheses)} for {len(references)}.")
    errors = sum(word_errors(r, h) for r, h in zip(references, hypotheses))
    return 1.0 - errors / sum(len(r) for r in references)


def wilson_interval(correct: int, total: int, *, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``correct / total`` (chapter 7's recognition accuracies): unlike
    the normal approximation it stays inside [0, 1] and is sensible at 0 or ``total`` correct."""
    from scipy.stats import norm

    total = check_number("total", total, minimum=1, integer=True)
    correct = check_number("correct", correct, minimum=0, maximum=total, integer=True)
    check_number("level", level, minimum=0.5, maximum=0.999)
    z = float(norm.ppf((1 + level) / 2))
    p = correct / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def _paired_boot(values: dict[str, np.ndarray], baseline: str, n_boot: int, seed: int,
                 stat=lambda x, idx: x[idx].mean(axis=1)) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(seed)
    n = len(values[baseline])
    idx = rng.integers(0, n, size=(n_boot, n))
    base = stat(values[baseline], idx)
    out = {}
    for name, x in values.items():
        if name != baseline:
            lo, hi = np.quantile(stat(x, idx) - base, [0.025, 0.975])
            out[name] = (float(lo), float(hi))
    return out


def compare_conditions(correct: dict[str, Sequence[bool]], baseline: str | None = "noisy", *, n_boot: int = 2000,
                       seed: int = 0) -> pd.DataFrame:
    """Accuracy of one recogniser on the same clips under several conditions (chapter 7): one row per
    condition with ``clips, correct, accuracy`` and its Wilson 95% interval (``lo``, ``hi``); against
    ``baseline`` (the noisy input) also the share of *all* clips turned wrong -> right and right -> wrong,
    the change of accuracy and its paired bootstrap 95% interval (clips resampled together)."""
    arrays = {k: np.asarray(v, bool) for k, v in correct.items()}
    sizes = {v.size for v in arrays.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise ParameterError(f"every condition needs the same, non-zero number of clips; got {sorted(sizes)}.")
    if baseline is not None and baseline not in arrays:
        raise ParameterError(f"baseline {baseline!r} is not one of the conditions {sorted(arrays)}.")
    cis = _paired_boot(arrays, baseline, n_boot, seed) if baseline is not None else {}
    rows = []
    for name, x in arrays.items():
        k, n = int(x.sum()), int(x.size)
        lo, hi = wilson_interval(k, n)
        row = {"condition": name, "clips": n, "correct": k, "accuracy": k / n, "lo": lo, "hi": hi}
        if baseline is not None and name != baseline:
            base = arrays[baseline]
            row.update({"wrong_to_right": float((~base & x).mean()), "right_to_wrong": float((base & ~x).mean()),
                        "change": float(x.mean() - base.mean()), "change_lo": cis[name][0], "change_hi": cis[name][1]})
        rows.append(row)
    return pd.DataFrame(rows)


def compare_word_accuracy(errors: dict[str, Sequence[int]], words: Sequence[int], groups: Sequence[str] | None = None,
                          baseline: str | None = "noisy", *, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Word accuracy (``1 - errors / words`` over all utterances) under several conditions of the same
    utterances (chapter 7), with a 95% bootstrap interval that resamples whole ``groups`` (speakers: their
    utterances are not independent) or utterances; against ``baseline`` also the share of utterances with
    fewer and with more word errors, and the paired change of word accuracy with its interval."""
    words = np.asarray(words, float)
    arrays = {k: np.asarray(v, float) for k, v in errors.items()}
    if any(v.shape != words.shape for v in arrays.values()) or words.size == 0 or np.any(words <= 0):
        raise ParameterError("every condition needs one error count per utterance, and every utterance words.")
    if groups is None:
        groups = np.arange(words.size)
    labels, member = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    # sums per group: resampling groups resamples their utterances together
    group_words = np.bincount(member, words, labels.size)
    group_errors = {k: np.bincount(member, v, labels.size) for k, v in arrays.items()}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, labels.size, size=(n_boot, labels.size))
    boot = {k: 1 - v[idx].sum(1) / group_words[idx].sum(1) for k, v in group_errors.items()}
    rows = []
    for name, e in arrays.items():
        lo, hi = np.quantile(boot[name], [0.025, 0.975])
        row = {"condition": name, "utterances": int(words.size), "groups": int(labels.size), "words": int(words.sum()),
               "errors": int(e.sum()), "word_accuracy": float(1 - e.sum() / words.sum()), "lo": float(lo), "hi": float(hi)}
        if baseline is not None and name != baseline:
            base = arrays[baseline]
            d_lo, d_hi = np.quantile(boot[name] - boot[baseline], [0.025, 0.975])
            row.update({"fewer_errors": float((e < base).mean()), "more_errors": float((e > base).mean()),
                        "change": float((base.sum() - e.sum()) / words.sum()), "change_lo": float(d_lo),
                        "change_hi": float(d_hi)})
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the recorded downstream benchmark
DOWNSTREAM = Path(__file__).resolve().parents[2] / "bench" / "results" / "downstream.json"


@dataclasses.dataclass
class Downstream:
    """A recorded run of ``bench/downstream.py`` (chapter 7): the raw JSON and tidy tables.

    ``fsdd``: one row per recogniser (``instrument``, ``pocketsphinx``), SNR and condition (``clean``,
    ``noisy``, each method) on the FSDD test speaker: accuracy, Wilson 95% interval, and against the noisy
    input the shares turned wrong -> right and right -> wrong and the change with its paired interval.
    ``so_digits``: PocketSphinx word accuracy on speechocean762's test digit strings per SNR and condition.
    ``clean``: both recognisers' clean accuracy on FSDD's test takes, per speaker and ``all``."""

    raw: dict[str, Any]
    fsdd: pd.DataFrame
    so_digits: pd.DataFrame
    clean: pd.DataFrame

    def at(self, snr_db: float = 0.0) -> pd.DataFrame:
        """One SNR as a wide table for the book: a row per condition (clean, noisy, methods in the run's order),
        per recogniser its accuracy as ``0.94 [0.84, 0.98]`` and the shares wrong -> right / right -> wrong."""
        cells = self.fsdd[self.fsdd["snr_db"] == float(snr_db)]
        if cells.empty:
            raise ParameterError(f"no FSDD results at {snr_db} dB; recorded: {sorted(self.fsdd['snr_db'].unique())}.")
        cells = cells.assign(
            accuracy_ci=[f"{a:.2f} [{lo:.2f}, {hi:.2f}]" for a, lo, hi in zip(cells["accuracy"], cells["lo"], cells["hi"])],
            flips=["" if np.isnan(w) else f"+{w:.0%} / -{r:.0%}" for w, r in zip(cells["wrong_to_right"],
                                                                              cells["right_to_wrong"])])
        wide = cells.pivot_table(index="condition", columns="recogniser", values=["accuracy_ci", "flips"],
                                 aggfunc="first")
        wide = wide.reindex([c for c in self.raw.get("conditions", wide.index) if c in wide.index])
        wide.columns = [f"{rec}: {'accuracy [95% CI]' if col == 'accuracy_ci' else 'wrong->right / right->wrong'}"
                        for col, rec in wide.columns]
        return wide[sorted(wide.columns, key=lambda c: (not c.startswith("instrument"), "flips" in c))]


def load_downstream(path: str | Path = DOWNSTREAM) -> Downstream:
    """Read ``bench/results/downstream.json`` (chapter 7) into :class:`Downstream`, with a clear error when it
    is missing or is not one; the chapter shows these recorded figures because the run takes about 15 minutes."""
    import json

    file = Path(path)
    if not file.is_file():
        raise DataError(f"{file} not found: run `python bench/downstream.py` (about 15 minutes) to record it.")
    try:
        raw = json.loads(file.read_text())
        tables = {k: pd.DataFrame(raw[k]["data"], columns=raw[k]["columns"]) for k in ("fsdd", "so_digits", "clean")}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{file} is not a downstream benchmark result ({type(exc).__name__}: {exc}); "
                        "record it again with `python bench/downstream.py`.") from None
    for name in ("fsdd", "so_digits"):
        for column in ("wrong_to_right", "right_to_wrong", "fewer_errors", "more_errors", "change", "change_lo",
                       "change_hi"):
            if column in tables[name]:
                tables[name][column] = tables[name][column].astype(float)
    return Downstream(raw, tables["fsdd"], tables["so_digits"], tables["clean"])
