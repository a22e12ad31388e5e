"""Every chapter runs through papermill in the smoke profile, on FSDD and on the AudioMNIST sample,
and the book built from them passes the strict jupyter-book build with audio players that decode."""

import base64
import io
import re
import shutil

import pytest
import soundfile as sf

from digitdenoise import runner

from conftest import ROOT

pytestmark = pytest.mark.slow


def _book_copy(dest):
    shutil.copytree(ROOT / "book", dest, ignore=shutil.ignore_patterns("_build", "chapters"))
    return dest


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory, data_home):
    tmp = tmp_path_factory.mktemp("smoke")
    book = _book_copy(tmp / "book")
    params = runner.parameters_for(dataset="fsdd", profile="smoke", data_home=str(data_home),
                                   artifacts_dir=str(tmp / "artifacts"))
    timings = runner.run_chapters(ROOT, book / "chapters", params, failed_dir=tmp / "failed")
    index = runner.build_book(book, config=ROOT / "_config.yml")
    return book, index, timings


def test_every_chapter_runs_and_the_strict_build_passes(smoke_book):
    book, index, timings = smoke_book
    assert index.is_file() and [t["chapter"] for t in timings] == list(range(1, 8))
    print("smoke chapter seconds:", {t["slug"]: t["seconds"] for t in timings})


@pytest.mark.parametrize("chapter", [c.slug for c in runner.CHAPTERS])
def test_each_chapter_page_has_playable_audio(smoke_book, chapter):
    book, _, _ = smoke_book
    html = (book / "_build" / "html" / "chapters" / f"{chapter}.html").read_text()
    sources = re.findall(r'<audio[^>]*src="data:audio/wav;base64,([^"]+)"', html)
    assert sources, f"{chapter} has no audio player"
    for data in sources:
        y, sr = sf.read(io.BytesIO(base64.b64decode(data)))
        assert sr in (8000, 16000) and len(y) > 0
    assert "Traceback" not in html


def test_chapters_run_on_the_audiomnist_sample(tmp_path, data_home):
    params = runner.parameters_for(dataset="audiomnist-sample", profile="smoke", data_home=str(data_home),
                                   artifacts_dir=str(tmp_path / "artifacts"))
    timings = runner.run_chapters(ROOT, tmp_path / "chapters", params, failed_dir=tmp_path / "failed")
    assert len(timings) == 7 and all((tmp_path / "chapters" / f"{c.slug}.ipynb").is_file() for c in runner.CHAPTERS)


def test_strict_build_fails_on_a_broken_reference(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "book" / "references.bib", book)
    (book / "intro.md").write_text("# Intro\n\nSee {ref}`a-label-that-does-not-exist`.\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    with pytest.raises(runner.BookBuildError, match="a-label-that-does-not-exist"):
        runner.build_book(book, config=ROOT / "_config.yml")
