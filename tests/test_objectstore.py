"""audiorepro.objectstore against an S3 server on 127.0.0.1 (moto's server mode): an upload and
its fetch are byte-identical; a missing key, a missing bucket and missing credentials are one
clear error each, naming the address and never a secret."""

import os
import socket
import subprocess
import sys

import pytest

from audiorepro import objectstore
from audiorepro.errors import InputError

SECRET = "not-a-real-secret-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch, tmp_path):
    """The environment a user of the server sets: its endpoint and a key pair."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "SNAKEMAKE_STORAGE_S3_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    return s3_server


def test_upload_then_fetch_is_byte_identical(s3, tmp_path):
    original = tmp_path / "results.tar"
    original.write_bytes(bytes(range(256)) * 4096 + b"tail")  # 1 MiB and a bit
    url = "s3://audiorepro-archives/runs/results.tar"
    assert objectstore.upload(original, url) == url
    fetched = objectstore.fetch(url, tmp_path / "back" / "results.tar")
    assert fetched == tmp_path / "back" / "results.tar"
    assert fetched.read_bytes() == original.read_bytes()
    assert sorted(p.name for p in fetched.parent.iterdir()) == ["results.tar"]  # no leftovers


def test_a_missing_key_is_named_and_nothing_is_written(s3, tmp_path):
    objectstore.upload(_file(tmp_path), "s3://audiorepro-present/a.tar")
    for url in ("s3://audiorepro-present/no-such.tar", "s3://audiorepro-no-bucket/a.tar"):
        with pytest.raises(InputError, match="no such object") as err:
            objectstore.fetch(url, tmp_path / "out" / "a.tar")
        assert url in str(err.value)
    assert not (tmp_path / "out" / "a.tar").exists()


def test_missing_credentials_say_what_to_set_and_print_no_secret(s3, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    url = "s3://audiorepro-archives/runs/results.tar"
    with pytest.raises(InputError, match="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") as err:
        objectstore.fetch(url, tmp_path / "a.tar")
    assert url in str(err.value)
    with pytest.raises(InputError, match="no S3 credentials"):
        objectstore.upload(_file(tmp_path), url)


def test_a_failed_fetch_is_one_line_without_traceback_or_secret(s3, tmp_path):
    """What a user of a command-line entry point sees: one line naming the address."""
    code = ("import sys; from audiorepro import objectstore, errors\n"
            "try: objectstore.fetch(sys.argv[1], sys.argv[2])\n"
            "except errors.InputError as e: print(e); sys.exit(1)\n")
    env = {**os.environ, "PYTHONPATH": str(objectstore.Path(objectstore.__file__).parents[1])}
    proc = subprocess.run([sys.executable, "-c", code, "s3://audiorepro-x/none.tar",
                           str(tmp_path / "n.tar")], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and SECRET not in proc.stdout + proc.stderr
    assert "s3://audiorepro-x/none.tar" in proc.stdout


def test_an_address_that_is_not_an_object_is_refused(s3, tmp_path):
    for url in ("s3://bucket-only", "s3://bucket/folder/", "https://example.org/a.tar"):
        with pytest.raises(InputError, match="not an S3 object address"):
            objectstore.fetch(url, tmp_path / "a.tar")


def _file(tmp_path):
    path = tmp_path / "small.tar"
    path.write_bytes(b"archive")
    return path
