"""What a claims row rests on, so that two runs' tables can be compared: the commit of the
workflow, a hash of the code that made the study's numbers, and a checksum of its data.

The code of a study is every entry point and notebook its steps run (the steps that
``rules/<study>.smk`` declares: its own ``scripts/<study>_<stage>.py`` and the shared entry
points of the step kinds it uses, see :data:`SHARED`), every package module those import and
every module of its package (:mod:`audiorepro.imports`), its rule file, the files that make its
rules (``rules/common.smk``, ``rules/steps.smk``) and its claims file. The data checksum is the SHA-256 of every file of the study's raw
folder, relative path and contents, in name order: the same recordings give the same checksum
wherever they sit. The settings fingerprint is a hash of the study's configuration section.

A study whose trained files came from a results archive (:mod:`audiorepro.archive`) holds
:data:`RESTORED`; :func:`restored_note` says so on its claims rows.
"""

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

from .imports import entry_point_sources

RESTORED = "restored.json"  # results/<study>/: what `make restore` put there, from which run
# the entry points that the step kinds of rules/common.smk run, shared by the studies
SHARED = {
    "raw_step": "scripts/raw.py",
    "convert_step": "scripts/recordings_convert.py",
    "model_step": "scripts/model_run.py",
    "figures_step": "scripts/run_notebook.py",
}
# a step's declaration in rules/<study>.smk: the kind and its first argument, a string literal
# (the rule's name for step and model_step, the study's for the others); tests/test_workflow.py
# holds what this finds against the rules Snakemake lists
_STEP = re.compile(r"""\b(step|raw_step|convert_step|split_step|model_step|figures_step)\(\s*"""
                   r"""(?:["'](\w+)["'])?""")
_NAMED = {"raw_step": "{}_raw", "convert_step": "{}_convert", "split_step": "{}_split",
          "figures_step": "{}_figures", "step": "{}", "model_step": "{}"}


def declared_steps(basedir, study):
    """[(kind, rule name)] of every step ``rules/<study>.smk`` declares. A declaration whose
    first argument is not a plain string is a ValueError: its rule could not be told apart."""
    text = (Path(basedir) / "rules" / f"{study}.smk").read_text()
    steps = []
    for match in _STEP.finditer(text):
        kind, first = match.groups()
        if first is None:
            line = text.count("\n", 0, match.start()) + 1
            raise ValueError(f"rules/{study}.smk:{line}: {kind}( needs the name as a string "
                             "literal first")
        steps.append((kind, _NAMED[kind].format(first)))
    return steps


def commit(basedir):
    """The workflow's git commit (12 hex digits), "+changes" when tracked files differ from it;
    "unknown" outside a git checkout."""
    def git(*args):
        return subprocess.run(["git", "-C", str(basedir), *args], capture_output=True, text=True,
                              timeout=30)

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        if head.returncode != 0:
            return "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return head.stdout.strip() + ("+changes" if dirty else "")


def study_code(basedir, study):
    """The files of ``study``'s code (see the module docstring), sorted, relative to basedir."""
    basedir = Path(basedir)
    rules = basedir / "rules" / f"{study}.smk"
    package = basedir / "scripts" / "audiorepro" / study
    files = {rules, basedir / "rules" / "common.smk", basedir / "rules" / "steps.smk",
             package / "claims.yaml", basedir / "reports" / f"{study}.ipynb"}
    for kind, name in declared_steps(basedir, study):
        files.add(basedir / SHARED.get(kind, f"scripts/{name}.py"))
    files.update(package.glob("*.py"))
    for script in [f for f in files if f.suffix in (".py", ".ipynb") and f.is_file()]:
        files.update(Path(p) for p in entry_point_sources(script, basedir / "scripts"))
    return sorted(p.resolve().relative_to(basedir.resolve()).as_posix() for p in files
                  if p.is_file())


def code_hash(basedir, study):
    """SHA-256 (16 hex digits) of the study's code files, names and contents."""
    digest = hashlib.sha256()
    for rel in study_code(basedir, study):
        digest.update(rel.encode() + b"\0" + (Path(basedir) / rel).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _digest_file(digest, path, block=1 << 20):
    with open(path, "rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest


def sha256_file(path):
    """The SHA-256 of one file's contents (hex), read in blocks."""
    return _digest_file(hashlib.sha256(), path).hexdigest()


def data_checksum(folder):
    """SHA-256 (16 hex digits) of every file under ``folder`` (links followed), relative path
    and contents, in name order; "none" when the folder does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        return "none"
    paths = []
    for top, _, names in os.walk(folder, followlinks=True):
        paths += [Path(top) / n for n in names]
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(folder).as_posix()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        _digest_file(digest, path).update(b"\0")
    return digest.hexdigest()[:16]


def settings_digest(section):
    """SHA-256 (8 hex digits) of a study's configuration section (keys sorted)."""
    return hashlib.sha256(json.dumps(section, sort_keys=True).encode()).hexdigest()[:8]


def restored_note(folder, current, commit_here):
    """(note, caveat) for the claims rows of the study in ``folder`` when its trained files came
    from a results archive (``folder``/:data:`RESTORED`), else ("", ""). The note names the
    archive's commit and, where some restored files were retrained since, how many are still
    restored ones; the caveat names what the archived run's code, data or settings (``current``
    has this run's ``code``, ``data``, ``settings``) differ in, as restoring with FORCE=1 lets
    it."""
    path = Path(folder) / RESTORED
    if not path.is_file():
        return "", ""
    marker = json.loads(path.read_text())
    files = marker.get("files", {})
    kept = 0
    for rel, sha in files.items():
        target = Path(folder) / rel
        if target.is_file() and sha256_file(target) == sha:
            kept += 1
    if not kept:
        return "", ""  # every restored file was retrained here since
    commit = marker.get("commit", "unknown")
    note = f"restored from a run of commit {commit}" + (
        "" if commit == commit_here else f" (this checkout: {commit_here})")
    if kept < len(files):
        note += f": {kept} of {len(files)} trained files; the others trained here"
    archived = marker.get("archived", {})
    differ = [k for k in ("code", "data", "settings") if k in current and k in archived
              and archived[k] != current[k]]
    caveat = (f"its trained files come from a run whose {', '.join(differ)} "
              f"{'differs' if len(differ) == 1 else 'differ'} from this checkout's (restored with FORCE=1)") if differ else ""
    return note, caveat
