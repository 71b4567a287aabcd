"""The document store's tests: the records storage as a local folder and as a real
S3-compatible server (moto's standalone server on loopback: real HTTP, the real boto3
client under django-storages; no mock of the client)."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

BUCKET = "opendui-records"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="session")
def s3_server():
    # moto is a dev dependency: a missing one fails here instead of skipping the S3 tests.
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    import boto3

    client = boto3.client("s3", endpoint_url=url, region_name="eu-west-3", **CREDENTIALS)
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
    )
    yield url
    server.stop()


def s3_records(endpoint: str, prefix: str) -> dict:
    from opendui.documents.storage_config import records_storage

    return records_storage(
        f"s3://{BUCKET}/{prefix}?endpoint_url={endpoint}&region=eu-west-3&sse=AES256",
        local_root="",
        access_key=CREDENTIALS["aws_access_key_id"],
        secret_key=CREDENTIALS["aws_secret_access_key"],
    )


@pytest.fixture(params=["local", "s3"])
def backend(request, settings):
    """Run the test on the local folder, then on the S3-compatible server (own prefix)."""
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_server")
        settings.STORAGES = {
            **settings.STORAGES,
            "records": s3_records(endpoint, f"t-{uuid.uuid4().hex}"),
        }
    return request.param


def stored_names() -> list[str]:
    """Every file of the records storage (documents and thumbnails)."""
    from opendui.documents import store

    return sorted([*store.listing(store.DOCUMENTS), *store.listing(store.THUMBNAILS)])


def pdf_bytes(text: str = "Bonjour", pages: int = 1) -> bytes:
    images = [Image.new("RGB", (200, 280), (255, 255, 255)) for _ in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def jpeg_bytes(color=(200, 30, 30), size=(320, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def png_bytes(color=(30, 200, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, "PNG")
    return out.getvalue()
