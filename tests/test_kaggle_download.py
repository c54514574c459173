"""The Kaggle client itself, against a Kaggle stand-in on 127.0.0.1.

AUDIOREPRO_KAGGLE_ENDPOINT points the client at the stand-in (any free port, no root), so the real
client code runs: authentication, the download endpoints, redirects, streaming the archive. The
client's own LOCALHOST mode is not used: it switches on debug output that prints the
Authorization header.
"""

import base64
import http.server
import logging
import re
import socket
import threading
import time

import pytest

from audiorepro import sources
from audiorepro.download import DownloadError
from audiorepro.errors import InputError
from conftest import zip_bytes

USER, KEY = "someone", "not-a-real-key"
SECRETS = [KEY, base64.b64encode(f"{USER}:{KEY}".encode()).decode(), base64.b64encode(KEY.encode()).decode()]


CATSDOGS = zip_bytes({"cats_dogs/cat_1.wav": "meow", "cats_dogs/dog_barking_0.wav": "woof",
                      "train_test_split.csv": ",test_cat,test_dog,train_cat,train_dog\n",
                      "cats_dogs/cats_dogs/cat_1.wav": "the duplicate folder the archive also holds"})
# competitions ship archives inside the archive
WHALES = zip_bytes({"whale_data.zip": zip_bytes({"data/train.csv": "clip_name,label\n",
                                                 "data/train/train1.aiff": "x",
                                                 "data/test/test1.aiff": "y"})})


class KaggleStandIn(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):
        self.requests.append((self.path, self.headers.get("Authorization")))
        path = self.path.split("?")[0]
        if path == "/api/v1/datasets/download/mmoreaux/audio-cats-and-dogs":
            self._send(CATSDOGS)
        elif path == "/api/v1/competitions/data/download-all/whale-detection-challenge":
            self.send_response(302)  # Kaggle answers with a signed storage URL
            self.send_header("Location", "/storage/whale-detection-challenge.zip")
            self.end_headers()
        elif path == "/storage/whale-detection-challenge.zip":
            self._send(WHALES)
        else:
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"code": 404, "message": "Not found"}')

    def _send(self, payload):
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def credentials(monkeypatch):
    monkeypatch.delenv("KAGGLE_API_ENVIRONMENT", raising=False)
    monkeypatch.delenv("KAGGLE_API_TOKEN", raising=False)
    monkeypatch.setenv("KAGGLE_USERNAME", USER)
    monkeypatch.setenv("KAGGLE_KEY", KEY)


@pytest.fixture
def kaggle(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KaggleStandIn)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    credentials(monkeypatch)
    monkeypatch.setenv("AUDIOREPRO_KAGGLE_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    KaggleStandIn.requests = []
    yield KaggleStandIn.requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def stalled_kaggle(monkeypatch):
    """A server that accepts connections (the kernel does) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    credentials(monkeypatch)
    monkeypatch.setenv("AUDIOREPRO_KAGGLE_ENDPOINT", f"http://127.0.0.1:{listener.getsockname()[1]}")
    yield
    listener.close()


FAST = {"connect_timeout": 1, "read_timeout": 0.5, "retries": 1, "backoff": 0.1}


def test_dataset_download_through_the_kaggle_client(kaggle, tmp_path):
    raw = tmp_path / "raw"
    sources.fetch_raw({"kind": "kaggle", "kaggle": "mmoreaux/audio-cats-and-dogs"}, raw,
                      ["cats_dogs", "train_test_split.csv"], kaggle_kind="dataset",
                      staging=tmp_path / "downloads")
    assert (raw / "cats_dogs" / "dog_barking_0.wav").read_text() == "woof"
    assert (raw / "cats_dogs" / "cat_1.wav").read_text() == "meow"
    assert (raw / "train_test_split.csv").exists()
    assert not (tmp_path / "downloads").exists()  # the archive is removed once unpacked
    path, auth = kaggle[0]
    assert path.startswith("/api/v1/datasets/download/mmoreaux/audio-cats-and-dogs")
    assert auth == "Basic c29tZW9uZTpub3QtYS1yZWFsLWtleQ=="  # someone:not-a-real-key
    assert not (tmp_path / "downloads").exists()


def test_competition_download_follows_the_redirect_and_unpacks_nested_archives(kaggle, tmp_path):
    raw = tmp_path / "raw"
    sources.fetch_raw({"kind": "kaggle", "kaggle": "whale-detection-challenge"}, raw,
                      ["train.csv", "train", "test"], kaggle_kind="competition",
                      staging=tmp_path / "downloads")
    assert (raw / "train.csv").read_text() == "clip_name,label\n"
    assert (raw / "train" / "train1.aiff").exists() and (raw / "test" / "test1.aiff").exists()
    assert [p.split("?")[0] for p, _ in kaggle] == [
        "/api/v1/competitions/data/download-all/whale-detection-challenge",
        "/storage/whale-detection-challenge.zip"]


def test_unknown_dataset_is_an_error_and_leaves_no_raw_or_resources_folder(kaggle, tmp_path):
    with pytest.raises(InputError, match=r"^Kaggle dataset someone/nothing-here: download failed: 404 "
                                         r"Client Error: Not Found \(check the name in source.kaggle\)$"):
        sources.fetch_raw({"kind": "kaggle", "kaggle": "someone/nothing-here"},
                          tmp_path / "results" / "raw", ["x"], kaggle_kind="dataset",
                          staging=tmp_path / "resources" / "study")
    assert list(tmp_path.iterdir()) == []  # neither results/ nor an empty resources/study/


def test_download_keeps_what_was_in_the_staging_folder_before(kaggle, tmp_path):
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "mine.txt").write_text("the user's")
    sources.fetch_raw({"kind": "kaggle", "kaggle": "mmoreaux/audio-cats-and-dogs"}, tmp_path / "raw",
                      ["cats_dogs", "train_test_split.csv"], kaggle_kind="dataset",
                      staging=tmp_path / "resources")
    assert [p.name for p in (tmp_path / "resources").iterdir()] == ["mine.txt"]


def test_stalled_server_ends_in_seconds_with_one_line(stalled_kaggle, tmp_path):
    start = time.monotonic()
    with pytest.raises(DownloadError) as err:
        sources.fetch_raw({"kind": "kaggle", "kaggle": "mmoreaux/audio-cats-and-dogs"}, tmp_path / "raw",
                          ["x"], kaggle_kind="dataset", staging=tmp_path / "resources", network=FAST)
    elapsed = time.monotonic() - start
    assert elapsed < 5
    message = str(err.value)
    assert "\n" not in message
    assert re.fullmatch(r"Kaggle dataset mmoreaux/audio-cats-and-dogs: download failed: the server "
                        r"stopped answering \(read timeout\); gave up after 2 attempts and "
                        r"(\d+\.\d) s \(connect timeout 1 s, read timeout 0.5 s\)", message), message
    waited = float(re.search(r"and (\d+\.\d) s", message).group(1))
    assert 1.0 <= waited <= elapsed + 0.1  # two read time-outs of 0.5 s
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["someone/nothing-here", "stall"])
def test_no_credential_in_any_output_of_a_failing_download(kaggle, monkeypatch, tmp_path, capfd, caplog,
                                                          name):
    # a user's environment may carry the client's LOCALHOST switch (which turns on its debug
    # output); the download must stay quiet about the key anyway
    monkeypatch.setenv("KAGGLE_API_ENVIRONMENT", "LOCALHOST")
    if name == "stall":
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        monkeypatch.setenv("AUDIOREPRO_KAGGLE_ENDPOINT", f"http://127.0.0.1:{listener.getsockname()[1]}")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InputError) as err:
        sources.fetch_raw({"kind": "kaggle", "kaggle": name}, tmp_path / "raw", ["x"],
                          kaggle_kind="dataset", staging=tmp_path / "resources", network=FAST)
    if name == "stall":
        listener.close()
    else:
        assert kaggle[0][1] == "Basic " + SECRETS[1]  # the key was sent: there was something to leak
    out, errout = capfd.readouterr()
    seen = "\n".join([str(err.value), repr(err.value), out, errout, caplog.text])
    assert "Authorization" not in seen
    for secret in SECRETS:
        assert secret not in seen
