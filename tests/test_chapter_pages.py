"""What a chapter's published page shows of its bookkeeping: one parameters cell with the values of the
run (not the chapter's defaults followed by papermill's injected cell), no ``glue(...)`` call, and a
glued value behind every ``{glue:text}`` the prose pastes."""

import ast
import json
import re

import nbformat
import pytest

from digitdenoise import runner

from conftest import ROOT

HIDDEN_SOURCE = {"remove-cell", "remove-input"}  # tags whose cell source never reaches the HTML


def _chapter_cells(slug):
    import jupytext

    return jupytext.read(ROOT / "notebooks" / f"{slug}.py").cells


def _visible(cell):
    return not HIDDEN_SOURCE & set(cell.metadata.get("tags", []))


def test_merge_parameter_cells_keeps_comments_and_adds_names_the_chapter_lacks():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('dataset = "fsdd"  # fsdd or audiomnist\nlabel = "−8 dB"  # non-ASCII\n'
                                  'sizes = (1,\n         2)  # two lines\nseed = 0',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('# Parameters\ndataset = "audiomnist"\nlabel = "0 dB"\nsizes = [3]\n'
                                  'artifacts_dir = "artifacts/x"\n', metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("print(dataset)")])
    assert runner.merge_parameter_cells(nb, chapter=3)
    own, injected = nb.cells[0], nb.cells[1]
    assert own.source.splitlines() == [
        "# the values this page was run with; to change one: digitdenoise run --chapters 3 -p NAME VALUE",
        'dataset = "audiomnist"  # fsdd or audiomnist', 'label = "0 dB"  # non-ASCII', "sizes = [3]  # two lines",
        "seed = 0", 'artifacts_dir = "artifacts/x"']
    assert "remove-cell" in injected.metadata["tags"] and "remove-cell" not in own.metadata["tags"]
    # what the page shows runs to the same state as what was executed
    shown, executed = {}, {}
    exec(own.source, shown)
    exec(nb.cells[0].source.split("\n", 1)[1], executed)
    exec(injected.source, executed)
    assert {k: shown[k] for k in ("dataset", "label", "sizes", "seed", "artifacts_dir")} == \
        {k: executed[k] for k in ("dataset", "label", "sizes", "seed", "artifacts_dir")}
    assert not runner.merge_parameter_cells(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))


def test_an_executed_chapter_shows_one_parameters_cell_with_the_values_of_its_run(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "02_snr.py").write_text(
        '# %% tags=["parameters"]\nsnr_db = 0.0  # the SNR (dB)\nseed = 0\n\n# %%\nprint("snr is", snr_db)\n')
    runner.run_chapters(tmp_path, tmp_path / "out", {"snr_db": -8.0}, chapters="2", echo=lambda *_: None)
    cells = json.loads((tmp_path / "out" / "02_snr.ipynb").read_text())["cells"]
    shown = [c for c in cells if c["cell_type"] == "code" and _visible(nbformat.from_dict(c))]
    parameter_cells = [c for c in shown if {"parameters", "injected-parameters"} & set(c["metadata"].get("tags", []))]
    assert len(parameter_cells) == 1
    assert "snr_db = -8.0  # the SNR (dB)" in "".join(parameter_cells[0]["source"])
    assert any("snr is -8.0" in "".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))


@pytest.mark.parametrize("slug", [c.slug for c in runner.CHAPTERS])
def test_no_chapter_shows_a_glue_call(slug):
    """A code cell that calls ``glue`` is tagged ``remove-cell`` or ``remove-input``: ``hide-input`` would
    still put the call in the page, folded."""
    shown = [i for i, c in enumerate(_chapter_cells(slug)) if c.cell_type == "code" and "glue(" in c.source
             and _visible(c)]
    assert not shown, f"{slug}: cells {shown} show glue(...) calls"


def _glued_keys(cells):
    """Keys glued by the chapter's code: exact strings, and patterns for f-string keys."""
    exact, patterns = set(), []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "glue" and node.args:
                key = node.args[0]
                if isinstance(key, ast.Constant):
                    exact.add(key.value)
                elif isinstance(key, ast.JoinedStr):
                    patterns.append("".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+"
                                            for v in key.values))
    return exact, patterns


@pytest.mark.parametrize("slug", [c.slug for c in runner.CHAPTERS])
def test_every_pasted_glue_key_is_glued_in_its_chapter(slug):
    """A ``{glue:text}`` whose key no cell glues fails the strict build; this finds it without a run."""
    cells = _chapter_cells(slug)
    exact, patterns = _glued_keys(cells)
    pasted = {key for c in cells if c.cell_type == "markdown"
              for key in re.findall(r"\{glue(?::[a-z]+)?\}`([^`]+)`", c.source)}
    missing = sorted(k for k in pasted if k not in exact and not any(re.fullmatch(p, k) for p in patterns))
    assert not missing, f"{slug} pastes keys it never glues: {missing}"
