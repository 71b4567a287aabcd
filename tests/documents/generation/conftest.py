"""Helpers of the generated-documents tests: decoding a datamatrix with libdmtx, reading
a PDF's text and images, and persons with a qualified identity."""

from __future__ import annotations

import datetime as dt
import io
import warnings

import pytest

from opendui.persons.ins import INS_NIA_OID, INS_NIR_OID
from opendui.persons.models import Person, Sex
from opendui.stays.models import Stay

LIBDMTX_MISSING = (
    "libdmtx est introuvable : les tests du datamatrix INS le décodent avec pylibdmtx. "
    "Lancez scripts/ensure-libdmtx (paquet Debian libdmtx0b) puis "
    "`pip install -c requirements/constraints.txt pylibdmtx setuptools`."
)


def decode_datamatrix(png: bytes) -> str:
    """The message of the one datamatrix in a PNG, decoded by libdmtx. Fails the test
    (never skips it) with a clear message when libdmtx or pylibdmtx is missing."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # pylibdmtx compares libdmtx versions with distutils' deprecated LooseVersion.
            warnings.simplefilter("ignore", DeprecationWarning)
            from pylibdmtx import pylibdmtx
    except (ImportError, OSError) as error:  # pragma: no cover - depends on the machine
        pytest.fail(f"{LIBDMTX_MISSING} ({error})")
    image = Image.open(io.BytesIO(png)).convert("L")
    found = pylibdmtx.decode(image, max_count=1)
    assert found, "libdmtx found no datamatrix in the image"
    return found[0].data.decode("ascii")


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_images(pdf: bytes) -> list[bytes]:
    """The images embedded in a PDF, as PNG bytes."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    images = []
    for page in reader.pages:
        for image in page.images:
            out = io.BytesIO()
            image.image.save(out, format="PNG")
            images.append(out.getvalue())
    return images


def make_person(facility, *, qualified=True, stay_start=dt.date(2024, 1, 1), **traits) -> Person:
    values = {
        "birth_name": "ADRTROIS",
        "first_name": "DOMINIQUE",
        "birth_first_names": "DOMINIQUE",
        "sex": Sex.FEMALE,
        "birth_date": dt.date(1997, 2, 26),
        "birth_place_code": "2A020",
        "ins_matricule": "297022A02077878",
        "ins_oid": INS_NIR_OID,
    } | traits
    person = Person.objects.create(
        organisation=facility.organisation,
        local_id=f"G{Person.objects.count() + 1:06d}",
        identity_retrieved_from_insi=qualified,
        identity_document_checked=qualified,
        identity_document_type="CN" if qualified else "",
        **values,
    )
    Stay.objects.create(person=person, facility=facility, start_date=stay_start)
    return person


# National test identities (services_socles.md §1.2, §1.7): all keys verified there.
TEST_IDENTITIES = {
    "corse_2a": {
        "birth_name": "ADRTROIS",
        "first_name": "DOMINIQUE",
        "birth_first_names": "DOMINIQUE",
        "sex": Sex.FEMALE,
        "birth_date": dt.date(1997, 2, 26),
        "birth_place_code": "2A020",
        "ins_matricule": "297022A02077878",
        "ins_oid": INS_NIR_OID,
    },
    "corse_2b": {
        "birth_name": "ADRTROIS",
        "first_name": "TOUSSAINT",
        "birth_first_names": "TOUSSAINT",
        "sex": Sex.MALE,
        "birth_date": dt.date(1960, 1, 1),
        "birth_place_code": "2B020",
        "ins_matricule": "160012B02077713",
        "ins_oid": INS_NIR_OID,
    },
    "several_first_names": {
        "birth_name": "ECETINSI",
        "first_name": "PIERRE-ALAIN",
        "birth_first_names": "PIERRE-ALAIN MURIEL FLORIANT",
        "sex": Sex.MALE,
        "birth_date": dt.date(2009, 7, 14),
        "birth_place_code": "63220",
        "ins_matricule": "109076322083489",
        "ins_oid": INS_NIR_OID,
    },
    "nia": {
        "birth_name": "PROVISOIRE",
        "first_name": "MATRICULE",
        "birth_first_names": "MATRICULE",
        "sex": Sex.MALE,
        "birth_date": dt.date(2009, 7, 1),
        "birth_place_code": "63220",
        "ins_matricule": "109076322088835",
        "ins_oid": INS_NIA_OID,
    },
    "compound_and_accents": {
        # Typed with diacritics and typographic apostrophe: printed in INS form.
        "birth_name": "D’Arc-Le Goff--Lefèvre",
        "first_name": "Héloïse",
        "birth_first_names": "Héloïse Marie-Ève Noëlle",
        "sex": Sex.FEMALE,
        "birth_date": dt.date(1936, 6, 21),
        "birth_place_code": "",
        "ins_matricule": "236066322083656",
        "ins_oid": INS_NIR_OID,
    },
}


@pytest.fixture
def qualified_person(world):
    return make_person(world.ehpad)


@pytest.fixture
def provisional_person(world):
    return make_person(world.ehpad, qualified=False)
