import json
import stat
import zipfile

import pytest

from audiorepro import sources
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
    with pytest.raises(InputError, match="would be written outside out/; refusing to extract"):
        sources.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "out" / "fine.txt").exists()


def test_symlink_entry_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as z:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="link: archive entry is a symbolic link"):
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
