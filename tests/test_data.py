import json
import shutil

import numpy as np
import pandas as pd
import pytest

from digitdenoise import data
from digitdenoise.errors import AudioFileError, DataError, ParameterError


def test_fsdd_table_is_complete_and_tidy(fsdd_table):
    t = fsdd_table
    assert len(t) == 3000
    assert sorted(t["speaker"].unique()) == ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
    assert set(t["digit"]) == set(range(10)) and set(t["take"]) == set(range(50))
    assert (t["sample_rate"] == 8000).all()
    assert t["clip_id"].is_unique
    assert np.allclose(t["duration_s"], t["n_samples"] / 8000)
    assert {"path", "dataset", "gender", "accent", "country"} <= set(t.columns)
    assert t.loc[t["speaker"] == "george", "accent"].unique().tolist() == ["Greek"]
    assert t.loc[t["speaker"] == "yweweler", "country"].unique().tolist() == ["DEU"]


def test_audiomnist_sample_table(sample_table):
    t = sample_table
    assert len(t) == 6
    assert (t["sample_rate"] == 48000).all()
    assert t["speaker"].tolist() == ["01", "02", "08", "42", "51", "56"]
    row = t.set_index("speaker").loc["42"]
    assert (row["digit"], row["take"], row["country"], row["continent"]) == (9, 10, "Syria", "Asia")


def test_audiomnist_metadata_cleaning(data_home):
    raw = data.read_audiomnist_metadata_file(data.find_audiomnist_metadata(data_home, download=False))
    meta = data.clean_audiomnist_metadata(raw)
    assert len(meta) == 60
    # the impossible age "1234" becomes missing, nothing else does
    assert meta["age"].isna().sum() == 1
    assert str(meta.loc[meta["age"].isna(), "age_raw"].iloc[0]) == "1234"
    assert meta["age"].dropna().between(10, 100).all()
    # five spellings of four rooms
    assert sorted(meta["room"].unique()) == ["Kino", "Ruheraum", "library", "vr-room"]
    assert (meta["room"] == "vr-room").sum() == 35
    assert "german" not in set(meta["accent"]) and (meta["accent"] == "German").sum() == 41
    assert "Brazilian" in set(meta["accent"])
    # origin split into three columns, spelling and continent fixed
    assert "Spanien" not in set(meta["country"])
    assert set(meta.loc[meta["country"].isin(["Syria", "India"]), "continent"]) == {"Asia"}
    assert meta.loc["01", "city"] == "Wuerzburg"
    assert meta["native_speaker"].sum() == 3
    assert meta["recording_date"].notna().all()
    table = data.metadata_cleaning_table(raw, meta)
    rooms = table[table["field"] == "room"]
    assert set(rooms["raw value"]) == {"VR-Room", "VR-room", "vr-romm"}  # spelling variants only
    assert "1234" in set(table.loc[table["field"] == "age", "raw value"])


def test_metadata_errors(tmp_path):
    bad = tmp_path / "audioMNIST_meta.txt"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        data.read_audiomnist_metadata_file(bad)
    with pytest.raises(DataError, match="non-empty"):
        data.clean_audiomnist_metadata({})


def test_fsdd_metadata_py_is_parsed_without_executing():
    source = "import os\nmetadata = {'a': {'gender': 'male', 'accent': 'USA/neutral', 'language': 'english'}}\n"
    assert data.parse_fsdd_metadata_py(source)["a"]["accent"] == "USA/neutral"
    with pytest.raises(DataError, match="no `metadata"):
        data.parse_fsdd_metadata_py("x = 1\n")


def test_subsample_is_balanced_and_reproducible(fsdd_table):
    a = data.subsample(fsdd_table, 10, seed=3)
    b = data.subsample(fsdd_table, 10, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert (a.groupby("speaker").size() == 10).all()
    assert (a.groupby("speaker")["digit"].nunique() == 10).all()
    assert not a.equals(data.subsample(fsdd_table, 10, seed=4))


@pytest.mark.parametrize("seed", range(20))
def test_speaker_split_is_disjoint_and_deterministic(seed):
    speakers = [f"{i:02d}" for i in range(1, 61)]
    split = data.speaker_split(speakers, seed=seed)
    assert set(split) == set(speakers)  # every speaker in exactly one split (a dict cannot repeat keys)
    counts = pd.Series(split).value_counts()
    assert counts["test"] == 9 and counts["validation"] == 9 and counts["train"] == 42
    assert split == data.speaker_split(reversed(speakers), seed=seed)


def test_assign_split_on_clips(fsdd_table):
    t = data.assign_split(fsdd_table, seed=0)
    assert (t.groupby("speaker")["split"].nunique() == 1).all()
    assert set(t["split"]) == {"train", "validation", "test"}
    fixed = data.assign_split(fsdd_table, test_speakers=["theo"], validation_speakers=["george"])
    assert fixed.loc[fixed["split"] == "test", "speaker"].unique().tolist() == ["theo"]
    official = data.assign_split(fsdd_table, scheme="fsdd-official")
    assert (official.loc[official["split"] == "test", "take"] < 5).all()
    assert (official["split"] == "test").sum() == 300


def test_split_errors():
    with pytest.raises(ParameterError, match="unknown speakers"):
        data.speaker_split(["a", "b", "c"], test_speakers=["z"])
    with pytest.raises(ParameterError, match="overlap"):
        data.speaker_split(["a", "b", "c", "d"], test_speakers=["a"], validation_speakers=["a"])
    with pytest.raises(ParameterError, match="at least 3"):
        data.speaker_split(["a", "b"])
    with pytest.raises(ParameterError, match="no speakers are left"):
        data.speaker_split(["a", "b", "c"], test_speakers=["a", "b"], validation_speakers=["c"])


def test_read_audio_resamples_and_downmixes(fsdd_table, sample_table):
    y, sr = data.read_audio(sample_table["path"][0], 16000)
    assert sr == 16000 and y.dtype == np.float32
    assert abs(len(y) - sample_table["n_samples"][0] / 3) <= 1
    y8, sr8 = data.read_audio(fsdd_table["path"][0])
    assert sr8 == 8000 and len(y8) == fsdd_table["n_samples"][0] and np.abs(y8).max() <= 1


def test_bad_audio_files_get_clear_errors(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioFileError, match="empty.wav: the file is empty"):
        data.read_audio(empty)
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio at all")
    with pytest.raises(AudioFileError, match="notes.wav: cannot be read as audio"):
        data.read_audio(text)
    with pytest.raises(AudioFileError, match="no such file"):
        data.read_audio(tmp_path / "missing.wav")
    import soundfile as sf

    zero = tmp_path / "zero.wav"
    sf.write(zero, np.zeros(0, np.float32), 8000)
    with pytest.raises(AudioFileError, match="zero.wav: the audio has no samples"):
        data.read_audio(zero)
    truncated = tmp_path / "truncated.wav"
    sf.write(truncated, np.zeros(8000, np.float32), 8000)
    truncated.write_bytes(truncated.read_bytes()[:30])
    with pytest.raises(AudioFileError, match="truncated.wav"):
        data.read_audio(truncated)


def test_missing_or_empty_data_home(tmp_path, no_network):
    with pytest.raises(DataError, match="does not exist"):
        data.ensure_dataset("fsdd", tmp_path / "nowhere", download=False)
    with pytest.raises(DataError, match="not found in .*fsdd.*digitdenoise fetch fsdd"):
        data.ensure_dataset("fsdd", tmp_path, download=False)
    with pytest.raises(DataError, match="cannot be downloaded"):
        data.ensure_dataset("audiomnist-sample", tmp_path)
    with pytest.raises(ParameterError, match="dataset='mnist'"):
        data.ensure_dataset("mnist", tmp_path)


def _copy_fsdd(data_home, tmp_path, n=30):
    root = tmp_path / "fsdd"
    (root / "recordings").mkdir(parents=True)
    for f in sorted((data_home / "fsdd" / "recordings").glob("*.wav"))[:n]:
        shutil.copy(f, root / "recordings" / f.name)
    shutil.copy(data_home / "fsdd" / "metadata.json", root / "metadata.json")
    return root


def test_partial_local_copy_is_used_with_a_warning(data_home, tmp_path, no_network):
    _copy_fsdd(data_home, tmp_path)
    with pytest.warns(UserWarning, match="30 of the 3000"):
        t = data.load_clips("fsdd", tmp_path, download=False)
    assert len(t) == 30


def test_verify_dataset_catches_bad_names_and_metadata(data_home, tmp_path):
    root = _copy_fsdd(data_home, tmp_path)
    (root / "recordings" / "hello.wav").write_bytes(b"RIFF")
    with pytest.raises(DataError, match="digit_speaker_take.wav, e.g. hello.wav"):
        data.verify_dataset("fsdd", tmp_path)
    (root / "recordings" / "hello.wav").unlink()
    (root / "metadata.json").write_text(json.dumps({"someone": {"gender": "male", "accent": "X/y"}}))
    with pytest.raises(DataError, match="no metadata"):
        data.verify_dataset("fsdd", tmp_path)


def test_clip_statistics_measure_real_audio(fsdd_table):
    stats = data.clip_statistics(fsdd_table.head(12))
    assert stats["rms_dbfs"].between(-60, 0).all()
    assert (stats["peak_dbfs"] > stats["rms_dbfs"]).all()
    assert (stats["lead_silence_s"] + stats["trail_silence_s"] < stats["duration_s"]).all()


def test_a_cached_rerun_reads_exactly_the_first_run_s_samples(fsdd_table, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITDENOISE_CACHE", str(tmp_path))
    table = fsdd_table.head(5)
    first, n1 = data.load_waveforms(table, 8000, 8000)
    assert list((tmp_path / "waveforms").glob("*.npz"))
    again, n2 = data.load_waveforms(table, 8000, 8000)
    assert np.array_equal(first, again) and np.array_equal(n1, n2)
