"""The "records" storage from the environment (read by settings.py: no Django import here).

`OPENDUI_STORAGE_URL` chooses where person files go:

- unset or empty: the local folder `OPENDUI_RECORDS_ROOT` (embedded demo, small sites);
- `s3://<bucket>[/<prefix>]?endpoint_url=…&region=…&sse=AES256|aws:kms&kms_key_id=…
  &addressing_style=path|virtual`: any S3-compatible object storage through
  django-storages. Credentials are never in the URL (it is logged in error reports):
  `OPENDUI_S3_ACCESS_KEY_ID` / `OPENDUI_S3_SECRET_ACCESS_KEY`, or the usual AWS chain
  (instance role, AWS_* variables) when both are empty.

Objects are written with no ACL (the bucket's policy applies: keep it private), never
overwritten (each stored name is a new uuid), and served only through the audited
download view, which streams them: no presigned or public URL is ever given out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SSE_VALUES = {"AES256", "aws:kms"}
KNOWN_OPTIONS = {"endpoint_url", "region", "sse", "kms_key_id", "addressing_style"}


class StorageURLError(ValueError):
    """OPENDUI_STORAGE_URL cannot be used (French message)."""


def records_storage(
    url: str, *, local_root: str, access_key: str = "", secret_key: str = ""
) -> dict[str, Any]:
    """The STORAGES["records"] entry for `url` (see the module docstring)."""
    url = url.strip()
    if not url:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": local_root, "base_url": None},
        }
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise StorageURLError(
            f"OPENDUI_STORAGE_URL : schéma « {parts.scheme} » inconnu (s3://compartiment attendu)."
        )
    bucket = parts.netloc
    if not bucket:
        raise StorageURLError("OPENDUI_STORAGE_URL : nom du compartiment manquant (s3://nom).")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - KNOWN_OPTIONS)
    if unknown:
        raise StorageURLError(f"OPENDUI_STORAGE_URL : option(s) inconnue(s) {', '.join(unknown)}.")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": unquote(parts.path).strip("/"),
        "default_acl": None,  # no ACL header: the bucket stays private
        "querystring_auth": True,  # a URL, if ever built, is signed and short-lived
        "querystring_expire": 60,
        "file_overwrite": False,
        "object_parameters": {},
    }
    if query.get("endpoint_url"):
        options["endpoint_url"] = query["endpoint_url"]
        # A private endpoint (MinIO, Garage, Ceph…) is addressed by path by default.
        options["addressing_style"] = query.get("addressing_style", "path")
    elif query.get("addressing_style"):
        options["addressing_style"] = query["addressing_style"]
    if query.get("addressing_style", "path") not in {"path", "virtual"}:
        raise StorageURLError("OPENDUI_STORAGE_URL : addressing_style vaut path ou virtual.")
    if query.get("region"):
        options["region_name"] = query["region"]
    sse = query.get("sse", "")
    if sse:
        if sse not in SSE_VALUES:
            raise StorageURLError("OPENDUI_STORAGE_URL : sse vaut AES256 ou aws:kms.")
        options["object_parameters"]["ServerSideEncryption"] = sse
        if query.get("kms_key_id"):
            if sse != "aws:kms":
                raise StorageURLError("OPENDUI_STORAGE_URL : kms_key_id demande sse=aws:kms.")
            options["object_parameters"]["SSEKMSKeyId"] = query["kms_key_id"]
    elif query.get("kms_key_id"):
        raise StorageURLError("OPENDUI_STORAGE_URL : kms_key_id demande sse=aws:kms.")
    if access_key or secret_key:
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
