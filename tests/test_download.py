"""Checked URL downloads against HTTP servers the tests start on 127.0.0.1."""

import hashlib
import http.server
import logging
import re
import socket
import threading
import time

import pytest

from audiorepro import download, sources
from audiorepro.download import DownloadError, fetch_url, fetch_urls
from audiorepro.errors import InputError

PAYLOAD = bytes(range(256)) * 400  # 100 kB
SHA = hashlib.sha256(PAYLOAD).hexdigest()
OTHER = b"another recording"
FAST = {"connect_timeout": 1, "read_timeout": 0.3, "retries": 1, "backoff": 0.1}


class Files(http.server.BaseHTTPRequestHandler):
    hits = {}
    release = threading.Event()
    auth = []  # the Authorization header of each request to /private, /moved and /open
    expected_auth = None
    location = None

    def do_GET(self):
        path = self.path.split("?")[0]
        Files.hits[path] = Files.hits.get(path, 0) + 1
        if path in ("/tape.mp3", "/data/tape%201.mp3"):
            self._send(PAYLOAD)
        elif path == "/other.mp3":
            self._send(OTHER)
        elif path == "/flaky.mp3" and Files.hits[path] == 1:
            self.send_error(500)
        elif path == "/flaky.mp3":
            self._send(PAYLOAD)
        elif path == "/private.mp3":  # only with the credentials a test expects
            Files.auth.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") == Files.expected_auth:
                self._send(PAYLOAD)
            else:
                self.send_error(401)
        elif path == "/moved.mp3":
            Files.auth.append(self.headers.get("Authorization"))
            self.send_response(302)
            self.send_header("Location", Files.location)
            self.end_headers()
        elif path == "/open.mp3":  # records what it was sent
            Files.auth.append(self.headers.get("Authorization"))
            self._send(PAYLOAD)
        elif path == "/half.mp3":  # headers and part of the body, then silence
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[:1000])
            self.wfile.flush()
            Files.release.wait(10)
        else:
            self.send_error(404)

    def _send(self, payload):
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def _serve():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture
def server():
    Files.hits, Files.auth = {}, []
    Files.release = threading.Event()
    httpd, url = _serve()
    yield url
    Files.release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def elsewhere(server):
    """A second server (another port: another host to requests), the same files."""
    httpd, url = _serve()
    yield url
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def stalled():
    """Accepts connections (the kernel does, into the backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


def test_fetch_url_writes_the_checked_file(server, tmp_path):
    assert fetch_url(f"{server}/tape.mp3", tmp_path / "tape.mp3", SHA.upper()) == tmp_path / "tape.mp3"
    assert (tmp_path / "tape.mp3").read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == ["tape.mp3"]


def test_checksum_mismatch_names_the_file_and_both_sums_and_keeps_nothing(server, tmp_path):
    wrong = "0" * 64
    with pytest.raises(InputError, match=rf"^{re.escape(str(tmp_path))}/tape.mp3: sha256 is {SHA}, "
                                         rf"expected {wrong} \(downloaded from {server}/tape.mp3\); "
                                         "the file was not kept$"):
        fetch_url(f"{server}/tape.mp3", tmp_path / "tape.mp3", wrong)
    assert leftovers(tmp_path) == []
    assert Files.hits["/tape.mp3"] == 1  # a wrong sum is not retried


def test_server_error_is_retried(server, tmp_path):
    fetch_url(f"{server}/flaky.mp3", tmp_path / "f.mp3", SHA, **FAST)
    assert Files.hits["/flaky.mp3"] == 2 and (tmp_path / "f.mp3").read_bytes() == PAYLOAD


def test_http_error_names_the_url_and_status_without_secrets(server, tmp_path):
    url = server.replace("http://", "http://reader:hunter2@") + "/gone.mp3?token=s3cr3t"
    with pytest.raises(DownloadError) as err:
        fetch_url(url, tmp_path / "gone.mp3", SHA, **FAST)
    assert str(err.value) == f"http://reader@{server[7:]}/gone.mp3?...: HTTP 404 Not Found"
    assert Files.hits["/gone.mp3"] == 1  # a 404 is not retried
    assert leftovers(tmp_path) == []


def test_stalled_server_fails_in_one_line_naming_the_url_and_the_wait(stalled, tmp_path):
    start = time.monotonic()
    with pytest.raises(DownloadError) as err:
        fetch_url(f"{stalled}/tape.mp3", tmp_path / "tape.mp3", SHA, **FAST)
    elapsed = time.monotonic() - start
    message = str(err.value)
    match = re.fullmatch(rf"{stalled}/tape.mp3: download failed: the server stopped answering \(read "
                         r"timeout\); gave up after 2 attempts and (\d+\.\d) s \(connect timeout 1 s, "
                         r"read timeout 0.3 s\)", message)
    assert match, message
    assert 0.6 <= float(match.group(1)) <= elapsed + 0.1 < 3  # two read time-outs and one pause
    assert leftovers(tmp_path) == []


def test_server_that_stops_mid_file_is_retried_then_given_up(server, tmp_path):
    with pytest.raises(DownloadError, match=r"half.mp3: download failed: the server stopped answering"):
        fetch_url(f"{server}/half.mp3", tmp_path / "half.mp3", SHA, **FAST)
    assert Files.hits["/half.mp3"] == 2 and leftovers(tmp_path) == []


def test_refused_connection_is_named(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match=rf"127.0.0.1:{port}/x: download failed: connection refused;"):
        fetch_url(f"http://127.0.0.1:{port}/x", tmp_path / "x", retries=0)


def test_default_settings_end_a_stall_in_under_a_minute():
    # (2 + 1) attempts x (5 s connect + 10 s read) + pauses of 1 s and 2 s
    assert download.worst_case_wait() == 48
    assert download.worst_case_wait() < 60


def test_fetch_urls_is_all_or_nothing(server, tmp_path):
    good = [{"url": f"{server}/data/tape%201.mp3", "sha256": SHA},
            {"url": f"{server}/other.mp3", "sha256": hashlib.sha256(OTHER).hexdigest(), "name": "b.mp3"}]
    paths = fetch_urls(good, tmp_path / "raw")
    assert paths == [tmp_path / "raw" / "tape 1.mp3", tmp_path / "raw" / "b.mp3"]
    assert [p.read_bytes() for p in paths] == [PAYLOAD, OTHER]
    bad = [good[0], {"url": f"{server}/other.mp3", "sha256": SHA, "name": "b.mp3"}]
    with pytest.raises(InputError, match=rf"^{re.escape(str(tmp_path))}/raw2/b.mp3: sha256 is "):
        fetch_urls(bad, tmp_path / "raw2")
    assert leftovers(tmp_path) == ["raw"]  # no raw2/, no staging folder


@pytest.mark.parametrize("entries,message", [
    ([{"url": "ftp://x/a.mp3", "sha256": SHA}], r"source.urls\[0\].url: must be an http\(s\) URL"),
    ([{"url": "http://127.0.0.1:9/a.mp3", "sha256": "abc"}], r"source.urls\[0\].sha256: must be"),
    ([{"url": "http://127.0.0.1:9/a.mp3", "sha256": SHA, "name": "../a.mp3"}],
     r"source.urls\[0\].name: '../a.mp3' is not a usable file name"),
    ([{"url": "http://127.0.0.1:9/", "sha256": SHA}], r"source.urls\[0\].name: '' is not a usable"),
    ([{"url": "http://127.0.0.1:9/a.mp3", "sha256": SHA}, {"url": "http://127.0.0.1:9/x/a.mp3",
                                                         "sha256": SHA}],
     r"source.urls\[1\].name: 'a.mp3' is used by entry 0 too"),
])
def test_url_entries_are_checked_before_any_request(tmp_path, entries, message):
    with pytest.raises(InputError, match=message):
        fetch_urls(entries, tmp_path / "raw")
    assert leftovers(tmp_path) == []


def test_url_source_of_fetch_raw(server, tmp_path):
    source = {"kind": "url", "urls": [{"url": f"{server}/tape.mp3", "sha256": SHA}]}
    sources.fetch_raw(source, tmp_path / "results" / "raw", [], None, network=FAST)
    assert (tmp_path / "results" / "raw" / "tape.mp3").read_bytes() == PAYLOAD
    source["urls"][0]["url"] = f"{server}/gone.mp3"
    with pytest.raises(DownloadError, match="gone.mp3: HTTP 404 Not Found$"):
        sources.fetch_raw(source, tmp_path / "new" / "raw", [], None, network=FAST)
    assert leftovers(tmp_path) == ["results"]  # no empty new/


# --- credentials: from ~/.netrc or the environment, never from the configuration ---------------------

@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    """No netrc (NETRC names a file that does not exist) and no token in the environment."""
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.delenv(download.TOKEN_VARIABLE, raising=False)
    monkeypatch.delenv(download.TOKEN_HOST_VARIABLE, raising=False)
    return monkeypatch


def test_the_download_logs_in_with_the_netrc_of_its_host(server, tmp_path, no_credentials):
    import base64

    Files.expected_auth = "Basic " + base64.b64encode(b"reader:hunter2").decode()
    with pytest.raises(DownloadError, match=r"private.mp3: HTTP 401 Unauthorized$"):
        fetch_url(f"{server}/private.mp3", tmp_path / "a.mp3", SHA, **FAST)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login reader password hunter2\n")
    netrc.chmod(0o600)
    no_credentials.setenv("NETRC", str(netrc))  # ~/.netrc unless NETRC names another file
    assert fetch_url(f"{server}/private.mp3", tmp_path / "a.mp3", SHA, **FAST).read_bytes() \
        == PAYLOAD
    assert Files.auth == [None, Files.expected_auth]


def test_a_token_from_the_environment_goes_to_the_configured_host_only(
        server, elsewhere, tmp_path, no_credentials, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3's request lines too
    Files.expected_auth = "Bearer t0k3n"
    no_credentials.setenv(download.TOKEN_VARIABLE, "t0k3n")
    assert fetch_url(f"{server}/private.mp3", tmp_path / "a.mp3", SHA, **FAST).read_bytes() \
        == PAYLOAD
    # a redirect to another host (here another port) arrives there without the token
    Files.location, Files.auth = f"{elsewhere}/open.mp3", []
    fetch_url(f"{server}/moved.mp3", tmp_path / "b.mp3", SHA, **FAST)
    assert Files.auth == ["Bearer t0k3n", None]
    # AUDIOREPRO_DOWNLOAD_TOKEN_HOST keeps it to that one host
    no_credentials.setenv(download.TOKEN_HOST_VARIABLE, "example.org")
    with pytest.raises(DownloadError, match=r"private.mp3: HTTP 401 Unauthorized$"):
        fetch_url(f"{server}/private.mp3", tmp_path / "c.mp3", SHA, **FAST)
    no_credentials.setenv(download.TOKEN_HOST_VARIABLE, server.split("//")[1])
    fetch_url(f"{server}/private.mp3", tmp_path / "c.mp3", SHA, **FAST)
    assert "t0k3n" not in caplog.text


def test_url_credentials_are_found_and_hidden():
    url = "https://me:pw@example.org:8443/a.wav?X-Amz-Signature=abc&sig=1&dl=1&token#part"
    assert download.url_credentials(url) == [
        "user name", "password", "query parameter X-Amz-Signature", "query parameter sig",
        "query parameter token"]
    assert download.redacted_url(url) == \
        "https://***@example.org:8443/a.wav?X-Amz-Signature=***&sig=***&dl=1&token=***#part"
    assert download.url_credentials("https://example.org/a.wav?download=1&design=2&authuser=0"
                                    "&auth=x&Authorization=y") == [
        "query parameter auth", "query parameter Authorization"]
