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


def test_recorded_folds_cover_every_speaker(tmp_path):
    with pytest.raises(DataError, match="make folds"):
        folds.load_recorded(tmp_path / "folds.json", tmp_path / "folds.per_clip.csv.gz")
    if not folds.RECORDED.is_file():
        pytest.fail("bench/results/folds.json is missing: run `make folds`", pytrace=False)
    summary, per_clip = folds.load_recorded()
    assert sorted(f["test"] for f in summary["folds"]) == FSDD
    mine = per_clip[per_clip["method"] == "fold model"]
    assert sorted(mine["fold"].unique()) == FSDD
    assert (mine["fold"] == mine["speaker"]).all()  # each fold is scored on its own held-out speaker
    assert np.isfinite(mine["si_sdr_improvement"]).all()
