"""Anchors in an S3 bucket with object lock, against a real S3-compatible server (moto's
server, started on loopback by the test: real HTTP, the real boto3 client)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from opendui.audit.anchors import S3Store, configured_stores, write_anchors
from opendui.audit.models import AuditSeal

from .conftest import run_verify, sql, tampering

pytestmark = pytest.mark.django_db

BUCKET = "opendui-anchors"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_server():
    pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, settings):
    import boto3

    client = boto3.client("s3", endpoint_url=s3_server, region_name="eu-west-3", **CREDENTIALS)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        client.create_bucket(
            Bucket=BUCKET,
            ObjectLockEnabledForBucket=True,
            CreateBucketConfiguration={"LocationConstraint": "eu-west-3"},
        )
    settings.AUDIT_ANCHOR_S3_BUCKET = BUCKET
    settings.AUDIT_ANCHOR_S3_PREFIX = f"test-{id(settings)}/"
    settings.AUDIT_ANCHOR_S3_ENDPOINT_URL = s3_server
    settings.AUDIT_ANCHOR_S3_REGION = "eu-west-3"
    settings.AUDIT_ANCHOR_S3_ACCESS_KEY_ID = CREDENTIALS["aws_access_key_id"]
    settings.AUDIT_ANCHOR_S3_SECRET_ACCESS_KEY = CREDENTIALS["aws_secret_access_key"]
    settings.AUDIT_ANCHOR_S3_LOCK_MODE = "COMPLIANCE"
    settings.AUDIT_ANCHOR_S3_RETENTION_DAYS = 30
    settings.AUDIT_ANCHOR_DIR = ""  # S3 alone
    return client


def test_the_anchor_is_an_object_under_compliance_retention(trail, s3, settings):
    trail(3)
    anchor, locations = write_anchors()
    assert [type(s).__name__ for s in configured_stores()] == ["S3Store"]
    key = settings.AUDIT_ANCHOR_S3_PREFIX + anchor.name
    assert locations == [f"s3://{BUCKET}/{key}"]
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    until = head["ObjectLockRetainUntilDate"]
    assert 29 <= (until - timezone.now()).days <= 30
    # Nobody removes a version under compliance retention, the bucket owner included.
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        s3.delete_object(Bucket=BUCKET, Key=key, VersionId=head["VersionId"])
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == anchor.to_json()


def test_verify_reads_the_s3_anchors_and_catches_a_truncation(trail, s3):
    events = trail(5)
    write_anchors()
    assert run_verify().code == 0
    with tampering():
        for event in events[-2:]:
            sql("DELETE FROM audit_auditseal WHERE event_id = %s", [event.pk])
            sql("DELETE FROM audit_auditeventperson WHERE event_id = %s", [event.pk])
            sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
        newest = AuditSeal.objects.order_by("-seq").first()
        sql("UPDATE audit_auditsealhead SET seq = %s, hash = %s", [newest.seq, newest.hash])
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith("Scellements n° 4 à 5 : supprimés en fin de journal")
    assert f"s3://{BUCKET}/" in result.findings[0]


def test_an_unreachable_store_makes_verification_impossible(trail, settings):
    trail(1)
    settings.AUDIT_ANCHOR_S3_BUCKET = BUCKET
    settings.AUDIT_ANCHOR_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.AUDIT_ANCHOR_S3_ACCESS_KEY_ID = "x"
    settings.AUDIT_ANCHOR_S3_SECRET_ACCESS_KEY = "x"
    settings.AUDIT_ANCHOR_S3_REGION = "eu-west-3"
    settings.AUDIT_ANCHOR_DIR = ""
    store = configured_stores()[0]
    assert isinstance(store, S3Store)
    store.client.meta.config.retries = {"max_attempts": 0}
    result = run_verify()
    assert result.code == 2
    assert "Ancres illisibles dans le compartiment S3 opendui-anchors" in result.err
