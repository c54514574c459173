"""Where a study's raw data comes from: Kaggle, a folder the user already has, or (per study) the
synthetic generator. Every source ends the same way: a folder in the original data set's layout,
checked, moved into place whole.
"""

import json
import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from .atomic import atomic_path
from .errors import InputError

CREDENTIALS_HELP = (
    "credentials not found. Create an API token on kaggle.com (Settings > API), then either "
    "save it as ~/.kaggle/kaggle.json (chmod 600; KAGGLE_CONFIG_DIR may point elsewhere) or set "
    "KAGGLE_USERNAME and KAGGLE_KEY in the environment. For competitions, accept the rules on the "
    "competition's page first."
)


def kaggle_credentials_present(environ=None, home=None):
    """True if the Kaggle client will find credentials (it looks where this function looks)."""
    environ = os.environ if environ is None else environ
    if environ.get("KAGGLE_USERNAME") and environ.get("KAGGLE_KEY"):
        return True
    home = Path(home or Path.home())
    candidates = [Path(environ["KAGGLE_CONFIG_DIR"])] if environ.get("KAGGLE_CONFIG_DIR") else []
    xdg = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    candidates += [home / ".kaggle", xdg / "kaggle"]
    for folder in candidates:
        token = folder / "kaggle.json"
        if token.is_file():
            try:
                values = json.loads(token.read_text())
            except (OSError, ValueError):
                raise InputError(token, "is not valid JSON (expected {\"username\": ..., \"key\": ...})")
            if not (values.get("username") and values.get("key")):
                raise InputError(token, "lacks \"username\" or \"key\"")
            return True
    return False


def kaggle_download(kind, name, dest):
    """Download a Kaggle dataset (``kind='dataset'``) or competition's files into ``dest``.

    Credentials are checked first so that a missing token gives one clear message; the key itself
    is never printed or logged.
    """
    if not kaggle_credentials_present():
        raise InputError("Kaggle", CREDENTIALS_HELP)
    # Importing kaggle authenticates at import time, so import only once credentials exist.
    from kaggle import api

    import requests

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if kind not in ("dataset", "competition"):
        raise InputError("source.kaggle kind", f"must be 'dataset' or 'competition', not {kind!r}")
    try:
        if kind == "dataset":
            api.dataset_download_files(name, path=str(dest), quiet=True)
        else:
            api.competition_download_files(name, path=str(dest), quiet=True)
    except requests.exceptions.RequestException as err:
        status = getattr(getattr(err, "response", None), "status_code", None)
        hint = {401: " (check the credentials)", 403: " (for a competition: accept its rules on Kaggle)",
                404: " (check the name in source.kaggle)"}.get(status, "")
        raise InputError(f"Kaggle {kind} {name}", f"download failed: {err}{hint}") from None
    return sorted(dest.glob("*.zip"))


def _checked_member_path(member, target):
    """Where a zip entry would land, refusing entries that escape ``target``."""
    name = member.filename
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise InputError(name, f"archive entry would be written outside {target.name}/; refusing to extract")
    landing = (target / pure).resolve()
    if target.resolve() not in landing.parents and landing != target.resolve():
        raise InputError(name, f"archive entry would be written outside {target.name}/; refusing to extract")
    if (member.external_attr >> 16) & 0o170000 == 0o120000:
        raise InputError(name, "archive entry is a symbolic link; refusing to extract")
    return landing


def safe_extract(archive, target, recurse=True):
    """Extract a zip archive into ``target``, refusing any entry that would land outside it.

    Every entry is checked before the first byte is written. Archives inside the archive (Kaggle
    competitions ship zips of zips) are extracted beside themselves, under the same rule.
    """
    archive, target = Path(archive), Path(target)
    try:
        with zipfile.ZipFile(archive) as z:
            members = [(m, _checked_member_path(m, target)) for m in z.infolist()]
            for member, landing in members:
                if member.is_dir():
                    landing.mkdir(parents=True, exist_ok=True)
                    continue
                landing.parent.mkdir(parents=True, exist_ok=True)
                with z.open(member) as src, open(landing, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    except zipfile.BadZipFile as err:
        raise InputError(archive, f"is not a readable zip archive ({err})") from None
    if recurse:
        for _, landing in members:
            if landing.suffix == ".zip" and landing.is_file():
                safe_extract(landing, landing.parent / landing.stem, recurse=True)
                landing.unlink()


def find_layout_root(folder, required):
    """The shallowest folder under ``folder`` that holds every path in ``required``."""
    folder = Path(folder)
    for candidate in sorted([folder, *[p for p in folder.rglob("*") if p.is_dir()]],
                            key=lambda p: len(p.parts)):
        if all((candidate / r).exists() for r in required):
            return candidate
    raise InputError(folder, f"does not contain the expected layout ({', '.join(required)})")


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def install_layout(root, dest, members):
    """Place ``members`` (paths relative to ``root``; folders taken whole) into ``dest`` atomically.

    Files are hard-linked where the file system allows it, else copied, so a local 8-GB folder
    costs no space twice.
    """
    root = Path(root)
    with atomic_path(dest, is_dir=True) as tmp:
        for rel in members:
            src = root / rel
            if not src.exists():
                raise InputError(src, "is missing from the data folder")
            if src.is_dir():
                shutil.copytree(src, tmp / rel, copy_function=_link_or_copy)
            else:
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(src, tmp / rel)


def fetch_raw(source, dest, members, kaggle_kind, generate=None, staging=None):
    """Bring a study's raw data into ``dest`` from the configured source.

    ``source`` is the study's ``source`` config block (``kind``: synthetic | kaggle | local).
    ``members`` are the paths, relative to the data set's root, that make its layout.
    ``generate(dest)`` writes the synthetic data set.
    """
    kind = source["kind"]
    if kind == "synthetic":
        generate(dest)
    elif kind == "local":
        path = source.get("local_path")
        if not path:
            raise InputError("source.local_path", "must name the folder that holds the data")
        if not Path(path).is_dir():
            raise InputError(path, "(source.local_path) is not a folder")
        install_layout(find_layout_root(path, members), dest, members)
    elif kind == "kaggle":
        staging = Path(staging or Path(dest).parent / f".{Path(dest).name}.download")
        archives = kaggle_download(kaggle_kind, source["kaggle"], staging)
        if not archives:
            raise InputError(staging, "Kaggle download produced no archive")
        extracted = staging / "extracted"
        for archive in archives:
            safe_extract(archive, extracted)
        install_layout(find_layout_root(extracted, members), dest, members)
        shutil.rmtree(staging, ignore_errors=True)
    else:
        raise InputError("source.kind", f"must be synthetic, kaggle or local, not {kind!r}")
