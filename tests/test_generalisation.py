"""The generalisation benchmark's pieces: test speech and noise, paired mixtures, summaries and bars."""

import numpy as np
import pandas as pd
import pytest

from digitdenoise import generalisation
from digitdenoise.metrics import snr_db
from digitdenoise.errors import ParameterError

SR = 8000


@pytest.fixture(scope="module")
def speech():
    rng = np.random.default_rng(0)
    rows, signals = [], []
    for source, n, length in (("fsdd", 4, 3000), ("so-digits", 4, 9000), ("so-sentences", 6, 12000)):
        for i in range(n):
            rows.append({"clip_id": f"{source}/{i}", "source": source, "speaker": f"{source}-spk{i % 3}",
                         "text": "one two"})
            signals.append((0.1 * rng.standard_normal(length)).astype(np.float32))
    return generalisation.TestSpeech(pd.DataFrame(rows), signals, SR)


def test_mixtures_reuse_clips_and_noise_across_snrs(speech):
    rng = np.random.default_rng(1)
    noises = {"hu/n5": rng.standard_normal(20000).astype(np.float32), "babble-1": np.zeros(0, np.float32)}
    families = {"hu/n5": "hu-test", "babble-1": "talkers"}
    mix = generalisation.make_mixtures(speech, noises, families, snrs=(-5.0, 5.0), clips=2, seed=0)
    assert len(mix.table) == 3 * 2 * 2 * 2
    for (source, noise), cell in mix.table.groupby(["source", "noise"]):
        low, high = cell[cell["snr_db"] == -5.0], cell[cell["snr_db"] == 5.0]
        assert list(low["clip_id"]) == list(high["clip_id"])
        for i, j in zip(low["index"], high["index"]):
            n_low, n_high = mix.noisy[i] - mix.clean[i], mix.noisy[j] - mix.clean[j]
            assert np.allclose(n_low / np.linalg.norm(n_low), n_high / np.linalg.norm(n_high), atol=1e-5)
            assert abs(snr_db(mix.clean[i], mix.noisy[i]) + 5.0) < 0.01
    again = generalisation.make_mixtures(speech, noises, families, snrs=(-5.0, 5.0), clips=2, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(mix.noisy, again.noisy))


def test_babble_talkers_are_other_test_speakers(speech):
    noises, families = {"babble-1": np.zeros(0, np.float32)}, {"babble-1": "talkers"}
    mix = generalisation.make_mixtures(speech, noises, families, snrs=(0.0,), clips=6, seed=0)
    sentence_signals = {r.speaker: [] for r in speech.table.itertuples() if r.source == "so-sentences"}
    for r, y in zip(speech.table.itertuples(), speech.signals):
        if r.source == "so-sentences":
            sentence_signals[r.speaker].append(y)
    for row in mix.table.itertuples():
        own = sentence_signals.get(row.speaker, [])
        residual = mix.noisy[row.index] - mix.clean[row.index]
        for y in own:  # the babble is never a piece of the target speaker's own sentences
            corr = np.max(np.abs(np.correlate(residual[:2000], y[:4000], mode="valid"))) / (
                np.linalg.norm(residual[:2000]) * np.linalg.norm(y[:4000]) + 1e-9)
            assert corr < 0.5


def _per_clip(model_gain, peer_gain, irm_gain, families=("hu-test",), snrs=(0.0, 5.0)):
    rows = []
    for family in families:
        for snr in snrs:
            for noise in ("a", "b"):
                for source in ("fsdd", "so-digits"):
                    for k in range(4):
                        for method, gain in (("model", model_gain), ("DeepFilterNet3", peer_gain),
                                             ("noisereduce (stationary)", peer_gain - 1), ("oracle IRM", irm_gain)):
                            rows.append({"source": source, "family": family, "noise": f"{family}/{noise}",
                                         "snr_db": snr, "method": method,
                                         "si_sdr_improvement": gain + (0.5 if k % 2 else -0.5)})
    return pd.DataFrame(rows)


def test_summary_reports_ratio_to_the_oracle_and_share_made_worse():
    summary = generalisation.summarise(_per_clip(9.0, 5.0, 10.0), n_boot=200)
    model = summary[summary["method"] == "model"]
    assert np.allclose(model["si_sdri"], 9.0) and np.allclose(model["ratio_to_irm"], 0.9)
    assert (model["si_sdri_lo"] < 9.0).all() and (model["si_sdri_hi"] > 9.0).all()
    worse = generalisation.summarise(_per_clip(0.2, 5.0, 10.0), n_boot=200)
    assert np.allclose(worse.loc[worse["method"] == "model", "worse_than_input"], 0.5)


def test_bars_pass_and_fail_where_they_should():
    good = generalisation.check_bars(_per_clip(9.0, 5.0, 10.0, families=("hu-test", "talkers")), "model")
    assert all(b["passed"] for b in good), good
    bad = generalisation.check_bars(_per_clip(-1.0, 5.0, 10.0, families=("hu-test", "talkers")), "model",
                                    fsdd_white={"ratio_model_to_irm": 0.9})
    failed = [b["bar"] for b in bad if not b["passed"]]
    assert any("/ IRM" in b for b in failed) and any("DeepFilterNet3" in b for b in failed)
    assert any("worse than the input" in b for b in failed) and any("FSDD" in b for b in failed)


def test_real_test_noises_are_disjoint_from_training_noises(data_home):
    from digitdenoise.datasets import hu_nonspeech

    noises, families = generalisation.test_noises(data_home)
    hu = {n.split("/")[1] for n, f in families.items() if f == "hu-test"}
    assert hu == set(hu_nonspeech.file_names("test"))
    assert not hu & set(hu_nonspeech.file_names("train"))
    assert sum(f == "speech-commands" for f in families.values()) == 6


def test_scores_of_the_input_are_its_own_and_improvement_is_the_difference():
    rng = np.random.default_rng(3)
    t = np.arange(8000) / SR
    clean = [(0.3 * np.sin(2 * np.pi * 220 * t) * (t < 0.7)).astype(np.float32)]
    noisy = [clean[0] + 0.05 * rng.standard_normal(8000).astype(np.float32)]
    table = generalisation.score_signals(clean, [clean[0].copy()], noisy, SR)
    again = generalisation.score_signals(clean, noisy, noisy, SR)
    assert np.isclose(again["si_sdr_improvement"].iloc[0], 0.0) and np.isclose(again["pesq_improvement"].iloc[0], 0)
    assert table["si_sdr"].iloc[0] > 60 and table["si_sdr_in"].iloc[0] == again["si_sdr"].iloc[0]
    with pytest.raises(Exception, match="samples for a"):
        generalisation.score_signals(clean, [clean[0][:100]], noisy, SR)


def test_scores_computed_on_two_threads_equal_the_serial_ones():
    rng = np.random.default_rng(4)
    t = np.arange(8000) / SR
    clean = [(0.3 * np.sin(2 * np.pi * f * t) * (t < 0.7)).astype(np.float32) for f in (150, 220, 330, 95)]
    noisy = [c + s * rng.standard_normal(8000).astype(np.float32) for c, s in zip(clean, (0.02, 0.05, 0.1, 0.2))]
    estimates = [c + 0.5 * (x - c) for c, x in zip(clean, noisy)]
    threaded = generalisation.score_signals(clean, estimates, noisy, SR, workers=2)
    serial = generalisation.score_signals(clean, estimates, noisy, SR, workers=1)
    pd.testing.assert_frame_equal(threaded, serial)
    assert list(threaded.columns[:3]) == ["si_sdr", "pesq", "estoi"]
    assert np.allclose(threaded["si_sdr_improvement"], 20 * np.log10(2), atol=0.1)  # half the noise amplitude: +6 dB
    assert threaded["estoi"].notna().all()


def test_scores_are_cached_per_method_version_and_mixtures(speech, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITDENOISE_CACHE", str(tmp_path))
    rng = np.random.default_rng(1)
    mix = generalisation.make_mixtures(speech, {"hu/n5": rng.standard_normal(20000).astype(np.float32)},
                                       {"hu/n5": "hu-test"}, snrs=(0.0,), clips=1, seed=0)
    calls = []

    def identity(noisy, clean):
        calls.append(1)
        return [x.copy() for x in noisy]

    first = generalisation.SignalMethod("a model", "book model", identity, version="v1")
    unversioned = generalisation.SignalMethod("live model", "book model", identity)
    for _ in range(2):
        table, _, _ = generalisation.run_methods([first, unversioned], mix, pesq=False, estoi=False, cache=True)
    assert len(calls) == 3  # the versioned model ran once, the unversioned one twice
    assert np.allclose(table["si_sdr_improvement"], 0.0)
    renamed = generalisation.SignalMethod("same weights, other label", "book model", identity, version="v1")
    generalisation.run_methods([renamed], mix, pesq=False, estoi=False, cache=True)
    assert len(calls) == 3


def test_the_recorded_benchmark_loads_and_a_missing_one_is_named(tmp_path):
    from conftest import ROOT
    from digitdenoise.errors import DataError

    recorded = generalisation.load_recorded(str(ROOT / "bench" / "results" / "generalisation.json"))
    assert {"release model", "previous release model", "oracle IRM"} <= set(recorded.summary["method"])
    assert set(recorded.summary["snr_db"]) == {-8.0, -5.0, 0.0, 5.0}
    assert recorded.raw["model"]["dir"] == "models/release/general-mask_unet"
    assert recorded.raw["splits"]["hu-nonspeech"]["test"] == 20
    irm = recorded.summary[recorded.summary["method"] == "oracle IRM"]
    assert np.allclose(irm["ratio_to_irm"], 1.0)
    with pytest.raises(DataError, match="make bench-generalisation"):
        generalisation.load_recorded(str(tmp_path / "none.json"))
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(DataError, match="is not a generalisation benchmark result"):
        generalisation.load_recorded(str(tmp_path / "bad.json"))


def test_unseen_noise_means_match_the_recorded_bar():
    from conftest import ROOT
    from digitdenoise.errors import DataError

    recorded = generalisation.load_recorded(str(ROOT / "bench" / "results" / "generalisation.json"))
    means = generalisation.unseen_noise_means(recorded)
    bar = recorded.bars[recorded.bars["bar"].str.startswith("unseen non-speech noise")]["value"].astype(float).item()
    assert means["release model"] / means["oracle IRM"] == pytest.approx(bar, abs=1e-3)
    assert means["oracle IRM"] > means["release model"] > means["noisereduce (stationary)"]
    with pytest.raises(DataError, match="no unseen-noise cells at 3 dB"):
        generalisation.unseen_noise_means(recorded, snr_db=3.0)
    # the Hu test files alone and the Speech Commands set alone: clip-weighted parts of the same mean
    cells = generalisation.unseen_noise_cells(recorded)
    hu, sc = (generalisation.unseen_noise_means(recorded, sets=(s,)) for s in ("hu", "sc"))
    clips = {s: cells[cells["noise"].str.startswith(f"{s}/") & (cells["method"] == "release model")]["clips"].sum()
             for s in ("hu", "sc")}
    assert clips["hu"] > 0 and clips["sc"] > 0
    both = (hu["release model"] * clips["hu"] + sc["release model"] * clips["sc"]) / (clips["hu"] + clips["sc"])
    assert both == pytest.approx(means["release model"], abs=1e-9)
    assert hu["release model"] != pytest.approx(sc["release model"], abs=0.1)
    with pytest.raises(ParameterError, match="choose from 'hu'"):
        generalisation.unseen_noise_means(recorded, sets=("white",))


def test_the_method_comparison_reproduces_the_recorded_bars():
    from conftest import ROOT
    from digitdenoise.errors import DataError

    recorded = generalisation.load_recorded(str(ROOT / "bench" / "results" / "generalisation.json"))
    table = generalisation.compare_methods(recorded, {"new": "release model", "old": "previous release model"})
    bars = recorded.bars.set_index("bar")["value"]
    assert table.loc["new", "ratio to the IRM"] == pytest.approx(
        float(bars["unseen non-speech noise, speechocean762 test speakers, 0 dB: SI-SDRi / IRM"]), abs=1e-3)
    worse = bars["no cell (talkers at <= 0 dB aside) where the model's mean is worse than the input"]
    assert worse.startswith(f"{table.loc['new', 'cells worse than the input']} of {table.loc['new', 'of cells']} cells")
    accuracy = recorded.raw["no_added_noise"]["methods"]["release model"]["word_accuracy"]
    assert table.loc["new", "word accuracy, no added noise (%)"] == pytest.approx(100 * accuracy)
    assert {"hu-test (dB)", "speech-commands (dB)", "generated (dB)", "talkers (dB)"} <= set(table.columns)
    with pytest.raises(DataError, match="no method 'nobody'"):
        generalisation.compare_methods(recorded, {"x": "nobody"})


def test_one_cell_of_the_recorded_benchmark_gives_every_method_in_it():
    from conftest import ROOT
    from digitdenoise.errors import DataError

    recorded = generalisation.load_recorded(str(ROOT / "bench" / "results" / "generalisation.json"))
    row = recorded.by_noise.iloc[0]
    means = generalisation.cell_means(recorded, row["source"], row["noise"], row["snr_db"])
    same = recorded.by_noise[(recorded.by_noise["source"] == row["source"]) & (recorded.by_noise["noise"] == row["noise"])
                             & (recorded.by_noise["snr_db"] == row["snr_db"])]
    assert sorted(means.index) == sorted(same["method"]) and len(means) >= 4
    assert means[row["method"]] == pytest.approx(row["si_sdri"])
    pesq = generalisation.cell_means(recorded, row["source"], row["noise"], row["snr_db"], metric="pesqi")
    assert not pesq.equals(means)
    with pytest.raises(DataError, match="no cell hu/n90 on fsdd at \\+7 dB"):
        generalisation.cell_means(recorded, "fsdd", "hu/n90", 7.0)


def test_replaying_a_noise_that_is_not_in_the_benchmark_is_named(data_home):
    from conftest import ROOT

    recorded = generalisation.load_recorded(str(ROOT / "bench" / "results" / "generalisation.json"))
    with pytest.raises(Exception, match="noise 'thunder' is not in the benchmark"):
        generalisation.replay_cell(recorded, data_home, "fsdd", "thunder")
