"""Write outputs so that a failing step leaves nothing half-written behind.

Snakemake removes declared outputs of a failed job, but a script can also be run by hand, and a
directory output that is half filled when the job dies looks complete to a later reader. Every
writer in this package goes through one of these helpers: the result appears under its final name
only once it is whole.
"""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


def _staging(path: Path, is_dir: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_dir:
        return Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    return Path(name)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path, is_dir=False):
    """Yield a staging path beside ``path``; move it into place only if the block succeeds.

    >>> with atomic_path("out/table.csv") as tmp:
    ...     frame.to_csv(tmp)
    """
    path = Path(path)
    tmp = _staging(path, is_dir)
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    if path.exists():
        _remove(path)
    os.replace(tmp, path)


@contextlib.contextmanager
def all_or_nothing(paths):
    """Remove every one of ``paths`` if the block fails (for writers that need the final names)."""
    paths = [Path(p) for p in paths]
    try:
        yield
    except BaseException:
        for p in paths:
            if p.exists():
                _remove(p)
        raise
