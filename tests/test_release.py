"""The committed release checkpoints: present, small, loadable, and their figures belong to them."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from digitdenoise import training

RELEASE = ROOT / "models" / "release"
FOLDERS = ["fsdd-mask_unet", "fsdd-mask_unet-white"]


@pytest.mark.parametrize("name", FOLDERS)
def test_a_release_checkpoint_is_small_loadable_and_matches_its_figures(name):
    folder = RELEASE / name
    assert (folder / "model.keras").stat().st_size <= 5 * 2**20
    model, info = training.load_denoiser(folder)
    parameters = int(model.network.count_params())
    quality = json.loads((folder / "quality.json").read_text())
    assert info["parameters"] == quality["parameters"] == parameters
    assert quality["model_dir"] == f"models/release/{name}" and quality["snr_db"] == -8.0
    r = quality["results"]
    assert np.isclose(quality["ratio_model_to_irm"],
                      r["model"]["si_sdr_improvement_db"] / r["oracle_irm"]["si_sdr_improvement_db"])
    # the kept weights are the validation winner recorded in the history
    history = pd.read_csv(folder / "history.csv")
    best = info["best_epoch"]
    scores = history.filter(like="val_loss")  # val_loss, and val_loss_average where weights were averaged
    if isinstance(best, int):
        assert np.isclose(history.loc[history["epoch"] == best, "val_loss"].item(), scores.min().min())
    else:
        last = int(best.rsplit("-", 1)[1])
        assert np.isclose(history.loc[history["epoch"] == last, "val_loss_average"].item(), scores.min().min())


def test_the_benchmark_copy_of_the_specialists_figures_is_current():
    kept = json.loads((RELEASE / "fsdd-mask_unet-white" / "quality.json").read_text())
    bench = json.loads((ROOT / "bench" / "results" / "quality-white.json").read_text())
    assert bench["ratio_model_to_irm"] == kept["ratio_model_to_irm"]
