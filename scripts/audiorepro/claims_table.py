"""The claims table of a run: every study's claims judged (:mod:`audiorepro.claims`) on its
results, stamped with what they rest on (commit, code, data: :mod:`audiorepro.provenance`) and
the study's caveats, written as CSV, as the report's escaped front page and as Markdown; and two
tables compared (`make compare`)."""

import logging
import re
import string
from pathlib import Path

import pandas as pd

from . import claims, provenance
from .atomic import atomic_path
from .errors import InputError

logger = logging.getLogger("audiorepro")
# what each row rests on (audiorepro.provenance): `make compare` sets two tables side by side
PROVENANCE = ["commit", "code", "data"]


def configuration(kind, section):
    """The data source and a short fingerprint of the study's settings."""
    return f"{kind} data; settings {provenance.settings_digest(section)}"


def _filled(claim, context):
    """The claim with its references' run settings filled in, e.g. {protocol}."""
    fill = lambda r: r if r is None else r.format(**context)  # noqa: E731
    for field in [f for f in ("measure", "counts", "seeds") if f in claim]:
        refs = claim[field]
        claim[field] = [fill(r) for r in refs] if isinstance(refs, list) else fill(refs)
    return claim


def study_table(study, listed, p, commit):
    """The rows of one built study (``p``: the claims rule's params), stamped and caveated."""
    folder = Path(p.results) / study
    context = p.contexts.get(study, {})
    made = claims.study_rows(study, [_filled(c, context) for c in listed], claims.Results(folder),
                             p.sources[study] == "synthetic",
                             configuration(p.sources[study], p.configuration[study]),
                             available=set(p.available[study]),
                             annotated=p.ground_truth.get(study, True))
    stamp = {"commit": commit, "code": provenance.code_hash(p.basedir, study),
             "data": provenance.data_checksum(folder / "raw"),
             # what the study's conversion left out, said on every row of it
             "caveats": claims.coverage_caveats(folder / c for c in p.coverage.get(study, []))}
    # trained files from a results archive (make restore): said on every row, and what the
    # archived run's code, data or settings differ in is a caveat
    note, caveat = provenance.restored_note(
        folder, {**stamp, "settings": provenance.settings_digest(p.configuration[study])}, commit)
    if note:
        logger.info("%s: %s", study, note)
        made = [{**row, "configuration": f"{row['configuration']}; {note}"} for row in made]
    if caveat:
        stamp["caveats"] = "; ".join(c for c in (stamp["caveats"], caveat) if c)
    if stamp["caveats"]:
        logger.warning("%s: every claim carries the caveat: %s", study, stamp["caveats"])
    return [{**row, **stamp} for row in made]


def build(claims_files, p):
    """The whole table: one row per claim of every study's ``claims.yaml`` (``claims_files``),
    placeholders for studies not built or not in this configuration."""
    rows, commit = [], provenance.commit(p.basedir)
    for path in claims_files:
        study = Path(path).parent.name
        listed = claims.load_claims(path)
        if study not in p.built:
            rows += claims.placeholder_rows(study, listed, claims.NOT_BUILT)
        elif study not in p.studies:
            rows += claims.placeholder_rows(study, listed, claims.NOT_IN_CONFIG)
        else:
            rows += study_table(study, listed, p, commit)
    return pd.DataFrame(rows, columns=claims.COLUMNS)


def write(table, csv, summary, md):
    """The table as CSV, as the report's front page (every cell reST-escaped, so that none
    becomes markup) and as Markdown."""
    with atomic_path(csv) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(summary) as tmp:
        summary_table(table).to_csv(tmp, index=False)
    with atomic_path(md) as tmp:
        tmp.write_text(to_markdown(table))
    logger.info("%s", table.verdict.str.partition(":")[0].value_counts().to_dict())


def run(job):
    """The claims rule."""
    write(build(job.input.claims, job.params), job.output.csv, job.output.summary, job.output.md)


_MARKDOWN = {"\\": "\\\\", "`": "\\`", "|": "\\|", "*": "\\*", "[": "\\[", "]": "\\]",
             "~": "\\~", "&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_cell(text):
    """A table cell's text for Markdown: on one line, no control characters, and nothing that
    makes markup (backslash, backquote, |, *, brackets, ~ escaped; < > & as entities; _ escaped
    where it could open or close emphasis)."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    text = "".join(_MARKDOWN.get(ch, ch) for ch in text)
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)


def rest_cell(text):
    """A cell's text for the report's front page (a reST csv-table: each cell is read as reST):
    on one line, no control characters, every ASCII punctuation mark backslash-escaped, so that
    nothing in it (a name from the user's folder) becomes a list, link, role or directive."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return "".join("\\" + ch if ch in string.punctuation else ch for ch in text)


def summary_table(table):
    """The report's front page: study, id, claim, original, ours (with the study's caveats)
    and verdict of every row, each cell escaped for reST (:func:`rest_cell`)."""
    shown = table[["study", "id", "claim", "original", "ours", "verdict"]].astype(str).copy()
    if "caveats" in table:
        caveats = table["caveats"].fillna("").astype(str)
        shown["ours"] = shown["ours"].where(caveats == "",
                                            shown["ours"] + " (caveat: " + caveats + ")")
    return shown.map(rest_cell)


def to_markdown(table):
    """The table as Markdown, one line per claim, every cell escaped (:func:`markdown_cell`);
    a caveats column where a row has one."""
    shown = ["study", "id", "claim", "original", "ours", "verdict", "rule"]
    if "caveats" in table and table["caveats"].fillna("").astype(str).str.strip().any():
        shown.append("caveats")
    lines = ["| " + " | ".join(shown) + " |", "|" + " --- |" * len(shown)]
    for _, row in table.iterrows():
        cells = [markdown_cell("" if pd.isna(row[c]) else row[c]) for c in shown]
        lines.append("| " + " | ".join(cells) + " |")
    counts = table.verdict.str.partition(":")[0].value_counts()
    summary = ", ".join(f"{n} {markdown_cell(v)}" for v, n in counts.items())
    return f"{len(table)} claims: {summary}.\n\n" + "\n".join(lines) + "\n"


def read_table(path):
    """A claims table written by the claims rule: ``path`` is the CSV or the results folder
    holding ``claims.csv``; InputError naming it when it is missing or not such a table."""
    path = Path(path)
    path = path / "claims.csv" if path.is_dir() else path
    if not path.is_file():
        raise InputError(path, "is missing: give a results folder (with claims.csv) or the CSV")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(path, f"is not a readable CSV ({' '.join(str(err).split())})") from None
    missing = [c for c in ("study", "id", "verdict", "ours") if c not in table.columns]
    if missing:
        raise InputError(path, f"is not a claims table: it lacks {', '.join(missing)}")
    for column in PROVENANCE + ["caveats"]:  # tables written before these columns existed
        if column not in table.columns:
            table[column] = ""
    return table.set_index(["study", "id"])


def compare(a, b):
    """The claims whose verdict or number changed between two tables (:func:`read_table`), and
    per study what their rows rest on where it changed (commit, code, data): a DataFrame with
    study, id, what (verdict, ours, caveats, or a provenance column), a, b; one row per
    change. A table without a caveats column (written before it existed) has none."""
    changes = []
    for key in sorted(set(a.index) | set(b.index)):
        if key not in a.index or key not in b.index:
            changes.append((*key, "row", "present" if key in a.index else "absent",
                            "present" if key in b.index else "absent"))
            continue
        for what in ("verdict", "ours", "caveats"):
            if a.loc[key, what] != b.loc[key, what]:
                changes.append((*key, what, a.loc[key, what], b.loc[key, what]))
    for study in sorted(set(a.index.get_level_values(0)) & set(b.index.get_level_values(0))):
        for what in PROVENANCE:
            before, after = (sorted(set(t.loc[study][what])) for t in (a, b))
            if before != after:
                changes.append((study, "*", what, ", ".join(before), ", ".join(after)))
    return pd.DataFrame(changes, columns=["study", "id", "what", "a", "b"])


def compare_lines(a, b):
    """`make compare`'s report of two tables (paths or results folders): a count line, then one
    line per change."""
    a, b = read_table(a), read_table(b)
    changes = compare(a, b)
    verdicts = changes[changes.what == "verdict"]
    lines = [f"{len(a)} claims in A, {len(b)} in B: {len(verdicts)} verdict(s) changed, "
             f"{int((changes.what == 'ours').sum())} number(s) changed"]
    return lines + [f"{r.study} {r.id} {r.what}: {r.a} -> {r.b}" for r in changes.itertuples()]


def compare_main(argv=None):
    """`make compare A=... B=...` (scripts/compare_claims.py): prints :func:`compare_lines`;
    exit status 2 with one line naming the path when a table is missing or malformed."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="The claims whose verdict or number changed "
                                     "between two runs, and what their rows rest on.")
    parser.add_argument("a", help="results folder (with claims.csv) or claims CSV of run A")
    parser.add_argument("b", help="the same of run B")
    args = parser.parse_args(argv)
    try:
        print("\n".join(compare_lines(args.a, args.b)))
    except InputError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 2
    return 0
