"""The records storage, as the document store uses it (every file goes through here).

`storages["records"]` is a local folder or an S3-compatible bucket (settings,
storage_config.py). Names are generated (`documents/<uuid>`, `thumbnails/<uuid>.png`),
never taken from the user. Any failure of the storage becomes `StorageUnavailable`, whose
French message the forms show; callers never half-write (services.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from django.core.files.base import ContentFile
from django.core.files.storage import storages

logger = logging.getLogger(__name__)

DOCUMENTS = "documents"
THUMBNAILS = "thumbnails"


class StorageUnavailable(Exception):
    message = (
        "Le stockage des documents ne répond pas : rien n'a été enregistré. "
        "Réessayez dans quelques minutes ; si cela persiste, prévenez l'administrateur."
    )


def records():
    return storages["records"]


def new_name(folder: str = DOCUMENTS, suffix: str = "") -> str:
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def write(name: str, data: bytes) -> str:
    try:
        saved = records().save(name, ContentFile(data))
    except Exception as error:  # botocore, OSError…: the storage's errors have no common base
        logger.warning("records storage write failed: %s", type(error).__name__)
        remove(name)  # the bytes may have landed before the failure
        raise StorageUnavailable(StorageUnavailable.message) from error
    if saved != name:  # a generated name is never taken: the storage renamed it
        remove(saved)
        raise StorageUnavailable(StorageUnavailable.message)
    return saved


def remove(name: str) -> bool:
    """Delete a file we have just written (undoing a failed store); False if it failed
    (the reconciliation command will find it)."""
    try:
        records().delete(name)
    except Exception as error:
        logger.warning("records storage delete failed: %s", type(error).__name__)
        return False
    return True


def open_file(name: str):
    try:
        return records().open(name, "rb")
    except Exception as error:
        raise StorageUnavailable(StorageUnavailable.message) from error


def read(name: str) -> bytes:
    with open_file(name) as handle:
        return handle.read()


def listing(folder: str) -> Iterator[str]:
    """Every stored name under `folder` (one level: names are flat)."""
    try:
        _dirs, files = records().listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"


def write_file(name: str, handle) -> str:
    """`write` for a file object (a large export spooled to disk): same guarantees, the
    bytes are not held in memory."""
    from django.core.files import File

    try:
        saved = records().save(name, File(handle, name=name))
    except Exception as error:
        logger.warning("records storage write failed: %s", type(error).__name__)
        remove(name)
        raise StorageUnavailable(StorageUnavailable.message) from error
    if saved != name:
        remove(saved)
        raise StorageUnavailable(StorageUnavailable.message)
    return saved
