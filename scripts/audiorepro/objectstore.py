"""Fetching and uploading one file at an ``s3://bucket/key`` address, through Snakemake's S3
storage plugin (snakemake-storage-plugin-s3), so that the workflow and the archive commands read
the same settings (docs/cache.md).

The endpoint (a server other than AWS, e.g. MinIO, Ceph or a test server) comes from
SNAKEMAKE_STORAGE_S3_ENDPOINT_URL (the variable Snakemake's own ``--storage-s3-endpoint-url``
reads), else AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (boto3's); the region from
SNAKEMAKE_STORAGE_S3_REGION or AWS_DEFAULT_REGION. Credentials are boto3's: AWS_ACCESS_KEY_ID
and AWS_SECRET_ACCESS_KEY (or SNAKEMAKE_STORAGE_S3_ACCESS_KEY / _SECRET_KEY), AWS_PROFILE or
~/.aws/credentials. No credential is ever printed.
"""

import logging
import os
from pathlib import Path
from urllib.parse import urlparse

from .atomic import atomic_path
from .errors import InputError

log = logging.getLogger(__name__)

CREDENTIALS_HELP = ("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
                    "AWS_PROFILE, or write ~/.aws/credentials)")


def is_s3(url):
    return str(url).startswith("s3://")


def _split(url):
    parsed = urlparse(str(url))
    key = parsed.path.lstrip("/")
    if parsed.scheme != "s3" or not parsed.netloc or not key or key.endswith("/"):
        raise InputError(url, "is not an S3 object address (s3://bucket/key)")
    return parsed.netloc, key


def _env(*names):
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def _provider(where):
    """The storage plugin's provider, with the endpoint and credentials from the environment
    (module docstring); an InputError naming ``where`` when there are no credentials."""
    import boto3
    from snakemake_storage_plugin_s3 import StorageProvider, StorageProviderSettings

    access_key = _env("SNAKEMAKE_STORAGE_S3_ACCESS_KEY")
    secret_key = _env("SNAKEMAKE_STORAGE_S3_SECRET_KEY")
    if not (access_key and secret_key) and boto3.Session().get_credentials() is None:
        raise InputError(where, CREDENTIALS_HELP)
    settings = StorageProviderSettings(
        endpoint_url=_env("SNAKEMAKE_STORAGE_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                          "AWS_ENDPOINT_URL"),
        region=_env("SNAKEMAKE_STORAGE_S3_REGION", "AWS_DEFAULT_REGION") or "us-east-1",
        access_key=access_key, secret_key=secret_key,
        token=_env("SNAKEMAKE_STORAGE_S3_TOKEN"), retries=2)
    prefix = Path(os.environ.get("TMPDIR", "/tmp")) / "audiorepro-s3"
    return StorageProvider(local_prefix=prefix, logger=log, settings=settings)


def _object(url):
    _split(url)
    return _provider(url).object(str(url))


def _failure(url, err):
    """An InputError naming ``url`` for a failed S3 request: the server's error code, never
    the request's headers or credentials."""
    import botocore.exceptions

    if isinstance(err, botocore.exceptions.NoCredentialsError):
        return InputError(url, CREDENTIALS_HELP)
    if isinstance(err, botocore.exceptions.ClientError):
        code = err.response.get("Error", {}).get("Code", "?")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "AccessDenied"):
            return InputError(url, f"refused by the S3 server ({code}): check the credentials "
                                   "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and the "
                                   "bucket's permissions")
        return InputError(url, f"S3 request failed ({code})")
    if isinstance(err, botocore.exceptions.EndpointConnectionError):
        return InputError(url, "the S3 server cannot be reached: check "
                               "SNAKEMAKE_STORAGE_S3_ENDPOINT_URL or AWS_ENDPOINT_URL")
    return InputError(url, f"S3 request failed ({type(err).__name__})")


def fetch(url, dest):
    """Download the object at ``url`` to ``dest`` (a file path; its folder is made); returns
    ``dest``. Written under a temporary name and renamed, so a failed download leaves nothing.
    A missing object, missing credentials or a refused request raise an InputError naming
    ``url``."""
    import botocore.exceptions

    dest = Path(dest)
    obj = _object(url)
    try:
        if not obj.exists():
            raise InputError(url, "no such object on the S3 server")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dest) as tmp:
            obj.set_local_path(Path(tmp))
            obj.retrieve_object()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        raise _failure(url, err) from None
    log.info("fetched %s to %s", url, dest)
    return dest


def upload(path, url):
    """Upload the file ``path`` to ``url`` (the bucket is made if missing); returns ``url``."""
    import botocore.exceptions

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "does not exist or is not a file")
    obj = _object(url)
    obj.set_local_path(path)
    try:
        obj.store_object()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        raise _failure(url, err) from None
    log.info("uploaded %s to %s", path, url)
    return url
