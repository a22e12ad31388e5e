"""Leave-one-speaker-out folds (chapter 7) and the training options they use."""

from __future__ import annotations

import numpy as np
import pytest

from digitdenoise import cli, folds, training
from digitdenoise.errors import DataError, ParameterError

FSDD = ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]


def test_every_speaker_is_a_test_speaker_exactly_once_and_never_trained_on():
    plan = folds.fold_plan(reversed(FSDD))
    assert [f["test"] for f in plan] == FSDD
    for f in plan:
        assert f["validation"] != f["test"]
        assert f["test"] not in f["train"] and f["validation"] not in f["train"]
        assert sorted([f["test"], f["validation"], *f["train"]]) == FSDD
    assert sorted(f["validation"] for f in plan) == FSDD  # each speaker validates one fold too
    with pytest.raises(ParameterError, match="at least 3"):
        folds.fold_plan(["a", "b"])


def test_fold_command_names_its_speakers_and_a_fixed_number_of_epochs(tmp_path):
    command = folds.train_command(folds.fold_plan(FSDD)[2], tmp_path / "lucas")
    args = cli.build_parser().parse_args(command)
    assert args.test_speakers == ["lucas"] and args.validation_speakers == ["nicolas"]
    assert args.epochs == folds.FOLD_RECIPE["epochs"] and args.time_budget is None


def test_prepare_data_holds_out_the_given_speakers(data_home):
    prepared = training.prepare_data("fsdd", data_home, test_speakers=["george"], validation_speakers=["jackson"],
                                     max_val_clips=20)
    split = prepared.clips.groupby("speaker")["split"].first().to_dict()
    assert split["george"] == "test" and split["jackson"] == "validation"
    assert sorted(set(prepared.train_speakers)) == ["lucas", "nicolas", "theo", "yweweler"]
    assert len(prepared.val_clean) == 20


def test_training_options_that_do_not_fit_the_recipe_are_refused(tmp_path, capsys):
    assert cli.main(["train", "--recipe", "general", "--test-speakers", "george", "--out", str(tmp_path)]) == 2
    assert "FSDD recipe only" in capsys.readouterr().err
    assert cli.main(["train", "--without", "babble", "--out", str(tmp_path)]) == 2
    assert "--recipe general" in capsys.readouterr().err


def test_fold_summary_averages_clips_over_noises_and_compares_with_the_oracle():
    import pandas as pd

    rows = []
    for fold, gain in (("a", 4.0), ("b", 8.0)):
        for clip in range(5):
            for noise, offset in (("white", 1.0), ("pink", -1.0)):
                for method, value in (("fold model", gain + offset + 0.1 * clip), ("oracle IRM", 16.0)):
                    rows.append({"fold": fold, "clip_id": f"{fold}{clip}", "noise": noise, "method": method,
                                 "si_sdr_improvement": value, "pesq_improvement": 0.5, "estoi_improvement": 0.1})
    summary = folds.summarise(pd.DataFrame(rows), n_boot=200)
    per = {r["speaker"]: r for r in summary["per_speaker"]}
    assert per["a"]["si_sdri"] == pytest.approx(4.2) and per["b"]["share_of_irm"] == pytest.approx(8.2 / 16)
    assert per["a"]["si_sdri_lo"] <= 4.2 <= per["a"]["si_sdri_hi"] and per["a"]["clips"] == 5
    grid = pd.DataFrame(summary["per_noise"]).set_index(["speaker", "noise", "method"])["si_sdri"]
    assert grid[("b", "white", "fold model")] == pytest.approx(9.2)
    with pytest.raises(DataError, match="lacks columns"):
        folds.summarise(pd.DataFrame(rows).drop(columns="estoi_improvement"))


def test_recorded_folds_cover_every_speaker(tmp_path):
    with pytest.raises(DataError, match="make folds"):
        folds.load_recorded(tmp_path / "folds.json")
    (tmp_path / "old.json").write_text('{"folds": []}')
    with pytest.raises(DataError, match="rerun `make folds`"):
        folds.load_recorded(tmp_path / "old.json")
    if not folds.RECORDED.is_file():
        pytest.fail("bench/results/folds.json is missing: run `make folds`", pytrace=False)
    raw, per_speaker, per_noise = folds.load_recorded()
    assert sorted(f["test"] for f in raw["folds"]) == FSDD
    assert sorted(per_speaker.index) == FSDD and (per_speaker["clips"] > 0).all()
    assert np.isfinite(per_speaker["si_sdri"]).all()
    assert (per_speaker["si_sdri"] < per_speaker["irm_si_sdri"]).all()  # the oracle bounds a short-trained model
    assert set(per_noise["method"]) == {"fold model", "oracle IRM"} and sorted(per_noise["speaker"].unique()) == FSDD
