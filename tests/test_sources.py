import json
import os
import re
import signal
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from audiorepro import atomic, sources
from audiorepro.atomic import atomic_path
from audiorepro.errors import InputError
from conftest import zip_bytes


def make_zip(path, entries):
    path.write_bytes(zip_bytes(entries))
    return path


def test_safe_extract_writes_entries_and_unpacks_nested_archives(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", {"data/train.csv": "clip_name,label\n"})
    outer = make_zip(tmp_path / "outer.zip", {"README": "x", "whale_data.zip": inner.read_bytes()})
    sources.safe_extract(outer, tmp_path / "out")
    assert (tmp_path / "out" / "README").read_text() == "x"
    assert (tmp_path / "out" / "whale_data" / "data" / "train.csv").exists()
    assert not (tmp_path / "out" / "whale_data.zip").exists()


@pytest.mark.parametrize("bad", ["../escape.txt", "/abs/escape.txt", "ok/../../escape.txt", "C:/x.txt"])
def test_unsafe_archive_entry_is_refused_before_anything_is_written(tmp_path, bad):
    archive = make_zip(tmp_path / "evil.zip", {"fine.txt": "ok", bad: "pwned"})
    # the message names the archive (with its folder) and the entry
    with pytest.raises(InputError, match=rf"^{re.escape(str(tmp_path))}/evil.zip \(entry {re.escape(bad)}\): would be "
                                         "written outside out/; refusing to extract$"):
        sources.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "out" / "fine.txt").exists()


def test_symlink_entry_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as z:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match=r"link.zip \(entry link\): is a symbolic link; refusing"):
        sources.safe_extract(archive, tmp_path / "out")


def test_corrupt_archive_is_named(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="broken.zip: is not a readable zip archive"):
        sources.safe_extract(tmp_path / "broken.zip", tmp_path / "out")


def test_missing_kaggle_credentials_say_how_to_provide_them(tmp_path, monkeypatch):
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    with pytest.raises(InputError) as err:
        sources.fetch_raw({"kind": "kaggle", "kaggle": "owner/set"}, tmp_path / "raw", ["x"],
                          kaggle_kind="dataset")
    assert str(err.value).startswith("Kaggle: credentials not found.")
    assert "~/.kaggle/kaggle.json" in str(err.value) and "KAGGLE_KEY" in str(err.value)
    assert not (tmp_path / "raw").exists()


def test_kaggle_token_file_is_checked_and_never_echoed(tmp_path, monkeypatch):
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    token = tmp_path / "cfg" / "kaggle.json"
    token.parent.mkdir()
    token.write_text(json.dumps({"username": "someone"}))
    env = {"KAGGLE_CONFIG_DIR": str(token.parent)}
    with pytest.raises(InputError, match="kaggle.json: lacks \"username\" or \"key\""):
        sources.kaggle_credentials_present(env, home=tmp_path)
    token.write_text(json.dumps({"username": "someone", "key": "s3cr3t-key"}))
    assert sources.kaggle_credentials_present(env, home=tmp_path)
    assert sources.kaggle_credentials_present({"KAGGLE_USERNAME": "a", "KAGGLE_KEY": "b"}, home=tmp_path)
    assert not sources.kaggle_credentials_present({}, home=tmp_path / "empty")


def test_local_source_links_the_layout_and_names_what_is_missing(tmp_path):
    data = tmp_path / "mine" / "nested"
    (data / "cats_dogs").mkdir(parents=True)
    (data / "cats_dogs" / "cat_1.wav").write_text("a")
    (data / "train_test_split.csv").write_text("c")
    raw = tmp_path / "raw"
    members = ["cats_dogs", "train_test_split.csv"]
    sources.fetch_raw({"kind": "local", "local_path": str(tmp_path / "mine")}, raw, members, "dataset")
    assert (raw / "cats_dogs" / "cat_1.wav").read_text() == "a"
    (data / "train_test_split.csv").unlink()
    with pytest.raises(InputError, match="does not contain the expected layout"):
        sources.fetch_raw({"kind": "local", "local_path": str(tmp_path / "mine")}, tmp_path / "r2",
                          members, "dataset")
    with pytest.raises(InputError, match="nowhere: \\(source.local_path\\) is not a folder"):
        sources.fetch_raw({"kind": "local", "local_path": "nowhere"}, tmp_path / "r3", members, "dataset")
    assert not (tmp_path / "r2").exists() and not (tmp_path / "r3").exists()


def test_url_source_and_unknown_kind(tmp_path):
    with pytest.raises(InputError, match=r"^source.urls: must be a non-empty list"):
        sources.fetch_raw({"kind": "url", "urls": []}, tmp_path / "results" / "raw", [], None)
    with pytest.raises(InputError, match=r"^source.urls\[0\].sha256: must be the file's 64-hex-digit"):
        sources.fetch_raw({"kind": "url", "urls": [{"url": "http://127.0.0.1:9/a.mp3", "sha256": "x"}]},
                          tmp_path / "results" / "raw", [], None)
    with pytest.raises(InputError, match=r"must be synthetic, kaggle, local or url, not 'ftp'"):
        sources.fetch_raw({"kind": "ftp"}, tmp_path / "raw", [], None)
    assert list(tmp_path.iterdir()) == []  # no empty results/ left behind


def test_kaggle_endpoint_override_takes_only_this_machine():
    assert sources.kaggle_endpoint({}) is None
    assert sources.kaggle_endpoint({"AUDIOREPRO_KAGGLE_ENDPOINT": "http://127.0.0.1:8080/"}) == \
        "http://127.0.0.1:8080"
    with pytest.raises(InputError, match="AUDIOREPRO_KAGGLE_ENDPOINT: may only name a stand-in"):
        sources.kaggle_endpoint({"AUDIOREPRO_KAGGLE_ENDPOINT": "https://example.org"})


# --- atomic outputs (audiorepro.atomic): modes, staging names, debris of killed jobs ---

@pytest.fixture(params=[0o022, 0o002], ids=["umask022", "umask002"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_follow_the_umask(tmp_path, umask):
    with atomic_path(tmp_path / "table.csv") as tmp:
        assert re.fullmatch(r"\.table\.csv\.partial-[a-z0-9_]{8}\.csv", tmp.name)
        tmp.write_text("a,b\n")
    with atomic_path(tmp_path / "raw", is_dir=True) as tmp:
        assert re.fullmatch(r"\.raw\.partial-[a-z0-9_]{8}", tmp.name)
        (tmp / "plain.txt").write_text("x")
        with atomic_path(tmp / "staged.txt") as inner:  # a writer that stages inside the folder
            inner.write_text("y")
        (tmp / "sub").mkdir()
        with atomic_path(tmp / "staged_dir", is_dir=True) as inner:
            (inner / "f").write_text("z")
    assert mode(tmp_path / "table.csv") == 0o666 & ~umask
    for folder in ["raw", "raw/sub", "raw/staged_dir"]:
        assert mode(tmp_path / folder) == 0o777 & ~umask, folder
    for name in ["raw/plain.txt", "raw/staged.txt", "raw/staged_dir/f"]:
        assert mode(tmp_path / name) == 0o666 & ~umask, name
    assert atomic.current_umask() == umask


KILLED_WRITER = """
import os, signal, sys
from audiorepro.atomic import atomic_path
with atomic_path(sys.argv[1], is_dir=True) as tmp:
    (tmp / "half.bin").write_bytes(bytes(1000))
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_staging_left_by_a_killed_job_is_removed_by_the_next_write(tmp_path):
    raw = tmp_path / "raw"
    env = {**os.environ, "PYTHONPATH": str(Path(atomic.__file__).parents[1])}
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(raw)], env=env)
    assert proc.returncode == -signal.SIGKILL
    killed = [p.name for p in tmp_path.iterdir()]
    assert len(killed) == 1 and killed[0].startswith(".raw.partial-")
    for stale in [".raw.partial-abcd1234", ".table.csv.partial-x1y2z3_4.csv"]:
        (tmp_path / stale).write_text("stale")
    unrelated = [".raw.keep", ".raw.partial-short", ".rawx.partial-abcd1234", ".snakemake_timestamp",
                 ".table.csv.partial-abcd1234.tsv"]
    for name in unrelated:
        (tmp_path / name).write_text("keep me")
    with atomic_path(raw, is_dir=True) as tmp:
        (tmp / "whole.bin").write_bytes(b"1")
    with atomic_path(tmp_path / "table.csv") as tmp:
        tmp.write_text("a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["raw", "table.csv", *unrelated])
    assert [p.name for p in raw.iterdir()] == ["whole.bin"]


def test_a_live_writers_staging_is_kept(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_path(target) as outer:
        with atomic_path(target) as inner:  # a second writer of the same target
            assert outer.exists()
            inner.write_text("inner")
        assert outer.exists()
        outer.write_text("outer")
    assert target.read_text() == "outer" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_scratch_folder_is_removed_however_the_block_ends(tmp_path):
    with atomic.scratch_dir(tmp_path / "download") as work:
        (work / "a.zip").write_bytes(b"x")
    with pytest.raises(RuntimeError), atomic.scratch_dir(tmp_path / "download") as work:
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
