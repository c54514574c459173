"""Write outputs so that a failing step leaves nothing half-written behind.

Snakemake removes declared outputs of a failed job, but a script can also be run by hand, and a
directory output that is half filled when the job dies looks complete to a later reader. Every
writer in this package goes through one of these helpers: the result appears under its final name
only once it is whole.

Staging entries sit beside their target as ``.{name}.partial-XXXXXXXX`` (plus the target's
suffix for files, so writers that pick a format by suffix still work). While a writer is alive it
holds a lock on its staging entry; a job killed with ``kill -9`` loses the lock, and the next
:func:`atomic_path` for the same target removes what it left. Staged outputs get the modes any
other new file gets under the user's umask (``tempfile`` alone would make them 600 / 700).
"""

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no liveness lock, every leftover counts as stale
    fcntl = None

PARTIAL = ".partial-"
# tempfile's random part: 8 characters from this alphabet
_RANDOM = r"[a-z0-9_]{8}"


def current_umask():
    """The process's umask, read without changing it where Linux allows (else set and restore)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_mode(is_dir):
    """The mode a new file (0o666) or folder (0o777) gets under the current umask."""
    return (0o777 if is_dir else 0o666) & ~current_umask()


_IN_STAGING = re.compile(rf"\..+{re.escape(PARTIAL)}{_RANDOM}")


def staging_name_pattern(path):
    """Regex matching the staging names :func:`atomic_path` uses for ``path``."""
    path = Path(path)
    suffix = re.escape(path.suffix)
    return re.compile(rf"\.{re.escape(path.name)}{re.escape(PARTIAL)}{_RANDOM}(?:{suffix})?")


def _lock(entry, is_dir):
    """Open ``entry`` and take an exclusive lock; return the descriptor, or None if it is held."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | (os.O_DIRECTORY if is_dir else 0)
    fd = os.open(entry, flags)
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:
        pass  # a file system without flock: treat the entry as unlocked
    return fd


def remove_stale_staging(path):
    """Remove staging entries for ``path`` that no live writer holds (left by a killed job).

    Returns the removed paths. Hidden files that merely look similar are kept.
    """
    path = Path(path)
    if not path.parent.is_dir() or _IN_STAGING.fullmatch(path.parent.name):
        return []  # a staging folder is fresh: nothing stale inside (and no scan per file written)
    pattern = staging_name_pattern(path)
    prefix = f".{path.name}{PARTIAL}"
    removed = []
    with os.scandir(path.parent) as listing:
        candidates = [Path(e.path) for e in listing if e.name.startswith(prefix)]
    for entry in candidates:
        if not pattern.fullmatch(entry.name) or entry.is_symlink():
            continue
        is_dir = entry.is_dir()
        try:
            fd = _lock(entry, is_dir)
        except OSError:
            continue  # vanished or unreadable: not ours to judge
        if fd is None:
            continue  # a live writer holds it
        try:
            _remove(entry)
            removed.append(entry)
        finally:
            os.close(fd)
    return removed


def _staging(path: Path, is_dir: bool):
    """Create a locked staging entry beside ``path``; return (staging path, lock descriptor)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(path)
    prefix = f".{path.name}{PARTIAL}"
    if is_dir:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=path.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=path.suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(name)
    lock = _lock(tmp, is_dir)
    os.chmod(tmp, default_mode(is_dir))
    return tmp, lock


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path, is_dir=False):
    """Yield a staging path beside ``path``; move it into place only if the block succeeds.

    The staging entry (``.{name}.partial-XXXXXXXX``) has the mode a new file or folder gets under
    the umask; stale staging entries of the same target are removed first.

    >>> with atomic_path("out/table.csv") as tmp:
    ...     frame.to_csv(tmp)
    """
    path = Path(path)
    tmp, lock = _staging(path, is_dir)
    try:
        try:
            yield tmp
        except BaseException:
            _remove(tmp)
            raise
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif is_dir and (path.exists() or path.is_symlink()):
            path.unlink()
        os.replace(tmp, path)  # over an existing file or link this is atomic
    finally:
        if lock is not None:
            os.close(lock)


@contextlib.contextmanager
def scratch_dir(path):
    """Yield a staging folder beside ``path`` that is removed when the block ends, however it ends.

    For downloads and unpacking that feed a final :func:`atomic_path`: a killed job's scratch
    folder is removed by the next ``scratch_dir`` for the same ``path``.
    """
    path = Path(path)
    tmp, lock = _staging(path, is_dir=True)
    try:
        yield tmp
    finally:
        _remove(tmp)
        if lock is not None:
            os.close(lock)


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


def write_json(path, data):
    """A JSON file (sorted keys, indented), written atomically."""
    import json

    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(data, indent=2, sort_keys=True, default=float) + "\n")
