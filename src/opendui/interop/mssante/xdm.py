"""IHE ITI XDM archives (`IHE_XDM.ZIP`) of MSSanté messages: build and read.

An MSSanté message carries its CDA documents in one zip laid out per IHE ITI XDM:
`INDEX.HTM` (readable list), `README.TXT` (sending software and vendor),
`IHE_XDM/SUBSET01/METADATA.XML` (an ebRIM SubmitObjectsRequest: the SubmissionSet, one
DocumentEntry per document whose `URI` slot names its file, HasMember associations) and the
documents `DOC0001.XML`, … The metadata is built by the DMP's XDS builders (`dmp.xds`), so a
document has the same DocumentEntry whether it goes to the DMP or by MSSanté.

Building is deterministic (same inputs and `now`, same bytes): the random ids of the
metadata are renumbered from the submission set id, zip timestamps come from `now`, entries
are sorted. Reading treats the archive as hostile: sizes and ratios are checked from the
central directory before anything is decompressed, every read is bounded, names cannot
leave the archive, the XML may not carry a DTD, and each document must match the hash and
size its DocumentEntry declares. Every refusal is an `XdmError` with a French message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import posixpath
import uuid
import zipfile
import zlib
from dataclasses import dataclass

from lxml import etree

from opendui import __version__
from opendui.interop.dmp import xds
from opendui.interop.dmp.document import Coded, DmpDocument

SUBSET = "IHE_XDM/SUBSET01"
METADATA_NAME = "METADATA.XML"
#: A message with 50 documents or more is refused (MSSanté bad input): at most 49.
MAX_DOCUMENTS = 49
DEFAULT_MAX_ENTRIES = 64
DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_RATIO = 100
#: Entries smaller than this are not held to the ratio (tiny files compress oddly).
_RATIO_FLOOR = 64 * 1024
_CHUNK = 64 * 1024
_VENDOR = "Projet OpenDUI (logiciel libre de dossier usager informatisé)"
_ID_NAMESPACE = uuid.UUID("6f1d8a52-3c47-4e0b-9a51-0d2f8e7b1c39")
_REFERENCE_ATTRIBUTES = ("id", "lid", "classifiedObject", "registryObject")
_REFERENCE_ATTRIBUTES += ("sourceObject", "targetObject")


class XdmError(ValueError):
    """The archive cannot be built or read; `message` is for the user (French)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class XdmMetadata:
    """What the DocumentEntry of one document says about it."""

    unique_id: str
    patient_ins: str
    patient_ins_oid: str
    type: Coded
    title: str
    creation_time: dt.datetime | None
    hash: str
    size: int
    mime_type: str


@dataclass(frozen=True)
class XdmEntry:
    """One document of the archive: its path in the zip, its bytes, its metadata."""

    name: str
    content: bytes
    metadata: XdmMetadata


@dataclass(frozen=True)
class XdmContent:
    """The documents of an archive, in the order of the metadata."""

    entries: tuple[XdmEntry, ...]
    submission_set_unique_id: str
    source_id: str


# Building --------------------------------------------------------------------------------
def document_name(index: int) -> str:
    """The path in the archive of the `index`-th document (1-based)."""
    return f"{SUBSET}/DOC{index:04d}.XML"


def build_xdm(
    documents: list[tuple[DmpDocument, bytes]],
    *,
    submission_set_id: str,
    source_id: str,
    now: dt.datetime | None = None,
) -> bytes:
    """The `IHE_XDM.ZIP` bytes carrying `documents` (each: its contract and its CDA bytes).

    All documents must concern one person (the SubmissionSet has one patientId).
    """
    if not documents:
        raise XdmError("Aucun document à joindre à l'archive XDM.")
    if len(documents) > MAX_DOCUMENTS:
        raise XdmError(
            f"Trop de documents pour un message ({len(documents)}) : {MAX_DOCUMENTS} au plus."
        )
    patient = documents[0][0].patient
    if any(document.patient.xds_patient_id != patient.xds_patient_id for document, _ in documents):
        raise XdmError("Les documents d'une archive XDM doivent concerner la même personne.")
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise XdmError("L'heure de l'envoi doit porter son fuseau horaire.")
    files = {document_name(index): cda for index, (_, cda) in enumerate(documents, start=1)}
    files[f"{SUBSET}/{METADATA_NAME}"] = metadata_xml(
        documents, submission_set_id=submission_set_id, source_id=source_id, now=now
    )
    files["INDEX.HTM"] = index_htm(documents, now)
    files["README.TXT"] = readme_txt(documents[0][0], now)
    return _zip(files, now)


def metadata_xml(
    documents: list[tuple[DmpDocument, bytes]],
    *,
    submission_set_id: str,
    source_id: str,
    now: dt.datetime,
) -> bytes:
    """METADATA.XML: the SubmitObjectsRequest of the archive (ids stable for one input)."""
    first = documents[0][0]
    root = etree.Element(
        f"{{{xds.NS_LCM}}}SubmitObjectsRequest", nsmap={"lcm": xds.NS_LCM, "rim": xds.NS_RIM}
    )
    objects = etree.SubElement(root, f"{{{xds.NS_RIM}}}RegistryObjectList")
    set_uuid = "urn:uuid:submission-set"
    xds.submission_set(
        objects,
        set_uuid=set_uuid,
        unique_id=submission_set_id,
        source_id=source_id,
        patient=first.patient,
        author_slots=xds.document_author_slots(first),
        content_type=xds.DEFAULT_CONTENT_TYPE,
        title=first.title if len(documents) == 1 else f"{len(documents)} documents",
        now=now,
    )
    entry_ids = []
    for index, (document, cda) in enumerate(documents, start=1):
        entry_uuid = f"urn:uuid:document-{index}"
        entry = xds.document_entry(objects, document, cda, entry_uuid, now)
        # ebRIM puts every Slot before the Name: the URI slot joins the others.
        uri = xds.slot(etree.Element("holder"), "URI", posixpath.basename(document_name(index)))
        entry.insert(entry.index(entry.find("rim:Name", xds.NS)), uri)
        entry_ids.append(entry_uuid)
    for entry_uuid in entry_ids:
        xds.association(
            objects, xds.HAS_MEMBER, set_uuid, entry_uuid, SubmissionSetStatus="Original"
        )
    _renumber(root, submission_set_id)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _renumber(root, seed: str) -> None:
    """Replace every object id (and the references to it) by a UUID derived from `seed`
    and its position, so that the same input always gives the same metadata."""
    mapping: dict[str, str] = {}
    for element in root.iter():
        old = element.get("id")
        if old and old not in mapping:
            mapping[old] = f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{seed}/{len(mapping)}')}"
    for element in root.iter():
        for attribute in _REFERENCE_ATTRIBUTES:
            value = element.get(attribute)
            if value in mapping:
                element.set(attribute, mapping[value])


def index_htm(documents: list[tuple[DmpDocument, bytes]], now: dt.datetime) -> bytes:
    """INDEX.HTM: the readable table of contents of the archive."""
    rows = "\n".join(
        f'<li><a href="{document_name(index)}">{html.escape(xds.xml_safe(document.title))}</a>'
        f" — {html.escape(document.type.display or document.type.code)}, "
        f"{document.created_at.strftime('%d/%m/%Y')}</li>"
        for index, (document, _) in enumerate(documents, start=1)
    )
    page = (
        '<!DOCTYPE html>\n<html lang="fr">\n<head><meta charset="utf-8">'
        "<title>Documents transmis</title></head>\n<body>\n"
        f"<h1>Documents transmis le {now.strftime('%d/%m/%Y')}</h1>\n"
        f"<p>Archive IHE XDM : métadonnées dans {SUBSET}/{METADATA_NAME}.</p>\n"
        f"<ul>\n{rows}\n</ul>\n<p>Lire README.TXT pour le logiciel émetteur.</p>\n"
        "</body>\n</html>\n"
    )
    return page.encode("utf-8")


def readme_txt(document: DmpDocument, now: dt.datetime) -> bytes:
    """README.TXT: the sending software, its version and its vendor (IHE ITI XDM)."""
    name, version = document.software
    text = (
        f"Logiciel émetteur : {name} {version or __version__}\n"
        f"Éditeur : {_VENDOR}\n"
        f"Établissement : {document.organisation.name} (FINESS {document.organisation.finess})\n"
        f"Date de création de l'archive : {xds.xds_time(now)} (UTC)\n"
        f"Contenu : archive IHE XDM, métadonnées XDS dans {SUBSET}/{METADATA_NAME}.\n"
    )
    return text.replace("\n", "\r\n").encode("utf-8")


def _zip(files: dict[str, bytes], now: dt.datetime) -> bytes:
    stamp = now.astimezone(dt.UTC)
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


# Reading ---------------------------------------------------------------------------------
def read_xdm(
    data: bytes,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_ratio: int = DEFAULT_MAX_RATIO,
) -> XdmContent:
    """The documents and metadata of an `IHE_XDM.ZIP`, checked (raises `XdmError`)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise XdmError("La pièce jointe n'est pas une archive ZIP lisible.") from error
    with archive:
        infos = _checked_infos(archive, max_entries, max_total_bytes, max_ratio)
        metadata_info = _metadata_info(infos)
        subset = posixpath.dirname(metadata_info.filename)
        root = _parse_metadata(_read(archive, metadata_info))
        objects = [
            obj
            for obj in root.iter(f"{{{xds.NS_RIM}}}ExtrinsicObject")
            if obj.get("objectType") == xds.DOCUMENT_ENTRY
        ]
        if not objects:
            raise XdmError("Les métadonnées XDM ne décrivent aucun document.")
        if len(objects) > MAX_DOCUMENTS:
            raise XdmError(
                f"Le message contient {len(objects)} documents : {MAX_DOCUMENTS} au plus "
                "sont acceptés."
            )
        by_name = {info.filename.upper(): info for info in infos}
        entries = tuple(_entry(archive, obj, subset, by_name) for obj in objects)
        package = next(
            (
                obj
                for obj in root.iter(f"{{{xds.NS_RIM}}}RegistryPackage")
                if obj.get("objectType") == xds.SUBMISSION_SET
            ),
            None,
        )
    return XdmContent(
        entries=entries,
        submission_set_unique_id=(
            xds.external_id(package, xds.SS_UNIQUE_ID) if package is not None else ""
        ),
        source_id=xds.external_id(package, xds.SS_SOURCE_ID) if package is not None else "",
    )


def unsafe_name(name: str) -> bool:
    """True when a zip entry name could point outside the extraction directory."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return True
    if len(name) > 1 and name[1] == ":":  # a Windows drive letter
        return True
    return any(part == ".." for part in name.split("/"))


def _checked_infos(archive, max_entries: int, max_total: int, max_ratio: int) -> list:
    """The central directory, refused before any byte is decompressed when it is hostile."""
    infos = archive.infolist()
    if len(infos) > max_entries:
        raise XdmError(
            f"L'archive contient trop de fichiers ({len(infos)}, {max_entries} au plus)."
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        if unsafe_name(info.filename):
            raise XdmError(f"Nom de fichier refusé dans l'archive : « {info.filename} ».")
        if info.filename.upper() in seen:
            raise XdmError(f"Fichier en double dans l'archive : « {info.filename} ».")
        seen.add(info.filename.upper())
        if info.flag_bits & 0x1:
            raise XdmError("L'archive contient un fichier chiffré : elle ne peut être lue.")
        total += info.file_size
        if total > max_total:
            raise XdmError(
                "L'archive est trop volumineuse une fois décompressée "
                f"(plus de {max_total // (1024 * 1024)} Mo) : elle est refusée."
            )
        if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(
            info.compress_size, 1
        ):
            raise XdmError(
                f"Taux de compression anormal pour « {info.filename} » (bombe zip "
                "possible) : l'archive est refusée."
            )
    return infos


def _metadata_info(infos: list) -> zipfile.ZipInfo:
    candidates = sorted(
        (info for info in infos if _is_metadata(info.filename)), key=lambda i: i.filename
    )
    if not candidates:
        raise XdmError("L'archive XDM ne contient pas de fichier METADATA.XML.")
    return candidates[0]


def _is_metadata(name: str) -> bool:
    parts = name.upper().split("/")
    return len(parts) == 3 and parts[0] == "IHE_XDM" and parts[2] == METADATA_NAME


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The bytes of `info`, never more than its declared size (a lying header fails)."""
    chunks: list[bytes] = []
    read = 0
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(min(_CHUNK, info.file_size - read + 1))
                if not chunk:
                    break
                read += len(chunk)
                if read > info.file_size:
                    raise XdmError(f"Le fichier « {info.filename} » dépasse sa taille déclarée.")
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as error:
        raise XdmError(f"Le fichier « {info.filename} » de l'archive est illisible.") from error
    return b"".join(chunks)


def _parse_metadata(content: bytes):
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise XdmError("Le fichier METADATA.XML n'est pas un XML valide.") from error
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XdmError("Le fichier METADATA.XML déclare une DTD ou des entités : il est refusé.")
    return root


def _entry(archive, obj, subset: str, by_name: dict) -> XdmEntry:
    described = xds.entry_of(obj)
    uri = xds.slot_value(obj, "URI").strip()
    if not uri or unsafe_name(uri):
        raise XdmError(
            f"Le document {described.unique_id or '(sans identifiant)'} n'indique pas de "
            "fichier valide (URI)."
        )
    name = posixpath.join(subset, uri)
    info = by_name.get(name.upper())
    if info is None:
        raise XdmError(f"Le document « {uri} » décrit dans les métadonnées est absent.")
    content = _read(archive, info)
    if str(len(content)) != xds.slot_value(obj, "size").strip():
        raise XdmError(f"La taille du document « {uri} » ne correspond pas aux métadonnées.")
    digest = hashlib.sha1(content).hexdigest()  # noqa: S324 - the XDS hash is SHA-1
    if digest != xds.slot_value(obj, "hash").strip().lower():
        raise XdmError(
            f"L'empreinte (hash) du document « {uri} » ne correspond pas aux métadonnées."
        )
    ins, _, rest = described.patient_id.partition("^^^&")
    return XdmEntry(
        name=info.filename,
        content=content,
        metadata=XdmMetadata(
            unique_id=described.unique_id,
            patient_ins=ins,
            patient_ins_oid=rest.split("&")[0],
            type=described.type,
            title=described.title,
            creation_time=described.creation_time,
            hash=digest,
            size=len(content),
            mime_type=described.mime_type,
        ),
    )
