"""Running the chapters with papermill and building the book with jupyter-book (used by ``make``).

Each chapter is a jupytext percent-format ``.py`` file under ``notebooks/``. :func:`run_chapters`
converts it in memory, injects the parameters and executes it into ``book/chapters/NN_name.ipynb``,
whose page then shows one parameters cell with the values of that run (:func:`merge_parameter_cells`);
:func:`build_book` turns the executed notebooks into HTML with execution off, strictly (a cell error,
a broken reference or a Sphinx warning fails the build).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from ._io import atomic_path, write_json
from .config import check_choice, check_number
from .errors import DigitDenoiseError, ParameterError


@dataclasses.dataclass(frozen=True)
class Chapter:
    number: int
    slug: str
    title: str

    @property
    def source_name(self) -> str:
        return f"{self.slug}.py"

    @property
    def output_name(self) -> str:
        return f"{self.slug}.ipynb"


CHAPTERS = (
    Chapter(1, "01_speakers", "Who is speaking: speaker metadata"),
    Chapter(2, "02_snr", "How noisy is noisy: SNR analysis"),
    Chapter(3, "03_features", "From waveform to features"),
    Chapter(4, "04_augmentation", "Making noisy data"),
    Chapter(5, "05_training", "Models and training"),
    Chapter(6, "06_evaluation", "Evaluation"),
    Chapter(7, "07_attributes", "Who benefits"),
    Chapter(8, "08_explorer", "Explore it yourself"),
    Chapter(9, "09_performance", "Appendix: speed and cost"),
)


class ChapterError(DigitDenoiseError):
    """A chapter failed to execute; the message names the chapter, the cell error and the saved notebook."""


class BookBuildError(DigitDenoiseError):
    """jupyter-book reported an error or a warning in strict mode."""


def select_chapters(spec: str | Iterable[int] | None) -> list[Chapter]:
    """Chapters by number: ``None``/``"all"`` for all, ``"1,4"`` or ``[1, 4]`` for some."""
    if spec is None or spec == "all":
        return list(CHAPTERS)
    if isinstance(spec, str):
        try:
            numbers = [int(part) for part in spec.split(",") if part.strip()]
        except ValueError:
            raise ParameterError(f"chapters={spec!r}: give chapter numbers like '1,4' or 'all'.") from None
    else:
        numbers = list(spec)
    by_number = {c.number: c for c in CHAPTERS}
    unknown = [n for n in numbers if n not in by_number]
    if unknown or not numbers:
        raise ParameterError(f"chapters={spec!r}: chapters are numbered 1-{len(CHAPTERS)}.")
    return [by_number[n] for n in numbers]


def _kernel_env() -> None:
    # The kernel spec that ipykernel installs starts "python" from PATH: make that this interpreter.
    bindir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bindir + os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    # chapters that offer live widgets (chapter 8) show a static note instead: the book has no kernel
    os.environ["DIGITDENOISE_STATIC"] = "1"


def _quiet_kernel_arguments(log_dir: Path) -> list[str]:
    """Kernel options that keep the terminal to progress and results: C++ libraries (TensorFlow's start-up
    and device messages) write to the kernel's file descriptor 2, which is sent to ``kernel.log`` in
    ``log_dir`` instead of the terminal or the published cells; the kernel's own transport notice is
    silenced. Python warnings and errors still reach the cells, and a failing cell still fails the chapter."""
    log = Path(log_dir).resolve() / "kernel.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    redirect = f"import os; os.dup2(os.open({str(log)!r}, os.O_WRONLY | os.O_CREAT | os.O_APPEND), 2)"
    return ["--IPKernelApp.capture_fd_output=False", "--IPKernelApp.log_level=ERROR",
            f"--IPKernelApp.exec_lines={[redirect]!r}"]


def execute_chapter(source: Path, output: Path, parameters: dict[str, Any], *, cwd: Path | None = None,
                    failed_dir: Path | None = None, log_dir: Path | None = None) -> float:
    """Execute one jupytext chapter into ``output`` (written atomically); return seconds taken.

    On a cell error the partly executed notebook is saved to ``failed_dir`` (never to ``output``) and
    a :class:`ChapterError` names the chapter, the exception and that file. Library log lines from the
    kernel go to ``kernel.log`` in ``log_dir`` (default: beside ``output``).
    """
    import jupytext
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = Path(source)
    if not source.is_file():
        raise ChapterError(f"chapter source {source} does not exist.")
    _kernel_env()
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    start = time.perf_counter()
    with atomic_path(output, suffix=".ipynb") as tmp:
        try:
            # capture_fd_output=False: C++ libraries (TensorFlow) log to the process's stderr; that goes
            # to the terminal, not into the published cells. Python warnings still appear in the cells.
            # The kernel starts in ``cwd`` through nbclient's resources, not papermill's ``cwd``: that one
            # changes the whole process's working directory and back, and two chapters doing so from two
            # threads leave the process (and a kernel launched in between) in the wrong folder.
            where = {"resources": {"metadata": {"path": str(Path(cwd).resolve())}}} if cwd else {}
            papermill.execute_notebook(nb, str(tmp), parameters=parameters, kernel_name="python3",
                                       progress_bar=False, log_output=False,
                                       extra_arguments=_quiet_kernel_arguments(log_dir or output.parent), **where)
        except PapermillExecutionError as exc:
            saved = ""
            if failed_dir is not None:
                failed_dir.mkdir(parents=True, exist_ok=True)
                shutil.copy2(tmp, failed_dir / output.name)
                saved = f" The partly executed notebook is {failed_dir / output.name}."
            raise ChapterError(f"chapter {source.name} failed in cell {exc.exec_count}: "
                               f"{exc.ename}: {str(exc.evalue).rstrip('.')}.{saved}") from None
        executed = nbformat.read(tmp, as_version=4)
        if merge_parameter_cells(executed, chapter=_chapter_number(source)):
            nbformat.write(executed, tmp)
    return time.perf_counter() - start


def _chapter_number(source: Path) -> int | None:
    digits = Path(source).stem.split("_", 1)[0]
    return int(digits) if digits.isdigit() else None


def merge_parameter_cells(nb, *, chapter: int | None = None) -> bool:
    """Leave one parameters cell on an executed chapter's page (every chapter). papermill adds a cell
    tagged ``injected-parameters`` after the chapter's own ``parameters`` cell, so the page would show
    two. The chapter's cell is rewritten to show the values this run used, each with its comment, under
    a first line that says how to change one; a name the chapter's cell lacks is added at the end. The
    injected cell is tagged ``remove-cell``: it stays in the notebook, which therefore still runs with
    the same values, but not on the page. Returns whether ``nb`` changed."""
    import ast

    def tagged(tag):
        return next((c for c in nb.cells if c.cell_type == "code" and tag in c.metadata.get("tags", [])), None)

    own, injected = tagged("parameters"), tagged("injected-parameters")
    if own is None or injected is None:
        return False
    injected.metadata.setdefault("tags", [])
    if "remove-cell" not in injected.metadata["tags"]:
        injected.metadata["tags"].append("remove-cell")
    values = {}
    for node in ast.parse(injected.source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.get_source_segment(injected.source, node.value)
    body = ast.parse(own.source).body  # it has just run, so it parses
    lines = [line.encode() for line in own.source.splitlines()]  # ast offsets count UTF-8 bytes
    seen = set()
    for node in reversed(body):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in values):
            name, value = node.targets[0].id, node.value
            seen.add(name)
            merged = (lines[value.lineno - 1][:value.col_offset] + values[name].encode()
                      + lines[value.end_lineno - 1][value.end_col_offset:])
            lines[value.lineno - 1:value.end_lineno] = [merged]
    text = [line.decode() for line in lines]
    text += [f"{name} = {value}" for name, value in values.items() if name not in seen]
    rerun = f"digitdenoise run --chapters {chapter}" if chapter else "digitdenoise run"
    own.source = "\n".join([f"# the values this page was run with; to change one: {rerun} -p NAME VALUE", *text])
    return True


def chapter_parameters(source: Path) -> dict[str, Any]:
    """The names and default values of a chapter's ``parameters`` cell (every chapter)."""
    import ast

    import jupytext

    nb = jupytext.read(Path(source))
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            values = {}
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        values[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        values[node.targets[0].id] = None
            return values
    raise ParameterError(f"{source} has no cell tagged 'parameters'.")


def parse_parameter(text: str) -> Any:
    """A ``-p NAME VALUE`` value as Python would read it (numbers, ``None``, booleans, quoted strings),
    else the text itself (every chapter's exercises use it)."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


# Chapters that read only the data and write nothing a later chapter reads: they may run side by side.
# Chapters 5-8 form a chain through the artifacts folder (5's models -> 6's per-clip results -> 7; 8 reads
# 5's models), and appendix 9 times models, so it never shares the machine with another chapter.
INDEPENDENT_CHAPTERS = frozenset({1, 2, 3, 4})


def run_chapters(root: Path, out_dir: Path, parameters: dict[str, Any], *, chapters: str | None = None,
                 failed_dir: Path | None = None, timings_file: Path | None = None,
                 echo=print, extra: dict[str, Any] | None = None, jobs: int = 2) -> list[dict[str, Any]]:
    """Execute the selected chapters with the same parameters; returns and optionally saves the time
    each took. Used by ``make book`` and the smoke tests. The timings file keeps the latest time of
    every chapter run with these parameters, so running a few chapters updates only theirs.

    Chapters 1-4 (:data:`INDEPENDENT_CHAPTERS`) run ``jobs`` at a time (each in its own kernel; mostly
    single-threaded work, so on two cores two of them take little longer than one), then the others in
    order, one at a time. A chapter's time is its own wall time, so times of chapters that ran side by
    side overlap. If a chapter fails, the ones already running finish, and the first failure (in chapter
    order) is raised. ``jobs=1`` runs every chapter in order. Before chapters run side by side, librosa's
    numba functions are compiled into their on-disk cache (:func:`digitdenoise._warmup.warm_librosa`; about
    3 s once ``make install`` has done it): two kernels compiling the same function into one cache at the
    same moment can crash one of them (a kernel died so in CI when the cache was new).

    ``extra`` (``digitdenoise run -p NAME VALUE``) sets chapter parameters beyond the common ones; each
    goes only to the selected chapters whose parameters cell has that name, and a name no selected
    chapter has is an error that lists the names they do have."""
    from concurrent.futures import ThreadPoolExecutor

    root = Path(root)
    notebooks = root / "notebooks"
    if not notebooks.is_dir():
        raise ParameterError(f"no notebooks/ folder under {root}; run from the repository root or pass --root.")
    jobs = check_number("jobs", jobs, minimum=1, integer=True)
    selected = select_chapters(chapters)
    known = {c.number: chapter_parameters(notebooks / c.source_name) for c in selected}
    for name in extra or {}:
        if not any(name in names for names in known.values()):
            have = sorted(set().union(*known.values()))
            raise ParameterError(f"-p {name}: no selected chapter has a parameter of that name; they have "
                                 f"{', '.join(have)}.")

    import threading

    lock = threading.Lock()

    def say(message: str) -> None:  # one line at a time when chapters run side by side
        with lock:
            echo(message)

    def one(chapter: Chapter) -> dict[str, Any]:
        mine = {**parameters, **{k: v for k, v in (extra or {}).items() if k in known[chapter.number]}}
        say(f"[chapter {chapter.number}] {chapter.title} ...")
        seconds = execute_chapter(notebooks / chapter.source_name, Path(out_dir) / chapter.output_name,
                                  mine, cwd=root, failed_dir=failed_dir,
                                  log_dir=failed_dir.parent if failed_dir is not None else None)
        say(f"[chapter {chapter.number}] done in {seconds:.1f} s")
        return {"chapter": chapter.number, "slug": chapter.slug, "seconds": round(seconds, 2)}

    timings = []

    def record(entry: dict[str, Any]) -> None:
        timings.append(entry)
        if timings_file is not None:
            _merge_timings(Path(timings_file), parameters, entry)

    side_by_side = [c for c in selected if c.number in INDEPENDENT_CHAPTERS] if jobs > 1 else []
    if len(side_by_side) > 1:
        from digitdenoise import _warmup

        _warmup.warm_librosa()
        with ThreadPoolExecutor(min(jobs, len(side_by_side))) as pool:
            futures = [pool.submit(one, c) for c in side_by_side]
        for future in futures:  # all have finished here; the first failure in chapter order is raised
            record(future.result())
    else:
        side_by_side = []
    for chapter in selected:
        if chapter not in side_by_side:
            record(one(chapter))
    return timings


def _merge_timings(path: Path, parameters: dict[str, Any], entry: dict[str, Any]) -> None:
    import json

    known: dict[int, dict[str, Any]] = {}
    if path.is_file():
        try:
            saved = json.loads(path.read_text())
            if saved.get("parameters") == parameters:
                known = {int(c["chapter"]): c for c in saved.get("chapters", [])}
        except (ValueError, KeyError, TypeError):
            known = {}
    known[entry["chapter"]] = entry
    write_json(path, {"parameters": parameters, "chapters": [known[k] for k in sorted(known)]})


def build_book(book_dir: Path, *, config: Path, toc: Path | None = None, output_dir: Path | None = None,
               strict: bool = True, echo=print) -> Path:
    """Build the HTML book with jupyter-book 1.x (notebooks already executed). ``strict`` adds
    ``-W -n --keep-going``: any warning or broken reference fails. Returns ``index.html``."""
    _kernel_env()
    book_dir = Path(book_dir).resolve()
    config = Path(config).resolve()
    toc = Path(toc).resolve() if toc else book_dir / "_toc.yml"
    output_dir = Path(output_dir).resolve() if output_dir else None
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(book_dir), "--config", str(config),
           "--toc", str(toc), "--builder", "html"]
    cmd += ["--path-output", str(output_dir or book_dir)]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    echo("$ " + " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(log.splitlines()[-40:])
        raise BookBuildError(f"jupyter-book build failed (exit {proc.returncode}):\n{tail}")
    index = (Path(output_dir) if output_dir else book_dir) / "_build" / "html" / "index.html"
    if not index.is_file():
        raise BookBuildError(f"jupyter-book finished but {index} is missing.\n{log[-2000:]}")
    return index


def parameters_for(*, dataset: str, profile: str, data_home: str | None, artifacts_dir: str,
                   seed: int = 0) -> dict[str, Any]:
    """The papermill parameters every chapter receives."""
    from .config import DATASET_NAMES, PROFILES

    check_choice("profile", profile, tuple(PROFILES))
    check_choice("dataset", dataset, DATASET_NAMES)
    params = {"dataset": dataset, "profile": profile, "artifacts_dir": artifacts_dir, "seed": int(seed)}
    if data_home:
        params["data_home"] = data_home
    return params
