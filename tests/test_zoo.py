import json

import numpy as np
import pandas as pd
import pytest

from digitdenoise import zoo


def _history(scores):
    return pd.DataFrame({"epoch": np.arange(1, len(scores) + 1), zoo.VALIDATION_COLUMN: scores})


def test_convergence_flags_a_curve_still_rising_in_its_last_fifth():
    rising = zoo.convergence(_history([-8, -4, -1, 1, 2, 3, 4, 5, 6, 7]))
    assert rising.tail_epochs == 2 and rising.tail_gain_db == pytest.approx(2.0)
    assert not rising.flattened and rising.verdict == "still improving"


def test_convergence_accepts_a_plateau_and_ignores_a_dip():
    flat = zoo.convergence(_history([-8, -2, 1, 2.0, 2.1, 2.05, 1.9, 2.1, 2.15, 2.0]))
    assert flat.tail_gain_db == pytest.approx(0.05)
    assert flat.flattened and flat.verdict == "flattened"
    worse = zoo.convergence(_history([-5, 1, 3, 2, 1]))  # the tail is below the best: no gain at all
    assert worse.tail_gain_db == 0 and worse.flattened


def test_convergence_cannot_judge_one_epoch_or_a_history_without_the_db_column():
    assert zoo.convergence(_history([1.0])).verdict == "too few epochs to tell"
    old = pd.DataFrame({"epoch": [1, 2, 3], "val_loss": [3.0, 2.0, 1.0]})
    assert np.isnan(zoo.convergence(old).tail_gain_db)
    assert zoo.convergence(old).verdict == "no per-epoch SI-SDR recorded"


def _fake_checkpoint(folder, rate=8000):
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"")
    (folder / "feature_config.json").write_text(json.dumps({"sample_rate": rate}))
    _history([-3.0, 1.0, 1.1]).to_csv(folder / "history.csv", index=False)
    (folder / "train_config.json").write_text(json.dumps({"train_seconds": 600, "stopped": "early stopping",
                                                          "best_epoch": 3}))


def test_release_zoo_needs_every_seed_at_the_requested_rate(tmp_path):
    assert zoo.SEEDS == ("report_cae", "seed_unet", "mel_cnn", "minimal_cae")
    for name in zoo.SEEDS[:-1]:
        _fake_checkpoint(tmp_path / name)
    assert zoo.release_zoo(tmp_path) == {}  # one seed missing: compare all or none
    _fake_checkpoint(tmp_path / zoo.SEEDS[-1])
    found = zoo.release_zoo(tmp_path, sample_rate=8000)
    assert list(found) == list(zoo.SEEDS)
    assert zoo.release_zoo(tmp_path, sample_rate=16000) == {}
    row = zoo.describe(found[zoo.SEEDS[0]])
    assert row["epochs"] == 3 and row["training time (min)"] == 10.0 and row["curve"] == "flattened"
    assert row["extended after epoch"] == ""  # never extended
    info_file = found[zoo.SEEDS[0]] / "train_config.json"
    info = json.loads(info_file.read_text())
    info["extensions"] = [{"after_epoch": 2, "seconds_before": 400.0}, {"after_epoch": 3, "seconds_before": 600.0}]
    info_file.write_text(json.dumps(info))
    assert zoo.describe(found[zoo.SEEDS[0]])["extended after epoch"] == "2, 3"


def test_book_loss_runs_are_found_beside_the_own_loss_runs_under_their_own_label(tmp_path):
    assert zoo.book_loss_runs(tmp_path) == {}
    _fake_checkpoint(tmp_path / "report_cae-si_sdr")
    _fake_checkpoint(tmp_path / "seed_unet-si_sdr", rate=16000)
    (tmp_path / "mel_cnn-si_sdr").mkdir()  # an unfinished run: no weights yet
    found = zoo.book_loss_runs(tmp_path, sample_rate=8000)
    assert found == {"report_cae (SI-SDR loss)": tmp_path / "report_cae-si_sdr"}
    assert list(zoo.book_loss_runs(tmp_path)) == ["report_cae (SI-SDR loss)", "seed_unet (SI-SDR loss)"]
    assert zoo.release_zoo(tmp_path) == {}  # they do not stand in for the own-loss seeds


def test_committed_seed_checkpoints_are_complete_small_and_measured_where_chapter_5_says():
    found = zoo.release_zoo()
    if not found:
        pytest.skip("the converged seed checkpoints are not in this checkout (make release-zoo)")
    from digitdenoise import training

    retrained = {label: (folder.name.removesuffix(f"-{zoo.BOOK_LOSS}"), folder)
                 for label, folder in zoo.book_loss_runs().items()}
    for label, (name, folder) in {**{n: (n, f) for n, f in found.items()}, **retrained}.items():
        assert (folder / "model.keras").stat().st_size <= 2 * 1024 * 1024, label
        model, info = training.load_denoiser(folder)
        assert model.model_name == name and info["train_config"]["model"] == name
        assert info["train_config"].get("loss") == (zoo.BOOK_LOSS if label in retrained else None), label
        history = pd.read_csv(folder / "history.csv")
        assert len(history) >= 2 and zoo.VALIDATION_COLUMN in history and np.isfinite(history[zoo.VALIDATION_COLUMN]).all()
        assert info["stopped"] in ("early stopping", "time budget", "epochs")
        bar = json.loads((folder / "quality.json").read_text())
        assert bar["snr_db"] == -8.0 and bar["noise"] == "white" and bar["clips"] >= 100, name
        assert np.isfinite(bar["results"]["model"]["si_sdr_improvement_db"]), name


def test_comparison_name_finds_a_seed_under_either_training():
    names = ["noisy input", "mask_unet (best)", "report_cae (SI-SDR loss)", "seed_unet"]
    assert zoo.comparison_name(names, "report_cae") == "report_cae (SI-SDR loss)"
    assert zoo.comparison_name(names, "seed_unet") == "seed_unet"
    assert zoo.comparison_name(names, "mel_cnn") is None


def test_training_stages_follow_the_release_models_own_chain(tmp_path):
    from conftest import ROOT
    from digitdenoise.errors import DataError

    stages = zoo.training_stages(ROOT / "models" / "release" / "general-mask_unet")
    assert [s["name"] for s in stages] == ["general-mask_unet-stage1", "general-mask_unet"]
    assert stages[0]["init_from"] == "models/release/fsdd-mask_unet"  # where the chain started
    assert all(s["seconds"] > 0 for s in stages)
    small = zoo.training_stages(ROOT / "models" / "release" / "general-small_tcn")
    assert [s["name"] for s in small] == ["general-small_tcn-stage1", "general-small_tcn"]
    assert small[0]["init_from"] is None  # the small model's chain starts from random weights
    with pytest.raises(DataError, match="is not a trained checkpoint folder"):
        zoo.training_stages(tmp_path)


def test_restart_effect_reads_the_first_extension_of_a_run():
    history = pd.DataFrame({"epoch": [1, 2, 3, 4, 5, 6], "val_loss": [5.0, 3.0, 4.0, 3.5, 3.2, 2.9],
                            zoo.VALIDATION_COLUMN: [0.0, 2.0, 1.0, 1.5, 1.8, 2.5]})
    effect = zoo.restart_effect(history, {"extensions": [{"after_epoch": 4, "seconds_before": 100.0}]})
    assert (effect.kept_epoch, effect.kept_db, effect.first_after_db, effect.best_after_db) == (2, 2.0, 1.8, 2.5)
    assert effect.epochs_after == 2 and effect.new_epoch_kept and np.isclose(effect.dip_db, 0.2)
    assert np.isclose(effect.spread_db, np.std([0.0, 2.0, 1.0, 1.5], ddof=1))
    worse = history.assign(val_loss=[5.0, 3.0, 4.0, 3.5, 3.2, 3.1])
    assert not zoo.restart_effect(worse, {"extensions": [{"after_epoch": 4}]}).new_epoch_kept
    assert zoo.restart_effect(history, {}) is None  # never extended
    assert zoo.restart_effect(history, {"extensions": [{"after_epoch": 6}]}) is None  # nothing after it
    assert zoo.restart_effect(history.drop(columns=zoo.VALIDATION_COLUMN), {"extensions": [{"after_epoch": 4}]}) is None
