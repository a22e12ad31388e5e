"""Every chapter runs through papermill in the smoke profile, on FSDD and on the AudioMNIST sample,
and the book built from them passes the strict jupyter-book build with audio players that decode."""

import base64
import io
import os
import re
import shutil
import subprocess
import sys

import pytest
import soundfile as sf

from digitdenoise import runner

from conftest import ROOT

pytestmark = pytest.mark.slow


def _book_copy(dest):
    shutil.copytree(ROOT / "book", dest, ignore=shutil.ignore_patterns("_build", "chapters"))
    return dest


# The chapters the AudioMNIST sample runs in `make test`: 1-4, where the corpus itself is read (its speaker
# metadata, its clips' SNR, its 16 kHz features and noise mixtures). Chapters 5-7 on the sample (the zoo
# trained at 16 kHz, chapter 6's scoring, the attribute analysis) cost as much again as the whole FSDD smoke
# book, which runs every chapter; `make test-audiomnist` runs them all on the sample
# (DIGITDENOISE_TEST_AUDIOMNIST_CHAPTERS=all), and a unit test trains and scores a model at 16 kHz on the
# sample's clips (test_training.py). This keeps CI within its ten minutes.
AUDIOMNIST_CHAPTERS = tuple(runner.select_chapters(os.environ.get("DIGITDENOISE_TEST_AUDIOMNIST_CHAPTERS", "1,2,3,4")))


@pytest.fixture(scope="module")
def audiomnist_sample_run(tmp_path_factory, data_home):
    """The smoke profile's :data:`AUDIOMNIST_CHAPTERS` on the AudioMNIST sample (16 kHz),
    started in a separate process before the FSDD smoke book so that the two runs share the machine's
    cores instead of taking turns. Its kernels read librosa's numba cache, which conftest's
    ``pytest_configure`` filled before any of them started."""
    tmp = tmp_path_factory.mktemp("audiomnist-sample")
    log = open(tmp / "run.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "digitdenoise.cli", "run", "--profile", "smoke",
                             "--dataset", "audiomnist-sample", "--artifacts", str(tmp / "artifacts"),
                             "--chapters", ",".join(str(c.number) for c in AUDIOMNIST_CHAPTERS),
                             "--out", str(tmp / "chapters")], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "DIGITDENOISE_DATA_HOME": str(data_home)})
    yield proc, tmp
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    log.close()


@pytest.fixture(scope="module")
def smoke_book(tmp_path_factory, data_home, audiomnist_sample_run):
    tmp = tmp_path_factory.mktemp("smoke")
    book = _book_copy(tmp / "book")
    params = runner.parameters_for(dataset="fsdd", profile="smoke", data_home=str(data_home),
                                   artifacts_dir=str(tmp / "artifacts"))
    timings = runner.run_chapters(ROOT, book / "chapters", params, failed_dir=tmp / "failed")
    index = runner.build_book(book, config=ROOT / "_config.yml")
    return book, index, timings


def test_every_chapter_runs_and_the_strict_build_passes(smoke_book):
    book, index, timings = smoke_book
    assert index.is_file() and [t["chapter"] for t in timings] == [c.number for c in runner.CHAPTERS]
    print("smoke chapter seconds:", {t["slug"]: t["seconds"] for t in timings})


NO_AUDIO = {"09_performance"}  # the benchmark appendix has tables and plots, nothing to listen to


@pytest.mark.parametrize("chapter", [c.slug for c in runner.CHAPTERS if c.slug not in NO_AUDIO])
def test_each_chapter_page_has_playable_audio(smoke_book, chapter):
    book, _, _ = smoke_book
    html = (book / "_build" / "html" / "chapters" / f"{chapter}.html").read_text()
    sources = re.findall(r'<audio[^>]*src="data:audio/wav;base64,([^"]+)"', html)
    assert sources, f"{chapter} has no audio player"
    for data in sources:
        y, sr = sf.read(io.BytesIO(base64.b64decode(data)))
        assert sr in (8000, 16000) and len(y) > 0
    assert "Traceback" not in html


@pytest.mark.parametrize("chapter", [c.slug for c in runner.CHAPTERS])
def test_pages_show_numbers_not_numpy_reprs(smoke_book, chapter):
    book, _, _ = smoke_book
    html = (book / "_build" / "html" / "chapters" / f"{chapter}.html").read_text()
    found = re.findall(r"np\.(?:int|float|bool_)\w*\([^)]*\)", html)
    assert not found, f"{chapter} shows numpy reprs (glue or print a plain, formatted number): {found[:3]}"


@pytest.mark.parametrize("chapter", [c.slug for c in runner.CHAPTERS])
def test_pasted_text_shows_no_raw_markdown(smoke_book, chapter):
    """``{glue:text}`` pastes plain text: markdown in it (code spans, bold) would reach the reader as
    literal backticks and asterisks; such values are glued as Markdown and pasted with ``{glue:md}``."""
    book, _, _ = smoke_book
    html = (book / "_build" / "html" / "chapters" / f"{chapter}.html").read_text()
    pasted = re.findall(r'<span class="pasted-text">([^<]*)</span>', html)
    raw = [p for p in pasted if "`" in p or "**" in p]
    assert not raw, f"{chapter} pastes raw markdown as text: {raw[:3]}"


def test_chapters_run_on_the_audiomnist_sample(audiomnist_sample_run):
    proc, tmp = audiomnist_sample_run
    code = proc.wait(timeout=1200)
    log = (tmp / "run.log").read_text()
    assert code == 0, f"the AudioMNIST-sample run failed:\n{log[-3000:]}"
    assert all((tmp / "chapters" / f"{c.slug}.ipynb").is_file() for c in AUDIOMNIST_CHAPTERS)
    assert log.count("done in") == len(AUDIOMNIST_CHAPTERS), log[-3000:]


def test_strict_build_fails_on_a_broken_reference(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "book" / "references.bib", book)
    (book / "intro.md").write_text("# Intro\n\nSee {ref}`a-label-that-does-not-exist`.\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    with pytest.raises(runner.BookBuildError, match="a-label-that-does-not-exist"):
        runner.build_book(book, config=ROOT / "_config.yml")


# ---------------------------------------------------------------- the published book in a real browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def served_book(smoke_book):
    import functools
    import http.server
    import threading

    book, _, _ = smoke_book
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(book / "_build" / "html"))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield book, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _toc_pages(book):
    import yaml

    toc = yaml.safe_load((book / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        pages += [c["file"] for c in part["chapters"]]
    return pages


def test_every_page_works_in_headless_chromium(served_book):
    """Each page of the built book, opened in Debian's Chromium through Playwright: no console errors or
    uncaught exceptions, every audio player's source decodes, every image loads, every internal link
    resolves, and the navigation lists the pages in the table of contents' order."""
    import urllib.error
    import urllib.parse
    import urllib.request

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (.ci/run does: apt-get install chromium)",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    book, base = served_book
    pages = _toc_pages(book)
    problems, links, audio_count = [], set(), 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        for name in pages:
            errors = []
            page.on("console", lambda msg, errors=errors: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            # a request the browser itself cancels when the test moves on (e.g. the favicon) is not a failure
            page.on("requestfailed", lambda req, errors=errors: errors.append(f"request failed: {req.url} ({req.failure})")
                    if req.failure != "net::ERR_ABORTED" else None)
            url = f"{base}/{name}.html"
            response = page.goto(url, wait_until="networkidle")
            assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
            durations = page.evaluate("""async () => Promise.all([...document.querySelectorAll('audio')].map(a =>
                new Promise(resolve => {
                    if (a.readyState >= 1) return resolve(a.duration);
                    a.addEventListener('loadedmetadata', () => resolve(a.duration), {once: true});
                    a.addEventListener('error', () => resolve(-1), {once: true});
                    a.load();
                    setTimeout(() => resolve(-2), 10000);
                })))""")
            audio_count += len(durations)
            bad_audio = [d for d in durations if not d > 0]
            if bad_audio:
                problems.append(f"{name}: {len(bad_audio)} of {len(durations)} audio players do not decode")
            images = page.evaluate("""async () => Promise.all([...document.images].map(img => img.complete ?
                {src: img.src.slice(0, 80), w: img.naturalWidth} :
                new Promise(r => { img.onload = img.onerror = () => r({src: img.src.slice(0, 80), w: img.naturalWidth}); })))""")
            problems += [f"{name}: image does not load: {i['src']}" for i in images if not i["w"] > 0]
            hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
            links |= {h.split("#")[0] for h in hrefs if h.startswith(base)}
            if name == pages[0]:
                nav = page.evaluate("() => [...document.querySelectorAll('nav.bd-docs-nav a.reference.internal')]"
                                    ".map(a => a.getAttribute('href'))")
                order = [h.split("#")[0].removesuffix(".html") for h in nav if h and not h.startswith("#")]  # "#": this page
                assert order == pages[1:], f"navigation order {order} differs from the table of contents {pages[1:]}"
            problems += [f"{name}: console: {e}" for e in errors]
        browser.close()
    for link in sorted(links):
        try:
            urllib.request.urlopen(urllib.request.Request(link, method="HEAD"), timeout=10)
        except urllib.error.HTTPError as exc:
            problems.append(f"broken internal link {link}: HTTP {exc.code}")
    assert audio_count > 0
    assert not problems, "\n".join(problems)
