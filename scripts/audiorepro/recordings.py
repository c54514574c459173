"""Studies whose data are plain recordings (orcas, sorting, continuation): every audio file of a
raw folder converted once to 16-bit mono WAV at the study's rate, with a table of what was made.

Conversion is ffmpeg's band-limited resampling (:func:`audio.convert_to_wav`); a file that
cannot be decoded stops the rule with its name, and nothing is left half-written.
"""

import json
from pathlib import Path

import pandas as pd

from . import rule
from .atomic import atomic_path
from .audio import convert_to_wav, read_audio
from .errors import InputError
from .raw import find_recordings, log_skipped, source_names, wav_names


def short_problem(table, short):
    """The message for the recordings of ``table`` shorter than ``short["seconds"]`` (all named
    at once, with the setting that decides the length and the one that skips them), or None."""
    if not short or short.get("seconds") is None:
        return None
    too_short = table[table.seconds < short["seconds"]]
    if too_short.empty:
        return None
    listed = ", ".join(f"{f} ({sec:.2f} s)" for f, sec in zip(too_short.file[:20], too_short.seconds))
    more = f" and {len(too_short) - 20} more" if len(too_short) > 20 else ""
    return (f"{len(too_short)} of {len(table)} recordings are shorter than the "
            f"{short['seconds']:g} s that {short['key']} needs: {listed}{more}; lower "
            f"{short['key']}, or set {short['policy_key']}: skip to leave them out")


def coverage(kept, total, what, setting):
    """What a skip left, for ``coverage/*.json`` and the claims table: ``{"kept", "total",
    "what", "warnings"}``. A skip (``setting``: skip) that removed more than a quarter of the
    ``total`` ``what`` ("recordings", "annotated stretches") is a warning, one sentence, also
    logged: the results rest on a small part of the data."""
    removed = total - kept
    warnings = []
    if total and 4 * removed > total:
        warnings.append(f"{setting}: skip removed {removed} of {total} {what} "
                        f"({100 * removed / total:.0f} %), more than a quarter: what follows "
                        f"rests on the {kept} left")
        rule.log.warning("%s", warnings[0])
    return {"kept": int(kept), "total": int(total), "what": what, "warnings": warnings}


def write_coverage(path, report):
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(report, indent=1) + "\n")


def convert_folder(raw, out_dir, rate, short=None, origin=None, coverage_path=None):
    """Convert every audio file under ``raw`` to ``out_dir/<relative path>.wav`` (mono, 16-bit,
    ``rate``); return a table ``file`` (as in raw), ``wav`` (relative to out_dir), ``samples``,
    ``seconds``, in name order.

    ``short`` (see rules/common.smk ``short_recordings``): recordings shorter than
    ``short["seconds"]`` are an InputError naming every one of them and the setting to change,
    or, with ``short["policy"] == "skip"``, left out with a logged count and names. Two files
    that would convert to one name are an InputError naming both; so is a link leading nowhere.
    Files under ``raw`` that are not audio by their suffix are counted in the log.
    ``origin(relative path)`` gives the user's own file a recording came from (raw.source_names):
    a file that cannot be converted is named by it, with its copy. ``coverage_path``: where
    :func:`coverage` of the recordings kept is written (always, warnings or none).
    """
    raw = Path(raw)
    files, skipped = find_recordings(raw)
    log_skipped(skipped, raw)
    if not files:
        raise InputError(raw, "holds no audio file")
    names = wav_names(files, raw)
    rows = []
    with atomic_path(out_dir, is_dir=True) as tmp:
        for src, wav in zip(files, names):
            (tmp / wav).parent.mkdir(parents=True, exist_ok=True)
            rel = src.relative_to(raw).as_posix()
            try:
                samples = convert_to_wav(src, tmp / wav, rate)
            except InputError as err:
                if origin is None:
                    raise
                raise InputError(f"{origin(rel)} (copied to {src})", err.problem) from None
            rows.append((rel, wav.as_posix(), len(samples), len(samples) / rate))
        table = pd.DataFrame(rows, columns=["file", "wav", "samples", "seconds"])
        problem = short_problem(table, short)
        if problem and short.get("policy", "error") != "skip":
            raise InputError(raw, problem)
        if problem:
            keep = table.seconds >= short["seconds"]
            if not keep.any():
                raise InputError(raw, f"every recording is shorter than the {short['seconds']:g} s "
                                      f"that {short['key']} needs: lower {short['key']}")
            for wav in table.wav[~keep]:
                (tmp / wav).unlink()
            rule.log.warning("skipped (%s: skip): %s", short["policy_key"],
                             problem.split("; lower")[0])
            table = table[keep].reset_index(drop=True)
    if coverage_path is not None:
        setting = (short or {}).get("policy_key", "short_recordings")
        write_coverage(coverage_path, coverage(len(table), len(files), "recordings", setting))
    return table


def write_table(table, path):
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


def run(job):
    """The rules ``<study>_convert``: every raw file to WAV (:func:`convert_folder`), named in
    errors as the user's own file where the source is a local folder, and its table."""
    p = job.params
    table = convert_folder(job.input.raw, job.output.audio, p.rate,
                           short=getattr(p, "short", None),
                           origin=source_names(getattr(p, "source", None)),
                           coverage_path=job.output.coverage)
    write_table(table, job.output.table)
    rule.log.info("%d recording(s), %.1f s in all", len(table), table.seconds.sum())


def read_recording(folder, table_row, rate):
    """One converted recording as int16 samples, checked (rate, mono, 16-bit, not truncated)."""
    samples, _ = read_audio(Path(folder) / table_row["wav"], rate=rate, channels=1)
    return samples
