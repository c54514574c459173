"""Annotation tables: Raven selection tables and Audacity label tracks into one table
``file, kind, start, end``, and one clear error naming the file and line for every bad row."""

import re

import pandas as pd
import pytest

from audiorepro import annotations
from audiorepro.errors import InputError

RECORDINGS = {"2006-046B.mp3": 60.0, "tape 2.wav": 30.0, "sub/quiet one.flac": 20.0}
RAVEN_HEADER = ["Selection", "View", "Channel", "Begin Time (s)", "End Time (s)",
                "Low Freq (Hz)", "High Freq (Hz)", "Annotation"]


def _write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("\t".join(map(str, line)) + "\n" for line in lines))
    return path


def _raven(path, rows, header=RAVEN_HEADER):
    return _write(path, [header, *rows])


def _read(path, **kwargs):
    return annotations.read_annotations(path, RECORDINGS, **kwargs)


def _rows(table):
    return [tuple(r) for r in table[["file", "kind", "start", "end"]].itertuples(index=False)]


# ---------------------------------------------------------------- Raven
def test_raven_table_named_after_its_recording_keeps_one_row_per_selection(tmp_path):
    path = _raven(tmp_path / "2006-046B.Table.1.selections.txt", [
        [1, "Waveform 1", 1, "1.5", "2.25", 0, 8000, "Whistle "],
        [1, "Spectrogram 1", 1, "1.5", "2.25", 0, 8000, "Whistle "],
        [2, "Waveform 1", 1, "10", "12.5", 0, 8000, "SPEECH"],
        [2, "Spectrogram 1", 1, "10", "12.5", 0, 8000, "SPEECH"],
        [3, "Spectrogram 1", 1, "4.0", "4.0", 0, 8000, "click train"],
    ])
    table = _read(path)
    assert list(table.columns) == annotations.COLUMNS
    assert _rows(table) == [("2006-046B.mp3", "whistle", 1.5, 2.25),
                            ("2006-046B.mp3", "click train", 4.0, 4.0),
                            ("2006-046B.mp3", "speech", 10.0, 12.5)]
    assert table.start.dtype == float and table.end.dtype == float


@pytest.mark.parametrize("name", ["tape 2.selections.txt", "tape 2.txt",
                                  "tape 2.wav.Table.3.selections.txt",
                                  "TAPE 2.Table.1.selections.txt"])
def test_raven_table_names_give_the_recording(tmp_path, name):
    path = _raven(tmp_path / name, [[1, "Spectrogram 1", 1, 0.5, 1.0, 0, 0, "whistle"]])
    assert _rows(_read(path)) == [("tape 2.wav", "whistle", 0.5, 1.0)]


def test_raven_begin_file_and_path_columns_and_the_label_column(tmp_path):
    header = ["Selection", "View", "Begin Time (s)", "End Time (s)", "Begin File", "Call Type",
              "Species"]
    path = _raven(tmp_path / "all.txt", [
        [1, "Spectrogram 1", 3.0, 4.0, "2006-046B.wav", "S1 whistle", "orca"],
        [2, "Spectrogram 1", 5.0, 6.0, "quiet one.mp3", "voice", "human"],
    ], header)
    table = _read(path, label_column="call type", whistle_labels=["s1 whistle"],
                  speech_labels=["voice"])
    assert _rows(table) == [("2006-046B.mp3", "whistle", 3.0, 4.0),
                            ("sub/quiet one.flac", "speech", 5.0, 6.0)]
    # by default the first of Annotation, Species, Type, Call Type: here Species
    assert list(_read(path).kind) == ["orca", "human"]
    header = ["Selection", "Begin Path", "Begin Time (s)", "End Time (s)", "File Offset (s)",
              "Type"]
    path = _raven(tmp_path / "paths.txt", [
        [1, r"C:\Users\me\tapes\2006-046B.wav", 0.5, 1.5, 0.5, "whistle"],
        # Raven over several files: times from the first file's start, the offset in this one
        [2, "/data/tapes/tape 2.wav", 65.0, 66.5, 5.0, "whistle"],
    ], header)
    assert _rows(_read(path)) == [("2006-046B.mp3", "whistle", 0.5, 1.5),
                                  ("tape 2.wav", "whistle", 5.0, 6.5)]


def test_label_matching_is_exact_after_lowercasing_and_stripping(tmp_path):
    path = _raven(tmp_path / "tape 2.txt", [[i, "Spectrogram 1", 1, i, i + 0.5, 0, 0, label]
                                            for i, label in enumerate(
                                                [" WHISTLE", "whistles", "no whistle",
                                                 "Speech\u00a0"], 1)])
    assert list(_read(path).kind) == ["whistle", "whistles", "no whistle", "speech"]
    with pytest.raises(InputError, match="label.*whistle.*in both whistle_labels and "
                                         "speech_labels"):
        annotations.kind_mapping(["Whistle"], ["whistle ", "speech"])


# ---------------------------------------------------------------- Audacity and auto
def test_audacity_label_track_skips_frequency_lines(tmp_path):
    path = _write(tmp_path / "2006-046B.txt", [
        ["1.000000", "2.500000", "whistle"],
        ["\\", "200.000000", "7000.000000"],
        ["7.250000", "9.000000", "Speech"],
        ["\\", "100.000000", "3000.000000"],
        ["12.000000", "12.000000", "boat"],
    ])
    table = _read(path, fmt="audacity")
    assert _rows(table) == [("2006-046B.mp3", "whistle", 1.0, 2.5),
                            ("2006-046B.mp3", "speech", 7.25, 9.0),
                            ("2006-046B.mp3", "boat", 12.0, 12.0)]
    assert table.equals(_read(path))  # auto finds the same


def test_auto_reads_a_folder_of_both_formats(tmp_path):
    _write(tmp_path / "labels" / "tape 2.txt", [["0.5", "1", "whistle"]])
    _raven(tmp_path / "labels" / "raven" / "quiet one.Table.1.selections.txt",
           [[1, "Spectrogram 1", 1, 2.0, 3.0, 0, 0, "speech"]])
    (tmp_path / "labels" / "notes.md").write_text("not a table")
    assert [p.name for p in annotations.table_files(tmp_path / "labels")] == [
        "quiet one.Table.1.selections.txt", "tape 2.txt"]
    assert _rows(_read(tmp_path / "labels")) == [("sub/quiet one.flac", "speech", 2.0, 3.0),
                                                 ("tape 2.wav", "whistle", 0.5, 1.0)]
    assert annotations.detect_format(tmp_path / "labels" / "tape 2.txt") == "audacity"
    table = _read(tmp_path / "labels")
    assert annotations.describe(table) == "1 speech, 1 whistle in 2 recording(s)"
    assert annotations.describe(annotations.empty()) == "no row in 0 recording(s)"


# ---------------------------------------------------------------- bad input: file, line, problem
def _error(path, match, **kwargs):
    with pytest.raises(InputError) as caught:
        _read(path, **kwargs)
    message = str(caught.value)
    assert str(path) in message, message
    assert re.search(match, message), message
    assert "\n" not in message
    return message


def test_raven_missing_columns(tmp_path):
    header = ["Selection", "Begin Time (s)", "Annotation"]
    _error(_raven(tmp_path / "tape 2.txt", [[1, 0, "whistle"]], header),
           r"line 1: no column 'End Time \(s\)' in the Raven header")
    header = ["Selection", "Begin Time (s)", "End Time (s)", "Notes"]
    _error(_raven(tmp_path / "tape 2.txt", [[1, 0, 1, "whistle"]], header),
           r"line 1: no label column \(Annotation, Species, Type, Call Type\); name .* "
           "label_column")
    _error(_raven(tmp_path / "tape 2.txt", [[1, "S", 1, 0, 1, 0, 0, "w"]]),
           r"line 1: no column 'Call Type' \(label_column\); the header has Selection, View",
           label_column="Call Type")
    # a short line's missing fields are empty: an error, not a skipped row
    _error(_raven(tmp_path / "tape 2.txt", [[1, "Spectrogram 1", 1, 0]]),
           r"line 2: end time '' is not a number")
    _error(_raven(tmp_path / "tape 2.txt", [[1, "Spectrogram 1", 1, 0, 1]]),
           r"line 2: the label \(Annotation\) is empty")


@pytest.mark.parametrize("begin, end, problem", [
    ("1,5", "2", r"line 3: start time '1,5' is not a number"),
    ("1", "", r"line 3: end time '' is not a number"),
    ("nan", "2", r"line 3: start time 'nan' is not a finite number"),
    ("-0.5", "2", r"line 3: start time -0.5 s is negative"),
    ("4", "3.5", r"line 3: end 3.5 s is before start 4 s"),
    ("1", "31", r"line 3: end 31 s is after the end of recording tape 2.wav \(30.00 s long\)"),
])
def test_bad_times_name_the_file_and_line(tmp_path, begin, end, problem):
    rows = [[1, "Spectrogram 1", 1, 0, 1, 0, 0, "whistle"], [],  # a blank line counts
            [2, "Spectrogram 1", 1, begin, end, 0, 0, "whistle"]]
    _error(_raven(tmp_path / "tape 2.Table.1.selections.txt", rows), problem.replace("3", "4", 1))
    track = [["0", "1", "whistle"], ["\\", "1", "2"], [begin, end, "whistle"]]
    _error(_write(tmp_path / "audacity" / "tape 2.txt", track), problem)


def test_unknown_recordings_name_both(tmp_path):
    message = _error(_raven(tmp_path / "2006-047A.Table.1.selections.txt",
                            [[1, "Spectrogram 1", 1, 0, 1, 0, 0, "whistle"]]),
                     r"the table's name gives recording '2006-047A', which is not among the "
                     r"study's recordings")
    assert "2006-046B.mp3, sub/quiet one.flac, tape 2.wav" in message
    header = ["Selection", "Begin File", "Begin Time (s)", "End Time (s)", "Annotation"]
    _error(_raven(tmp_path / "all.txt", [[1, "tape 2.wav", 0, 1, "w"],
                                         [2, "tape 9.wav", 0, 1, "w"]], header),
           r"line 3: Begin File names recording 'tape 9.wav', which is not among")
    _error(_write(tmp_path / "a" / "nothing here.txt", [["0", "1", "whistle"]]),
           r"the label track's name gives recording 'nothing here', which is not among")


def test_empty_tables_and_labels(tmp_path):
    _error(_raven(tmp_path / "tape 2.txt", []), "is empty: a header but no selection")
    _error(_write(tmp_path / "a" / "tape 2.txt", [["\\", "1", "2"]]),
           r"line 1: neither a Raven selection table")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "tape 2.txt").write_text("\n  \n")
    _error(tmp_path / "b" / "tape 2.txt", "is empty")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "tape 2.txt").write_text("")
    _error(tmp_path / "c" / "tape 2.txt", "is empty")
    _error(_write(tmp_path / "d" / "tape 2.txt", [["0", "1", "whistle"], ["2", "3", ""]]),
           r"line 2: the label \(third field\) is empty")
    _error(_raven(tmp_path / "e" / "tape 2.txt", [[1, "S", 1, 0, 1, 0, 0, " "]]),
           r"line 2: the label \(Annotation\) is empty")
    _error(_write(tmp_path / "f" / "tape 2.txt", [["Begin", "End", "Label"], ["0", "1", "w"]]),
           r"line 1: neither a Raven selection table \(no 'Begin Time \(s\)' column\) nor an "
           r"Audacity label track")


def test_paths_without_tables(tmp_path):
    with pytest.raises(InputError, match=r"missing \(annotations.path\): does not exist"):
        annotations.table_files(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x.csv").write_text("a,b\n")
    with pytest.raises(InputError, match=r"empty \(orcas.annotations.path\): holds no annotation "
                                         r"table \(.txt, .tsv\)"):
        annotations.read_annotations(tmp_path / "empty", RECORDINGS, key="orcas.annotations.path")
    with pytest.raises(InputError, match="unknown annotation format 'praat'"):
        _read(_write(tmp_path / "tape 2.txt", [["0", "1", "w"]]), fmt="praat")


def test_ambiguous_stems_are_refused(tmp_path):
    path = _write(tmp_path / "x.txt", [["0", "1", "whistle"]])
    with pytest.raises(InputError, match=r"x\.txt: the label track's name gives recording 'x' "
                                         r"could be any of the recordings a/x.wav, b/x.wav"):
        annotations.read_annotations(path, ["a/x.wav", "b/x.wav"])
    assert _rows(annotations.read_annotations(path, ["a/x.wav", "b/y.wav"])) == [
        ("a/x.wav", "whistle", 0.0, 1.0)]
    assert annotations.table_stem("r.Table.12.selections.txt") == "r"
    assert annotations.table_stem("r.tsv") == "r"
    assert list(pd.DataFrame(annotations.empty()).columns) == annotations.COLUMNS


def test_annotations_of_a_recording_left_out_as_short_are_dropped_with_a_count(tmp_path, caplog):
    folder = tmp_path / "tables"
    _write(folder / "2006-046B.txt", [["1.0", "2.5", "whistle"]])
    _write(folder / "short clip.txt", [["0.1", "0.4", "whistle"], ["0.5", "0.9", "speech"]])
    with caplog.at_level("WARNING"):
        table = annotations.read_annotations(folder, RECORDINGS, left_out=["short clip.wav"])
    assert _rows(table) == [("2006-046B.mp3", "whistle", 1.0, 2.5)]
    assert "2 annotation row(s) of 1 recording(s) left out of the run dropped: short clip.wav" \
        in caplog.text
    # without being left out, the same table names a recording the study does not have
    with pytest.raises(InputError, match="'short clip', which is not among"):
        annotations.read_annotations(folder, RECORDINGS)


def test_a_skip_that_drops_most_annotated_stretches_is_a_warning_with_its_coverage(tmp_path,
                                                                                 caplog):
    from audiorepro.recordings import coverage

    folder = tmp_path / "tables"
    _write(folder / "2006-046B.txt", [["1.0", "2.5", "whistle"]])
    _write(folder / "short clip.txt", [["0.1", "0.4", "whistle"], ["0.5", "0.9", "call"]])
    with caplog.at_level("WARNING"):
        table, total = annotations.read_annotations(folder, RECORDINGS, left_out=["short clip.wav"],
                                                    with_total=True)
        report = coverage(len(table), total, "annotated stretches", "orcas.audio.short_recordings")
    assert (len(table), total) == (1, 3)
    sentence = ("orcas.audio.short_recordings: skip removed 2 of 3 annotated stretches (67 %), more "
                "than a quarter: what follows rests on the 1 left")
    assert report == {"kept": 1, "total": 3, "what": "annotated stretches", "warnings": [sentence]}
    assert sentence in caplog.text
