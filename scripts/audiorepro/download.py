"""Checked downloads: every request has a connect and a read timeout, retries are bounded, a file
appears whole and with the expected sha256 or not at all.

How long a dead server can hold a download, with the defaults below: each attempt waits at most
CONNECT_TIMEOUT for the connection and then at most READ_TIMEOUT for each answer from the server
(requests' read timeout counts silence between bytes, not the whole transfer). A stalled server
therefore costs at most (RETRIES + 1) attempts x (5 s + 10 s) + the pauses between attempts
(1 s, 2 s) = 3 x 15 + 3 = 48 s before the download fails; :func:`worst_case_wait` computes it.
A server that keeps sending, however slowly, is not stalled and is not cut off.
"""

import hashlib
import logging
import os
import re
import time
import urllib.parse
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from .atomic import atomic_path
from .errors import InputError

CONNECT_TIMEOUT = 5.0  # seconds to open the connection
READ_TIMEOUT = 10.0  # seconds of silence from the server, per read
RETRIES = 2  # further attempts after the first, on connection errors, time-outs, 429 and 5xx
BACKOFF = 1.0  # pause before retry k (k = 0, 1, ...) is BACKOFF * 2**k seconds
RETRY_STATUS = (429, 500, 502, 503, 504)
CHUNK = 1 << 20

log = logging.getLogger("audiorepro")


class DownloadError(InputError):
    """A download that failed: the message names the (credential-free) URL and what happened."""


def worst_case_wait(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries=RETRIES,
                    backoff=BACKOFF):
    """Seconds a server that accepts and never answers can hold one download before it fails."""
    pauses = sum(backoff * 2**k for k in range(retries))
    return (retries + 1) * (connect_timeout + read_timeout) + pauses


def display_url(url):
    """``url`` fit for messages and logs: no password, no query (signed URLs carry tokens there)."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "..." if parts.query else "",
                                    ""))


# query parameters whose value is a secret: an API key, a token, a signed URL's signature
# a query parameter is a secret when one of the words of its name is one of these (words split at
# "-", "_", "." and camelCase: X-Amz-Signature, api_key, apiKey, AWSAccessKeyId, access_token)
SECRET_WORDS = {"token", "key", "apikey", "secret", "password", "passwd", "pwd", "pass",
                "signature", "sig", "credential", "credentials", "auth", "authorization",
                "authorisation", "session"}


def secret_parameter(name):
    """Whether a query parameter called ``name`` carries a secret (:data:`SECRET_WORDS`)."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", name)
    return any(word.lower() in SECRET_WORDS for word in words)
TOKEN_VARIABLE = "AUDIOREPRO_DOWNLOAD_TOKEN"  # a bearer token for the configured URLs' hosts
TOKEN_HOST_VARIABLE = "AUDIOREPRO_DOWNLOAD_TOKEN_HOST"  # if set, the one host that gets it


def url_credentials(url):
    """What in ``url`` is a credential: "user name", "password" and each query parameter whose
    name looks like a secret (:func:`secret_parameter`), in that order; [] for a clean URL."""
    parts = urllib.parse.urlsplit(url)
    found = [what for what, value in (("user name", parts.username), ("password", parts.password))
             if value is not None]
    return found + [f"query parameter {name}" for name, _ in
                    urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
                    if secret_parameter(name)]


def redacted_url(url):
    """``url`` with its user name and password and the value of every secret-looking query
    parameter replaced by ***; everything else as given."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    if "@" in parts.netloc:
        netloc = f"***@{netloc}"
    query = "&".join(
        f"{name}=***" if secret_parameter(urllib.parse.unquote_plus(name)) else piece
        for piece in parts.query.split("&") if piece
        for name in [piece.partition("=")[0]])
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _host(url):
    parts = urllib.parse.urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname


class BearerToken(AuthBase):
    """``Authorization: Bearer <token>`` on a request to ``host`` (host or host:port) only.
    requests drops the header when a redirect leads to another host, port or scheme."""

    def __init__(self, token, host):
        self.token, self.host = token, host

    def __call__(self, request):
        if _host(request.url) == self.host:
            request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def download_auth(url, environ=None):
    """The credentials a download of ``url`` sends: a :class:`BearerToken` for its host when
    AUDIOREPRO_DOWNLOAD_TOKEN is set (and AUDIOREPRO_DOWNLOAD_TOKEN_HOST, if set, names that
    host), else None: requests then reads the host's login and password from ~/.netrc (or the
    file NETRC names). Credentials never go into the configuration, so they never reach the
    workflow's params, logs or .snakemake/."""
    environ = os.environ if environ is None else environ
    token, only = environ.get(TOKEN_VARIABLE), environ.get(TOKEN_HOST_VARIABLE)
    if not token or (only and only != _host(url)):
        return None
    return BearerToken(token, _host(url))


class TimeoutAdapter(HTTPAdapter):
    """An HTTPAdapter that gives every request a (connect, read) timeout unless one is passed."""

    def __init__(self, timeout, **kwargs):
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, timeout=None, **kwargs):
        return super().send(request, timeout=self.timeout if timeout is None else timeout, **kwargs)


def bound_session(session, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                  retries=RETRIES, backoff=BACKOFF):
    """Mount timeout-and-retry adapters on a requests ``session`` (for clients that make their own).

    Retries (urllib3's) cover connection errors, time-outs while waiting for the answer, and
    RETRY_STATUS answers to idempotent requests; a Retry-After header is not obeyed (it could ask
    for hours). Returns the session.
    """
    from urllib3.util.retry import Retry

    retry = Retry(total=retries, connect=retries, read=retries, status=retries, other=0,
                  backoff_factor=backoff, status_forcelist=RETRY_STATUS, raise_on_status=False,
                  respect_retry_after_header=False)
    adapter = TimeoutAdapter((connect_timeout, read_timeout), max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def describe_failure(err):
    """A short phrase for a network failure (no URLs, no headers)."""
    text = repr(err)  # requests nests urllib3's reason inside its own exception
    if isinstance(err, requests.exceptions.ConnectTimeout) or "ConnectTimeoutError" in text:
        return "no connection within the connect timeout"
    if isinstance(err, requests.exceptions.ReadTimeout) or "Read timed out" in text:
        return "the server stopped answering (read timeout)"
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "name resolution" in text:
        return "host name not found"
    if isinstance(err, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in text:
        return "the connection closed before the whole file arrived"
    return f"connection failed ({type(err).__name__})"


class _Retryable(Exception):
    """An answer worth another try (429, 5xx)."""


def fetch_url(url, dest, sha256=None, *, connect_timeout=CONNECT_TIMEOUT,
              read_timeout=READ_TIMEOUT, retries=RETRIES, backoff=BACKOFF, session=None,
              label=None):
    """Download ``url`` to ``dest`` atomically and return ``dest``.

    The body streams to a staging file beside ``dest``; it takes the final name only when whole
    and, if ``sha256`` is given, matching it. Connection errors, time-outs and 429/5xx answers are
    retried ``retries`` times with pauses of ``backoff * 2**k`` s. Raises DownloadError (an
    InputError) in one line naming the URL: an HTTP error status, or the failure and how long the
    attempts waited; InputError naming the file (``label`` if given) and both sums on a checksum
    mismatch. Nothing is kept after a failure. ``session`` reuses connections across calls.
    Credentials come from the environment or ~/.netrc, never the URL's configuration
    (:func:`download_auth`).
    """
    dest = Path(dest)
    shown = display_url(url)
    want = sha256.lower() if sha256 else None
    own_session = session is None
    session = session or requests.Session()
    start = time.monotonic()
    last = None
    try:
        for attempt in range(retries + 1):
            if attempt:
                pause = backoff * 2 ** (attempt - 1)
                log.warning("%s: %s; attempt %d of %d in %g s", shown, last, attempt + 1,
                            retries + 1, pause)
                time.sleep(pause)
            try:
                with atomic_path(dest) as tmp:
                    digest = hashlib.sha256()
                    timeout = (connect_timeout, read_timeout)
                    with session.get(url, stream=True, timeout=timeout,
                                     auth=download_auth(url)) as r:
                        status = f"HTTP {r.status_code} {r.reason or ''}".strip()
                        if r.status_code in RETRY_STATUS:
                            raise _Retryable(status)
                        if r.status_code >= 400:
                            raise DownloadError(shown, status)
                        with open(tmp, "wb") as out:
                            for chunk in r.iter_content(CHUNK):
                                out.write(chunk)
                                digest.update(chunk)
                    got = digest.hexdigest()
                    if want and got != want:
                        raise InputError(label or dest, f"sha256 is {got}, expected {want} "
                                                        f"(downloaded from {shown}); the file was "
                                                        "not kept")
                return dest
            except _Retryable as err:
                last = str(err)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError) as err:
                last = describe_failure(err)
    finally:
        if own_session:
            session.close()
    waited = time.monotonic() - start
    raise DownloadError(shown, f"download failed: {last}; gave up after {retries + 1} attempts "
                               f"and {waited:.1f} s (connect timeout {connect_timeout:g} s, read "
                               f"timeout {read_timeout:g} s)")


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _entry_name(entry, index, where):
    url = entry.get("url")
    if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise InputError(f"{where}[{index}].url", f"must be an http(s) URL, not {url!r}")
    sha = entry.get("sha256")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise InputError(f"{where}[{index}].sha256", "must be the file's 64-hex-digit sha256")
    last_part = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
    name = entry.get("name") or urllib.parse.unquote(last_part)
    if not name or name in (".", "..") or "/" in name or "\\" in name or name.startswith("."):
        raise InputError(f"{where}[{index}].name", f"{name!r} is not a usable file name (give one "
                                                   "without folders or a leading dot)")
    return name


def fetch_urls(entries, dest_dir, where="source.urls", settle=None, **options):
    """Download every ``{url, sha256, name?}`` entry into the folder ``dest_dir``, all or nothing.

    ``name`` defaults to the last part of the URL's path. Entries are checked before the first
    request; the folder appears only when every file arrived with its sha256. ``options`` go to
    :func:`fetch_url` (timeouts, retries, backoff). ``settle(paths)``, if given, sees the
    staged files once all arrived and returns their (possibly renamed) paths; what it raises
    leaves nothing behind. Returns the files' paths in entry order.
    """
    if not isinstance(entries, (list, tuple)) or not entries:
        raise InputError(where, "must be a non-empty list of {url, sha256, name} entries")
    names = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise InputError(f"{where}[{index}]", "must be a mapping with url and sha256")
        name = _entry_name(entry, index, where)
        if name in names:
            raise InputError(f"{where}[{index}].name",
                             f"{name!r} is used by entry {names.index(name)} too")
        names.append(name)
    dest_dir = Path(dest_dir)
    with requests.Session() as session, atomic_path(dest_dir, is_dir=True) as tmp:
        for entry, name in zip(entries, names):
            fetch_url(entry["url"], tmp / name, entry["sha256"], session=session,
                      label=dest_dir / name, **options)
        if settle is not None:
            names = [Path(p).name for p in settle([tmp / name for name in names])]
    return [dest_dir / name for name in names]
