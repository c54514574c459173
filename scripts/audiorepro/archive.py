"""A results archive: one run's trained files, to regenerate figures and claims elsewhere.

``archive`` writes one tar (``.tar``, ``.tar.gz``/``.tgz`` or ``.tar.xz``) holding every output of
the training and inference rules (the rules that take the ``gpu`` resource: training, the orcas
scan, continuation's generation), found in Snakemake's own ``--summary`` of the run, and first a
manifest: the sha256 and size of every file, the workflow's commit, and per study the code hash,
data checksum and settings fingerprint the claims rows carry (:mod:`audiorepro.provenance`).

``restore`` checks everything before it writes anything: every member is a regular file under
``results/`` (no absolute path, no ``..``, no link or device), listed in the manifest with its
sha256 and size, and every listed file is there; the archive's code hash and settings must be
this checkout's, then (after the cheap data rules ran here) its data checksum too. A difference
is refused naming the study and what differs unless ``force``. The files are unpacked into a
scratch folder beside results/ and moved into place only once all is verified, with fresh
modification times in the order they were made, so that Snakemake plans no training job; each
restored study gets ``results/<study>/restored.json`` (:data:`provenance.RESTORED`), which the
claims rows name (docs/archive.md says why this design).
"""

import hashlib
import io
import json
import lzma
import os
import subprocess
import sys
import tarfile
import time
import urllib.parse
import zlib
from pathlib import Path, PurePosixPath

import yaml

from . import provenance
from .atomic import all_or_nothing, atomic_path, scratch_dir, write_json
from .errors import InputError, shown
from .provenance import sha256_file

MANIFEST = "manifest.json"
FORMAT = 1
PREFIX = "results"  # members are results/<study>/..., mapped to this checkout's results folder
MANIFEST_LIMIT = 64 << 20
_COMPRESSION = {".gz": "gz", ".tgz": "gz", ".xz": "xz", ".bz2": "bz2"}


def snakemake_command():
    """The snakemake of this Python environment (else the one on PATH)."""
    local = Path(sys.executable).parent / "snakemake"
    return str(local) if local.exists() else "snakemake"


def trained_rules(basedir):
    """The training and inference rules: the steps that each study's ``rules/<study>.smk``
    declares with ``model_step`` (every job that trains or runs a network; only those hold a
    GPU, audiorepro/scheduling.py)."""
    studies = sorted(p.parent.name for p in
                     (Path(basedir) / "scripts" / "audiorepro").glob("*/claims.yaml"))
    return [name for study in studies
            for kind, name in provenance.declared_steps(basedir, study) if kind == "model_step"]


def load_config(basedir, configfiles=()):
    """The configuration Snakemake sees: config/config.yaml updated by each ``--configfile``."""
    from snakemake.utils import update_config

    config = {}
    for path in [Path(basedir) / "config" / "config.yaml", *map(Path, configfiles)]:
        if not path.is_file():
            raise InputError(path, "is missing: the configuration file cannot be read")
        update_config(config, yaml.safe_load(path.read_text()) or {})
    return config


def backend(config):
    """The Keras backend the trainings use: KERAS_BACKEND in the environment wins."""
    return os.environ.get("KERAS_BACKEND") or config.get("keras_backend", "tensorflow")


def study_provenance(basedir, results, config, studies, data=True):
    """Per study what its trained files rest on: code hash, settings fingerprint, backend and
    (``data``) the data checksum of ``results/<study>/raw``."""
    out = {}
    for study in studies:
        out[study] = {"code": provenance.code_hash(basedir, study),
                      "settings": provenance.settings_digest(config.get(study, {})),
                      "backend": backend(config)}
        if data:
            out[study]["data"] = provenance.data_checksum(Path(results) / study / "raw")
    return out


def differences(archived, current, keys=("code", "settings", "backend", "data")):
    """``["<study>: <what> is <archived> in the archive, <current> here", ...]`` for every
    study of ``archived`` and every key of ``keys`` that ``current`` has and that differs."""
    found = []
    for study, values in sorted(archived.items()):
        here = current.get(study, {})
        for key in keys:
            if key in here and values.get(key) != here[key]:
                found.append(f"{study}: {key} is {values.get(key)} in the archive, "
                             f"{here[key]} in this checkout")
    return found


def _snakemake(basedir, workdir, configfiles, *args, capture=False):
    cmd = [snakemake_command(), *args, "-s", str(Path(basedir) / "Snakefile"),
           "--directory", str(workdir), "--cores", "all"]
    if configfiles:
        cmd += ["--configfile", *map(str, configfiles)]
    proc = subprocess.run(cmd, cwd=workdir, text=True, capture_output=capture)
    if proc.returncode != 0:
        tail = (proc.stderr or "")[-2000:] if capture else "(its messages are above)"
        raise InputError("snakemake " + " ".join(args[:2]), f"failed: {tail}")
    return proc.stdout


def trained_files(basedir, workdir, configfiles=()):
    """[(path relative to workdir, rule)] of every output of the trained rules in the run's
    plan (``snakemake --summary``), oldest first; InputError naming any that is missing or not
    up to date (the archive holds only finished, current results)."""
    rules = set(trained_rules(basedir))
    summary = _snakemake(basedir, workdir, configfiles, "--summary", capture=True)
    rows = [line.split("\t") for line in summary.splitlines()[1:] if line.count("\t") >= 5]
    found, stale = [], []
    for path, _, rule, _, status, plan in (r[:6] for r in rows):
        if rule not in rules:
            continue
        full = Path(workdir) / path
        if plan != "no update" or not full.exists():
            stale.append(f"{path} ({status})")
            continue
        files = sorted(p for p in full.rglob("*") if p.is_file()) if full.is_dir() else [full]
        found += [(p.relative_to(workdir).as_posix(), rule) for p in files]
    if stale:
        raise InputError(workdir, f"has trained results that are missing or not up to date: "
                                  f"{shown(stale)}; run the workflow first")
    return sorted(found, key=lambda item: (Path(workdir, item[0]).stat().st_mtime_ns, item[0]))


def _mode(path):
    suffix = Path(path).suffix
    return _COMPRESSION.get(suffix, "")


def _plain(info):
    """A member as any machine may unpack it: no owner names or ids, mode 644."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    return info


def write_archive(out, files, manifest, rules=None):
    """The tar ``out`` (compressed by its suffix): ``manifest`` (given its ``files`` entries
    here, with the rule that made each where ``rules`` names it) first, then ``files``
    ({member name: path on disk}) in order. Written atomically."""
    rules = rules or {}
    manifest = {**manifest, "format": FORMAT, "files": [
        {"path": name, "sha256": sha256_file(path), "size": Path(path).stat().st_size,
         **({"rule": rules[name]} if name in rules else {})}
        for name, path in files.items()]}
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    with atomic_path(out) as tmp, tarfile.open(tmp, f"w:{_mode(out)}", dereference=True) as tar:
        # dereference: an output served from Snakemake's cache is a link into it; the file goes in
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
        tar.addfile(info, io.BytesIO(data))
        for name, path in files.items():
            tar.add(path, arcname=name, recursive=False, filter=_plain)
    return manifest


def archive(out, basedir, workdir, configfiles=()):
    """Archive the trained files of the run in ``workdir`` (workflow at ``basedir``) to ``out``;
    return the manifest."""
    basedir, workdir = Path(basedir).resolve(), Path(workdir).resolve()
    config = load_config(basedir, configfiles)
    results = workdir / config["results"]
    found = trained_files(basedir, workdir, configfiles)
    files, rules = {}, {}
    for rel, rule in found:
        inside = Path(os.path.normpath(workdir / rel)).relative_to(
            os.path.normpath(results)).as_posix()  # not resolved: a cached output links out
        files[f"{PREFIX}/{inside}"] = workdir / rel
        rules[f"{PREFIX}/{inside}"] = rule
    studies = sorted({name.split("/")[1] for name in files})
    manifest = write_archive(out, files, {
        "commit": provenance.commit(basedir),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rules": sorted(set(rules.values())),
        "studies": study_provenance(basedir, results, config, studies)}, rules)
    return manifest


# ---- reading, verifying, restoring ----------------------------------------------------------

def _safe_name(name, where):
    """Refuse a member name that is absolute, climbs out, or lies outside results/<study>/."""
    parts = PurePosixPath(name).parts
    if (not isinstance(name, str) or name.startswith("/") or "\\" in name or ".." in parts
            or any(p in ("", ".") for p in name.split("/")) or len(parts) < 3
            or parts[0] != PREFIX):
        raise InputError(where, f"member {name!r} is not a path inside {PREFIX}/<study>/: "
                                "an archive entry may not be absolute, hold '..' or lead "
                                "elsewhere")
    return name


def _kind(member):
    for test, kind in (("issym", "a symbolic link"), ("islnk", "a hard link"),
                       ("isdir", "a folder"), ("ischr", "a device"), ("isblk", "a device"),
                       ("isfifo", "a pipe")):
        if getattr(member, test)():
            return kind
    return "not a regular file"


def _read_manifest(tar, member, where):
    if member is None or member.name != MANIFEST or not member.isreg():
        raise InputError(where, f"does not start with {MANIFEST}: not a results archive")
    if member.size > MANIFEST_LIMIT:
        raise InputError(f"{where} member {MANIFEST}", "is too large to be a manifest")
    try:
        manifest = json.loads(tar.extractfile(member).read())
        files = manifest["files"]
        listed = {f["path"]: f for f in files}
        if (manifest.get("format") != FORMAT or len(listed) != len(files)
                or not isinstance(manifest.get("studies"), dict)
                or any(not isinstance(f.get("sha256"), str) or not isinstance(f.get("size"), int)
                       for f in files)):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError(f"{where} member {MANIFEST}", f"is not a format-{FORMAT} manifest "
                                                       "(files with sha256 and size, studies)")
    for name in listed:
        _safe_name(name, f"{where} member {MANIFEST}")
    return manifest, listed


def read_archive(path, dest):
    """Verify the archive ``path`` and unpack its files into the folder ``dest`` (which the
    caller discards on failure); return the manifest. InputError naming the archive and the
    member at the first fault: a member not in the manifest or not a regular file, a path
    leading outside results/, a sha256 or size that differs, a listed file that is missing."""
    where = str(path)
    dest = Path(dest)
    seen = set()
    try:
        with tarfile.open(path, "r:*") as tar:
            first = tar.next()
            manifest, listed = _read_manifest(tar, first, where)
            for member in tar:
                if member is first:
                    continue
                name = _safe_name(member.name, where)
                if name in seen:
                    raise InputError(f"{where} member {name}", "appears twice")
                if name not in listed:
                    raise InputError(f"{where} member {name}", f"is not in {MANIFEST}: the "
                                                               "archive was altered")
                if not member.isreg():
                    raise InputError(f"{where} member {name}", f"is {_kind(member)}: an "
                                                               "archive holds regular files only")
                seen.add(name)
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                with tar.extractfile(member) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                want = listed[name]
                if digest.hexdigest() != want["sha256"] or size != want["size"]:
                    raise InputError(f"{where} member {name}", "differs from the manifest "
                                     f"(sha256 {digest.hexdigest()[:12]}..., {size} bytes; "
                                     f"listed {want['sha256'][:12]}..., {want['size']} bytes): "
                                     "the archive is damaged or was altered")
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as err:
        raise InputError(where, f"is not a readable tar archive ({type(err).__name__}: "
                                f"{' '.join(str(err).split())[:200]})") from None
    missing = [n for n in listed if n not in seen]
    if missing:
        raise InputError(where, f"lacks files its manifest lists: {shown(missing)}")
    return manifest


def fetch(source, dest, sha256=None):
    """The archive ``source`` as a local file: a path as it is; an http(s) URL downloaded to
    ``dest`` through the checked download (``sha256`` required); an s3:// URL through
    :func:`audiorepro.objectstore.fetch` (its sha256 checked when given)."""
    scheme = urllib.parse.urlsplit(str(source)).scheme
    if scheme in ("http", "https"):
        if not sha256:
            raise InputError("ARCHIVE_SHA256", "is needed to restore from a URL: give the "
                                               "archive's sha256")
        from .download import fetch_url

        return fetch_url(source, dest, sha256, label=source)
    if scheme == "s3":
        from . import objectstore

        objectstore.fetch(source, dest)
    elif scheme:
        raise InputError(source, "is neither a file nor an http(s) or s3:// URL")
    else:
        dest = Path(source)
        if not dest.is_file():
            raise InputError(source, "is missing: give the archive's path or URL")
    if sha256 and sha256_file(dest) != sha256.lower():
        raise InputError(source, f"sha256 is {sha256_file(dest)}, expected {sha256.lower()}")
    return dest


def place(unpacked, manifest, results):
    """Move every file of ``manifest`` from ``unpacked`` to ``results``, all or nothing, with
    fresh modification times that keep the archive's order (the order they were made)."""
    results = Path(results)
    targets = [results / PurePosixPath(f["path"]).relative_to(PREFIX) for f in manifest["files"]]
    start = time.time_ns()
    with all_or_nothing(targets):
        for rank, (entry, target) in enumerate(zip(manifest["files"], targets)):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(unpacked) / entry["path"], target)
            os.utime(target, ns=(start + rank * 1000,) * 2)
    return targets


def write_markers(manifest, results, current, found, archive_name, forced):
    """``results/<study>/restored.json`` for each restored study: the archive's commit and
    provenance, this checkout's, what differed, and every restored file with its sha256."""
    for study, archived in manifest["studies"].items():
        files = {PurePosixPath(f["path"]).relative_to(f"{PREFIX}/{study}").as_posix(): f["sha256"]
                 for f in manifest["files"] if f["path"].split("/")[1] == study}
        write_json(Path(results) / study / provenance.RESTORED, {
            "archive": archive_name, "commit": manifest.get("commit", "unknown"),
            "archived": archived, "checkout": current.get(study, {}),
            "differences": [d for d in found if d.startswith(f"{study}: ")],
            "forced": bool(forced), "files": files})


def only_studies(manifest, studies, log=print):
    """The manifest of the archive's studies that this configuration builds (the others are
    left out, logged); InputError if it builds none of them."""
    left_out = sorted(set(manifest["studies"]) - set(studies))
    kept = {s: v for s, v in manifest["studies"].items() if s in studies}
    if not kept:
        raise InputError("config key studies", f"names none of the archive's studies "
                                               f"({', '.join(sorted(manifest['studies']))})")
    if left_out:
        log(f"left out (not in config key studies): {', '.join(left_out)}")
    return {**manifest, "studies": kept,
            "files": [f for f in manifest["files"] if f["path"].split("/")[1] in kept]}


def restore(source, basedir, workdir, configfiles=(), force=False, sha256=None, log=print):
    """Restore the archive ``source`` (path or URL) into the run of ``workdir``: see the module
    docstring. Returns the differences that ``force`` let through."""
    basedir, workdir = Path(basedir).resolve(), Path(workdir).resolve()
    config = load_config(basedir, configfiles)
    results = workdir / config["results"]
    with scratch_dir(results) as scratch:
        path = fetch(source, scratch / "archive.tar", sha256)
        manifest = read_archive(path, scratch / "files")
        log(f"{source}: {len(manifest['files'])} files of {', '.join(manifest['studies'])} "
            f"verified (commit {manifest.get('commit', 'unknown')})")
        manifest = only_studies(manifest, config.get("studies", []), log)
        studies = sorted(manifest["studies"])
        current = study_provenance(basedir, results, config, studies, data=False)
        found = differences(manifest["studies"], current)
        _refuse(found, force, source)
        rules = trained_rules(basedir)
        log("running the data rules (everything but " + ", ".join(rules) + ")")
        _snakemake(basedir, workdir, configfiles, "--omit-from", *rules)
        for study in studies:
            current[study]["data"] = provenance.data_checksum(results / study / "raw")
        found = differences(manifest["studies"], current)
        _refuse(found, force, source)
        place(scratch / "files", manifest, results)
    write_markers(manifest, results, current, found, Path(str(source)).name, force)
    for line in found:
        log(f"restored despite a difference (forced): {line}")
    log(f"restored {len(manifest['files'])} trained files into {results}")
    return found


def _refuse(found, force, source):
    if found and not force:
        raise InputError(source, "was made by other code, settings or data than this checkout: "
                                 + "; ".join(found) + " (FORCE=1 restores it anyway, and its "
                                 "claims rows say so)")


def main(argv, basedir):
    """scripts/results_archive.py: `archive OUT` or `restore ARCHIVE [--force] [--sha256]`;
    exit status 1 with one line on bad input."""
    import argparse

    from .config import ConfigError

    parser = argparse.ArgumentParser(description="The results archive (docs/archive.md): write the trained files of a "
                                     "run to one tar, or verify one and put it in place.")
    parser.add_argument("--directory", default=".", help="the run's working folder (default .)")
    parser.add_argument("--configfile", action="append", default=[],
                        help="a configuration file, as given to snakemake (repeatable)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("archive", help="write the trained files to one tar").add_argument("out")
    restoring = sub.add_parser("restore", help="verify an archive and put it in place")
    restoring.add_argument("archive", help="a path, an http(s) URL (with --sha256) or s3:// URL")
    restoring.add_argument("--force", action="store_true",
                         help="restore even if code, settings or data differ (said on every "
                              "claims row)")
    restoring.add_argument("--sha256", default=None, help="the archive's sha256 (needed for URLs)")
    args = parser.parse_args(argv)
    try:
        if args.command == "archive":
            upload = args.out if args.out.startswith("s3://") else None
            local = Path(args.directory) / Path(upload).name if upload else Path(args.out)
            manifest = archive(local, basedir, args.directory, args.configfile)
            print(f"{args.out}: {len(manifest['files'])} trained files of "
                  f"{', '.join(manifest['studies'])} ({local.stat().st_size / 1e6:.1f} MB, "
                  f"sha256 {sha256_file(local)})")
            if upload:  # through Snakemake's S3 storage plugin (audiorepro.objectstore)
                from . import objectstore

                objectstore.upload(local, upload)
                print(f"uploaded to {upload} (kept here as {local})")
        else:
            restore(args.archive, basedir, args.directory, args.configfile,
                    force=args.force, sha256=args.sha256)
            print("now run `make reproduce` (or snakemake): it regenerates figures and claims")
    except (InputError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
