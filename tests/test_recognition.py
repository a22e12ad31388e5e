"""PocketSphinx as a digits-only judge, and word accuracy."""

import numpy as np
import pytest

from digitdenoise import recognition
from digitdenoise.errors import ParameterError


def test_word_errors_count_substitutions_deletions_and_insertions():
    assert recognition.word_errors(["one", "two", "three"], ["one", "two", "three"]) == 0
    assert recognition.word_errors(["one", "two", "three"], ["one", "four", "three"]) == 1
    assert recognition.word_errors(["one", "two", "three"], ["one", "three"]) == 1
    assert recognition.word_errors(["one", "two"], ["one", "two", "two", "nine"]) == 2
    assert recognition.word_errors(["one", "two"], []) == 2
    assert recognition.word_accuracy([["one", "two"], ["three"]], [["one", "two"], ["four"]]) == pytest.approx(2 / 3)
    with pytest.raises(ParameterError, match="reference transcript is empty"):
        recognition.word_errors([], ["one"])


@pytest.fixture(scope="module")
def judge():
    return recognition.SphinxDigits()


def test_sphinx_recognises_clean_digit_strings_of_training_speakers(data_home, judge):
    from digitdenoise import data
    from digitdenoise.datasets import speechocean762

    table = speechocean762.load_utterances(data_home, splits=("train",), kind="digits", download=False).head(12)
    refs = [t.lower().split() for t in table["text"]]
    hyps = [judge.transcribe(y, 16000) for y in data.read_clips(table["path"])]
    assert recognition.word_accuracy(refs, hyps) > 0.6
    assert all(set(h) <= set(recognition.DIGIT_WORDS) for h in hyps)


def test_sphinx_hears_no_digits_in_silence_and_rejects_bad_input(judge):
    assert len(judge.transcribe(np.zeros(16000, np.float32), 16000)) <= 1
    with pytest.raises(ParameterError, match="non-empty 1-D"):
        judge.transcribe(np.zeros((2, 10), np.float32), 16000)
