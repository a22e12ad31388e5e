"""Chapter 7's spoken-digit instrument, the recognition statistics and the recorded downstream benchmark."""

import json
import time
from pathlib import Path

import numpy as np
import pytest

from digitdenoise import instrument, recognition
from digitdenoise.errors import DataError, ParameterError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def judge():
    return instrument.DigitInstrument.load(ROOT / "models" / "release" / "instrument")


@pytest.fixture(scope="module")
def test_clips(fsdd_table):
    """Two test-take clips of every digit, from different speakers: 20 real clean clips."""
    from digitdenoise import data

    test = fsdd_table[fsdd_table["take"].isin(instrument.TEST_TAKES)]
    speakers = sorted(test["speaker"].unique())
    rows = [test[(test["digit"] == d) & (test["speaker"] == speakers[(d + k) % len(speakers)])].iloc[k]
            for d in range(10) for k in (0, 1)]
    paths = [r["path"] for r in rows]
    return data.read_clips(paths, 8000), np.array([r["digit"] for r in rows])


def test_instrument_is_accurate_on_clean_test_clips_and_fails_on_heavy_noise(judge, test_clips):
    from digitdenoise.noise import coloured_noise, mix_at_snr

    signals, digits = test_clips
    clean = (judge.predict(signals, 8000) == digits).mean()
    assert clean >= 0.9
    noisy = [mix_at_snr(y, coloured_noise("white", y.size, i), -20.0)[0] for i, y in enumerate(signals)]
    heavy = (judge.predict(noisy, 8000) == digits).mean()
    assert heavy <= 0.5 and heavy < clean - 0.4


def test_instrument_ignores_level_and_takes_other_rates_and_lengths(judge, test_clips):
    import librosa

    signals, digits = test_clips
    y = signals[0]
    # the loudest cell is the reference: only the quietest cells, near the log floor, move with the level
    np.testing.assert_allclose(instrument.features([y], judge.cfg), instrument.features([0.1 * y], judge.cfg),
                               atol=0.05)
    p8 = judge.probabilities([y], 8000)
    p16 = judge.probabilities([librosa.resample(y, orig_sr=8000, target_sr=16000)], 16000)
    assert p8.shape == (1, 10) and np.allclose(p8.sum(), 1, atol=1e-4)
    assert p16.argmax() == p8.argmax()
    long = np.concatenate([y, np.zeros(12000, np.float32)])  # 1.5 s and more: kept whole
    assert judge.predict([long, y], 8000).tolist() == [p8.argmax()] * 2
    with pytest.raises(ParameterError, match="non-empty and 1-D"):
        judge.predict([np.zeros(0, np.float32)], 8000)


def test_saved_instrument_says_what_it_saw_and_never_saw_the_test_takes():
    config = json.loads((ROOT / "models" / "release" / "instrument" / "config.json").read_text())
    assert (ROOT / "models" / "release" / "instrument" / "model.keras").stat().st_size <= 1_000_000
    assert config["trained_on"]["takes"] == "10-49" and config["validation"]["takes"] == "5-9"
    assert config["test"]["takes"] == "0-4" and len(config["trained_on"]["speakers"]) == 6
    assert config["clean_accuracy"]["all"]["accuracy"] >= 0.95 and config["clean_accuracy"]["all"]["clips"] == 300
    assert config["clean_accuracy"]["nicolas"]["clips"] == 50
    assert "Hu train split" in config["augmentation"] and config["training_seconds"] > 0


def test_a_tiny_training_run_saves_and_reloads(fsdd_table, tmp_path):
    start = time.perf_counter()
    train = fsdd_table[fsdd_table["take"].between(10, 11)].groupby("digit").head(2)
    validation = fsdd_table[fsdd_table["take"] == 5].groupby("digit").head(1)
    rng = np.random.default_rng(0)
    model, info = instrument.train_instrument(train, validation, noises=[rng.standard_normal(8000).astype(np.float32)],
                                              recipe={"epochs": 1, "width": 4, "batch_size": 8})
    instrument.save_instrument(model, tmp_path, {"note": "tiny"})
    again = instrument.DigitInstrument.load(tmp_path)
    assert info["trained_on"]["clips"] == 20 and info["validation"]["clips"] == 10 and len(info["history"]) == 1
    assert json.loads((tmp_path / "config.json").read_text())["note"] == "tiny"
    x = [np.sin(np.arange(4000) * 0.3).astype(np.float32)]
    np.testing.assert_allclose(model.probabilities(x, 8000), again.probabilities(x, 8000), atol=1e-5)
    assert time.perf_counter() - start < 20
    with pytest.raises(DataError, match="no instrument"):
        instrument.DigitInstrument.load(tmp_path / "missing")


def test_wilson_interval_matches_known_values():
    assert recognition.wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert recognition.wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert recognition.wilson_interval(50, 50) == pytest.approx((0.9287, 1.0), abs=1e-4)
    with pytest.raises(ParameterError):
        recognition.wilson_interval(11, 10)


def test_compare_conditions_counts_the_digits_denoising_flips():
    noisy = np.array([1, 1, 0, 0, 0, 1, 1, 1, 0, 1], bool)
    better = np.array([1, 1, 1, 1, 0, 1, 1, 0, 0, 1], bool)  # two fixed, one broken
    table = recognition.compare_conditions({"noisy": noisy, "method": better}).set_index("condition")
    assert table.loc["method", "accuracy"] == 0.7 and table.loc["noisy", "accuracy"] == 0.6
    assert table.loc["method", "wrong_to_right"] == 0.2 and table.loc["method", "right_to_wrong"] == 0.1
    assert table.loc["method", "change"] == pytest.approx(0.1)
    assert table.loc["method", "change_lo"] <= 0.1 <= table.loc["method", "change_hi"]
    assert np.isnan(table.loc["noisy", "wrong_to_right"])
    with pytest.raises(ParameterError, match="same, non-zero number"):
        recognition.compare_conditions({"noisy": noisy, "method": better[:5]})


def test_compare_word_accuracy_resamples_speakers():
    errors = {"noisy": [2, 3, 1, 4], "method": [1, 3, 2, 0]}
    table = recognition.compare_word_accuracy(errors, [4, 4, 4, 4], ["a", "a", "b", "b"]).set_index("condition")
    assert table.loc["noisy", "word_accuracy"] == pytest.approx(1 - 10 / 16)
    assert table.loc["method", "word_accuracy"] == pytest.approx(1 - 6 / 16)
    assert table.loc["method", "fewer_errors"] == 0.5 and table.loc["method", "more_errors"] == 0.25
    assert table.loc["method", "groups"] == 2 and table.loc["method", "change"] == pytest.approx(0.25)
    with pytest.raises(ParameterError):
        recognition.compare_word_accuracy({"noisy": [1, 2]}, [3])


def test_recorded_downstream_benchmark_loads_and_meets_its_bar():
    recorded = recognition.load_downstream(ROOT / "bench" / "results" / "downstream.json")
    assert recorded.raw["instrument"]["clean_accuracy"] >= 0.95
    assert recorded.raw["pocketsphinx"]["clean_accuracy"] < 0.95
    assert all(bar["passed"] for bar in recorded.raw["bars"])
    assert set(recorded.fsdd["recogniser"]) == {"instrument", "pocketsphinx"}
    assert sorted(recorded.fsdd["snr_db"].unique()) == [-8.0, -5.0, 0.0, 5.0]
    table = recorded.at(0.0)
    assert {"clean", "noisy", "release model", "previous release model", "oracle IRM"} <= set(table.index)
    assert list(table.index[:3]) == ["clean", "noisy", "release model"]
    assert table.shape[1] == 4
    so = recorded.so_digits.set_index("condition")
    assert {"clean", "noisy", "release model"} <= set(so.index) and (so["utterances"] > 0).all()
    clean = recorded.clean.set_index(["recogniser", "speaker"])
    assert clean.loc[("instrument", "all"), "clips"] == 300 and clean.loc[("instrument", "nicolas"), "clips"] == 50
    with pytest.raises(ParameterError, match="no FSDD results"):
        recorded.at(3.0)


def test_load_downstream_errors_clearly(tmp_path):
    with pytest.raises(DataError, match="not found"):
        recognition.load_downstream(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"fsdd": 1}')
    with pytest.raises(DataError, match="not a downstream benchmark"):
        recognition.load_downstream(tmp_path / "bad.json")
