"""What the rules <study>_raw share: a study's data set in its original layout, from the
configured source, with a ground-truth table.

synthetic: the study's generator writes it (and its ground truth); kaggle: downloaded and
unpacked safely; url: fetched and checked against each file's sha256; local: linked from the
user's folder. Real data carry no ground truth beyond their own labels: the table says so by
being empty. Studies whose data are plain recordings (``members=None``) take every audio file of
a local folder, or one local file.
"""

import os
import shutil
from importlib import import_module
from pathlib import Path

from . import rule
from .atomic import atomic_path
from .audio import describe_content, sniff_suffix
from .config import AUDIO_SUFFIXES
from .errors import InputError, shown
from .sources import check_file, fetch_raw, is_outside, linked_name, log_links_out, walk_files


def find_recordings(folder):
    """Every audio file (by suffix, :data:`AUDIO_SUFFIXES`) under ``folder``, symbolic links
    to files and folders followed, sorted by relative path; and the files left out because
    their suffix is no audio format's, for the log (Snakemake's ``.snakemake_timestamp`` is no
    file of the user's: never listed). Each recording is checked before anything is made of it
    (:func:`sources.check_file`): a link that leads nowhere, a link to anything but a regular
    file (a device, a pipe) and a file that is not audio by its content (``evil.wav`` holding
    text) are an InputError naming the file in ``folder`` and, for a link, its target, quoting
    none of its bytes; a recording reached through a link out of ``folder`` is logged with its
    target. Returns (files, skipped), paths under ``folder`` as found."""
    folder = Path(folder)
    files, skipped, outside = [], [], []
    for path, real in walk_files(folder):
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            skipped.append(path)
            continue
        check_file(path, real, folder, audio=True)
        files.append(path)
        if is_outside(real, folder):
            outside.append((path, real))
    log_links_out(outside, folder)
    return files, skipped


def wav_names(files, root):
    """The converted name (relative path, suffix .wav) of each of ``files``; two files that
    would become one WAV (``song.mp3`` and ``song.wav``) are an InputError naming both."""
    names, taken = [], {}
    for src in files:
        rel = Path(src).relative_to(root)
        wav = rel.with_suffix(".wav")
        if wav in taken:
            raise InputError(root, f"{taken[wav]} and {rel} would both become {wav}: rename "
                                   "one of them (each recording needs its own name)")
        taken[wav] = rel
        names.append(wav)
    return names


def log_skipped(skipped, root):
    """One log line counting (and naming) the files of a local folder that are not recordings."""
    if skipped:
        rule.log.warning("skipped %d file(s) that are not audio by their suffix (%s): %s",
                         len(skipped), ", ".join(AUDIO_SUFFIXES),
                         shown(Path(p).relative_to(root) for p in skipped))


def _single_file_name(path):
    """The name a single local file takes in the raw folder, checked as :func:`find_recordings`
    checks a folder's: its own when its suffix is an audio format's (its content must be audio
    too), else its name plus the suffix its content shows (a file ``take-3`` that is an mp3
    becomes ``take-3.mp3``); InputError when its content is no audio format."""
    real = Path(os.path.realpath(path))
    if path.suffix.lower() in AUDIO_SUFFIXES:
        check_file(path, real, path.parent, audio=True)
        return path.name
    check_file(path, real, path.parent)
    sniffed = sniff_suffix(real)
    if sniffed is None:
        raise InputError(linked_name(path, real, path.parent),
                         f"(source.local_path) is not an audio file: {describe_content(real)}")
    return path.name + sniffed


def link_recordings(path, dest):
    """A local file (of any audio format), or every audio file of a local folder, hard-linked
    (else copied) into ``dest`` whole, links resolved to the files they lead to, each checked
    first (:func:`find_recordings`). InputError naming the key when there is nothing to take,
    or naming the files when two would convert to one name. Returns (files taken, files
    skipped)."""
    path = Path(path)
    if path.is_dir():
        files, skipped = find_recordings(path)
        root = path
        names = [f.relative_to(root) for f in files]
        wav_names(files, root)
    elif path.is_symlink() and not path.exists():
        raise InputError(path, f"(source.local_path) is a symbolic link that leads nowhere "
                               f"(-> {os.readlink(path)})")
    elif path.exists():
        files, skipped, root = [path], [], path.parent
        names = [Path(_single_file_name(path))]
        if is_outside(os.path.realpath(path), root):
            log_links_out([(path, os.path.realpath(path))], root)
    else:
        raise InputError(path, "(source.local_path) does not exist")
    if not files:
        raise InputError(path, f"(source.local_path) holds no audio file "
                               f"({', '.join(sorted(AUDIO_SUFFIXES))})"
                               + (f"; it holds {len(skipped)} other file(s)" if skipped else ""))
    with atomic_path(dest, is_dir=True) as tmp:
        for src, name in zip(files, names):
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            real = os.path.realpath(src, strict=True)  # a relative link would dangle there
            try:
                target.hardlink_to(real)
            except OSError:
                shutil.copy2(real, target)
    return files, skipped


def source_names(source):
    """For messages about a copy under ``results/<study>/raw/``: a function from its path
    there (relative, POSIX) to the user's own file it came from, for a local source; None for
    the others (their files are named by the copy)."""
    if (source or {}).get("kind") != "local" or not source.get("local_path"):
        return None
    local = Path(source["local_path"])
    return (lambda rel: local / rel) if local.is_dir() else (lambda rel: local)


def name_downloads(files):
    """Give each downloaded file whose name has no audio suffix the suffix its content shows
    (``.../get?id=7`` saved as ``get`` and holding an mp3 becomes ``get.mp3``); InputError
    naming the file when its content is not audio (an HTML error page, say)."""
    named = []
    for path in map(Path, files):
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            sniffed = sniff_suffix(path)
            if sniffed is None:
                raise InputError(path.name, f"(source.urls) is not an audio file: "
                                            f"{describe_content(path)}")
            path = path.rename(path.with_name(path.name + sniffed))
        named.append(path)
    wav_names(named, named[0].parent if named else Path("."))
    return named


def run(snakemake):
    """The rule ``<study>_raw``: :func:`make_raw` with ``audiorepro.<study>.synth.generate``,
    the study its name says."""
    study = snakemake.rule.removesuffix("_raw")
    make_raw(snakemake, import_module(f"audiorepro.{study}.synth").generate)


def make_raw(snakemake, generate):
    """Run a raw rule: ``generate(dest, **params.synthetic)`` is the study's synthetic generator."""
    p, out = snakemake.params, snakemake.output

    def synthesise(dest):
        truth = generate(dest, **p.synthetic)
        with atomic_path(out.truth) as tmp:
            truth.to_csv(tmp, index=False)
        rule.log.info("synthetic: %d rows of ground truth", len(truth))

    if p.source["kind"] != "synthetic":
        with atomic_path(out.truth) as tmp:
            tmp.write_text("file,label\n")
    if p.members is None and p.source["kind"] == "local":
        local = Path(p.source.get("local_path") or "")
        files, skipped = link_recordings(local, out.raw)
        log_skipped(skipped, local)
        rule.log.info("local: %d recording(s) from %s", len(files), local)
        return
    recordings = p.members is None and p.source["kind"] == "url"
    fetch_raw(p.source, out.raw, p.members or [], kaggle_kind=p.kaggle_kind,
              generate=synthesise, staging=p.staging,
              settle=name_downloads if recordings else None)
