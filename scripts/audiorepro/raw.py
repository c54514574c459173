"""What the rules <study>_raw share: a study's data set in its original layout, from the
configured source, with a ground-truth table.

synthetic: the study's generator writes it (and its ground truth); kaggle: downloaded and
unpacked safely; url: fetched and checked against each file's sha256; local: linked from the
user's folder. Real data carry no ground truth beyond their own labels: the table says so by
being empty. Studies whose data are plain recordings (``members=None``) take every audio file of
a local folder, or one local file.
"""

import shutil
from pathlib import Path

from . import rule
from .atomic import atomic_path
from .config import AUDIO_SUFFIXES
from .errors import InputError
from .sources import fetch_raw



def audio_files(folder):
    """Every audio file under ``folder`` (by suffix), sorted by relative path."""
    folder = Path(folder)
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def link_recordings(path, dest):
    """A local file, or every audio file of a local folder, hard-linked (else copied) into
    ``dest`` whole; InputError naming the key when there is nothing to take."""
    path = Path(path)
    if path.is_file():
        files, root = [path], path.parent
    elif path.is_dir():
        files, root = audio_files(path), path
    else:
        raise InputError(path, "(source.local_path) does not exist")
    if not files:
        raise InputError(path, f"(source.local_path) holds no audio file "
                               f"({', '.join(sorted(AUDIO_SUFFIXES))})")
    with atomic_path(dest, is_dir=True) as tmp:
        for src in files:
            target = tmp / src.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                target.hardlink_to(src)
            except OSError:
                shutil.copy2(src, target)
    return files


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
        files = link_recordings(p.source.get("local_path") or "", out.raw)
        rule.log.info("local: %d recordings from %s", len(files), p.source["local_path"])
        return
    fetch_raw(p.source, out.raw, p.members or [], kaggle_kind=p.kaggle_kind,
              generate=synthesise, staging=p.staging)
