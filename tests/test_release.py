"""The release checkpoints: the committed general model is small and loadable, and every release folder's
recorded figures belong to it."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from digitdenoise import evaluation, training
from digitdenoise.errors import DataError, ParameterError

RELEASE = ROOT / "models" / "release"
FOLDERS = ["general-mask_unet", "general-mask_unet-stage1", "fsdd-mask_unet", "fsdd-mask_unet-white", "general-small_tcn",
           "general-small_tcn-stage1"]


@pytest.mark.parametrize("name", ["general-mask_unet", "general-mask_unet-stage1", "fsdd-mask_unet", "general-small_tcn",
                                  "general-small_tcn-stage1"])
def test_the_committed_checkpoints_are_small_and_loadable(name):
    folder = RELEASE / name
    assert (folder / "model.keras").stat().st_size <= 5 * 2**20
    model, info = training.load_denoiser(folder)
    assert info["parameters"] == int(model.network.count_params())


@pytest.mark.parametrize("stage, started_from, perturbed", [
    ("general-small_tcn-stage1", None, 0.0),
    ("general-small_tcn", "models/release/general-small_tcn-stage1", 0.5)])
def test_the_small_release_model_stays_under_100k_parameters_and_trained_on_the_general_recipe(stage, started_from,
                                                                                               perturbed):
    info = json.loads((RELEASE / stage / "train_config.json").read_text())
    assert info["model"] == "small_tcn" and info["parameters"] <= 100_000
    recipe = info["train_config"]["recipe"]
    assert recipe["name"] == "general" and recipe.get("noise_perturb_share", 0.0) == perturbed
    assert info["train_config"].get("init_from") == started_from  # stage 2 fine-tunes stage 1, which started afresh


@pytest.mark.parametrize("stage, started_from, perturbed", [
    ("general-mask_unet-stage1", "models/release/fsdd-mask_unet", 0.0),
    ("general-mask_unet", "models/release/general-mask_unet-stage1", 0.5)])
def test_each_general_release_stage_records_its_recipe_splits_and_ancestor(stage, started_from, perturbed):
    info = json.loads((RELEASE / stage / "train_config.json").read_text())
    recipe = info["train_config"]["recipe"]
    assert recipe["name"] == "general" and info["train_config"]["sdr_cap_db"] == 30.0
    assert recipe.get("noise_perturb_share", 0.0) == perturbed
    splits = recipe["splits"]
    assert splits["fsdd"]["test"] == ["nicolas"] and "multiple of 8" in splits["speechocean762"]["rule"]
    assert splits["hu-nonspeech"]["test"] == 20 and "never trained on" in splits["speech-commands-noise"]
    assert 0 < info["train_seconds"] <= 5400 * 1.05 and info["train_config"]["init_from"] == started_from


@pytest.mark.parametrize("name", FOLDERS)
def test_a_release_folders_recorded_figures_belong_to_it(name):
    folder = RELEASE / name
    info = json.loads((folder / "train_config.json").read_text())
    quality = evaluation.recorded_quality_bar(folder)
    assert info["parameters"] == quality["parameters"]
    assert quality["model_dir"] == f"models/release/{name}" and quality["snr_db"] == -8.0
    assert quality["trained_on"] == info["train_config"]["kinds"]
    row = evaluation.quality_bar_row(quality)
    r = quality["results"]
    assert np.isclose(row["ratio to the IRM"], r["model"]["si_sdr_improvement_db"] / r["oracle_irm"]["si_sdr_improvement_db"])
    # the kept weights are the validation winner recorded in the history
    history = pd.read_csv(folder / "history.csv")
    scores = history.filter(like="val_loss")  # val_loss, and val_loss_average where weights were averaged
    best = info["best_epoch"]
    if isinstance(best, int):
        assert np.isclose(history.loc[history["epoch"] == best, "val_loss"].item(), scores.min().min())
    else:
        last = int(best.rsplit("-", 1)[1])
        assert np.isclose(history.loc[history["epoch"] == last, "val_loss_average"].item(), scores.min().min())


def test_a_recorded_validation_score_is_named_by_what_it_averages():
    # training.validation_si_sdr_improvement counts only the pairs with added noise; histories recorded
    # before that (the general recipe's clean pairs then pulled the mean to about -8 to -11 dB) carry the
    # score as val_si_sdr_improvement_db_all_pairs, so that no reader takes it for the improvement itself
    checked = 0
    for folder in sorted(p.parent for p in RELEASE.glob("**/history.csv")):
        recipe = json.loads((folder / "train_config.json").read_text())["train_config"].get("recipe") or {}
        if recipe.get("weights", {}).get("clean", 0) <= 0:
            continue  # no clean pairs among its validation pairs: both definitions agree
        history = pd.read_csv(folder / "history.csv")
        if training.VALIDATION_SCORE in history:  # on noisy pairs, a trained general model improves SI-SDR
            assert history[training.VALIDATION_SCORE].max() > 0, folder
        checked += 1
    assert checked >= 3


def test_the_benchmark_copies_of_the_figures_are_current():
    for name, copy in (("fsdd-mask_unet", "quality.json"), ("fsdd-mask_unet-white", "quality-white.json")):
        kept = json.loads((RELEASE / name / "quality.json").read_text())
        bench = json.loads((ROOT / "bench" / "results" / copy).read_text())
        assert bench["ratio_model_to_irm"] == kept["ratio_model_to_irm"], copy


def test_a_missing_or_foreign_quality_record_is_named(tmp_path):
    with pytest.raises(DataError, match="no recorded quality bar at .*quality.json; run `make bench-quality`"):
        evaluation.recorded_quality_bar(tmp_path)
    (tmp_path / "quality.json").write_text(json.dumps({"ratio": 1.0}))
    with pytest.raises(DataError, match="is not a quality-bar record written by bench/quality.py"):
        evaluation.recorded_quality_bar(tmp_path)
    (tmp_path / "quality.json").write_text("{not json")
    with pytest.raises(DataError, match="quality.json is not a quality-bar record"):
        evaluation.recorded_quality_bar(tmp_path)


@pytest.mark.parametrize("name, heard", [
    ("general-small_tcn", False),  # the general recipe from random weights, in two stages
    ("fsdd-mask_unet", True),  # the FSDD recipe cuts training windows from the recordings
    ("general-mask_unet", True),  # the general recipe, but its first stage started from fsdd-mask_unet
    ("fsdd-mask_unet-white", True),  # started from a run folder that is not in the repository: not claimed unseen
])
def test_the_recorded_recipes_tell_which_models_heard_the_speech_commands_recordings(name, heard):
    assert training.heard_speech_commands_noise(RELEASE / name) is heard


def test_a_model_has_heard_what_the_weights_it_started_from_heard(tmp_path):
    def stage(name, recipe=None, kinds=("white",), init_from=None):
        folder = tmp_path / name
        folder.mkdir()
        config = {"kinds": list(kinds), "init_from": init_from, "recipe": recipe}
        (folder / "train_config.json").write_text(json.dumps({"train_config": config}))
        return folder

    general = {"name": "general", "splits": {"speech-commands-noise": "test only (cross-corpus), never trained on"}}
    clean = stage("clean", recipe=general)
    assert not training.heard_speech_commands_noise(stage("from-clean", recipe=general, init_from=str(clean)))
    fsdd = stage("fsdd", kinds=("white", "recording"))
    from_fsdd = stage("from-fsdd", recipe=general, init_from=str(fsdd))
    assert training.heard_speech_commands_noise(from_fsdd)
    assert not training.heard_speech_commands_noise(from_fsdd, through_init=False)  # its own training did not
    assert training.heard_speech_commands_noise(stage("from-missing", recipe=general,
                                                      init_from=str(tmp_path / "deleted-run")))
    assert not training.heard_speech_commands_noise(tmp_path / "fsdd" / "no-such-model")


def test_the_models_of_a_run_are_found_from_its_manifest(tmp_path):
    with pytest.raises(DataError, match="run chapter 5"):
        training.chapter5_folders(tmp_path)
    (tmp_path / "models.json").write_text(json.dumps({"best": str(RELEASE / "general-mask_unet"),
                                                      "zoo": {"mask_unet (FSDD only)": str(RELEASE / "fsdd-mask_unet")}}))
    folders = training.chapter5_folders(tmp_path)
    assert folders == {"mask_unet (FSDD only)": RELEASE / "fsdd-mask_unet", "mask_unet (best)": RELEASE / "general-mask_unet"}
    assert [training.heard_speech_commands_noise(f) for f in folders.values()] == [True, True]
    assert not training.heard_speech_commands_noise(tmp_path)  # a folder with no recorded recipe


def test_a_chapter_loads_only_the_chapter_5_models_it_names(tmp_path):
    zoo_dirs = {"report_cae (SI-SDR loss)": str(RELEASE / "zoo" / "report_cae-si_sdr"),
                "minimal_cae": str(RELEASE / "zoo" / "minimal_cae")}
    (tmp_path / "models.json").write_text(json.dumps({"best": str(RELEASE / "general-small_tcn"), "zoo": zoo_dirs,
                                                      "best_source": "a test"}))
    loaded, best, source = training.load_chapter5_models(tmp_path, seeds=("report_cae",))
    assert set(loaded) == {best, "report_cae (SI-SDR loss)"} and source == "a test"
    assert set(training.load_chapter5_models(tmp_path, seeds=())[0]) == {best}
    assert set(training.load_chapter5_models(tmp_path)[0]) == {best, *zoo_dirs}
    with pytest.raises(ParameterError, match=r"seeds=\['report_cea'\]: not models of the zoo; choose from report_cae"):
        training.load_chapter5_models(tmp_path, seeds=("report_cea",))
