"""Annotation tables as bioacoustics people write them, read into one table ``file, kind, start,
end`` (seconds from the recording's start), every row checked.

Two formats, both tab-separated text:

* **Raven selection tables**: a header row with at least ``Begin Time (s)`` and ``End Time
  (s)``; the label in a column the user names (else the first of ``Annotation``, ``Species``,
  ``Type``, ``Call Type``); the recording in a ``Begin File`` or ``Begin Path`` column, or else
  given by the table's name, Raven's ``<recording stem>.Table.1.selections.txt`` (also
  ``<stem>.selections.txt`` and ``<stem>.txt``). A table with a Waveform and a Spectrogram view
  lists each selection once per view: one row per ``Selection`` number is kept. Where Raven ran
  over several files at once its times count from the first file's start, and its ``File
  Offset (s)`` column gives the start within the ``Begin File``: that column wins when present.
* **Audacity label tracks**: no header, ``start<TAB>end<TAB>label`` per line, lines starting
  with a backslash (the frequency range of the label above) skipped; one file per recording,
  named ``<recording stem>.txt``.

Format ``auto`` tells them apart by the first line. Labels become kinds through two lists
(``whistle_labels``, ``speech_labels``; exact match after lowercasing and stripping); any other
label is its own kind, lowercased. Every problem is one InputError naming the file and the line:
nothing is skipped silently.
"""

import csv
import re
from pathlib import Path, PureWindowsPath

import pandas as pd

from . import rule
from .errors import InputError
from .tables import read_csv_checked

COLUMNS = ["file", "kind", "start", "end"]
FORMATS = ("auto", "raven", "audacity")
TABLE_SUFFIXES = (".txt", ".tsv")
RAVEN_BEGIN, RAVEN_END, RAVEN_OFFSET = "Begin Time (s)", "End Time (s)", "File Offset (s)"
RAVEN_LABEL_COLUMNS = ("Annotation", "Species", "Type", "Call Type")
RAVEN_FILE_COLUMNS = ("Begin File", "Begin Path")
WHISTLE, SPEECH = "whistle", "speech"
SLACK_SECONDS = 0.5  # an annotation may end this much after its recording (decoders differ)
# what a table's name adds to its recording's stem (Raven's default first, then the plain ones)
_TABLE_NAME = re.compile(r"(\.Table\.\d+)?(\.selections)?\.(txt|tsv)$", re.IGNORECASE)


def empty():
    """An annotation table with no row (the columns and their types)."""
    return pd.DataFrame({"file": pd.Series(dtype=object), "kind": pd.Series(dtype=object),
                         "start": pd.Series(dtype=float), "end": pd.Series(dtype=float)})


def _some(names, limit=8):
    names = sorted(names)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


# ---------------------------------------------------------------- which recording
class Recordings:
    """The study's recordings (names relative to its raw folder, e.g. ``2006-046B.mp3``),
    looked up by what a table says: a name, a path (any OS), or a stem without its suffix.
    ``seconds`` ({name: length}), when given, bounds the annotations' times."""

    def __init__(self, names, seconds=None):
        self.names = sorted(str(n) for n in names)
        self.seconds = {str(k): float(v) for k, v in (seconds or {}).items()}
        self._index = {}
        for name in self.names:
            path = Path(name)
            for key in {name, path.name, str(path.with_suffix("")), path.stem}:
                self._index.setdefault(key.lower(), set()).add(name)

    def find(self, said, where, what):
        """The recording ``said`` names; InputError at ``where`` (file, line) naming both when
        it is none of them or could be several."""
        said = str(said).strip()
        base = PureWindowsPath(said).name  # Windows and POSIX separators alike
        for key in (said, base, Path(base).stem):
            found = self._index.get(key.lower())
            if found and len(found) == 1:
                return next(iter(found))
            if found:
                raise InputError(where, f"{what} {said!r} could be any of the recordings "
                                        f"{_some(found)}")
        raise InputError(where, f"{what} {said!r}, which is not among the study's recordings "
                                f"({_some(self.names)})")

    def check_end(self, name, end, where):
        """InputError at ``where`` if an annotation ending at ``end`` s lies past ``name``'s end."""
        length = self.seconds.get(name)
        if length is not None and end > length + SLACK_SECONDS:
            raise InputError(where, f"end {end:g} s is after the end of recording {name} "
                                    f"({length:.2f} s long)")


def table_stem(path):
    """The recording stem a per-recording table's name gives: ``tape.Table.1.selections.txt``,
    ``tape.selections.txt`` and ``tape.txt`` all give ``tape``."""
    return _TABLE_NAME.sub("", Path(path).name)


# ---------------------------------------------------------------- labels to kinds
def kind_mapping(whistle_labels=(WHISTLE,), speech_labels=(SPEECH,), where="annotations"):
    """A function label -> kind: ``whistle`` or ``speech`` for the listed labels, else the
    label itself, all compared lowercased and stripped. A label in both lists is an InputError."""
    whistle = {str(x).strip().lower() for x in whistle_labels or ()}
    speech = {str(x).strip().lower() for x in speech_labels or ()}
    both = whistle & speech
    if both:
        raise InputError(where, f"label(s) {_some(both)} are in both whistle_labels and "
                                "speech_labels")

    def kind(label):
        label = str(label).strip().lower()
        return WHISTLE if label in whistle else SPEECH if label in speech else label

    return kind


# ---------------------------------------------------------------- one table
def _read_rows(path):
    """Every line of a tab-separated file as a list of stripped fields (quotes kept as text)."""
    frame = read_csv_checked(path, sep="\t", header=None, dtype=str, keep_default_na=False,
                             skip_blank_lines=False, quoting=csv.QUOTE_NONE)
    return [[str(v).strip() for v in row if not (isinstance(v, float) and v != v)]
            for row in frame.itertuples(index=False)]


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def detect_format(path, rows=None):
    """``raven`` or ``audacity`` from a table's first non-empty line; InputError otherwise."""
    rows = _read_rows(path) if rows is None else rows
    for number, row in enumerate(rows, 1):
        if any(row):
            if RAVEN_BEGIN.lower() in (f.lower() for f in row):
                return "raven"
            if len(row) >= 2 and _is_number(row[0]) and _is_number(row[1]):
                return "audacity"
            raise InputError(path, f"line {number}: neither a Raven selection table (no "
                                   f"{RAVEN_BEGIN!r} column) nor an Audacity label track "
                                   "(start<TAB>end<TAB>label)")
    raise InputError(path, "is empty: no annotation")


def _seconds(where, name, text):
    """A time in seconds from a table's field, checked: a finite number, not negative."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(where, f"{name} {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(where, f"{name} {text!r} is not a finite number")
    if value < 0:
        raise InputError(where, f"{name} {value:g} s is negative")
    return value


def _times(path, number, begin, end):
    """(start, end) seconds of one line, checked: numbers, not negative, end not before start."""
    where = f"{path}: line {number}"
    start, stop = _seconds(where, "start time", begin), _seconds(where, "end time", end)
    if stop < start:
        raise InputError(where, f"end {stop:g} s is before start {start:g} s")
    return start, stop


def _label(path, number, text, column):
    if not text:
        raise InputError(f"{path}: line {number}", f"the label ({column}) is empty")
    return text


def _column(header, name):
    """Index of column ``name`` in a Raven header (case-insensitive), or None."""
    lowered = [h.lower() for h in header]
    return lowered.index(name.lower()) if name.lower() in lowered else None


def read_raven(path, recordings, kind, label_column=None, rows=None):
    """A Raven selection table as rows (file, kind, start, end); see the module doc."""
    rows = _read_rows(path) if rows is None else rows
    first = next((i for i, row in enumerate(rows) if any(row)), None)
    if first is None:
        raise InputError(path, "is empty: no header line")
    header, number0 = rows[first], first + 1
    missing = [c for c in (RAVEN_BEGIN, RAVEN_END) if _column(header, c) is None]
    if missing:
        raise InputError(path, f"line {number0}: no column {' or '.join(map(repr, missing))} in "
                               "the Raven header")
    if label_column:
        label = _column(header, label_column)
        if label is None:
            raise InputError(path, f"line {number0}: no column {label_column!r} (label_column); "
                                   f"the header has {', '.join(header)}")
    else:
        label = next((_column(header, c) for c in RAVEN_LABEL_COLUMNS
                      if _column(header, c) is not None), None)
        if label is None:
            raise InputError(path, f"line {number0}: no label column "
                                   f"({', '.join(RAVEN_LABEL_COLUMNS)}); name the one that holds "
                                   "the labels in label_column")
    begin, end, offset = (_column(header, c) for c in (RAVEN_BEGIN, RAVEN_END, RAVEN_OFFSET))
    selection = _column(header, "Selection")
    file_column = next((_column(header, c) for c in RAVEN_FILE_COLUMNS
                        if _column(header, c) is not None), None)
    if file_column is None:
        named = recordings.find(table_stem(path), path, "the table's name gives recording")
    out, seen = [], set()
    for number, row in enumerate(rows[first + 1:], number0 + 1):
        if not any(row):
            continue
        row = row + [""] * (len(header) - len(row))  # a short line: its last fields empty
        if selection is not None:
            if row[selection] in seen:  # the same selection in another view
                continue
            seen.add(row[selection])
        start, stop = _times(path, number, row[begin], row[end])
        if offset is not None:  # times from the first file's start: the offset is in this file
            shift = _seconds(f"{path}: line {number}", RAVEN_OFFSET, row[offset])
            start, stop = shift, shift + stop - start
        name = (named if file_column is None else
                recordings.find(row[file_column], f"{path}: line {number}",
                                f"{header[file_column]} names recording"))
        recordings.check_end(name, stop, f"{path}: line {number}")
        out.append((name, kind(_label(path, number, row[label], header[label])), start, stop))
    if not out:
        raise InputError(path, "is empty: a header but no selection")
    return out


def read_audacity(path, recordings, kind, rows=None):
    """An Audacity label track (one recording, named by the file) as rows (file, kind, start,
    end); frequency lines (starting with a backslash) are skipped."""
    rows = _read_rows(path) if rows is None else rows
    name = recordings.find(table_stem(path), path, "the label track's name gives recording")
    out = []
    for number, row in enumerate(rows, 1):
        if not any(row) or row[0].startswith("\\"):
            continue
        if len(row) < 2:
            raise InputError(f"{path}: line {number}", "expected start<TAB>end<TAB>label")
        start, stop = _times(path, number, row[0], row[1])
        recordings.check_end(name, stop, f"{path}: line {number}")
        text = row[2] if len(row) > 2 else ""
        out.append((name, kind(_label(path, number, text, "third field")), start, stop))
    if not out:
        raise InputError(path, "is empty: no label")
    return out


# ---------------------------------------------------------------- a file or a folder of tables
def table_files(path, key="annotations.path"):
    """The annotation tables at ``path``: the file itself, or every ``.txt``/``.tsv`` file in the
    folder and below it, sorted. InputError naming the path and the setting ``key`` when there
    is none."""
    path = Path(path)
    if path.is_file():
        return [path]
    where = f"{path} ({key})" if key else path
    if not path.is_dir():
        raise InputError(where, "does not exist")
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES
                   and not p.name.startswith("."))
    if not files:
        raise InputError(where, f"holds no annotation table ({', '.join(TABLE_SUFFIXES)})")
    return files


def read_table(path, recordings, kind, fmt="auto", label_column=None):
    """One table's rows (file, kind, start, end) in format ``fmt`` (auto, raven, audacity)."""
    if fmt not in FORMATS:
        raise InputError(path, f"unknown annotation format {fmt!r} (one of {', '.join(FORMATS)})")
    rows = _read_rows(path)
    fmt = detect_format(path, rows) if fmt == "auto" else fmt
    if fmt == "raven":
        return read_raven(path, recordings, kind, label_column, rows)
    return read_audacity(path, recordings, kind, rows)


def read_annotations(path, recordings, fmt="auto", label_column=None, whistle_labels=(WHISTLE,),
                     speech_labels=(SPEECH,), key="annotations.path", left_out=(),
                     with_total=False):
    """Every table at ``path`` (a file or a folder) as one DataFrame ``file, kind, start, end``,
    ``file`` being one of ``recordings`` (the study's names, or {name: length in seconds} to
    check that no annotation ends past its recording), rows sorted by file and start.

    ``left_out``: names the study found but the run leaves out (shorter than its segments, with
    the setting that skips them); names among ``recordings`` are not left out. Annotations of
    the left-out ones are dropped with a logged count (:func:`drop_left_out`); a name that is
    neither a recording nor left out is still an InputError. ``with_total``: return (table,
    rows the tables hold, the dropped ones included)."""
    kind = kind_mapping(whistle_labels, speech_labels, where=key.rpartition(".")[0] or key)
    lengths = dict(recordings) if isinstance(recordings, dict) else None
    left_out = sorted(set(map(str, left_out)) - set(map(str, recordings)))
    known = Recordings(list(recordings) + left_out, lengths)
    rows = [row for table in table_files(path, key)
            for row in read_table(table, known, kind, fmt, label_column)]
    table = pd.DataFrame(rows, columns=COLUMNS).astype({"start": float, "end": float})
    kept = drop_left_out(table, left_out)
    kept = kept.sort_values(["file", "start"], kind="stable", ignore_index=True)
    return (kept, len(table)) if with_total else kept


def drop_left_out(table, left_out):
    """``table`` without the rows of the recordings ``left_out`` (the run does not use them),
    with a logged count and their names."""
    dropped = table.file.isin(set(map(str, left_out)))
    if dropped.any():
        names = sorted(table.file[dropped].unique())
        rule.log.warning("%d annotation row(s) of %d recording(s) left out of the run dropped: %s",
                         int(dropped.sum()), len(names), ", ".join(names))
    return table[~dropped]


def describe(table):
    """One line: rows per kind and recordings annotated."""
    counts = table["kind"].value_counts().sort_index()
    kinds = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no row"
    return f"{kinds} in {table['file'].nunique()} recording(s)"
