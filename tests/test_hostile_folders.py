"""Hostile local folders (issue 23): links are followed only to regular files that are audio by
their content, checked before anything enters results/; a link out of the folder is logged with
its target; everything else is one InputError naming the user's file (and, for a link, its
target) that quotes none of the file's bytes. The same for the catsdogs and whales layouts
(sources.install_layout), where nothing the layout leaves out goes without a log line."""

import json
import logging
import os

import pandas as pd
import pytest
import soundfile

from audiorepro import audio, raw, recordings, sources
from audiorepro.errors import InputError
from audiorepro.whales import data as whales
from test_recordings import listing, tone, write

# what a file outside the folder holds: none of it may reach a message
SECRET = "xyzzy:hunter2:plugh\n"


@pytest.fixture
def elsewhere(tmp_path):
    """Files outside the user's folder: a recording and a text file full of secrets."""
    other = tmp_path / "elsewhere"
    song = write(other / "song.wav")
    secret = other / "hostname"
    secret.write_text(SECRET * 4)
    return song, secret


def refused(call):
    with pytest.raises(InputError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message and not any(w in message for w in ("xyzz", "hunter2", "plugh")), \
        message
    return message


def no_symlink_in(folder):
    return [p for p in folder.rglob("*") if p.is_symlink()] == []


# ---------------------------------------------------------------- a folder of recordings
def test_a_link_out_of_the_folder_to_a_recording_is_taken_and_logged_with_its_target(
        tmp_path, elsewhere, caplog):
    song, _ = elsewhere
    folder = tmp_path / "data"
    write(folder / "ré cording ü.wav")
    (folder / "from far.wav").symlink_to(song)
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        files, skipped = raw.link_recordings(folder, tmp_path / "raw")
    assert listing(tmp_path / "raw") == ["from far.wav", "ré cording ü.wav"]
    assert no_symlink_in(tmp_path / "raw")
    assert f"{folder / 'from far.wav'} -> {song}" in caplog.text
    assert "ré cording" not in caplog.text  # a plain file is no link: no line


@pytest.mark.parametrize("relative", [False, True])
def test_a_link_to_a_text_file_named_wav_is_refused_naming_link_and_target(
        tmp_path, elsewhere, relative):
    _, secret = elsewhere
    folder = tmp_path / "dåta set"
    write(folder / "a.wav")
    (folder / "évil one.wav").symlink_to(os.path.relpath(secret, folder) if relative else secret)
    message = refused(lambda: raw.link_recordings(folder, tmp_path / "raw"))
    assert message.startswith(f"{folder / 'évil one.wav'} -> {secret}: is not audio by its "
                              "content: it looks like text")
    assert not (tmp_path / "raw").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_a_link_to_a_device_or_a_pipe_is_refused_and_never_opened(tmp_path):
    folder = tmp_path / "data"
    write(folder / "a.wav")
    (folder / "null.wav").symlink_to("/dev/null")
    message = refused(lambda: raw.link_recordings(folder, tmp_path / "raw"))
    assert message == (f"{folder / 'null.wav'} -> /dev/null: is a character device, not a "
                       "regular file: refusing to read it")
    (folder / "null.wav").unlink()
    os.mkfifo(tmp_path / "pipe")
    (folder / "pipe.wav").symlink_to(tmp_path / "pipe")
    message = refused(lambda: raw.link_recordings(folder, tmp_path / "raw"))  # would block
    assert message.startswith(f"{folder / 'pipe.wav'} -> {tmp_path / 'pipe'}: is a named pipe")
    (folder / "pipe.wav").unlink()
    os.mkfifo(folder / "direct.flac")  # a pipe that is no link
    message = refused(lambda: raw.find_recordings(folder))
    assert message.startswith(f"{folder / 'direct.flac'}: is a named pipe (FIFO), not a regular")
    assert not (tmp_path / "raw").exists()


def test_a_file_with_an_audio_suffix_and_other_content_is_refused_before_results(tmp_path):
    folder = tmp_path / "data"
    write(folder / "a.wav")
    (folder / "shadow.wav").write_text(SECRET)
    message = refused(lambda: raw.link_recordings(folder, tmp_path / "raw"))
    assert message.startswith(f"{folder / 'shadow.wav'}: is not audio by its content: it looks "
                              "like text")
    assert not (tmp_path / "raw").exists()
    # an mp3 named .wav: ffmpeg told to read it as WAV would quote its first bytes
    (folder / "shadow.wav").unlink()
    write(folder / "song.wav", fmt="mp3")
    message = refused(lambda: raw.link_recordings(folder, tmp_path / "raw"))
    assert message.startswith(f"{folder / 'song.wav'}: is not a WAV file by its content (it "
                              "holds mp3 audio): rename it song.mp3")


def test_a_single_local_file_is_checked_as_a_folders_files_are(tmp_path, elsewhere, caplog):
    song, secret = elsewhere
    (tmp_path / "take.wav").symlink_to(secret)
    message = refused(lambda: raw.link_recordings(tmp_path / "take.wav", tmp_path / "raw"))
    assert message.startswith(f"{tmp_path / 'take.wav'} -> {secret}: is not audio by its content")
    (tmp_path / "zero").symlink_to("/dev/zero")  # no suffix: it would be read to be named
    message = refused(lambda: raw.link_recordings(tmp_path / "zero", tmp_path / "raw"))
    assert "/dev/zero: is a character device, not a regular file" in message
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "far.wav").symlink_to(song)
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        raw.link_recordings(tmp_path / "in" / "far.wav", tmp_path / "raw")
    assert f"{tmp_path / 'in' / 'far.wav'} -> {song}" in caplog.text
    assert listing(tmp_path / "raw") == ["far.wav"] and no_symlink_in(tmp_path / "raw")


def test_ffmpeg_never_quotes_the_bytes_of_a_file_that_is_no_audio(tmp_path):
    (tmp_path / "evil.wav").write_text(SECRET)  # ffmpeg: "invalid start code xyzz in RIFF header"
    message = refused(lambda: audio.convert_to_wav(tmp_path / "evil.wav", tmp_path / "o.wav",
                                                   16000))
    assert message == f"{tmp_path / 'evil.wav'}: is not audio by its content: it looks like text"
    assert audio._ffmpeg_reason(["[wav @ 0x1] invalid start code root in RIFF header"], "") == \
        "invalid start code in RIFF header"


def test_a_file_that_cannot_be_converted_is_named_as_the_users_own_file_and_its_copy(tmp_path):
    folder = tmp_path / "my recordings"
    write(folder / "sub" / "good one.wav")
    write(folder / "sub" / "broken.mp3", fmt="mp3")
    raw.link_recordings(folder, tmp_path / "raw")
    copy = tmp_path / "raw" / "sub" / "broken.mp3"
    copy.unlink()
    copy.write_bytes(b"ID3" + bytes(500))  # an mp3 tag and nothing after it
    source = {"kind": "local", "local_path": str(folder)}
    with pytest.raises(InputError) as err:
        recordings.convert_folder(tmp_path / "raw", tmp_path / "audio", 16000,
                                  origin=raw.source_names(source))
    assert str(err.value).startswith(f"{folder / 'sub' / 'broken.mp3'} (copied to {copy}): "
                                     "cannot be decoded by ffmpeg")
    assert not (tmp_path / "audio").exists()
    assert raw.source_names({"kind": "synthetic"}) is None


# ---------------------------------------------------------------- convert logs and coverage
def test_snakemakes_timestamp_is_not_counted_as_a_skipped_file(tmp_path, caplog):
    folder = tmp_path / "raw"
    write(folder / "a.wav")
    (folder / ".snakemake_timestamp").write_text("")
    (folder / "notes.txt").write_text("field notes")
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        table = recordings.convert_folder(folder, tmp_path / "audio", 16000)
    assert list(table.file) == ["a.wav"]
    assert "skipped 1 file(s) that are not audio by their suffix" in caplog.text
    assert ".snakemake_timestamp" not in caplog.text


SKIP = {"seconds": 1.0, "key": "orcas.training.segment_seconds", "policy": "skip",
        "policy_key": "orcas.audio.short_recordings"}


def test_a_skip_that_removes_more_than_a_quarter_is_a_warning_in_the_log_and_the_coverage(
        tmp_path, caplog):
    folder = tmp_path / "raw"
    for n in range(3):
        write(folder / f"short {n}.wav", seconds=0.5)
    write(folder / "long.wav", seconds=2.0)
    with caplog.at_level(logging.WARNING, logger="audiorepro"):
        table = recordings.convert_folder(folder, tmp_path / "audio", 16000, short=SKIP,
                                          coverage_path=tmp_path / "coverage" / "convert.json")
    assert list(table.file) == ["long.wav"]
    report = json.loads((tmp_path / "coverage" / "convert.json").read_text())
    sentence = ("orcas.audio.short_recordings: skip removed 3 of 4 recordings (75 %), more than a "
                "quarter: what follows rests on the 1 left")
    assert report == {"kept": 1, "total": 4, "what": "recordings", "warnings": [sentence]}
    assert sentence in caplog.text
    # a quarter or less: no warning, the file all the same
    write(folder / "long 2.wav", seconds=2.0)
    write(folder / "long 3.wav", seconds=2.0)
    (folder / "short 2.wav").unlink()
    (folder / "short 1.wav").unlink()
    recordings.convert_folder(folder, tmp_path / "audio2", 16000, short=SKIP,
                              coverage_path=tmp_path / "c2.json")
    assert json.loads((tmp_path / "c2.json").read_text()) == {
        "kept": 3, "total": 4, "what": "recordings", "warnings": []}
    assert recordings.coverage(0, 0, "annotated stretches", "x")["warnings"] == []


# ---------------------------------------------------------------- the layouts
def catsdogs_folder(root):
    """A real-like catsdogs layout: cats_dogs/ with WAVs and train_test_split.csv."""
    (root / "cats_dogs").mkdir(parents=True)
    for name in ("cat_1.wav", "dog_barking_0.wav"):
        soundfile.write(root / "cats_dogs" / name, tone(1.0, 16000), 16000, subtype="PCM_16")
    (root / "train_test_split.csv").write_text(",test_cat,test_dog,train_cat,train_dog\n")
    return root


MEMBERS = ["cats_dogs", "train_test_split.csv"]


def local(path, dest, members=MEMBERS):
    sources.fetch_raw({"kind": "local", "local_path": str(path)}, dest, members, "dataset")


def test_a_layouts_relative_links_bring_their_targets_content_and_no_link(tmp_path, caplog):
    store = catsdogs_folder(tmp_path / "store")
    mine = tmp_path / "mine"
    (mine / "cats_dogs").mkdir(parents=True)
    for name in ("cat_1.wav", "dog_barking_0.wav"):
        (mine / "cats_dogs" / name).symlink_to(f"../../store/cats_dogs/{name}")
    (mine / "train_test_split.csv").symlink_to("../store/train_test_split.csv")
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        local(mine, tmp_path / "raw")
    assert no_symlink_in(tmp_path / "raw")
    for name in ("cats_dogs/cat_1.wav", "cats_dogs/dog_barking_0.wav", "train_test_split.csv"):
        assert (tmp_path / "raw" / name).read_bytes() == (store / name).read_bytes()
    # each leads out of the folder: one line each, naming link and target
    assert f"{mine / 'cats_dogs' / 'cat_1.wav'} -> {store / 'cats_dogs' / 'cat_1.wav'}" \
        in caplog.text
    assert f"{mine / 'train_test_split.csv'} -> {store / 'train_test_split.csv'}" in caplog.text


def test_a_layouts_dangling_or_hostile_link_stops_the_raw_rule_naming_link_and_target(
        tmp_path, elsewhere):
    _, secret = elsewhere
    mine = catsdogs_folder(tmp_path / "mine")
    (mine / "cats_dogs" / "cat_2.wav").symlink_to("../gone/cat_2.wav")
    message = refused(lambda: local(mine, tmp_path / "raw"))
    assert "cat_2.wav -> ../gone/cat_2.wav" in message and "lead nowhere" in message
    (mine / "cats_dogs" / "cat_2.wav").unlink()
    (mine / "cats_dogs" / "cat_3.wav").symlink_to(secret)
    message = refused(lambda: local(mine, tmp_path / "raw"))
    assert message.startswith(f"{mine / 'cats_dogs' / 'cat_3.wav'} -> {secret}: is not audio")
    (mine / "cats_dogs" / "cat_3.wav").unlink()
    (mine / "train_test_split.csv").unlink()
    (mine / "train_test_split.csv").symlink_to("/dev/null")
    message = refused(lambda: local(mine, tmp_path / "raw"))
    assert message.startswith(f"{mine / 'train_test_split.csv'} -> /dev/null: is a character")
    (mine / "train_test_split.csv").unlink()
    (mine / "train_test_split.csv").symlink_to("nowhere.csv")
    message = refused(lambda: sources.install_layout(mine, tmp_path / "raw", MEMBERS))
    assert message.startswith(f"{mine / 'train_test_split.csv'} -> nowhere.csv: is a symbolic")
    assert not (tmp_path / "raw").exists()


def test_what_a_layout_leaves_out_beside_it_is_named_in_the_log(tmp_path, caplog):
    mine = catsdogs_folder(tmp_path / "mine")
    (mine / "README.md").write_text("notes")
    (mine / "extra clips").mkdir()
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        local(mine, tmp_path / "raw")
    assert "left out 2 entries beside the data set's layout" in caplog.text
    assert "README.md, extra clips" in caplog.text
    assert listing(tmp_path / "raw") == ["cats_dogs", "cats_dogs/cat_1.wav",
                                         "cats_dogs/dog_barking_0.wav", "train_test_split.csv"]


def test_whales_unused_columns_unnamed_clips_and_the_test_set_are_named_in_the_log(
        tmp_path, caplog):
    root = tmp_path / "raw"
    (root / "train").mkdir(parents=True)
    (root / "test").mkdir()
    for name in ("train1.aiff", "train2.aiff", "stray.aiff", "notes.txt"):
        (root / "train" / name).write_bytes(b"")
    for n in range(3):
        (root / "test" / f"test{n}.aiff").write_bytes(b"")
    pd.DataFrame({"clip_name": ["train1.aiff", "train2.aiff"], "label": [0, 1],
                  "annotator": ["a", "b"]}).to_csv(root / "train.csv", index=False)
    with caplog.at_level(logging.INFO, logger="audiorepro"):
        frame = whales.read_train_csv(root / "train.csv")
    assert list(frame.clip_name) == ["train1.aiff", "train2.aiff"]
    text = caplog.text
    assert "train.csv: 1 column(s) that no protocol reads, left out: annotator" in text
    assert f"{root / 'train'}: holds 2 entries that train.csv does not name" in text
    assert "notes.txt, stray.aiff" in text
    assert f"{root / 'test'}: 3 entries, the competition's unlabelled test clips" in text


def test_whales_layout_through_links_keeps_no_link(tmp_path):
    store = tmp_path / "store"
    (store / "train").mkdir(parents=True)
    (store / "test").mkdir()
    (store / "train.csv").write_text("clip_name,label\n")
    mine = tmp_path / "mine"
    mine.mkdir()
    for member in ("train", "test", "train.csv"):
        (mine / member).symlink_to(f"../store/{member}")
    local(mine, tmp_path / "raw", ["train.csv", "train", "test"])
    assert listing(tmp_path / "raw") == ["test", "train", "train.csv"]
    assert no_symlink_in(tmp_path / "raw")
