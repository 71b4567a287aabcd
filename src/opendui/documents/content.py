"""What an uploaded file really is, read from its bytes, never from its name.

Accepted: PDF, JPEG, PNG, TIFF, ODT and DOCX. Each is recognised by its signature *and*
its structure: a PDF starts with `%PDF-` and ends with `%%EOF`; a JPEG ends with its EOI
marker, a PNG with its IEND chunk (a truncated upload, or a file with something appended,
such as a JPEG+ZIP polyglot, is refused); images are decoded by Pillow; an ODT is a ZIP
whose first entry `mimetype` says `application/vnd.oasis.opendocument.text`, a DOCX a ZIP
whose `[Content_Types].xml` declares a WordprocessingML main document (a macro-enabled
.docm declares another type and is refused). Executables are named as such in the message.

Why by hand: python-magic needs libmagic and only reads the first bytes (a polyglot passes);
`filetype` likewise. The checks here are short and each is tested.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IMAGES = {JPEG, PNG, TIFF}
INLINE = {PDF, JPEG, PNG}  # shown in the sandboxed viewer; the rest is downloaded
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", TIFF: ".tif", ODT: ".odt", DOCX: ".docx"}
LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG", TIFF: "TIFF", ODT: "ODT", DOCX: "DOCX"}

ACCEPTED = "Formats acceptés : PDF, JPEG, PNG, TIFF, ODT et DOCX."
EXECUTABLE_SIGNATURES = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",  # Mach-O fat / Java class
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"#!",
)
ZIP_END = b"PK\x05\x06"
MAX_ZIP_ENTRIES = 5000
MAX_ZIP_EXPANDED = 500 * 1024 * 1024
MAX_IMAGE_PIXELS = 80_000_000  # a 10 000 × 8 000 scan; more is refused, not decoded


@dataclass(frozen=True)
class Checked:
    data: bytes
    mime_type: str


def refuse(message: str) -> ValidationError:
    return ValidationError(message, code="content")


def detect(data: bytes) -> Checked:
    """The checked content type of `data`, or a ValidationError with a French message."""
    if not data:
        raise refuse("Le fichier est vide.")
    if data.startswith(EXECUTABLE_SIGNATURES):
        raise refuse(f"Ce fichier est un programme exécutable : il est refusé. {ACCEPTED}")
    if data.startswith(b"%PDF-"):
        return Checked(data, _pdf(data))
    if data.startswith(b"\xff\xd8\xff"):
        if not data.rstrip(b"\x00\r\n").endswith(b"\xff\xd9"):
            raise _damaged("JPEG")
        _image(data, "JPEG")
        return Checked(data, JPEG)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if not data.endswith(b"IEND\xaeB`\x82"):
            raise _damaged("PNG")
        _image(data, "PNG")
        return Checked(data, PNG)
    if data.startswith((b"II*\x00", b"MM\x00*")):
        _image(data, "TIFF")
        return Checked(data, TIFF)
    if data.startswith(b"PK\x03\x04"):
        return Checked(data, _office(data))
    raise refuse(f"Le contenu de ce fichier n'est pas d'un format accepté. {ACCEPTED}")


def _damaged(label: str) -> ValidationError:
    return refuse(
        f"Ce fichier {label} est incomplet ou contient des données en trop après sa fin "
        "(envoi interrompu, ou fichier modifié) : il est refusé."
    )


def _pdf(data: bytes) -> str:
    tail = data[-2048:]
    if b"%%EOF" not in tail:
        raise _damaged("PDF")
    if ZIP_END in tail:
        raise refuse("Ce fichier est à la fois un PDF et une archive ZIP : il est refusé.")
    return PDF


def _image(data: bytes, label: str) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise refuse(f"Cette image {label} est trop grande ({width} × {height} pixels).")
            image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _damaged(label) from None


def _office(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _damaged("ZIP") from None
    if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_ZIP_EXPANDED:
        raise refuse("Cette archive est anormalement volumineuse une fois décompressée.")
    names = {info.filename for info in infos}
    try:
        if infos and infos[0].filename == "mimetype":
            if archive.read("mimetype").strip() == ODT.encode() and "content.xml" in names:
                return ODT
        elif "[Content_Types].xml" in names and "word/document.xml" in names:
            types = archive.read("[Content_Types].xml")
            if b"wordprocessingml.document.main+xml" in types:
                return DOCX
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, RuntimeError):
        raise _damaged("ZIP") from None
    raise refuse(
        f"Cette archive n'est pas un document texte ODT ou DOCX (ou contient des macros). {ACCEPTED}"
    )


def images_to_pdf(images: list[bytes]) -> bytes:
    """Several photographed pages (JPEG, PNG, TIFF) as one PDF, in the given order."""
    pages = []
    for data in images:
        with Image.open(io.BytesIO(data)) as image:
            page = ImageOps.exif_transpose(image).convert("RGB")
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=150.0)
    return out.getvalue()


_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]")


def safe_name(name: str, mime_type: str = "") -> str:
    """The original name as metadata: no directory part, no control or reserved character,
    not hidden, at most 150 characters, with the extension of the checked content type."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    wanted = EXTENSIONS.get(mime_type, "")
    if wanted and f".{extension.lower()}" not in {wanted, ".jpeg", ".tiff"}:
        stem, extension = name, wanted.lstrip(".")
    stem = stem[: 150 - len(extension) - 1].strip() or "document"
    return f"{stem}.{extension}" if extension else stem
