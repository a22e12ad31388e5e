"""The corpora beyond the digits: speechocean762 (voices) and the Hu non-speech noises, read from the
data mirror; their fixed splits; checksums; clear errors for missing files."""

import shutil

import numpy as np
import pytest

from digitdenoise import datasets
from digitdenoise.datasets import hu_nonspeech, speechocean762
from digitdenoise.errors import DataError


@pytest.fixture(scope="module")
def utterances(data_home):
    return speechocean762.load_utterances(data_home, download=False)


def test_speechocean762_split_is_by_speaker_and_follows_the_rule(utterances):
    per_speaker = utterances.groupby("speaker")["split"].nunique()
    assert (per_speaker == 1).all()
    speakers = utterances.drop_duplicates("speaker").set_index("speaker")
    assert set(speakers.loc[speakers["corpus_split"] == "test", "split"]) == {"test"}
    train_side = speakers[speakers["corpus_split"] == "train"]
    is_val = np.array([int(s) % 8 == 0 for s in train_side.index])
    assert (train_side["split"].to_numpy() == np.where(is_val, "validation", "train")).all()
    counts = speakers["split"].value_counts()
    assert counts["test"] >= 100 and counts["validation"] >= 15 and counts["train"] >= 100


def test_speechocean762_digit_strings_are_parsed(utterances):
    digits = utterances[utterances["kind"] == "digits"]
    assert len(digits) == 143
    row = digits.iloc[0]
    words = row["text"].split()
    assert len(row["digits"]) == len(words)
    assert speechocean762.DIGIT_WORDS[int(row["digits"][0])] == words[0]
    assert (utterances.loc[utterances["kind"] == "sentence", "digits"] == "").all()


def test_speechocean762_attributes_and_age_groups(utterances):
    assert set(utterances["gender"]) == {"f", "m"}
    assert utterances["age"].notna().all()
    assert speechocean762.age_group(7) == "children (6-12)"
    assert speechocean762.age_group(13) == "teenagers (13-19)"
    assert speechocean762.age_group(20) == "adults (20+)"
    assert speechocean762.age_group(None) is None
    assert set(utterances["age_group"]) == {label for label, _, _ in speechocean762.AGE_GROUPS}


def test_speechocean762_checksum_is_of_samples_not_container(data_home, tmp_path):
    import soundfile as sf

    row = speechocean762.manifest().iloc[0]
    flac = speechocean762.audio_path(speechocean762.root(data_home), row.utt, row.speaker)
    audio, sr = sf.read(str(flac), dtype="int16")
    wav = tmp_path / "copy.wav"
    sf.write(str(wav), audio, sr, subtype="PCM_16")
    assert speechocean762.pcm_sha256(flac) == speechocean762.pcm_sha256(wav) == row.pcm_sha256
    sf.write(str(wav), audio[::-1].copy(), sr, subtype="PCM_16")
    assert speechocean762.pcm_sha256(wav) != row.pcm_sha256


def test_speechocean762_missing_audio_is_a_clear_error(data_home, tmp_path, no_network):
    home = tmp_path / "home"
    shutil.copytree(data_home / "speechocean762" / "train", home / "speechocean762" / "train")
    shutil.copytree(data_home / "speechocean762" / "test", home / "speechocean762" / "test")
    with pytest.raises(DataError, match="utterances are missing.*digitdenoise fetch speechocean762"):
        speechocean762.ensure(home, download=False)


def test_hu_nonspeech_split_rule_and_checksums(data_home):
    splits = {s: hu_nonspeech.file_names(s) for s in ("train", "validation", "test")}
    assert [len(splits[s]) for s in ("train", "validation", "test")] == [70, 10, 20]
    assert splits["test"][:3] == ["n5", "n10", "n15"] and splits["validation"][:2] == ["n3", "n13"]
    assert not set(splits["train"]) & (set(splits["test"]) | set(splits["validation"]))
    import hashlib

    path = data_home / "hu-nonspeech" / "n7.wav"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hu_nonspeech.CHECKSUMS["n7"]


def test_hu_nonspeech_loads_unit_rms_at_the_working_rate(data_home):
    noises = hu_nonspeech.load("validation", 8000, data_home, download=False)
    assert sorted(noises) == sorted(f"hu/{s}" for s in hu_nonspeech.file_names("validation"))
    for y in noises.values():
        assert y.dtype == np.float32 and abs(np.sqrt(np.mean(y.astype(np.float64) ** 2)) - 1) < 1e-3


def test_registry_names_every_corpus_and_rejects_unknown(data_home):
    assert datasets.names() == ("speechocean762", "hu-nonspeech")
    assert datasets.ensure("hu-nonspeech", data_home, download=False) == data_home / "hu-nonspeech"
    with pytest.raises(Exception, match="corpus"):
        datasets.ensure("timit", data_home)


def test_each_digit_corpus_lives_in_its_own_module_and_data_reexports_its_names():
    from digitdenoise import data
    from digitdenoise.datasets import audiomnist, fsdd

    moved = {fsdd: ["FSDD_TAG", "FSDD_ARCHIVE", "parse_fsdd_metadata_py"],
             audiomnist: ["AUDIOMNIST_COMMIT", "AUDIOMNIST_ARCHIVE", "AUDIOMNIST_META_URL", "AUDIOMNIST_META_SHA256",
                          "AUDIOMNIST_ACCENT_SPELLING", "AUDIOMNIST_COUNTRY_SPELLING", "COUNTRY_CONTINENT",
                          "PLAUSIBLE_AGE", "CANONICAL_ROOMS", "clean_audiomnist_metadata",
                          "read_audiomnist_metadata_file", "find_audiomnist_metadata", "audiomnist_metadata",
                          "metadata_cleaning_table"]}
    assert datasets.fsdd is fsdd and datasets.audiomnist is audiomnist
    for module, names in moved.items():
        for name in names:
            assert getattr(data, name) is getattr(module, name), name
            assert name in data.__all__, name
            if callable(getattr(module, name)):
                assert getattr(module, name).__module__ == module.__name__, name
    assert data.DATASETS["fsdd"].description == fsdd.DESCRIPTION
    assert data.DATASETS["audiomnist"].description == audiomnist.DESCRIPTION
    assert data._corpus("audiomnist-sample") is audiomnist
    # the registry stays the corpora beyond the digits: `digitdenoise fetch fsdd` keeps going through data
    assert not {"fsdd", "audiomnist"} & set(datasets.names())


def test_bad_file_names_are_rejected():
    with pytest.raises(DataError, match="n1 ... n100"):
        hu_nonspeech.split_of("noise7.wav")
    with pytest.raises(DataError, match="four digits"):
        speechocean762.split_of("12", "train")


def test_metadata_alone_describes_the_corpus_and_read_fetches_only_what_is_asked(data_home, tmp_path, no_network):
    home = tmp_path / "home"
    for side in ("train", "test"):
        shutil.copytree(data_home / "speechocean762" / side, home / "speechocean762" / side)
    table = speechocean762.load_utterances(home, audio=False, download=False)
    full = speechocean762.load_utterances(data_home, download=False)
    assert len(table) == len(full) == 1690
    assert np.allclose(table.sort_values("utt")["duration_s"], full.sort_values("utt")["duration_s"])
    one = table.head(1)
    source = speechocean762.audio_path(speechocean762.root(data_home), one["utt"].iloc[0], one["speaker"].iloc[0])
    target = home / "speechocean762" / "WAVE" / f"SPEAKER{one['speaker'].iloc[0]}"
    target.mkdir(parents=True)
    shutil.copy2(source, target / source.name)
    audio = speechocean762.read(one, 8000, home, download=False)
    assert len(audio) == 1 and abs(audio[0].size - one["n_samples"].iloc[0] / 2) <= 1
    with pytest.raises(DataError, match="1 speechocean762 utterances are missing"):
        speechocean762.read(table.iloc[1:2], 8000, home, download=False)


def test_asking_for_files_that_are_not_in_a_corpus_is_named(data_home, no_network):
    with pytest.raises(DataError, match="not Hu non-speech files"):
        hu_nonspeech.ensure(data_home, names=["n101"])
    with pytest.raises(DataError, match="not in the speechocean762 manifest"):
        speechocean762.ensure(data_home, utterances=["999999999"], download=False)
