"""Faults a user will meet (issue 10), and the clean refusals of bad input, as one matrix.

Every case calls the library the way its rule does, on bad input under ``in/``, writing under
``out/`` (made beforehand, as Snakemake makes an output's folder). Each must stop with one line
(InputError, or ConfigError at start-up) that names the file or the key and the problem, and must
leave nothing under ``out/``: no partial file, no staging entry, no empty folder.

The other cases of issue 10 are tested where their code is: outputs follow the umask and a killed
job's staging is removed (test_sources.py: test_outputs_follow_the_umask,
test_staging_left_by_a_killed_job_is_removed_by_the_next_write); no credential appears in any
output of a failing Kaggle download (test_kaggle_download.py); the configuration's start-up checks
in full and through Snakemake (test_config.py).
"""

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile
import yaml

from audiorepro import recordings, sources
from audiorepro.atomic import atomic_path
from audiorepro.audio import write_audio
from audiorepro.catsdogs import data as catsdogs
from audiorepro.catsdogs import evaluate as catsdogs_evaluate
from audiorepro.clips import pack_clips, write_pack
from audiorepro.config import ConfigError, validate_config
from audiorepro.continuation.data import prepare
from audiorepro.errors import InputError
from audiorepro.whales import data as whales
from audiorepro.whales.spectrogram import render_files
from conftest import ROOT, zip_bytes
from test_download import FAST, SHA, server, stalled  # noqa: F401 (fixtures)
from test_kaggle_download import SECRETS, kaggle, stalled_kaggle  # noqa: F401 (fixtures)


# --- what the rules do, on in/ and out/ ----------------------------------------------------------

CATS = [f"cat_{n}.wav" for n in range(1, 5)]
DOGS = [f"dog_barking_{n}.wav" for n in range(4)]


def decode_catsdogs(raw, out):
    """Rule catsdogs_decode: name, decode and check every file, write the pack."""
    folder = raw / catsdogs.FOLDER
    table = catsdogs.file_table(p.name for p in folder.iterdir() if p.suffix.lower() == ".wav")
    packed, samples = pack_clips(table, folder, 16000, 0.9, 20.0)
    write_pack(packed, samples, out / "clips.csv", out / "samples.npy")


def split_catsdogs(raw, out, fraction=0.5, protocol="clean", test_per_class=1, names=CATS + DOGS):
    """Rule catsdogs_split for one protocol."""
    files = catsdogs.file_table(names)
    if protocol == "original":
        table = catsdogs.original_split(files, fraction, test_per_class, seed=0)
    else:
        table = catsdogs.clean_split(catsdogs.read_split_csv(raw / catsdogs.SPLIT_CSV, files.file),
                                     fraction, seed=0)
    with atomic_path(out / f"{protocol}.csv") as tmp:
        table.to_csv(tmp, index=False)


def render_whales(raw, out):
    """Rule whales_render: train.csv, then every clip to a PNG and one packed array."""
    clips = whales.read_train_csv(raw / "train.csv")
    with atomic_path(out / "pngs", is_dir=True) as folder:
        render_files([raw / "train" / name for name in clips.clip_name],
                     [folder / Path(name).with_suffix(".png").name for name in clips.clip_name],
                     packed_path=out / "images.npy")


def split_whales(out, labels, protocol, fraction=0.9):
    """Rule whales_split for one protocol, on clips with these labels."""
    frame = pd.DataFrame({"clip_name": [f"train{i + 1}.aiff" for i in range(len(labels))],
                                 "label": labels})
    table = (whales.digits_head_tail_split(frame, fraction) if protocol == "digits"
             else whales.stratified_split(frame, fraction, seed=1))
    with atomic_path(out / f"{protocol}.csv") as tmp:
        table.to_csv(tmp, index=False)


# --- inputs -------------------------------------------------------------------------------------

def catsdogs_raw(root, tone, bad_name="cat_2.wav", bad=None):
    """A cats_dogs/ folder of good 1-s files, one of them (``bad_name``) replaced by ``bad``
    (bytes, or a function writing the file)."""
    folder = root / "raw" / catsdogs.FOLDER
    folder.mkdir(parents=True)
    for name in CATS[:2] + DOGS[:2]:
        write_audio(folder / name, tone, 16000)
    if callable(bad):
        bad(folder / bad_name)
    elif bad is not None:
        (folder / bad_name).write_bytes(bad)
    return root / "raw"


def truncated(path):
    write_audio(path, np.zeros(16000, np.int16) + 100, 16000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def sound(rate=16000, channels=1, subtype="PCM_16"):
    def write(path):
        x = np.tile(np.linspace(-0.5, 0.5, rate)[:, None], (1, channels))
        soundfile.write(path, x, rate, subtype=subtype)
    return write


GOOD_SPLIT_ROWS = ["0,cat_1.wav,dog_barking_0.wav,cat_2.wav,dog_barking_1.wav",
                   "1,,,cat_3.wav,dog_barking_2.wav",
                   "2,,,cat_4.wav,dog_barking_3.wav"]
SPLIT_HEADER = ",test_cat,test_dog,train_cat,train_dog"


def split_csv(root, *rows, header=SPLIT_HEADER, raw_bytes=None):
    path = root / "raw" / catsdogs.SPLIT_CSV
    path.parent.mkdir(parents=True)
    text = "\n".join([header, *rows, ""]).encode()
    path.write_bytes(raw_bytes if raw_bytes is not None else text)
    return root / "raw"


def whales_raw(root, csv_text, clips=("train1.aiff", "train2.aiff")):
    raw = root / "raw"
    (raw / "train").mkdir(parents=True)
    for i, name in enumerate(clips):
        write_audio(raw / "train" / name, (np.arange(4000) % 50 * (i + 1)).astype(np.int16), 2000,
                    format="AIFF")
    (raw / "train.csv").write_bytes(csv_text if isinstance(csv_text, bytes) else csv_text.encode())
    return raw


def non_utf8_lines(header, good_row, n_good, bad_row):
    """A CSV whose line ``n_good + 2`` holds a byte that is not UTF-8."""
    return "\n".join([header, *[good_row] * n_good]).encode() + b"\n" + bad_row + b"\n"


def zip_escaping(inp):
    archive = inp / "evil.zip"
    archive.write_bytes(zip_bytes({"fine.txt": "ok", "../escape.txt": "pwned"}))
    return archive


def no_credentials(home, request):
    monkeypatch = request.getfixturevalue("monkeypatch")
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))


def kaggle_fetch(name, out, **network):
    sources.fetch_raw({"kind": "kaggle", "kaggle": name}, out / "raw", ["cats_dogs"],
                      kaggle_kind="dataset", staging=out / "resources" / "catsdogs",
                      network=network)


def url_fetch(url, out, sha=SHA):
    sources.fetch_raw({"kind": "url", "urls": [{"url": url, "sha256": sha}]}, out / "raw", [], None,
                      network=FAST)


def local_config(path):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["studies"] = ["catsdogs"]
    config["catsdogs"]["source"].update(kind="local", local_path=str(path))
    return config


# --- the matrix -----------------------------------------------------------------------------------
# Each case is action(in, out, request) and the message as a regex ({in}, {out}: the folders).

def wav(bad, name="cat_2.wav"):
    return lambda i, o, r: decode_catsdogs(catsdogs_raw(i, r.getfixturevalue("tone"), name, bad), o)


def split_file(*rows, header=SPLIT_HEADER, raw_bytes=None, **split):
    def run(i, o, r):
        split_catsdogs(split_csv(i, *rows, header=header, raw_bytes=raw_bytes), o, **split)
    return run


def original(**split):
    return lambda i, o, r: split_catsdogs(i, o, protocol="original", **split)


def train_csv(text, clips=("train1.aiff", "train2.aiff")):
    return lambda i, o, r: render_whales(whales_raw(i, text, clips), o)


def whales_split(labels, protocol, fraction=0.9):
    return lambda i, o, r: split_whales(o, labels, protocol, fraction)


def kaggle_case(name, fixture=None):
    def run(i, o, r):
        if fixture:
            r.getfixturevalue(fixture)
        else:
            no_credentials(i, r)
        kaggle_fetch(name, o, **FAST)
    return run


def url_case(path, sha=SHA, fixture="server"):
    return lambda i, o, r: url_fetch(f"{r.getfixturevalue(fixture)}{path}", o, sha)


def corrupt_mp3(i, o, r):
    (i / "raw").mkdir()
    (i / "raw" / "song.mp3").write_bytes(b"ID3" + bytes(500))
    recordings.convert_folder(i / "raw", o / "wav", 16000)


def recording(samples, protocol):
    return lambda i, o, r: prepare(samples, protocol=protocol, frame=100, seq_len=50,
                                   where=str(i / "song.wav"), rate=16000)


def missing_local_folder(i, o, r):
    validate_config(local_config(i / "nowhere"), ROOT / "config" / "schema.yaml")


WAV = r"{in}/raw/cats_dogs/cat_2\.wav: "
CSV = r"{in}/raw/train_test_split\.csv: "
TRAIN_CSV = r"{in}/raw/train\.csv: "
ROWS = GOOD_SPLIT_ROWS
CHOOSE = r"; choose a share that leaves both classes in both parts"
HEAD = "clip_name,label\ntrain1.aiff,0\n"
STALL = (r"download failed: the server stopped answering \(read timeout\); gave up after 2 "
         r"attempts and \d+\.\d s \(connect timeout 1 s, read timeout 0\.3 s\)")

CASES = {
    # bad audio files (catsdogs: 16-kHz mono 16-bit WAV)
    "wav-truncated": (wav(truncated),
                      WAV + r"truncated: header declares 16000 frames, file holds \d+"),
    "wav-empty": (wav(b""), WAV + r"cannot be decoded as audio \(.+\)"),
    "wav-not-audio": (wav(b"<html>gone</html>\n" * 20), WAV + r"cannot be decoded as audio \(.+\)"),
    "wav-44.1-kHz": (wav(sound(44100)), WAV + r"sample rate is 44100 Hz, expected 16000 Hz"),
    "wav-stereo": (wav(sound(channels=2)), WAV + r"has 2 channels, expected 1"),
    "wav-24-bit": (wav(sound(subtype="PCM_24")), WAV + r"expected 16-bit PCM, found PCM_24"),
    "wav-bad-name-with-its-folder": (
        wav(sound(), "kitten_1.wav"),
        r"cats_dogs/kitten_1\.wav: is not named cat_N\.wav or dog_barking_N\.wav"),
    # catsdogs' split CSV
    "csv-malformed-one-line-with-the-parsers-line": (
        split_file(ROWS[0], ROWS[1] + ",cat_9.wav", ROWS[2]),
        CSV + r"line 3: 6 fields where the lines before have 5"),
    "csv-unclosed-quote": (split_file(ROWS[0], '1,"cat_3.wav,,,', ROWS[2]),
                           CSV + r"line 3: a quoted field is never closed"),
    "csv-missing-column": (
        split_file("0,cat_1.wav,dog_barking_0.wav,cat_2.wav",
                   header=",test_cat,test_dog,train_cat"),
        CSV + r"lacks the column\(s\) train_dog"),
    "csv-empty": (split_file(raw_bytes=b""), CSV + r"is empty: no header line"),
    "csv-bad-byte-on-line-12": (
        split_file(raw_bytes=non_utf8_lines(SPLIT_HEADER, "9,,,,", 10, b"10,,,cat_\xe9.wav,")),
        CSV + r"line 12: byte 0xe9 \(column 10\) is not UTF-8 text"),
    "csv-name-twice-in-one-column": (
        split_file(ROWS[0], ROWS[1], "2,,,cat_3.wav,dog_barking_3.wav"),
        CSV + r"names cat_3\.wav twice in column train_cat \(lines 3 and 4\)"),
    "csv-name-in-two-columns": (
        split_file(ROWS[0], "1,,,cat_1.wav,dog_barking_2.wav", ROWS[2]),
        CSV + r"names cat_1\.wav in more than one column \(test_cat line 2, train_cat line 3\)"),
    "csv-unknown-file": (
        split_file(ROWS[0], "1,,,cat_9.wav,", ROWS[2]),
        CSV + r"column train_cat names cat_9\.wav, which is not in cats_dogs/ \(line 3\)"),
    "csv-file-of-the-other-class": (
        split_file("0,cat_1.wav,cat_2.wav,cat_3.wav,dog_barking_1.wav"),
        CSV + r"column test_dog names cat_2\.wav, a file of the other class \(line 2\)"),
    # splits that would leave a split or a class empty
    "catsdogs-clean-test-without-dogs": (
        split_file("0,cat_1.wav,,cat_2.wav,dog_barking_1.wav", *ROWS[1:]),
        r"train_test_split\.csv: column test_dog names no file: the test split would have no dog"),
    "catsdogs-clean-validation-empty": (
        split_file(*ROWS, fraction=0.1),
        r"catsdogs\.split\.clean_validation_fraction: 0\.1 of each class's training files for "
        r"validation: validation has no cat, validation has no dog \(train: 3 cats, 3 dogs; "
        r"validation: 0 cats, 0 dogs\)" + CHOOSE),
    "catsdogs-original-training-empty": (
        original(fraction=0.95),
        r"catsdogs\.split\.original_validation_fraction: 0\.95 of 8 files puts 8 in validation: "
        r"train has no cat, train has no dog \(train: 0 cats, 0 dogs; validation: 4 cats, 4 dogs\)"
        + CHOOSE),
    "catsdogs-original-no-test-folder": (
        original(fraction=0.25, test_per_class=0),
        r"catsdogs\.split\.original_test_per_class: is 0: the test folder would be empty; give at "
        r"least 1"),
    "catsdogs-no-dog-file": (original(fraction=0.25, names=CATS),
                             r"cats_dogs/: holds no dog file: no split can have one"),
    "whales-no-upcall-at-all": (
        whales_split([0] * 10, "stratified"),
        r"train\.csv: has no upcall clip \(label 1\): no split can have one"),
    "whales-stratified-10-clips": (
        whales_split([0, 0, 1, 0, 0, 0, 1, 0, 0, 0], "stratified"),
        r"whales\.split\.train_fraction: 0\.9 of 10 clips gives a stratified split where "
        r"validation has no upcall clip \(train: 7 without and 2 with an upcall; validation: 1 "
        r"without and 0 with an upcall\)" + CHOOSE),
    "whales-digits-no-upcall-in-training": (
        whales_split([0] * 8 + [1] * 2, "digits", fraction=0.8),
        r"whales\.split\.train_fraction: 0\.8 of 10 clips gives a digits split where train has no "
        r"upcall clip, validation has no no-upcall clip \(train: 8 without and 0 with an upcall; "
        r"validation: 0 without and 2 with an upcall\)" + CHOOSE),
    # whales' train.csv and clips
    "whales-bad-labels": (
        train_csv(HEAD + "train2.aiff,yes\n"),
        TRAIN_CSV + r"labels must be 0 or 1; not so for train2\.aiff \(label yes\) \(line 3\)"),
    "whales-missing-column": (train_csv("clip_name\ntrain1.aiff\n"),
                              TRAIN_CSV + r"lacks the column\(s\) label"),
    "whales-malformed-csv": (train_csv(HEAD + "train2.aiff,1,1\n"),
                             TRAIN_CSV + r"line 3: 3 fields where the lines before have 2"),
    "whales-non-utf8-csv": (
        train_csv(non_utf8_lines("clip_name,label", "train1.aiff,0", 1, b"train\xff.aiff,1")),
        TRAIN_CSV + r"line 3: byte 0xff \(column 6\) is not UTF-8 text"),
    "whales-name-twice": (train_csv(HEAD + "train2.aiff,1\ntrain1.aiff,1\n"),
                          TRAIN_CSV + r"names train1\.aiff more than once \(lines 2 and 4\)"),
    "whales-name-leaving-train": (
        train_csv(HEAD + "../x.aiff,1\n"),
        TRAIN_CSV + r"clip_name '\.\./x\.aiff' is not a file name in train/ \(line 3\)"),
    "whales-missing-aiff": (train_csv(HEAD + "train2.aiff,1\n", clips=["train1.aiff"]),
                            r"{in}/raw/train/train2\.aiff: file is missing"),
    # downloads and archives
    "zip-entry-escaping-its-folder": (
        lambda i, o, r: sources.safe_extract(zip_escaping(i), o / "extracted"),
        r"{in}/evil\.zip \(entry \.\./escape\.txt\): would be written outside extracted/; refusing "
        r"to extract"),
    "kaggle-no-credentials": (kaggle_case("owner/set"),
                              r"Kaggle: credentials not found\. Create an API token .*"),
    "kaggle-unknown-dataset-leaves-no-resources-folder": (
        kaggle_case("someone/nothing-here", "kaggle"),
        r"Kaggle dataset someone/nothing-here: download failed: 404 Client Error: Not Found "
        r"\(check the name in source\.kaggle\)"),
    "kaggle-stalled": (kaggle_case("owner/set", "stalled_kaggle"),
                       r"Kaggle dataset owner/set: " + STALL),
    "url-stalled": (url_case("/tape.mp3", fixture="stalled"),
                    r"http://127\.0\.0\.1:\d+/tape\.mp3: " + STALL),
    "url-checksum-mismatch": (
        url_case("/tape.mp3", sha="0" * 64),
        r"{out}/raw/tape\.mp3: sha256 is [0-9a-f]{{64}}, expected 0{{64}} \(downloaded from "
        r"http://127\.0\.0\.1:\d+/tape\.mp3\); the file was not kept"),
    # recordings (continuation, sorting, orcas)
    "mp3-corrupt": (corrupt_mp3, r"{in}/raw/song\.mp3: cannot be decoded by ffmpeg \(.+\)"),
    "continuation-too-short": (
        recording(np.arange(40_000).astype(np.int16), "original"),
        r"{in}/song\.wav: is too short: 40000 samples \(2\.50 s\); its valid part has 4000 "
        r"samples, less than one sequence of 50 frames x 100 samples = 5000; .*"),
    "continuation-silent": (recording(np.zeros(60_000, np.int16), "clean"),
                            r"{in}/song\.wav: is silent: .*"),
    # configuration, at start-up
    "config-local-path-missing": (
        missing_local_folder,
        r"config key catsdogs\.source\.local_path: {in}/nowhere does not exist"),
}


@pytest.mark.parametrize("case", CASES)
def test_fault_is_refused_in_one_line_and_leaves_no_output(tmp_path, request, case):
    action, pattern = CASES[case]
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    out.mkdir()
    with pytest.raises((InputError, ConfigError)) as err:
        action(inp, out, request)
    message = str(err.value)
    expected = pattern.format(**{"in": re.escape(str(inp)), "out": re.escape(str(out))})
    assert "\n" not in message
    assert re.fullmatch(expected, message), message
    assert not any(secret in message for secret in SECRETS)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_test_clips_shorter_than_a_window_are_counted_and_logged(caplog):
    clips = [("cat_1.wav", 0, np.ones(32_000)), ("dog_barking_0.wav", 1, np.ones(15_999))]
    with caplog.at_level(logging.WARNING, logger="audiorepro"):
        table, too_short, segments = catsdogs_evaluate.test_segments(
            clips, 16_000, lambda s: np.full(len(s), 0.2))
    assert too_short == ["dog_barking_0.wav"] and segments.shape == (2, 16_000)
    assert table.file.tolist() == ["cat_1.wav", "cat_1.wav"]
    assert "1 test clip(s) shorter than the 16000-sample window" in caplog.text
    assert "dog_barking_0.wav" in caplog.text


def test_unscored_test_clips_count_in_the_clip_accuracy():
    clips = [("cat_1.wav", 0, np.ones(32_000)), ("dog_barking_0.wav", 1, np.ones(15_999)),
             ("dog_barking_1.wav", 1, np.ones(16_000))]
    table, too_short, _ = catsdogs_evaluate.test_segments(
        clips, 16_000, lambda s: np.where(np.arange(len(s)) < 2, 0.2, 0.9))
    split = pd.DataFrame({"file": [c[0] for c in clips], "split": "test"})
    history = [{"epoch": 0, "accuracy": 0.5, "val_accuracy": 0.6, "loss": 1.0}]
    metrics = catsdogs_evaluate.metrics("clean", history, table, too_short, split, {})
    # two clips voted, both right; the clip too short to vote on counts as not right
    assert metrics["test_clips_scored"] == 2 and metrics["test_clips_correct"] == 2
    assert metrics["test_clips"] == 3 and metrics["test_clip_accuracy"] == pytest.approx(2 / 3)
