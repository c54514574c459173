"""Reading the data sets' own CSV files with one clear line per problem: the file and the line."""

import io
import re
from pathlib import Path

import pandas as pd

from .errors import InputError


def read_csv_checked(path, **options):
    """The CSV file ``path`` as a DataFrame (``options`` go to ``pandas.read_csv``).

    Raises InputError naming the file and the line, in one line, for a byte that is not UTF-8
    (the file is decoded here, so the line is the file's own, not a buffer's position), an empty
    file, or a line the parser rejects (with the parser's line number).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file is missing")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - data.rfind(b"\n", 0, err.start)
        raise InputError(path, f"line {line}: byte 0x{data[err.start]:02x} (column {column}) is "
                               "not UTF-8 text") from None
    if not text.strip():
        raise InputError(path, "is empty: no header line")
    try:
        return pd.read_csv(io.StringIO(text), **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(path, _parser_problem(err)) from None


def _parser_problem(err):
    """pandas' parser error in one line, with the line it names (its rows count from 0)."""
    detail = re.sub(r"^Error tokenizing data\. C error: ", "", " ".join(str(err).split()))
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
    if fields:
        expected, line, found = fields.groups()
        return f"line {line}: {found} fields where the lines before have {expected}"
    quote = re.search(r"EOF inside string starting at row (\d+)", detail)
    if quote:
        return f"line {int(quote.group(1)) + 1}: a quoted field is never closed"
    return f"is not a readable CSV ({detail})"


def csv_lines(positions):
    """'line 3' or 'lines 2 and 5': lines of a CSV with one header line, from 0-based rows."""
    lines = [str(p + 2) for p in positions]
    if len(lines) == 1:
        return f"line {lines[0]}"
    return f"lines {', '.join(lines[:-1])} and {lines[-1]}"
