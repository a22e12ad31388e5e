"""Project hygiene that a reader relies on: environment.yml mirrors pyproject.toml, every public
function says which chapter teaches it, and chapters are jupytext sources with a parameters cell."""

import importlib
import inspect
import re
import tomllib

import pytest

from conftest import ROOT


def _norm(spec):
    return re.sub(r"\s+", "", spec)


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [d for extra in ("book", "test", "peers", "export")
                                        for d in project["optional-dependencies"][extra]]
    lines = [line.strip()[2:] for line in (ROOT / "environment.yml").read_text().splitlines()
             if line.strip().startswith("- ") and not line.strip().startswith("- -e")]
    pip_section = [l for l in lines if re.match(r"^[A-Za-z]", l) and not l.endswith(":")
                   and l not in ("pip", "conda-forge") and not l.startswith("python=")]
    assert sorted(map(_norm, pip_section)) == sorted(map(_norm, wanted))


@pytest.mark.parametrize("module", ["data", "noise", "metrics", "features", "audio", "plots", "config", "baselines",
                                    "families", "augment", "generalisation", "recognition", "datasets",
                                    "datasets.speechocean762", "datasets.hu_nonspeech", "datasets.fsdd",
                                    "datasets.audiomnist", "evaluation", "inference", "service", "explorer", "folds",
                                    "instrument", "speakers", "statistics", "training", "losses", "denoising", "zoo",
                                    "export", "streaming", "variants", "checkpoints", "generalisation_results"])
def test_public_functions_name_their_chapter(module):
    mod = importlib.import_module(f"digitdenoise.{module}")
    missing = []
    for name, obj in vars(mod).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            doc = inspect.getdoc(obj) or ""
            if not re.search(r"chapters? \d|every chapter", doc, re.I):
                missing.append(name)
    assert not missing, f"docstrings without a chapter in digitdenoise.{module}: {missing}"


def test_chapters_are_jupytext_sources_with_a_parameters_cell():
    import jupytext

    from digitdenoise.runner import CHAPTERS

    assert not list((ROOT / "notebooks").glob("*.ipynb"))
    for chapter in CHAPTERS:
        nb = jupytext.read(ROOT / "notebooks" / chapter.source_name)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), chapter.slug
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {chapter.number}.")


def test_every_figure_cell_has_a_caption():
    """A cell that shows a matplotlib figure carries myst-nb figure metadata with a caption and a name."""
    import jupytext

    from digitdenoise.runner import CHAPTERS

    missing = []
    for chapter in CHAPTERS:
        nb = jupytext.read(ROOT / "notebooks" / chapter.source_name)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and "plt.show()" in cell.source:
                fig = cell.metadata.get("mystnb", {}).get("figure", {})
                if not fig.get("caption") or not fig.get("name"):
                    missing.append(f"{chapter.slug} cell {i}")
    assert not missing, f"figures without caption/name: {missing}"
