"""The Kaggle client itself, against a Kaggle stand-in on 127.0.0.1.

The kaggle package talks to http://localhost when KAGGLE_API_ENVIRONMENT=LOCALHOST, so the real
client code runs: authentication, the download endpoints, redirects, streaming the archive. The
stand-in needs port 80 (root); elsewhere the test is skipped with that reason.
"""

import http.server
import threading

import pytest

from audiorepro import sources
from audiorepro.errors import InputError
from conftest import zip_bytes


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


@pytest.fixture
def kaggle(monkeypatch):
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 80), KaggleStandIn)
    except OSError as err:
        pytest.skip(f"the Kaggle stand-in needs port 80 on 127.0.0.1 ({err})")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("KAGGLE_API_ENVIRONMENT", "LOCALHOST")
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "not-a-real-key")
    KaggleStandIn.requests = []
    yield KaggleStandIn.requests
    server.shutdown()
    server.server_close()


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


def test_unknown_dataset_is_an_error_and_leaves_no_raw_folder(kaggle, tmp_path):
    with pytest.raises(InputError, match=r"Kaggle dataset someone/nothing-here: download failed: 404.*"
                                         r"check the name in source.kaggle"):
        sources.fetch_raw({"kind": "kaggle", "kaggle": "someone/nothing-here"}, tmp_path / "raw",
                          ["x"], kaggle_kind="dataset", staging=tmp_path / "downloads")
    assert not (tmp_path / "raw").exists()
