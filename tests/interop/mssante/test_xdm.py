"""IHE XDM archives of MSSanté messages: what `build_xdm` writes and what `read_xdm` accepts.

The hostile archives (zip bombs, traversal names, DTDs, lying headers) are built here with
the standard `zipfile` module, byte for byte, then handed to the reader.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import struct
import time
import tracemalloc
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from opendui.interop.dmp import xds
from opendui.interop.dmp.cda import build_cda
from opendui.interop.mssante.xdm import (
    MAX_DOCUMENTS,
    XdmError,
    build_xdm,
    read_xdm,
    unsafe_name,
)
from tests.interop.dmp import samples

NOW = dt.datetime(2025, 4, 1, 8, 15, 42, tzinfo=dt.UTC)
SET_ID = "1.2.250.1.999.9.1.42"
SOURCE_ID = "1.2.250.1.999.9"
META = "IHE_XDM/SUBSET01/METADATA.XML"
DOC1 = "IHE_XDM/SUBSET01/DOC0001.XML"
DOC2 = "IHE_XDM/SUBSET01/DOC0002.XML"


def _pair(**changes):
    document = samples.document(**changes)
    return document, build_cda(document)


def _two():
    return [
        _pair(),
        _pair(
            unique_id="1.2.250.1.999.2.1.8.1",
            set_id="1.2.250.1.999.2.1.8",
            title="Document de liaison d'urgence",
            type=samples.codes.document_type_coded("J07", "74207-2"),
            created_at=dt.datetime(2025, 3, 20, 16, 5, tzinfo=samples.PARIS),
        ),
    ]


def _build(documents=None, **kwargs) -> bytes:
    return build_xdm(
        documents if documents is not None else _two(),
        submission_set_id=kwargs.pop("submission_set_id", SET_ID),
        source_id=SOURCE_ID,
        now=kwargs.pop("now", NOW),
    )


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _refused(data: bytes, **limits) -> str:
    with pytest.raises(XdmError) as caught:
        read_xdm(data, **limits)
    assert caught.value.message == str(caught.value)
    return caught.value.message


def _entries(metadata: bytes):
    root = etree.fromstring(metadata)
    return root.findall(".//rim:ExtrinsicObject", xds.NS), root


# Round trip and structure ----------------------------------------------------------------
def test_round_trip_gives_the_documents_and_their_metadata():
    documents = _two()
    content = read_xdm(_build(documents))
    assert content.submission_set_unique_id == SET_ID
    assert content.source_id == SOURCE_ID
    assert [entry.name for entry in content.entries] == [DOC1, DOC2]
    for entry, (document, cda) in zip(content.entries, documents, strict=True):
        assert entry.content == cda
        meta = entry.metadata
        assert meta.unique_id == document.unique_id
        assert meta.patient_ins == "279035121518989"
        assert meta.patient_ins_oid == "1.2.250.1.213.1.4.10"
        assert meta.type == document.type
        assert meta.title == document.title
        assert meta.creation_time == document.created_at.astimezone(dt.UTC)
        assert meta.hash == hashlib.sha1(cda).hexdigest()  # noqa: S324
        assert meta.size == len(cda)
        assert meta.mime_type == "text/xml"


def test_the_metadata_hash_size_uri_and_patient_match_the_files():
    files = _files(_build())
    objects, root = _entries(files[META])
    assert len(objects) == 2
    for obj in objects:
        uri = xds.slot_value(obj, "URI")
        content = files[f"IHE_XDM/SUBSET01/{uri}"]
        assert xds.slot_value(obj, "hash") == hashlib.sha1(content).hexdigest()  # noqa: S324
        assert xds.slot_value(obj, "size") == str(len(content))
        assert (
            xds.external_id(obj, xds.DE_PATIENT_ID) == "279035121518989^^^&1.2.250.1.213.1.4.10&ISO"
        )
        # ebRIM order: every Slot before the Name.
        tags = [etree.QName(child).localname for child in obj]
        assert tags.index("Name") > max(i for i, tag in enumerate(tags) if tag == "Slot")
    assert [xds.slot_value(o, "URI") for o in objects] == ["DOC0001.XML", "DOC0002.XML"]
    package = root.find(".//rim:RegistryPackage", xds.NS)
    assert xds.external_id(package, xds.SS_UNIQUE_ID) == SET_ID
    assert xds.external_id(package, xds.SS_SOURCE_ID) == SOURCE_ID
    members = root.findall(".//rim:Association", xds.NS)
    assert [
        (a.get("associationType"), a.get("sourceObject"), a.get("targetObject")) for a in members
    ] == [(xds.HAS_MEMBER, package.get("id"), obj.get("id")) for obj in objects]
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert len(ids) == len(set(ids))


def test_golden_structure_and_readable_files():
    data = _build()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == [DOC1, DOC2, META, "INDEX.HTM", "README.TXT"]
    assert {info.date_time for info in infos} == {(2025, 4, 1, 8, 15, 0)}
    files = _files(data)
    index = files["INDEX.HTM"].decode("utf-8")
    assert f'href="{DOC1}"' in index and f'href="{DOC2}"' in index
    assert "Document de liaison d&#x27;urgence" in index
    readme = files["README.TXT"].decode("utf-8")
    assert "Logiciel émetteur : OpenDUI" in readme
    assert "Éditeur : Projet OpenDUI" in readme
    assert "EHPAD Les Tilleuls (FINESS 750000002)" in readme


def test_the_archive_is_deterministic():
    assert _build() == _build()
    assert _build() != _build(now=NOW + dt.timedelta(minutes=1))
    assert _build() != _build(submission_set_id="1.2.250.1.999.9.1.43")


def test_forty_nine_documents_are_accepted():
    document, cda = _pair()
    content = read_xdm(_build([(document, cda)] * MAX_DOCUMENTS))
    assert len(content.entries) == MAX_DOCUMENTS == 49
    assert content.entries[-1].name == "IHE_XDM/SUBSET01/DOC0049.XML"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.lists(
        st.text(min_size=1, max_size=40).map(xds.xml_safe).filter(str.strip),
        min_size=1,
        max_size=3,
    ),
    family=st.text(min_size=1, max_size=30).map(xds.xml_safe).filter(str.strip),
)
def test_round_trip_over_titles_and_names(titles, family):
    patient = samples.patient(birth_family_name=family)
    author = dataclasses.replace(samples.EDUCATOR, family_name=family)
    documents = [
        _pair(
            unique_id=f"1.2.250.1.999.2.1.{index}.1",
            title=title,
            patient=patient,
            author=author,
            legal_authenticator=author,
        )
        for index, title in enumerate(titles, start=1)
    ]
    content = read_xdm(_build(documents))
    assert [entry.metadata.title for entry in content.entries] == titles
    assert [entry.content for entry in content.entries] == [cda for _, cda in documents]
    assert [entry.metadata.unique_id for entry in content.entries] == [
        document.unique_id for document, _ in documents
    ]


# Building refusals -----------------------------------------------------------------------
def test_build_refuses_no_document_fifty_documents_and_two_persons():
    with pytest.raises(XdmError, match="Aucun document"):
        _build([])
    with pytest.raises(XdmError, match=r"Trop de documents pour un message \(50\) : 49 au plus"):
        _build([_pair()] * 50)
    other = (samples.document(patient=samples.patient(ins="180012B01234578")), b"<cda/>")
    with pytest.raises(XdmError, match="concerner la même personne"):
        _build([_pair(), other])


# Reading refusals ------------------------------------------------------------------------
def test_not_a_zip_is_refused():
    assert _refused(b"%PDF-1.4 pas une archive") == (
        "La pièce jointe n'est pas une archive ZIP lisible."
    )
    assert "ZIP" in _refused(b"")


def test_missing_metadata_is_refused():
    files = _files(_build())
    del files[META]
    assert _refused(_zip(files)) == "L'archive XDM ne contient pas de fichier METADATA.XML."


def test_a_listed_document_that_is_absent_is_refused():
    files = _files(_build())
    del files[DOC2]
    assert _refused(_zip(files)) == (
        "Le document « DOC0002.XML » décrit dans les métadonnées est absent."
    )


def test_a_wrong_hash_is_refused():
    files = _files(_build())
    content = files[DOC1]
    files[DOC1] = content[:-2] + (b"<!" if content[-2:] != b"<!" else b"--")
    assert _refused(_zip(files)) == (
        "L'empreinte (hash) du document « DOC0001.XML » ne correspond pas aux métadonnées."
    )


def test_a_wrong_size_is_refused():
    files = _files(_build())
    files[DOC2] += b"\n"
    assert _refused(_zip(files)) == (
        "La taille du document « DOC0002.XML » ne correspond pas aux métadonnées."
    )


def test_fifty_documents_in_the_metadata_are_refused():
    document, cda = _pair()
    files = _files(_build([(document, cda)] * MAX_DOCUMENTS))
    objects, root = _entries(files[META])
    objects[0].getparent().append(etree.fromstring(etree.tostring(objects[0])))
    files[META] = etree.tostring(root)
    assert _refused(_zip(files)) == ("Le message contient 50 documents : 49 au plus sont acceptés.")


def test_too_many_entries_are_refused_before_reading():
    assert _refused(_build(), max_entries=4) == (
        "L'archive contient trop de fichiers (5, 4 au plus)."
    )
    files = {f"x/{index}.txt": b"" for index in range(100)}
    assert "trop de fichiers (100, 64 au plus)" in _refused(_zip(files))


def test_total_uncompressed_size_over_the_limit_is_refused():
    message = _refused(_build(), max_total_bytes=1024 * 1024 // 100)
    assert message.startswith("L'archive est trop volumineuse une fois décompressée")


@pytest.mark.parametrize(
    "name",
    ["../evil.xml", "IHE_XDM/../../etc/passwd", "/etc/passwd", "C:/Windows/x.xml", "a\\..\\b"],
)
def test_path_traversal_names_are_refused(name):
    files = _files(_build())
    files[name] = b"x"
    assert _refused(_zip(files)) == f"Nom de fichier refusé dans l'archive : « {name} »."


def test_a_traversal_uri_in_the_metadata_is_refused():
    files = _files(_build())
    files[META] = files[META].replace(b"DOC0001.XML", b"../../DOC0001.XML")
    assert "n'indique pas de fichier valide (URI)" in _refused(_zip(files))


def test_unsafe_name_accepts_the_archive_paths():
    assert not unsafe_name(DOC1)
    assert not unsafe_name("INDEX.HTM")
    assert unsafe_name("") and unsafe_name("x/\x00.xml")


def test_duplicate_names_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in _files(_build()).items():
            archive.writestr(name, content)
        with pytest.warns(UserWarning):
            archive.writestr(DOC1, b"<autre/>")
    assert _refused(buffer.getvalue()) == f"Fichier en double dans l'archive : « {DOC1} »."


@pytest.mark.parametrize(
    "prolog",
    [
        b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        b'<!DOCTYPE x SYSTEM "http://example.invalid/evil.dtd">',
        b'<!DOCTYPE x [<!ENTITY f SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_metadata_with_a_dtd_or_entities_is_refused(prolog):
    files = _files(_build())
    body = files[META].split(b"?>", 1)[1]
    files[META] = b'<?xml version="1.0" encoding="UTF-8"?>' + prolog + body
    assert _refused(_zip(files)) == (
        "Le fichier METADATA.XML déclare une DTD ou des entités : il est refusé."
    )


def test_metadata_that_is_not_xml_is_refused():
    files = _files(_build())
    files[META] = b"<rim:pas-du-xml"
    assert _refused(_zip(files)) == "Le fichier METADATA.XML n'est pas un XML valide."


# Zip bombs -------------------------------------------------------------------------------
BOMB_SIZE = 100 * 1024 * 1024


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """100 MB of zeros deflated (about 100 kB), written in chunks: never held whole."""
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(DOC1, "w", force_zip64=True) as stream,
    ):
        for _ in range(BOMB_SIZE // len(chunk)):
            stream.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    return data


def _measured(data: bytes, **limits) -> tuple[str, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = _refused(data, **limits)
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return message, elapsed, peak


def test_a_zip_bomb_is_refused_quickly_without_decompressing(bomb):
    message, elapsed, peak = _measured(bomb)
    assert message.startswith("L'archive est trop volumineuse une fois décompressée")
    assert elapsed < 1 and peak < 5 * 1024 * 1024
    # Within the size limit, the compression ratio refuses it.
    message, elapsed, peak = _measured(bomb, max_total_bytes=2 * BOMB_SIZE)
    assert message == (
        f"Taux de compression anormal pour « {DOC1} » (bombe zip possible) : l'archive est refusée."
    )
    assert elapsed < 1 and peak < 5 * 1024 * 1024


def _declare_size(data: bytes, name: bytes, size: int) -> bytes:
    """`data` whose central directory (and local header) claim `size` bytes for `name`."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46 : at + 46 + length]) == name:
            struct.pack_into("<I", out, at + 24, size)
            local = struct.unpack_from("<I", out, at + 42)[0]
            struct.pack_into("<I", out, local + 22, size)
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def test_a_header_lying_about_the_size_is_read_bounded_and_refused():
    files = _files(_build())
    payload = bytes(20 * 1024 * 1024)  # 20 MB of zeros declared as the real document size
    files[DOC1] = payload
    lying = _declare_size(_zip(files), DOC1.encode(), len(_files(_build())[DOC1]))
    message, elapsed, peak = _measured(lying, max_ratio=10**6)
    assert message == f"Le fichier « {DOC1} » de l'archive est illisible."
    assert elapsed < 2 and peak < 5 * 1024 * 1024
