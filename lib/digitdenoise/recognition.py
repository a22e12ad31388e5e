"""Recognising the spoken digits: an off-the-shelf judge of whether denoising helps (chapters 6 and 7).

:class:`SphinxDigits` runs CMU PocketSphinx (its wheel ships the US-English acoustic model and the
pronouncing dictionary, so it works offline) with a grammar that allows only sequences of the ten
digit words. It was not trained by us and never saw this book's data, which makes it an independent
second opinion; it is not a strong recogniser (chapter 6 reports its clean accuracy).

Word accuracy is ``1 - WER``: one minus (substitutions + deletions + insertions) / reference words,
computed with ``jiwer``. It can be negative when the recogniser inserts many words.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from .config import check_number
from .errors import DigitDenoiseError, ParameterError

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
