"""Shared fixtures. Tests read the real data mirror: $DIGITDENOISE_DATA_HOME, or ../shared/data beside
the repository (as in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """Before any worker starts: compile librosa's numba functions into their on-disk cache (``make install``
    already did; then this takes about 3 s). Every worker, chapter kernel and subprocess then only reads
    that cache: two processes compiling the same function into one cache at the same moment can crash
    the one that reads it half-written (a segmentation fault, reproduced with three processes)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        from digitdenoise import _warmup

        _warmup.warm_librosa()


def _data_home() -> Path:
    env = os.environ.get("DIGITDENOISE_DATA_HOME")
    return Path(env) if env else ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_home() -> Path:
    home = _data_home()
    if not (home / "fsdd" / "recordings").is_dir():
        pytest.fail(f"test data not found in {home}: set DIGITDENOISE_DATA_HOME to the data mirror "
                    "(fsdd/, audiomnist-sample/, noise/)", pytrace=False)
    return home


@pytest.fixture(scope="session")
def fsdd_table(data_home):
    from digitdenoise import data

    return data.load_clips("fsdd", data_home, download=False)


@pytest.fixture(scope="session")
def sample_table(data_home):
    from digitdenoise import data

    return data.load_clips("audiomnist-sample", data_home, download=False)


@pytest.fixture
def no_network(monkeypatch):
    """Fail loudly if a test tries to download."""
    import pooch

    def refuse(*args, **kwargs):
        raise AssertionError("this test must not download anything")

    monkeypatch.setattr(pooch, "retrieve", refuse)


@pytest.fixture(scope="session")
def enhancer():
    """The release model behind the ``denoise`` command and the service, in float32 (shared by tests)."""
    from digitdenoise import inference

    if not (inference.default_model_dir() / "model.keras").is_file():
        pytest.fail(f"the release checkpoint {inference.default_model_dir()} is missing", pytrace=False)
    return inference.Enhancer(precision="float32")


@pytest.fixture(scope="module")
def release_model():
    """The release model's Keras ``Denoiser``, loaded afresh for each test module (the export tests trace
    it in ways the streaming tests must not inherit)."""
    from digitdenoise import inference, training

    path = inference.default_model_dir()
    if not (path / "model.keras").is_file():
        pytest.fail(f"the release checkpoint {path} is missing", pytrace=False)
    return training.load_denoiser(path)[0]


def pytest_collection_modifyitems(session, config, items):
    """The chapter smoke runs first: they are the longest file (the two smoke books and the strict build),
    so under ``pytest -n 2 --dist loadfile`` (``make test``) one worker starts them at once while the other
    works through the unit tests, instead of picking them up after the files that sort before them."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] != "tests/test_notebooks.py")
