"""Where a study's raw data comes from: Kaggle, a folder the user already has, a list of checked
URLs, or (per study) the synthetic generator. Every source ends the same way: a folder in the
original data set's layout, checked, moved into place whole.
"""

import contextlib
import json
import logging
import os
import shutil
import stat
import time
import urllib.parse
import zipfile
from pathlib import Path, PurePosixPath

from . import download, rule
from .atomic import atomic_path, scratch_dir
from .audio import audio_problem
from .config import AUDIO_SUFFIXES, find_layout
from .errors import InputError, shown

# Snakemake's own bookkeeping in a folder it made (a directory() output): never a user's file
SNAKEMAKE_FILES = frozenset({".snakemake_timestamp"})

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


# Tests point the Kaggle client at a stand-in on this machine through this variable; it takes
# only loopback addresses, so a stray setting cannot send the Kaggle key elsewhere.
KAGGLE_ENDPOINT_VARIABLE = "AUDIOREPRO_KAGGLE_ENDPOINT"


def kaggle_endpoint(environ=None):
    """The Kaggle API base URL to use: the stand-in named by AUDIOREPRO_KAGGLE_ENDPOINT, else None
    (the client's own, https://www.kaggle.com)."""
    environ = os.environ if environ is None else environ
    value = environ.get(KAGGLE_ENDPOINT_VARIABLE)
    if not value:
        return None
    parts = urllib.parse.urlsplit(value)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise InputError(KAGGLE_ENDPOINT_VARIABLE, "may only name a stand-in on this machine "
                                                   f"(http://127.0.0.1:PORT), not {value!r}")
    return value.rstrip("/")


def _kaggle_api(network):
    """A Kaggle client whose every request has a timeout and bounded retries, never verbose.

    kaggle 1.7 sends its requests through kagglesdk's KaggleHttpClient, which opens a plain
    ``requests.Session`` and calls ``session.send`` without a timeout; its ``--verbose`` mode
    (switched on by KAGGLE_API_ENVIRONMENT=LOCALHOST) prints every request's headers, the
    Authorization header included. Here the client is built by hand: verbose off, and the session
    gets :func:`download.bound_session`'s adapters before the first request. With the default
    settings a server that accepts and never answers ends the download after 3 attempts of 10 s
    and pauses of 0 s and 2 s (32 s; any stall stays within download.worst_case_wait(), 48 s).
    """
    endpoint = kaggle_endpoint()
    # kaggle's Configuration adds a stream handler to the "kaggle" and "urllib3" loggers at every
    # authentication (so each message would print once more per client); those are taken off
    # again, and urllib3's retry warnings reach the rule's log through the root logger only.
    loggers = [logging.getLogger("kaggle"), logging.getLogger("urllib3")]
    before = [list(logger.handlers) for logger in loggers]
    from kaggle.api.kaggle_api_extended import KaggleApi
    from kagglesdk.kaggle_client import KaggleClient
    from kagglesdk.kaggle_env import KaggleEnv

    class BoundKaggleApi(KaggleApi):
        def build_kaggle_client(self):
            client = KaggleClient(env=KaggleEnv.PROD, verbose=False,
                                  username=self.config_values["username"],
                                  password=self.config_values["key"])
            http = client.http_client()
            if not (hasattr(http, "_endpoint") and hasattr(http, "_init_session")):
                raise RuntimeError("this kagglesdk builds its HTTP client differently from the "
                                   "one audiorepro wraps (kaggle 1.7.4.5, requirements.txt)")
            if endpoint:
                http._endpoint = endpoint
            http._init_session()  # creates the session now so that the adapters go on it
            download.bound_session(http._session, **network)
            return client

    api = BoundKaggleApi()
    api.authenticate()
    for logger, handlers in zip(loggers, before):
        for handler in [h for h in logger.handlers if h not in handlers]:
            logger.removeHandler(handler)
    return api


def kaggle_download(kind, name, dest, **network):
    """Download a Kaggle dataset (``kind='dataset'``) or competition's files into ``dest``.

    Credentials are checked first so that a missing token gives one clear message; the key itself
    is never printed or logged. ``network`` (connect_timeout, read_timeout, retries, backoff;
    defaults in :mod:`download`) bounds every request: a stalled server ends the download with one
    line naming Kaggle and how long it waited. Returns the downloaded archives.
    """
    if kind not in ("dataset", "competition"):
        raise InputError("source.kaggle kind", f"must be 'dataset' or 'competition', not {kind!r}")
    if not kaggle_credentials_present():
        raise InputError("Kaggle", CREDENTIALS_HELP)
    import requests

    # Importing kaggle authenticates at import time, so import only once credentials exist.
    api = _kaggle_api(network)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    where = f"Kaggle {kind} {name}"
    start = time.monotonic()
    try:
        if kind == "dataset":
            api.dataset_download_files(name, path=str(dest), quiet=True)
        else:
            api.competition_download_files(name, path=str(dest), quiet=True)
    except requests.exceptions.HTTPError as err:
        status = getattr(getattr(err, "response", None), "status_code", None)
        hint = {401: " (check the credentials)", 403: " (for a competition: accept its rules on Kaggle)",
                404: " (check the name in source.kaggle)"}.get(status, "")
        reason = str(err).split(" for url:")[0].strip().replace("\n", " ")
        raise InputError(where, f"download failed: {reason}{hint}") from None
    except requests.exceptions.RequestException as err:
        settings = {"connect_timeout": download.CONNECT_TIMEOUT,
                    "read_timeout": download.READ_TIMEOUT, "retries": download.RETRIES, **network}
        raise download.DownloadError(
            where, f"download failed: {download.describe_failure(err)}; gave up after "
                   f"{settings['retries'] + 1} attempts and {time.monotonic() - start:.1f} s "
                   f"(connect timeout {settings['connect_timeout']:g} s, read timeout "
                   f"{settings['read_timeout']:g} s)") from None
    return sorted(dest.glob("*.zip"))


def _checked_member_path(member, target, archive):
    """Where a zip entry would land, refusing entries that escape ``target``."""
    name = member.filename
    where = f"{archive} (entry {name})"
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise InputError(where, f"would be written outside {target.name}/; refusing to extract")
    landing = (target / pure).resolve()
    if target.resolve() not in landing.parents and landing != target.resolve():
        raise InputError(where, f"would be written outside {target.name}/; refusing to extract")
    if (member.external_attr >> 16) & 0o170000 == 0o120000:
        raise InputError(where, "is a symbolic link; refusing to extract")
    return landing


def safe_extract(archive, target, recurse=True):
    """Extract a zip archive into ``target``, refusing any entry that would land outside it.

    Every entry is checked before the first byte is written. Archives inside the archive (Kaggle
    competitions ship zips of zips) are extracted beside themselves, under the same rule.
    """
    archive, target = Path(archive), Path(target)
    try:
        with zipfile.ZipFile(archive) as z:
            members = [(m, _checked_member_path(m, target, archive)) for m in z.infolist()]
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
    found = find_layout(folder, required)
    if found is None:
        raise InputError(folder, f"does not contain the expected layout ({', '.join(required)})")
    return found


def _link_text(path):
    try:
        return os.readlink(path)
    except OSError:
        return "(unreadable)"


def _unreadable(err):
    raise InputError(err.filename, f"cannot be listed ({(err.strerror or 'error').lower()})")


def walk_files(folder):
    """Every file under ``folder`` as (path as found there, the real file it is), sorted by
    relative path: symbolic links to files and to folders followed, each real folder once (a
    link back up the tree is not walked again), Snakemake's bookkeeping (SNAKEMAKE_FILES) left
    out. Links that lead nowhere are one InputError naming every such link and its target; a
    folder that cannot be listed is one too (never skipped quietly)."""
    folder = Path(folder)
    found, broken, seen = [], [], set()
    for top, dirs, names in os.walk(folder, followlinks=True, onerror=_unreadable):
        real = os.path.realpath(top)
        if real in seen:  # a link back up the tree: each folder once
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        for name in names:
            path = Path(top) / name
            if name in SNAKEMAKE_FILES:
                continue
            try:
                found.append((path, Path(os.path.realpath(path, strict=True))))
            except OSError:  # missing, or a loop of links
                broken.append(f"{path.relative_to(folder)} -> {_link_text(path)}")
    if broken:
        raise InputError(folder, f"holds {len(broken)} symbolic link(s) that lead nowhere: "
                                 f"{shown(sorted(broken))}; fix or remove them")
    return sorted(found, key=lambda pair: pair[0].relative_to(folder).as_posix())


def linked_name(path, real, folder):
    """``path`` (found under ``folder``) for a message, with the file it leads to where a link
    on the way makes that another: ``data/evil.wav -> /etc/hostname``."""
    plain = Path(os.path.realpath(folder)) / Path(path).relative_to(folder)
    return str(path) if plain == Path(real) else f"{path} -> {real}"


def is_outside(real, folder):
    """Whether the real file ``real`` lies outside ``folder`` (links resolved)."""
    return not Path(real).is_relative_to(os.path.realpath(folder))


def _kind(mode):
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
             (stat.S_ISSOCK, "a socket")]
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def check_file(path, real, folder, audio=False):
    """Refuse, before anything is made of it, a file found as ``path`` under ``folder`` whose
    real file ``real`` is not a regular file (a device, a pipe: never opened) or, with ``audio``,
    is not audio by its content (audio.audio_problem): one InputError naming the path in the
    user's folder and, for a link, its target, quoting no byte of the file."""
    where = linked_name(path, real, folder)
    mode = os.stat(real).st_mode
    if not stat.S_ISREG(mode):
        raise InputError(where, f"is {_kind(mode)}, not a regular file: refusing to read it")
    problem = audio_problem(real, Path(path).name) if audio else None
    if problem:
        raise InputError(where, f"{problem}; refusing it (a recording must be audio by what it "
                                "holds, not only by its name)")


def log_links_out(pairs, folder):
    """One log line per file taken from outside ``folder`` through a link: ``link -> target``."""
    for path, real in pairs:
        rule.log.info("followed a link out of %s: %s -> %s", folder, path, real)


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def install_layout(root, dest, members):
    """Place ``members`` (paths relative to ``root``; folders taken whole) into ``dest`` atomically.

    Files are hard-linked where the file system allows it, else copied, so a local 8-GB folder
    costs no space twice. Symbolic links are resolved: the file a link leads to is placed (never
    the link, so a relative link works and nothing in ``dest`` points elsewhere); a link that
    leads nowhere, or to anything but a regular file, is an InputError naming link and target;
    an audio file (by its suffix) reached through a link must be audio by its content; a link
    out of ``root`` is logged with its target. What ``root`` holds beside the members is
    counted and named in the log (the layout leaves it out).
    """
    root = Path(root)
    beside = sorted(e.name for e in root.iterdir()
                    if e.name not in {m.rstrip("/") for m in members} | SNAKEMAKE_FILES)
    if beside:
        rule.log.warning("%s: left out %d entr%s beside the data set's layout (%s): %s", root,
                         len(beside), "y" if len(beside) == 1 else "ies", ", ".join(members),
                         shown(beside))
    outside = []
    with atomic_path(dest, is_dir=True) as tmp:
        for rel in members:
            src = root / rel.rstrip("/")
            if src.is_symlink() and not src.exists():
                raise InputError(f"{src} -> {_link_text(src)}", "is a symbolic link that leads "
                                                                "nowhere: fix or remove it")
            if not src.exists():
                raise InputError(src, "is missing from the data folder")
            if src.is_dir():
                files = walk_files(src)
                (tmp / rel).mkdir(parents=True, exist_ok=True)
            else:
                files = [(src, Path(os.path.realpath(src)))]
            for path, real in files:
                linked = linked_name(path, real, root) != str(path)
                check_file(path, real, root, audio=linked and path.suffix.lower() in AUDIO_SUFFIXES)
                if is_outside(real, root):
                    outside.append((path, real))
                target = tmp / path.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(real, target)
    log_links_out(outside, root)


@contextlib.contextmanager
def _no_new_empty_folders(*paths):
    """Remove, when the block ends, the folders on the way to ``paths`` that it created and left
    empty (a failed download must not leave an empty ``resources/<study>/`` behind)."""
    created = []
    for path in paths:
        folder = Path(path)
        while not folder.exists() and folder != folder.parent:
            created.append(folder)
            folder = folder.parent
    try:
        yield
    finally:
        for folder in sorted(set(created), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty


def fetch_raw(source, dest, members, kaggle_kind, generate=None, staging=None, network=None,
              settle=None):
    """Bring a study's raw data into ``dest`` from the configured source.

    ``source`` is the study's ``source`` config block (``kind``: synthetic | kaggle | local | url).
    ``members`` are the paths, relative to the data set's root, that make its layout (url: the
    entries' names make it). ``generate(dest)`` writes the synthetic data set. ``staging`` is the
    folder under which Kaggle archives are downloaded and unpacked (a scratch folder inside it is
    removed however the download ends; folders created for it are removed when left empty).
    ``network`` overrides download settings (connect_timeout, read_timeout, retries, backoff).
    ``settle(files)`` (url only) checks or renames the downloaded files before the folder
    appears (recordings: a name without an audio suffix gets the one its content shows).
    """
    kind = source["kind"]
    network = dict(network or {})
    dest = Path(dest)
    if kind == "synthetic":
        generate(dest)
    elif kind == "local":
        path = source.get("local_path")
        if not path:
            raise InputError("source.local_path", "must name the folder that holds the data")
        if not Path(path).is_dir():
            raise InputError(path, "(source.local_path) is not a folder")
        with _no_new_empty_folders(dest.parent):
            install_layout(find_layout_root(path, members), dest, members)
    elif kind == "url":
        with _no_new_empty_folders(dest.parent):
            download.fetch_urls(source.get("urls"), dest, where="source.urls", settle=settle,
                                **network)
    elif kind == "kaggle":
        staging = Path(staging or dest.parent / f".{dest.name}.download")
        with _no_new_empty_folders(staging, dest.parent), scratch_dir(staging / "download") as work:
            archives = kaggle_download(kaggle_kind, source["kaggle"], work / "archives", **network)
            if not archives:
                raise InputError(f"Kaggle {kaggle_kind} {source['kaggle']}",
                                 "download produced no zip archive")
            extracted = work / "extracted"
            for archive in archives:
                safe_extract(archive, extracted)
            install_layout(find_layout_root(extracted, members), dest, members)
    else:
        raise InputError("source.kind", f"must be synthetic, kaggle, local or url, not {kind!r}")
