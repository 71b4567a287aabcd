"""Anchors: the keyed chain's head, written outside the database where it cannot be changed.

A chain proves that rows were not changed *relative to each other*; someone who
can rewrite the whole trail, or remove its newest rows, needs an outside witness
to be caught. An anchor is that witness: the newest seal's number and hash, the
time, the key id, and an HMAC of those fields (so a forged anchor is refused).
It is written by the nightly job (`audit.anchor`, jobs/schedule.py) and on demand
(`opendui audit anchor`), and `opendui audit verify` checks the latest ones.

Stores:

- a **folder** (`OPENDUI_AUDIT_ANCHOR_DIR`, default `var/audit-anchors`): one file
  per anchor, created with O_EXCL (never overwritten) and read-only mode. Mount it
  on write-once storage, or another machine, in production;
- an **S3 bucket with object lock** (`OPENDUI_AUDIT_ANCHOR_S3_BUCKET` …): one object
  per anchor, written with a retention date (COMPLIANCE mode by default) that
  nobody, the bucket owner included, can shorten or delete before it expires.

Both are used when both are configured; with S3 configured, the folder is used only
if `OPENDUI_AUDIT_ANCHOR_DIR` is set explicitly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone

from .chain import keyed_hash
from .keys import Keyring

FORMAT = "opendui-audit-anchor/1"
PREFIX = "anchor-"


class AnchorError(Exception):
    """An anchor cannot be written or read: the message is a French sentence."""

    @property
    def public_message(self) -> str:
        """Shown on a failed background job (jobs.tasks.public_message): no personal data."""
        return str(self)


@dataclass(frozen=True)
class Anchor:
    seq: int  # the keyed chain's newest seal (0: none yet, `hash` is the legacy head's)
    hash: str
    key_id: str
    created_at: str  # ISO 8601, UTC
    mac: str
    location: str = ""  # where it was read from, for messages

    def content(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "seq": self.seq,
            "hash": self.hash,
            "key_id": self.key_id,
            "created_at": self.created_at,
        }

    def to_json(self) -> bytes:
        return json.dumps({**self.content(), "mac": self.mac}, indent=1).encode() + b"\n"

    @property
    def name(self) -> str:
        """File or object name: ordered by seal number, then time."""
        stamp = dt.datetime.fromisoformat(self.created_at).strftime("%Y%m%dT%H%M%S%fZ")
        return f"{PREFIX}{self.seq:012d}-{stamp}.json"

    @property
    def created(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at)

    @classmethod
    def from_json(cls, data: bytes, location: str) -> Anchor:
        try:
            fields = json.loads(data)
            if fields.get("format") != FORMAT:
                raise ValueError
            return cls(
                seq=int(fields["seq"]),
                hash=str(fields["hash"]),
                key_id=str(fields["key_id"]),
                created_at=str(fields["created_at"]),
                mac=str(fields["mac"]),
                location=location,
            )
        except (ValueError, KeyError, TypeError) as error:
            raise AnchorError(f"Ancre illisible : {location}.") from error


def _mac(key: bytes, content: dict[str, Any]) -> str:
    return keyed_hash(key, "anchor", content)


def make_anchor(seq: int, head_hash: str, keyring: Keyring, now: dt.datetime) -> Anchor:
    created_at = now.astimezone(dt.UTC).isoformat()
    unsigned = Anchor(seq, head_hash, keyring.current_id, created_at, "")
    return Anchor(
        seq, head_hash, keyring.current_id, created_at, _mac(keyring.current, unsigned.content())
    )


def signature_ok(anchor: Anchor, keyring: Keyring) -> bool | None:
    """True/False, or None when the anchor's key is not configured."""
    key = keyring.get(anchor.key_id)
    if key is None:
        return None
    return hmac.compare_digest(_mac(key, anchor.content()), anchor.mac)


class AnchorStore(Protocol):
    label: str

    def write(self, anchor: Anchor) -> str: ...

    def latest(self, count: int) -> list[Anchor]: ...


class FolderStore:
    """One read-only file per anchor, created once (O_EXCL): never overwritten."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.label = f"dossier {self.directory}"

    def write(self, anchor: Anchor) -> str:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / anchor.name
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            try:
                os.write(descriptor, anchor.to_json())
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            folder = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError as error:
            raise AnchorError(
                f"Ancre non écrite dans le {self.label} : {error.strerror or error}."
            ) from error
        return str(path)

    def latest(self, count: int) -> list[Anchor]:
        if not self.directory.exists():
            return []
        try:
            names = sorted(
                (p.name for p in self.directory.iterdir() if p.name.startswith(PREFIX)),
                reverse=True,
            )
            chosen = names if count <= 0 else names[:count]
            return [
                Anchor.from_json((self.directory / name).read_bytes(), str(self.directory / name))
                for name in chosen
            ]
        except OSError as error:
            raise AnchorError(
                f"Ancres illisibles dans le {self.label} : {error.strerror or error}."
            ) from error


class S3Store:
    """One object per anchor in a bucket with object lock, kept for `retention_days`."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        retention_days: int = 3650,
        mode: str = "COMPLIANCE",
        client: Any = None,
        **client_options: Any,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.retention_days = retention_days
        self.mode = mode
        self.label = f"compartiment S3 {bucket}"
        self._client = client
        self._client_options = {k: v for k, v in client_options.items() if v}

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3", **self._client_options)
        return self._client

    def write(self, anchor: Anchor) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.prefix + anchor.name
        body = anchor.to_json()
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/json",
                ContentMD5=_md5(body),
                ObjectLockMode=self.mode,
                ObjectLockRetainUntilDate=timezone.now() + dt.timedelta(days=self.retention_days),
            )
        except (BotoCoreError, ClientError) as error:
            raise AnchorError(
                f"Ancre non écrite dans le {self.label} ({type(error).__name__})."
            ) from error
        return f"s3://{self.bucket}/{key}"

    def latest(self, count: int) -> list[Anchor]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            keys: list[str] = []
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + PREFIX
            )
            for page in pages:
                keys.extend(item["Key"] for item in page.get("Contents", ()))
            chosen = sorted(keys, reverse=True)
            chosen = chosen if count <= 0 else chosen[:count]
            return [
                Anchor.from_json(
                    self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read(),
                    f"s3://{self.bucket}/{key}",
                )
                for key in chosen
            ]
        except (BotoCoreError, ClientError) as error:
            raise AnchorError(
                f"Ancres illisibles dans le {self.label} ({type(error).__name__})."
            ) from error


def _md5(body: bytes) -> str:
    """Content-MD5, which S3 requires for a write with object lock."""
    import base64

    return base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()


def configured_stores() -> list[AnchorStore]:
    """The stores of the settings: S3 when a bucket is named, the folder when set (or alone)."""
    stores: list[AnchorStore] = []
    if settings.AUDIT_ANCHOR_S3_BUCKET:
        stores.append(
            S3Store(
                settings.AUDIT_ANCHOR_S3_BUCKET,
                settings.AUDIT_ANCHOR_S3_PREFIX,
                retention_days=settings.AUDIT_ANCHOR_S3_RETENTION_DAYS,
                mode=settings.AUDIT_ANCHOR_S3_LOCK_MODE,
                endpoint_url=settings.AUDIT_ANCHOR_S3_ENDPOINT_URL,
                region_name=settings.AUDIT_ANCHOR_S3_REGION,
                aws_access_key_id=settings.AUDIT_ANCHOR_S3_ACCESS_KEY_ID,
                aws_secret_access_key=settings.AUDIT_ANCHOR_S3_SECRET_ACCESS_KEY,
            )
        )
    if settings.AUDIT_ANCHOR_DIR:
        stores.append(FolderStore(settings.AUDIT_ANCHOR_DIR))
    return stores


def write_anchors(
    *,
    stores: list[AnchorStore] | None = None,
    keyring: Keyring | None = None,
    now: dt.datetime | None = None,
    using: str = "default",
) -> tuple[Anchor, list[str]]:
    """Anchor the keyed chain's newest seal in every store; the anchor and where it went.

    The seal is checked against its key first: a head that does not match would
    only anchor a rewritten trail. Seal pending events first (`seal_pending`) for an
    anchor that covers everything written so far."""
    from .keys import load_keyring
    from .models import AuditSeal
    from .sealing import legacy_head_hash

    keyring = keyring or load_keyring()
    stores = configured_stores() if stores is None else stores
    if not stores:
        raise AnchorError(
            "Aucun lieu d'ancrage configuré (OPENDUI_AUDIT_ANCHOR_DIR ou "
            "OPENDUI_AUDIT_ANCHOR_S3_BUCKET)."
        )
    newest = AuditSeal.objects.using(using).order_by("-seq").first()
    if newest is None:
        seq, head_hash = 0, legacy_head_hash(using)
    else:
        key = keyring.get(newest.key_id)
        if key is None or keyed_hash(key, newest.prev_hash, newest.chain_content()) != newest.hash:
            raise AnchorError(
                f"Le dernier scellement (n° {newest.seq}) ne correspond pas à sa clé : "
                "ancrage refusé, vérifiez le journal (opendui audit verify)."
            )
        seq, head_hash = newest.seq, newest.hash
    anchor = make_anchor(seq, head_hash, keyring, now or timezone.now())
    return anchor, [store.write(anchor) for store in stores]
