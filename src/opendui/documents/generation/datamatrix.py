"""The INS datamatrix: its payload (pure functions) and its image (PNG).

Source: shared/reference/services_socles.md §1.8 and "INS Datamatrix payload" in its
appendix A, which transcribe ANS « INS — Format datamatrix » v2.2.20230926 [B: checked
against a third-party implementation, to confirm with the ANS validator
https://interop.esante.gouv.fr/datamatrixins/].

Payload layout:

- a fixed 26-character header: ``IS`` + version ``01`` + 22 × ``0`` (not a signed 2D-Doc);
- then, in this order, each field as a 2-character data identifier followed by its value:
  ``S1`` matricule INS (15, fixed), ``S2`` OID (19–20), ``S3`` list of birth first names
  (1–100), ``S4`` birth name (1–100), ``S5`` sex (1, fixed: M/F), ``S6`` birth date
  ``DD-MM-YYYY`` (10, fixed), ``S7`` INSEE birth place code (5, fixed, optional);
- a variable-length field (S2, S3, S4) shorter than its maximum and not last is ended by
  ``<GS>`` (0x1D); fixed-length fields, a field at its maximum length and the last field
  are not.

Every character is ASCII: capitals, digits, space, hyphen, apostrophe and the dots of the
OID (the INS alphabet, `persons.traits.NAME_PATTERN`). The symbol is ISO/IEC 16022
ECC 200 with a quiet zone, and is captioned « INS à scanner » where it is printed.

The image is drawn by ppf-datamatrix (pure Python, no native library nor external
process in the request path; see docs/architecture.md "Generated documents and the INS
datamatrix" for the choice) from the module matrix, scaled and framed here with Pillow
(already installed with WeasyPrint). The tests decode it back with libdmtx (pylibdmtx),
an independent implementation.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from .ins import INS_SEXES, InsBlock

HEADER = "IS01" + "0" * 22
GS = "\x1d"


@dataclass(frozen=True)
class Field:
    identifier: str
    name: str
    min_length: int
    max_length: int
    optional: bool = False

    @property
    def fixed(self) -> bool:
        return self.min_length == self.max_length


FIELDS: tuple[Field, ...] = (
    Field("S1", "matricule", 15, 15),
    Field("S2", "oid", 19, 20),
    Field("S3", "birth_first_names", 1, 100),
    Field("S4", "birth_name", 1, 100),
    Field("S5", "sex", 1, 1),
    Field("S6", "birth_date", 10, 10),
    Field("S7", "birth_place_code", 5, 5, optional=True),
)
_BY_IDENTIFIER = {f.identifier: f for f in FIELDS}
_PRINTABLE = re.compile(r"^[A-Z0-9 '.\-]+$")


class PayloadError(ValueError):
    """A value that does not fit the datamatrix layout; `message` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check(field: Field, value: str) -> None:
    if not field.min_length <= len(value) <= field.max_length:
        size = (
            f"{field.max_length} caractères"
            if field.fixed
            else f"{field.min_length} à {field.max_length} caractères"
        )
        raise PayloadError(
            f"Datamatrix INS : le champ {field.identifier} doit compter {size} "
            f"(il en compte {len(value)})."
        )
    if not _PRINTABLE.match(value):
        raise PayloadError(
            f"Datamatrix INS : le champ {field.identifier} contient un caractère non admis "
            "(seuls les capitales sans accent, les chiffres, l'espace, le tiret, "
            "l'apostrophe et le point le sont)."
        )


def format_date(value: dt.date) -> str:
    """DD-MM-YYYY, the year on 4 digits."""
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"


def build_payload(
    *,
    matricule: str,
    oid: str,
    birth_first_names: str,
    birth_name: str,
    sex: str,
    birth_date: dt.date,
    birth_place_code: str = "",
) -> str:
    """The datamatrix message for these INS values (already in INS form).

    Raises PayloadError (French) when a value does not fit its field.
    """
    if sex not in INS_SEXES:
        raise PayloadError("Datamatrix INS : le sexe vaut M ou F.")
    values = {
        "S1": matricule,
        "S2": oid,
        "S3": birth_first_names,
        "S4": birth_name,
        "S5": sex,
        "S6": format_date(birth_date),
        "S7": birth_place_code,
    }
    present = [f for f in FIELDS if not (f.optional and not values[f.identifier])]
    parts = [HEADER]
    for index, field in enumerate(present):
        value = values[field.identifier]
        _check(field, value)
        parts.append(field.identifier + value)
        last = index == len(present) - 1
        if not field.fixed and len(value) < field.max_length and not last:
            parts.append(GS)
    return "".join(parts)


def payload_for(block: InsBlock) -> str:
    """The datamatrix message of an INS block."""
    return build_payload(
        matricule=block.matricule,
        oid=block.oid,
        birth_first_names=block.birth_first_names,
        birth_name=block.birth_name,
        sex=block.sex,
        birth_date=block.birth_date,
        birth_place_code=block.birth_place_code,
    )


def parse_payload(message: str) -> dict[str, str]:
    """The fields of a datamatrix message, by identifier ({"S1": "…", …}).

    The inverse of `build_payload`, for the tests and for reading a scanned symbol.
    Raises PayloadError on a message that does not follow the layout.
    """
    if not message.startswith(HEADER):
        raise PayloadError("Datamatrix INS : en-tête « IS01 » absent.")
    position = len(HEADER)
    fields: dict[str, str] = {}
    expected = list(FIELDS)
    while position < len(message):
        identifier = message[position : position + 2]
        field = _BY_IDENTIFIER.get(identifier)
        if field is None or field not in expected:
            raise PayloadError(
                f"Datamatrix INS : identifiant « {identifier} » inattendu en position {position}."
            )
        # Fields come in order; an optional one may be skipped.
        expected = expected[expected.index(field) + 1 :]
        position += 2
        if field.fixed:
            value = message[position : position + field.max_length]
            position += len(value)
        else:
            end = message.find(GS, position, position + field.max_length + 1)
            if end == -1:
                value = message[position : position + field.max_length]
                position += len(value)
            else:
                value = message[position:end]
                position = end + 1
        _check(field, value)
        fields[identifier] = value
    missing = [f.identifier for f in FIELDS if not f.optional and f.identifier not in fields]
    if missing:
        raise PayloadError(f"Datamatrix INS : champ(s) absent(s) : {', '.join(missing)}.")
    return fields


def render_png(message: str, *, module_pixels: int = 4, quiet_zone_modules: int = 2) -> bytes:
    """A black-on-white ECC 200 symbol of `message` as PNG bytes.

    The quiet zone (≥ 1 module per §1.8; 2 here) is part of the image, so the symbol
    can be printed flush against other content.
    """
    from PIL import Image
    from ppf.datamatrix import DataMatrix

    matrix = DataMatrix(message).matrix
    rows, columns = len(matrix), len(matrix[0])
    image = Image.new("1", (columns + 2 * quiet_zone_modules, rows + 2 * quiet_zone_modules), 1)
    pixels = image.load()
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x + quiet_zone_modules, y + quiet_zone_modules] = 0
    image = image.resize(
        (image.width * module_pixels, image.height * module_pixels), Image.Resampling.NEAREST
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def datamatrix_png(block: InsBlock, *, module_pixels: int = 4) -> bytes:
    """The INS datamatrix of a block, as PNG bytes."""
    return render_png(payload_for(block), module_pixels=module_pixels)
