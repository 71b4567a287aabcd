"""Type checks by content, names, assembled pages, and the storage URL."""

from __future__ import annotations

import contextlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from opendui.documents import content
from opendui.documents.storage_config import StorageURLError, records_storage

from .conftest import jpeg_bytes, pdf_bytes, png_bytes


def zip_of(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


ODT = zip_of([("mimetype", content.ODT.encode()), ("content.xml", b"<office/>")])
DOCX = zip_of(
    [
        (
            "[Content_Types].xml",
            b'<Types><Override ContentType="application/vnd.openxmlformats-officedocument.'
            b'wordprocessingml.document.main+xml"/></Types>',
        ),
        ("word/document.xml", b"<w:document/>"),
    ]
)
DOCM = zip_of(
    [
        (
            "[Content_Types].xml",
            b'<Types><Override ContentType="application/vnd.ms-word.document.'
            b'macroEnabled.main+xml"/></Types>',
        ),
        ("word/document.xml", b"<w:document/>"),
    ]
)


def tiff_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (40, 40), 128).save(out, "TIFF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (pdf_bytes(), content.PDF),
        (jpeg_bytes(), content.JPEG),
        (png_bytes(), content.PNG),
        (tiff_bytes(), content.TIFF),
        (ODT, content.ODT),
        (DOCX, content.DOCX),
    ],
)
def test_accepted_types_are_recognised_by_content(data, mime):
    assert content.detect(data).mime_type == mime


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "vide"),
        (b"MZ\x90\x00\x03" + b"\x00" * 100, "exécutable"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "exécutable"),
        (b"#!/bin/sh\nrm -rf /\n", "exécutable"),
        (b"GIF89a\x01\x00\x01\x00", "format accepté"),
        (b"<svg onload=alert(1)>", "format accepté"),
        (b"  %PDF-1.7\n%%EOF", "format accepté"),  # %PDF- not at the start
        (pdf_bytes()[:-100], "incomplet"),
        (pdf_bytes() + zip_of([("a.txt", b"x")]), "à la fois un PDF et une archive"),
        (jpeg_bytes() + zip_of([("a.txt", b"x")]), "données en trop"),
        (jpeg_bytes()[:-500], "incomplet"),
        (png_bytes()[:-20], "incomplet"),
        (zip_of([("a.txt", b"x")]), "ODT ou DOCX"),
        (DOCM, "ODT ou DOCX"),
        (b"PK\x03\x04garbage", "incomplet"),
    ],
)
def test_refused_content_says_why_in_french(data, message):
    with pytest.raises(ValidationError) as refused:
        content.detect(data)
    assert message in refused.value.messages[0]


@given(st.binary(max_size=300))
def test_detect_never_fails_otherwise_than_with_a_refusal(data):
    with contextlib.suppress(ValidationError):
        content.detect(data)


@given(st.text(max_size=400))
def test_safe_names_have_no_path_and_no_control_character(name):
    safe = content.safe_name(name, content.PDF)
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert not any(ord(c) < 32 or ord(c) == 127 for c in safe)
    assert 0 < len(safe) <= 150 and safe.endswith(".pdf")


def test_safe_names_keep_what_they_can():
    assert content.safe_name("../../etc/passwd", content.PDF) == "passwd.pdf"
    assert content.safe_name("C:\\Users\\a\\Scan 1.PDF", content.PDF) == "Scan 1.PDF"
    assert content.safe_name(".htaccess", content.PNG) == "htaccess.png"
    assert content.safe_name("photo.jpeg", content.JPEG) == "photo.jpeg"
    assert content.safe_name("virus.exe", content.PDF) == "virus.exe.pdf"


def test_images_are_assembled_in_order():
    import pypdfium2 as pdfium

    pdf = content.images_to_pdf([jpeg_bytes(), png_bytes(), tiff_bytes()])
    assert content.detect(pdf).mime_type == content.PDF
    assert len(pdfium.PdfDocument(pdf)) == 3


def test_storage_url_gives_a_private_encrypted_s3_storage():
    storage = records_storage(
        "s3://dui-records/prod?endpoint_url=https://s3.example.org&region=fr-par"
        "&sse=aws:kms&kms_key_id=key-1",
        local_root="/var/records",
        access_key="AK",
        secret_key="SK",
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "dui-records" and options["location"] == "prod"
    assert options["default_acl"] is None and options["file_overwrite"] is False
    assert options["object_parameters"] == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "key-1",
    }
    assert options["addressing_style"] == "path" and options["region_name"] == "fr-par"
    assert (options["access_key"], options["secret_key"]) == ("AK", "SK")
    local = records_storage("", local_root="/var/records")
    assert local["OPTIONS"] == {"location": "/var/records", "base_url": None}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://bucket",
        "s3://",
        "s3://b?sse=DES",
        "s3://b?kms_key_id=k",
        "s3://b?sse=AES256&kms_key_id=k",
        "s3://b?acl=public-read",
        "s3://b?endpoint_url=http://x&addressing_style=odd",
    ],
)
def test_bad_storage_urls_are_refused(url):
    with pytest.raises(StorageURLError):
        records_storage(url, local_root="/tmp/x")


def test_check_deploy_warns_about_a_local_records_folder(settings):
    from opendui.documents.checks import records_storage as check

    warnings = check(None)
    assert [w.id for w in warnings] == ["opendui.W101"]
    assert "Sauvegardez ce dossier avec la base" in warnings[0].hint
    settings.STORAGES = {
        **settings.STORAGES,
        "records": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    assert check(None) == []
