"""The results archive (audiorepro/archive.py): verification without Snakemake, then the tiny
run archived, restored into a clean clone that trains nothing, and refused when altered."""

import io
import json
import subprocess
import sys
import tarfile
import types

import pandas as pd
import pytest

from conftest import ROOT, TINY, copy_workflow, run_snakemake

from audiorepro import archive, provenance
from audiorepro.errors import InputError

TRAINED = {"catsdogs_train", "whales_train", "sorting_train", "orcas_train", "orcas_scan",
           "continuation_train", "continuation_generate"}


def small_archive(tmp_path, name="a.tar"):
    """An archive of two files of a study "whales" (no run behind it) and its manifest."""
    src = tmp_path / "src"
    (src / "m").mkdir(parents=True)
    (src / "m" / "model.keras").write_bytes(b"weights" * 100)
    (src / "m" / "metrics.json").write_text('{"accuracy": 0.5}')
    files = {"results/whales/models/x/seed1/model.keras": src / "m" / "model.keras",
             "results/whales/models/x/seed1/metrics.json": src / "m" / "metrics.json"}
    manifest = archive.write_archive(tmp_path / name, files, {
        "commit": "abc", "studies": {"whales": {"code": "c1", "settings": "s1",
                                                "backend": "tensorflow", "data": "d1"}}})
    return tmp_path / name, manifest


def rewritten(path, out, drop=(), add=None, manifest_edit=None):
    """A copy of the archive ``path`` without the members ``drop``, with ``add`` ({TarInfo:
    bytes}) appended, and its manifest passed through ``manifest_edit``."""
    with tarfile.open(path) as src, tarfile.open(out, "w") as dst:
        for member in src:
            data = src.extractfile(member).read()
            if member.name == archive.MANIFEST and manifest_edit:
                data = json.dumps(manifest_edit(json.loads(data))).encode()
                member.size = len(data)
            if member.name not in drop:
                dst.addfile(member, io.BytesIO(data))
        for info, data in (add or {}).items():
            dst.addfile(info, io.BytesIO(data) if data is not None else None)
    return out


def member(name, size=0, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.size, info.type, info.linkname = size, kind, link
    return info


def test_a_whole_archive_unpacks_with_its_manifest(tmp_path):
    path, manifest = small_archive(tmp_path)
    with tarfile.open(path) as tar:
        assert tar.getnames()[0] == archive.MANIFEST  # the manifest comes first
    got = archive.read_archive(path, tmp_path / "out")
    assert got["files"] == manifest["files"] and got["commit"] == "abc"
    assert (tmp_path / "out/results/whales/models/x/seed1/model.keras").read_bytes() == (
        b"weights" * 100)
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in manifest["files"])


def test_one_changed_byte_is_refused_naming_the_file(tmp_path):
    path, _ = small_archive(tmp_path)
    with tarfile.open(path) as tar:
        target = tar.getmember("results/whales/models/x/seed1/model.keras")
    data = bytearray(path.read_bytes())
    data[target.offset_data + 3] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"model\.keras: differs from the manifest"):
        archive.read_archive(path, tmp_path / "out")


@pytest.mark.parametrize("case, expected", [
    ("missing", r"lacks files its manifest lists: results/whales/models/x/seed1/metrics\.json"),
    ("extra", r"member results/whales/extra\.csv: is not in manifest\.json"),
    ("outside", r"member '\.\./\.\./evil\.sh' is not a path inside results/"),
    ("absolute", r"member '/etc/cron\.d/evil' is not a path inside results/"),
    ("climbing", r"member 'results/whales/\.\./\.\./\.\./evil' is not a path inside"),
    ("link", r"member results/whales/link: is a symbolic link"),
    ("device", r"member results/whales/dev: is a device"),
    ("no manifest", r"does not start with manifest\.json"),
])
def test_an_altered_archive_is_refused_naming_the_member(tmp_path, case, expected):
    path, manifest = small_archive(tmp_path)
    listed = lambda *names: lambda m: {**m, "files": m["files"] + [  # noqa: E731
        {"path": n, "sha256": "0" * 64, "size": 0} for n in names]}
    variants = {
        "missing": dict(drop=["results/whales/models/x/seed1/metrics.json"]),
        "extra": dict(add={member("results/whales/extra.csv", 2): b"ab"}),
        "outside": dict(add={member("../../evil.sh", 2): b"ab"}),
        "absolute": dict(add={member("/etc/cron.d/evil", 2): b"ab"}),
        "climbing": dict(add={member("results/whales/../../../evil", 2): b"ab"}),
        "link": dict(add={member("results/whales/link", kind=tarfile.SYMTYPE,
                                 link="/etc/passwd"): None},
                     manifest_edit=listed("results/whales/link")),
        "device": dict(add={member("results/whales/dev", kind=tarfile.CHRTYPE): None},
                       manifest_edit=listed("results/whales/dev")),
        "no manifest": dict(drop=[archive.MANIFEST]),
    }
    bad = rewritten(path, tmp_path / "bad.tar", **variants[case])
    with pytest.raises(InputError, match=expected):
        archive.read_archive(bad, tmp_path / "out")


def test_a_refused_archive_writes_nothing_under_results(tmp_path):
    """restore() verifies before it runs anything: results/ stays as it was, no scratch left."""
    path, _ = small_archive(tmp_path)
    bad = rewritten(path, tmp_path / "bad.tar", drop=["results/whales/models/x/seed1/model.keras"])
    work = tmp_path / "work"
    (work / "results").mkdir(parents=True)
    (work / "results" / "kept.txt").write_text("mine")
    with pytest.raises(InputError, match="lacks files"):
        archive.restore(bad, ROOT, work, [TINY], log=lambda line: None)
    assert sorted(p.name for p in work.iterdir()) == ["results"]  # no scratch folder left
    assert [p.name for p in (work / "results").iterdir()] == ["kept.txt"]


def test_differences_name_the_study_and_what_differs():
    archived = {"whales": {"code": "c1", "settings": "s1", "backend": "tensorflow", "data": "d1"}}
    here = {"whales": {"code": "c2", "settings": "s1", "backend": "tensorflow"}}
    assert archive.differences(archived, here) == [
        "whales: code is c1 in the archive, c2 in this checkout"]  # data: not known yet
    here["whales"]["data"] = "d2"
    assert "whales: data is d1 in the archive, d2 in this checkout" in archive.differences(
        archived, here)
    with pytest.raises(InputError, match="whales: code is c1 in the archive.*FORCE=1"):
        archive._refuse(archive.differences(archived, here), False, "a.tar")
    archive._refuse(archive.differences(archived, here), True, "a.tar")  # forced: no error


def test_only_the_configured_studies_are_restored():
    manifest = {"studies": {"whales": {}, "orcas": {}},
                "files": [{"path": "results/whales/a"}, {"path": "results/orcas/b"}]}
    kept = archive.only_studies(manifest, ["whales"], log=lambda line: None)
    assert list(kept["studies"]) == ["whales"] and kept["files"] == [{"path": "results/whales/a"}]
    with pytest.raises(InputError, match="config key studies: names none"):
        archive.only_studies(manifest, ["sorting"])


def test_the_trained_rules_are_the_model_steps():
    assert set(archive.trained_rules(ROOT)) == TRAINED


def test_a_url_needs_its_sha256_and_s3_goes_to_the_object_store(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="ARCHIVE_SHA256: is needed"):
        archive.fetch("https://example.org/a.tar", tmp_path / "a.tar")
    calls = []
    fake = types.SimpleNamespace(fetch=lambda url, dest: (calls.append(url),
                                                          dest.write_bytes(b"x")))
    monkeypatch.setitem(sys.modules, "audiorepro.objectstore", fake)
    monkeypatch.setattr("audiorepro.objectstore", fake, raising=False)
    assert archive.fetch("s3://bucket/a.tar", tmp_path / "a.tar") == tmp_path / "a.tar"
    assert calls == ["s3://bucket/a.tar"]
    with pytest.raises(InputError, match="sha256 is"):
        archive.fetch("s3://bucket/a.tar", tmp_path / "b.tar", sha256="0" * 64)


def test_restored_rows_say_so_and_name_what_differs(tmp_path):
    folder = tmp_path / "whales"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "a.keras").write_bytes(b"a")
    (folder / "models" / "b.keras").write_bytes(b"b")
    here = {"code": "c1", "data": "d1", "settings": "s1"}
    assert provenance.restored_note(folder, here, "abc") == ("", "")  # trained here
    sha = lambda data: __import__("hashlib").sha256(data).hexdigest()  # noqa: E731
    (folder / provenance.RESTORED).write_text(json.dumps({
        "commit": "abc", "archived": {"code": "c1", "data": "d1", "settings": "s1"},
        "files": {"models/a.keras": sha(b"a"), "models/b.keras": sha(b"b")}}))
    assert provenance.restored_note(folder, here, "abc") == (
        "restored from a run of commit abc", "")
    note, caveat = provenance.restored_note(folder, {**here, "code": "c2"}, "def")
    assert note == "restored from a run of commit abc (this checkout: def)"
    assert caveat.startswith("its trained files come from a run whose code differs")
    (folder / "models" / "b.keras").write_bytes(b"retrained")
    assert provenance.restored_note(folder, here, "abc")[0].endswith(
        ": 1 of 2 trained files; the others trained here")
    (folder / "models" / "a.keras").write_bytes(b"retrained")
    assert provenance.restored_note(folder, here, "abc") == ("", "")


# ---- end to end: the session's tiny run archived, restored into clean clones ---------------

def cli(clone, *args):
    """scripts/results_archive.py of ``clone`` on the tiny configuration."""
    return subprocess.run([sys.executable, str(clone / "scripts" / "results_archive.py"),
                           "--directory", str(args[0]), "--configfile", str(TINY), *args[1:]],
                          capture_output=True, text=True, cwd=clone)


def planned(workdir, snakefile, configfiles=(TINY,)):
    plan = run_snakemake(workdir, "-n", snakefile=snakefile, configfiles=configfiles)
    import re

    return {r: int(n) for r, n in re.findall(r"^(\w+)\s+(\d+)$", plan.stdout, re.M)
            if r not in ("total", "all")}


@pytest.fixture(scope="module")
def archived(built, source, tmp_path_factory):
    out = tmp_path_factory.mktemp("archive") / "results-archive.tar.gz"
    proc = cli(source, built, "archive", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.workflow
def test_a_clean_clone_regenerates_figures_and_claims_from_the_archive(archived, built,
                                                                      tmp_path):
    (tmp_path / "clone").mkdir()
    clone = copy_workflow(tmp_path / "clone")
    with tarfile.open(archived) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(archive.MANIFEST))
    assert names[0] == archive.MANIFEST and len(names) == len(manifest["files"]) + 1
    assert {f["rule"] for f in manifest["files"]} == TRAINED
    assert set(manifest["studies"]) == {"catsdogs", "whales", "sorting", "orcas", "continuation"}
    proc = cli(clone, clone, "restore", str(archived))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not set(planned(clone, clone / "Snakefile")) & TRAINED  # nothing trains
    run_snakemake(clone, snakefile=clone / "Snakefile")
    figures = sorted(p.relative_to(built) for p in (built / "results").glob("*/figures/**/*")
                     if p.is_file() and p.suffix != ".ipynb")  # notebooks hold run times
    assert len(figures) > 50
    for rel in figures:
        assert (clone / rel).read_bytes() == (built / rel).read_bytes(), rel
    ours, theirs = (pd.read_csv(d / "results" / "claims.csv", dtype=str, keep_default_na=False)
                    for d in (clone, built))
    assert ours.configuration.str.contains("restored from a run of commit").all()
    assert (ours.configuration.str.replace(r"; restored from a run of commit .*", "",
                                           regex=True) == theirs.configuration).all()
    same = [c for c in ours.columns if c != "configuration"]
    pd.testing.assert_frame_equal(ours[same], theirs[same])


@pytest.mark.workflow
def test_an_archive_of_other_code_is_refused_unless_forced(archived, tmp_path):
    (tmp_path / "clone").mkdir()
    clone = copy_workflow(tmp_path / "clone")
    only = tmp_path / "whales.yaml"  # one study restored: the others are left out
    only.write_text("studies: [whales]\n")
    model = clone / "scripts" / "audiorepro" / "whales" / "model.py"
    model.write_text(model.read_text() + "\n# an edit\n")
    args = [clone, "--configfile", str(only), "restore", str(archived)]
    proc = cli(clone, *args)
    assert proc.returncode == 1
    assert "whales: code is" in proc.stderr and "FORCE=1" in proc.stderr
    assert not (clone / "results").exists()  # refused before anything was written
    proc = cli(clone, *args, "--force")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "left out (not in config key studies): catsdogs" in proc.stdout
    configs = (TINY, only)
    assert not set(planned(clone, clone / "Snakefile", configs)) & TRAINED
    run_snakemake(clone, "results/claims.csv", snakefile=clone / "Snakefile", configfiles=configs)
    table = pd.read_csv(clone / "results" / "claims.csv", dtype=str, keep_default_na=False)
    whales = table[table.study == "whales"]
    assert whales.configuration.str.contains("restored from a run of commit").all()
    assert whales.caveats.str.contains("whose code differs from this checkout's").all()
