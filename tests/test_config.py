import pytest

from digitdenoise import config
from digitdenoise.errors import ParameterError


def test_resolve_merges_profile_and_overrides(tmp_path):
    run = config.resolve(profile="smoke", dataset="fsdd", data_home=tmp_path, epochs=3, seed=7)
    assert run.profile == "smoke" and run.seed == 7 and run.data_home == tmp_path
    assert run["epochs"] == 3
    assert run["clips_per_speaker"] == config.PROFILES["smoke"]["clips_per_speaker"]


def test_data_home_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(config.DATA_HOME_ENV, str(tmp_path))
    assert config.resolve().data_home == tmp_path


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"profile": "fast"}, ["profile", "'fast'", "smoke"]),
        ({"dataset": "mnist"}, ["dataset", "fsdd", "audiomnist"]),
        ({"snr_db": "-8"}, ["snr_db", "number", "str"]),
        ({"snr_db": float("nan")}, ["snr_db", "NaN"]),
        ({"epochs": -2}, ["epochs", ">= 1"]),
        ({"epochs": 2.5}, ["epochs", "whole number"]),
        ({"seed": -1}, ["seed", ">= 0"]),
        ({"seed": True}, ["seed", "bool"]),
        ({"epoch": 3}, ["unknown parameter", "'epoch'", "epochs"]),
    ],
)
def test_bad_parameters_get_specific_messages(kwargs, words):
    with pytest.raises(ParameterError) as err:
        config.resolve(**kwargs)
    for word in words:
        assert word in str(err.value)


def test_default_artifacts_folder_is_the_one_the_runner_uses():
    from digitdenoise import config

    assert str(config.resolve(dataset="fsdd", profile="smoke").artifacts_dir) == "artifacts/fsdd-smoke"
    assert str(config.resolve(artifacts_dir="/tmp/x").artifacts_dir) == "/tmp/x"
