import json

import pytest

from digitdenoise import cli, runner
from digitdenoise.errors import ParameterError

from conftest import ROOT


def test_select_chapters():
    assert [c.number for c in runner.select_chapters("all")] == list(range(1, 10))
    assert [c.slug for c in runner.select_chapters("1,4")] == ["01_speakers", "04_augmentation"]
    for bad in ("10", "0", "one", ""):
        with pytest.raises(ParameterError, match="chapters="):
            runner.select_chapters(bad)


def test_a_failing_chapter_names_the_error_and_writes_no_output(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_speakers.py").write_text(
        '# %% tags=["parameters"]\nx = 1\n\n# %%\nraise ValueError("boom in chapter")\n')
    out = tmp_path / "out"
    with pytest.raises(runner.ChapterError, match=r"01_speakers.py failed in cell \d+: ValueError: boom in chapter"):
        runner.run_chapters(tmp_path, out, {"x": 2}, chapters="1", failed_dir=tmp_path / "failed",
                            echo=lambda *_: None)
    assert not (out / "01_speakers.ipynb").exists()
    assert not list(out.glob("*")) if out.exists() else True
    assert (tmp_path / "failed" / "01_speakers.ipynb").is_file()


def _timed_chapter(log):
    return ('# %% tags=["parameters"]\nx = 1\n\n# %%\nimport time\nstart = time.time()\n'
            f'time.sleep(1.0)\nopen({str(log)!r}, "a").write(f"{{start}} {{time.time()}}\\n")\n')


def _meeting_chapter(folder, name):
    """A chapter that says it has started, then waits (at most 60 s) until a second chapter has started
    too, and writes how many it saw: 2 or more only if another chapter ran while it was running."""
    return ('# %% tags=["parameters"]\nx = 1\n\n# %%\nimport pathlib, time\n'
            f'here = pathlib.Path({str(folder)!r})\n(here / "{name}.started").touch()\n'
            'deadline = time.time() + 60\n'
            'while len(list(here.glob("*.started"))) < 2 and time.time() < deadline:\n    time.sleep(0.05)\n'
            f'(here / "{name}.saw").write_text(str(len(list(here.glob("*.started")))))\n'
            f'(here / "{name}.ended").write_text(str(time.time()))\n')


def test_chapters_one_to_four_run_side_by_side_and_the_chain_waits_for_them(tmp_path, monkeypatch):
    from digitdenoise import _warmup

    warmed = []
    monkeypatch.setattr(_warmup, "warm_librosa", lambda: warmed.append(True) or 0.0)
    (tmp_path / "notebooks").mkdir()
    meet = tmp_path / "meet"
    meet.mkdir()
    slugs = [c.slug for c in runner.select_chapters("1,2,3,4,5")]
    for slug in slugs[:4]:
        (tmp_path / "notebooks" / f"{slug}.py").write_text(_meeting_chapter(meet, slug))
    (tmp_path / "notebooks" / f"{slugs[4]}.py").write_text(_timed_chapter(tmp_path / "five.log"))
    timings = runner.run_chapters(tmp_path, tmp_path / "out", {"x": 2}, chapters="5,1,2,3,4", jobs=2,
                                  timings_file=tmp_path / "t.json", echo=lambda *_: None)
    # chapters 1 and 2 start first, each waits for another to start: both saw two only if they ran together
    assert [int((meet / f"{slug}.saw").read_text()) >= 2 for slug in slugs[:4]] == [True] * 4
    five_start = float((tmp_path / "five.log").read_text().split()[0])
    assert five_start > max(float((meet / f"{slug}.ended").read_text()) for slug in slugs[:4])  # the chain waited
    assert [t["chapter"] for t in timings] == [1, 2, 3, 4, 5]
    assert warmed == [True]  # librosa's numba cache was filled before the kernels started side by side
    assert [c["chapter"] for c in json.loads((tmp_path / "t.json").read_text())["chapters"]] == [1, 2, 3, 4, 5]
    for number, slug in enumerate(slugs[:2]):
        (tmp_path / "notebooks" / f"{slug}.py").write_text(_timed_chapter(tmp_path / f"{number}.log"))
    runner.run_chapters(tmp_path, tmp_path / "out", {"x": 2}, chapters="1,2", jobs=1, echo=lambda *_: None)
    (_, end1), (start2, _) = (tuple(float(v) for v in (tmp_path / f"{n}.log").read_text().split()) for n in (0, 1))
    assert start2 > end1  # jobs=1: one after the other
    assert warmed == [True]


def test_chapters_side_by_side_start_in_the_root_and_leave_the_working_directory_alone(tmp_path, monkeypatch):
    """The process's working directory is shared by every thread: changing it for one chapter (papermill's
    ``cwd`` does) leaves the process, and a kernel launched meanwhile, in the wrong folder. Each kernel
    starts in the root without it."""
    import os

    moves = []
    real_chdir = os.chdir
    monkeypatch.setattr(os, "chdir", lambda path: moves.append(path) or real_chdir(path))
    (tmp_path / "notebooks").mkdir()
    for number, (slug, pause) in enumerate(zip([c.slug for c in runner.select_chapters("1,2")], (0.5, 2.0))):
        (tmp_path / "notebooks" / f"{slug}.py").write_text(
            '# %% tags=["parameters"]\nx = 1\n\n# %%\nimport os, time\n'
            f'time.sleep({pause})\nopen({str(tmp_path / f"cwd{number}.txt")!r}, "w").write(os.getcwd())\n')
    before = os.getcwd()
    runner.run_chapters(tmp_path, tmp_path / "out", {"x": 2}, chapters="1,2", jobs=2, echo=lambda *_: None)
    assert os.getcwd() == before and set(map(str, moves)) <= {before}  # (papermill re-enters the same folder to write)
    assert [(tmp_path / f"cwd{n}.txt").read_text() for n in (0, 1)] == [str(tmp_path.resolve())] * 2


def test_a_chapter_failing_beside_another_lets_it_finish_and_is_named(tmp_path):
    (tmp_path / "notebooks").mkdir()
    slugs = [c.slug for c in runner.select_chapters("1,2")]
    (tmp_path / "notebooks" / f"{slugs[0]}.py").write_text(_timed_chapter(tmp_path / "one.log"))
    (tmp_path / "notebooks" / f"{slugs[1]}.py").write_text(
        '# %% tags=["parameters"]\nx = 1\n\n# %%\nraise ValueError("boom beside chapter 1")\n')
    with pytest.raises(runner.ChapterError, match="02_snr.py failed in cell .*boom beside chapter 1"):
        runner.run_chapters(tmp_path, tmp_path / "out", {"x": 2}, chapters="1,2", jobs=2,
                            failed_dir=tmp_path / "failed", echo=lambda *_: None)
    assert (tmp_path / "out" / f"{slugs[0]}.ipynb").is_file() and (tmp_path / "one.log").is_file()
    assert not (tmp_path / "out" / f"{slugs[1]}.ipynb").exists()
    with pytest.raises(ParameterError, match="jobs"):
        runner.run_chapters(tmp_path, tmp_path / "out", {"x": 2}, chapters="1", jobs=0, echo=lambda *_: None)


def test_chapter_parameters_are_injected(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "02_snr.py").write_text(
        '# %% tags=["parameters"]\nsnr_db = 0.0\n\n# %%\nprint("snr is", snr_db)\n')
    timings = runner.run_chapters(tmp_path, tmp_path / "out", {"snr_db": -8.0}, chapters="2",
                                  timings_file=tmp_path / "t.json", echo=lambda *_: None)
    import nbformat

    nb = nbformat.read(tmp_path / "out" / "02_snr.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "snr is -8.0" in printed
    assert timings[0]["slug"] == "02_snr" and json.loads((tmp_path / "t.json").read_text())["chapters"]


def test_cli_errors_are_one_line_with_status_2(tmp_path, capsys, no_network):
    assert cli.main(["--data-home", str(tmp_path / "nowhere"), "fetch", "fsdd"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: could not download") and "Offline" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert cli.main(["--root", str(tmp_path), "--data-home", str(tmp_path), "run"]) == 2
    assert "no notebooks/ folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "--profile", "fast"])
    assert exit_.value.code == 2
    capsys.readouterr()
    for option, message in (("lookahead", "write each option as KEY=VALUE"), ("lookahead=ten", "not a number"),
                            ("lookahead=1,2", "not a number, a word or a JSON value"),
                            ("lookahed=3", "small_tcn has no option lookahed")):
        assert cli.main(["train", "--model", "small_tcn", "--network", option, "--out", str(tmp_path / "t")]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "t").exists()
    assert cli.main(["train", "--noise-perturb", "0.5", "--out", str(tmp_path / "t")]) == 2
    assert "add --recipe general" in capsys.readouterr().err


def test_cli_fetch_uses_data_already_present(data_home, capsys, no_network):
    assert cli.main(["--data-home", str(data_home), "fetch", "fsdd", "noise", "audiomnist-meta"]) == 0
    out = capsys.readouterr().out
    assert "fsdd: 3000 clips, 6 speakers" in out and "AudioMNIST metadata: 60 speakers" in out


def test_book_offline_without_data_fails_cleanly(tmp_path, capsys, no_network):
    code = cli.main(["--root", str(ROOT), "--data-home", str(tmp_path), "book", "--offline",
                     "--artifacts", str(tmp_path / "a"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "audioMNIST_meta.txt not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_quality_benchmark_reports_a_missing_model_clearly(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "quality.py"), "--model-dir", str(tmp_path / "none"),
                           "--out", str(tmp_path / "q.json")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "error: no saved model at" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "q.json").exists()


def test_run_passes_extra_parameters_only_to_chapters_that_have_them(tmp_path, monkeypatch):
    from digitdenoise import runner
    from digitdenoise.errors import ParameterError

    seen = {}
    monkeypatch.setattr(runner, "execute_chapter", lambda source, output, parameters, **kw: seen.update(
        {source.name: parameters}) or 0.0)
    runner.run_chapters(ROOT, tmp_path, {"profile": "smoke"}, chapters="2,4", echo=lambda *a: None,
                        extra={"snr_db": -5.0, "snr_low_db": -3.0})
    assert seen["02_snr.py"]["snr_db"] == -5.0 and "snr_low_db" not in seen["02_snr.py"]
    assert seen["04_augmentation.py"]["snr_low_db"] == -3.0
    with pytest.raises(ParameterError, match="-p no_such_thing: no selected chapter"):
        runner.run_chapters(ROOT, tmp_path, {}, chapters="2", echo=lambda *a: None, extra={"no_such_thing": 1})
    assert runner.parse_parameter("-5") == -5 and runner.parse_parameter("None") is None
    assert runner.parse_parameter("white") == "white"


def test_run_refuses_to_set_common_parameters_with_p(capsys):
    from digitdenoise import cli

    assert cli.main(["run", "--chapters", "2", "-p", "profile", "full"]) != 0
    assert "set it with its own option (--profile)" in capsys.readouterr().err


def test_library_log_lines_from_a_chapter_go_to_the_kernel_log_not_the_terminal(tmp_path, capfd):
    source = tmp_path / "tiny.py"
    source.write_text('# %% tags=["parameters"]\nx = 1\n\n# %%\nimport os\nos.write(2, b"C-LEVEL LOG LINE\\n")\n'
                      'print("cell output", x)\n')
    runner.execute_chapter(source, tmp_path / "out" / "tiny.ipynb", {"x": 2}, log_dir=tmp_path / "logs")
    captured = capfd.readouterr()
    assert "C-LEVEL LOG LINE" not in captured.err + captured.out
    assert "running over TCP" not in captured.err
    assert "C-LEVEL LOG LINE" in (tmp_path / "logs" / "kernel.log").read_text()
    cells = json.loads((tmp_path / "out" / "tiny.ipynb").read_text())["cells"]
    assert any("cell output 2" in "".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))
