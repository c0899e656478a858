"""Objects on S3-compatible storage (``s3://bucket/prefix``), through boto3.

Credentials, region and endpoint come only from the standard AWS environment variables and
config files (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ...), as boto3's
core, botocore, reads them. What the release store needs from S3 is small and all here:

* :meth:`Bucket.read` and :meth:`Bucket.download`: bounded reads, streamed to disk while
  hashing (memory is one chunk, whatever the object's size); a dropped body is resumed
  with a ``Range`` request;
* :meth:`Bucket.put_file`: upload in parts of :data:`PART` bytes (memory is one part),
  never over an existing object (``If-None-Match: *``) unless told to;
* :meth:`Bucket.read_tagged` / :meth:`Bucket.swap`: compare-and-swap of a small object
  on its ETag (``If-Match``), for the catalog and the publish lock.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from .errors import FactpackError
from .hashing import Digest
from .paths import is_relative_inside

CHUNK = 1 << 20  # bytes read from a response body at a time
PART = 16 << 20  # bytes per uploaded part: files larger than this go up in parts
RETRIES = 5  # resumes of a body that broke off (botocore retries the requests themselves)
Advance = Callable[..., None]


class Exists(Exception):
    """An object is already there (``If-None-Match: *`` refused the write)."""


class Changed(Exception):
    """An object changed since it was read (``If-Match`` refused the write)."""


def split_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> (``bucket``, ``some/prefix``), the prefix without
    slashes at its ends."""
    rest = url[len("s3://"):] if url.lower().startswith("s3://") else ""
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise FactpackError(f"{url}: expected s3://BUCKET or s3://BUCKET/PREFIX")
    return bucket, prefix.strip("/")


def client() -> Any:
    """An S3 client configured only by the standard AWS variables and files (one per set
    of ``AWS_*`` variables: a program or test that changes them gets a new one)."""
    return _session_client(tuple(sorted((k, v) for k, v in os.environ.items()
                                        if k.startswith("AWS_"))))[1]


@cache
def _session_client(env: tuple[tuple[str, str], ...]) -> tuple[Any, Any]:
    # botocore, boto3's core, directly: the same credential chain and client, without
    # importing boto3's transfer manager (s3transfer), which factpack does not use and
    # which takes most of boto3's import time
    import botocore.session
    from botocore.config import Config

    # "standard" retries: throttling and 5xx answers are retried with backoff by botocore
    config = Config(retries={"max_attempts": 6, "mode": "standard"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required")
    session = botocore.session.Session()
    return session, session.create_client("s3", config=config)


def storage_options() -> dict[str, str]:
    """The same credentials, region and endpoint for polars' own S3 reader (``scan_parquet``)."""
    session, s3 = _session_client(tuple(sorted((k, v) for k, v in os.environ.items()
                                               if k.startswith("AWS_"))))
    out = {"aws_region": s3.meta.region_name or "us-east-1",
           "aws_endpoint_url": s3.meta.endpoint_url}
    if s3.meta.endpoint_url.startswith("http://"):
        out["aws_allow_http"] = "true"
    creds = session.get_credentials()  # the AWS chain: variables, profile, instance role
    if creds is not None:
        frozen = creds.get_frozen_credentials()
        out |= {"aws_access_key_id": frozen.access_key,
                "aws_secret_access_key": frozen.secret_key}
        if frozen.token:
            out["aws_session_token"] = frozen.token
    else:
        out["aws_skip_signature"] = "true"
    return out


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _status(exc: Exception) -> int:
    response = getattr(exc, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _missing(exc: Exception) -> bool:
    return _code(exc) in ("NoSuchKey", "404", "NotFound") or _status(exc) == 404


def _precondition(exc: Exception) -> bool:
    # 412 PreconditionFailed; 409 ConditionalRequestConflict when two writes race
    return _code(exc) in ("PreconditionFailed", "ConditionalRequestConflict") \
        or _status(exc) in (409, 412)


@dataclass(frozen=True)
class Download:
    path: Path
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Bucket:
    """A bucket and a key prefix; every ``rel`` is a store-relative POSIX path."""

    name: str
    prefix: str

    @classmethod
    def from_url(cls, url: str) -> Bucket:
        if find_spec("botocore") is None:  # the s3 extra is not installed
            raise FactpackError(f"{url}: reading or writing s3:// needs boto3: "
                                "pip install 'factpack[s3]'")
        return cls(*split_url(url))

    def key(self, rel: str) -> str:
        if not is_relative_inside(rel):
            raise FactpackError(f"unsafe path {rel!r}: paths must stay inside the store")
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def url(self, rel: str = "") -> str:
        return f"s3://{self.name}/{self.key(rel) if rel else self.prefix}"

    def _fail(self, rel: str, exc: Exception, doing: str = "read") -> FactpackError:
        if _missing(exc):
            return FactpackError(f"{self.url(rel)}: not found")
        return FactpackError(f"{self.url(rel)}: cannot {doing} it: {_why(exc)}")

    # -- reading ---------------------------------------------------------------------------

    def read(self, rel: str, limit: int) -> bytes:
        """A small object in full (a catalog or descriptor); more than ``limit`` is refused."""
        data, _ = self.read_tagged(rel, limit)
        if data is None:
            raise FactpackError(f"{self.url(rel)}: not found (is {self.url()} a factpack store?)")
        return data

    def read_tagged(self, rel: str, limit: int) -> tuple[bytes | None, str | None]:
        """An object and its ETag, or (None, None) when there is none (a new store)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            got = client().get_object(Bucket=self.name, Key=self.key(rel),
                                      Range=f"bytes=0-{limit}")
            data = got["Body"].read()
        except ClientError as exc:
            if _missing(exc):
                return None, None
            raise self._fail(rel, exc) from None
        except BotoCoreError as exc:
            raise self._fail(rel, exc) from None
        if len(data) > limit:
            raise FactpackError(f"{self.url(rel)}: larger than {limit} bytes, refusing to read it")
        return data, got["ETag"]

    def download(self, rel: str, dest: Path, cap: int, advance: Advance) -> Download:
        """Stream an object to ``dest`` while hashing; more than ``cap`` bytes is refused.
        A body that breaks off is resumed from where it stopped (``Range``), pinned to the
        same object by its ETag (``If-Match``)."""
        from botocore.exceptions import BotoCoreError, ClientError

        digest, etag, failures = Digest(), None, 0
        with dest.open("wb") as out:
            while True:
                args: dict[str, Any] = {"Bucket": self.name, "Key": self.key(rel)}
                if digest.bytes:
                    args |= {"Range": f"bytes={digest.bytes}-", "IfMatch": etag}
                try:
                    got = client().get_object(**args)
                    etag = etag or got["ETag"]
                    for chunk in got["Body"].iter_chunks(CHUNK):
                        if digest.bytes + len(chunk) > cap:
                            raise FactpackError(f"{self.url(rel)}: larger than the {cap} bytes "
                                                "declared or allowed; refusing it")
                        out.write(chunk)
                        digest.update(chunk)
                        advance(len(chunk))
                    return Download(dest, digest.hexdigest(), digest.bytes)
                except ClientError as exc:
                    if digest.bytes and _status(exc) == 416:  # nothing after what we have
                        return Download(dest, digest.hexdigest(), digest.bytes)
                    if _precondition(exc):
                        raise FactpackError(f"{self.url(rel)}: replaced while downloading it; "
                                            "nothing was kept") from None
                    raise self._fail(rel, exc) from None
                except BotoCoreError as exc:  # a body that broke off: resume it
                    failures += 1
                    if failures > RETRIES:
                        raise self._fail(rel, exc) from None

    def _head(self, rel: str) -> dict | None:
        """An object's HEAD response, or None when there is no such object."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return client().head_object(Bucket=self.name, Key=self.key(rel))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise self._fail(rel, exc) from None
        except BotoCoreError as exc:
            raise self._fail(rel, exc) from None

    def size(self, rel: str) -> int | None:
        """An object's size (HEAD), or None when there is none."""
        head = self._head(rel)
        return None if head is None else int(head["ContentLength"])

    def sha256_of(self, rel: str) -> str | None:
        """The sha256 an object was uploaded with (its ``x-amz-meta-sha256``), if any."""
        head = self._head(rel)
        return None if head is None else head.get("Metadata", {}).get("sha256")

    def etags(self, under: str = "") -> dict[str, str]:
        """Every object under ``under`` (store-relative) -> its ETag, by listing."""
        base = self.key(under) if under else self.prefix
        start = f"{base}/" if base else ""
        from botocore.exceptions import BotoCoreError, ClientError

        out = {}
        pages = client().get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=start)
        try:
            for page in pages:
                for obj in page.get("Contents", []):
                    out[obj["Key"][len(f"{self.prefix}/") if self.prefix else 0:]] = obj["ETag"]
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(under, exc, "list") from None
        return out

    # -- writing ---------------------------------------------------------------------------

    def put_file(self, rel: str, path: Path, sha256: str, overwrite: bool = False) -> None:
        """Upload a file, in parts when it is large; raises :class:`Exists` if an object is
        already there (unless ``overwrite``). The object records its sha256."""
        from botocore.exceptions import BotoCoreError, ClientError

        args = {"Bucket": self.name, "Key": self.key(rel), "Metadata": {"sha256": sha256},
                "ContentType": mimetypes.guess_type(rel)[0] or "application/octet-stream"}
        cond = {} if overwrite else {"IfNoneMatch": "*"}
        try:
            if path.stat().st_size <= PART:
                client().put_object(Body=path.read_bytes(), **args, **cond)
            else:
                self._put_parts(path, args, cond)
        except ClientError as exc:
            if _precondition(exc):
                raise Exists(rel) from None
            raise self._fail(rel, exc, "write") from None
        except BotoCoreError as exc:
            raise self._fail(rel, exc, "write") from None

    def _put_parts(self, path: Path, args: dict[str, Any], cond: dict[str, str]) -> None:
        s3 = client()
        upload = s3.create_multipart_upload(**args)["UploadId"]
        where = {"Bucket": args["Bucket"], "Key": args["Key"], "UploadId": upload}
        try:
            parts = []
            with path.open("rb") as f:
                while chunk := f.read(PART):
                    number = len(parts) + 1
                    done = s3.upload_part(Body=chunk, PartNumber=number, **where)
                    parts.append({"ETag": done["ETag"], "PartNumber": number})
            s3.complete_multipart_upload(MultipartUpload={"Parts": parts}, **where, **cond)
        except BaseException:
            s3.abort_multipart_upload(**where)  # no orphaned parts left to pay for
            raise

    def swap(self, rel: str, data: bytes, etag: str | None) -> str:
        """Write a small object only if it is still as read: ``etag`` None means only if
        there is none. Raises :class:`Changed` otherwise; returns the new ETag."""
        from botocore.exceptions import BotoCoreError, ClientError

        cond = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            done = client().put_object(
                Bucket=self.name, Key=self.key(rel), Body=data, **cond,
                ContentType=mimetypes.guess_type(rel)[0] or "application/octet-stream")
        except ClientError as exc:
            if _precondition(exc) or (etag and _missing(exc)):
                raise Changed(rel) from None
            raise self._fail(rel, exc, "write") from None
        except BotoCoreError as exc:
            raise self._fail(rel, exc, "write") from None
        return done["ETag"]

    def delete(self, rel: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client().delete_object(Bucket=self.name, Key=self.key(rel))
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(rel, exc, "delete") from None


def _why(exc: Exception) -> str:
    code = _code(exc)
    return f"{code}: {exc}" if code else f"{type(exc).__name__}: {exc}"
