"""Hand-made `DmpDocument`s for the CDA and conformance tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from opendui.interop.dmp import codes
from opendui.interop.dmp.document import (
    DmpDocument,
    Organisation,
    PatientIdentity,
    Professional,
)

PARIS = ZoneInfo("Europe/Paris")
#: A minimal one-page PDF: the tests check the bytes round-trip, not the rendering.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

EHPAD = Organisation(
    finess="750000002",
    name="EHPAD Les Tilleuls",
    facility_type=codes.facility_type_of("500"),
    practice_setting=codes.practice_setting_of("500"),
    address_lines=("12 rue des Lilas",),
    postal_code="75012",
    city="PARIS",
    phone="+33140000000",
)

PATIENT = PatientIdentity(
    ins="279035121518989",
    ins_oid="1.2.250.1.213.1.4.10",
    birth_family_name="PAT-TROIS",
    birth_given_names="DOMINIQUE MARIE-LOUISE",
    first_given_name="DOMINIQUE",
    sex="F",
    birth_date=dt.date(1979, 3, 28),
    birth_place_cog="51215",
    local_id="IPP-000123",
    local_id_root="1.2.250.1.999.1.1",
)

EDUCATOR = Professional(
    idnat="3750000002/ed-17",
    family_name="MARTIN",
    given_name="Claire",
    profession=codes.Coded("51", codes.SOCIAL_PROFESSION, "Éducateur spécialisé"),
)
DOCTOR = Professional(
    idnat="810002422979",
    family_name="CHARLES",
    given_name="Pascal",
    profession=codes.Coded("10", codes.TRE_G15_PROFESSION, "Médecin"),
)
NURSE = Professional(
    idnat="800000000018",
    family_name="BLEEDER",
    given_name="Roberta",
    profession=codes.Coded("60", codes.TRE_G15_PROFESSION, "Infirmier"),
)


def document(**changes) -> DmpDocument:
    """A personalised-project synthesis by an educator; `changes` override fields."""
    base = DmpDocument(
        unique_id="1.2.250.1.999.2.1.7.1",
        set_id="1.2.250.1.999.2.1.7",
        version=1,
        type=codes.document_type_coded("J07", "80788-3"),
        class_code=codes.class_coded("10"),
        title="Projet personnalisé — synthèse",
        created_at=dt.datetime(2025, 3, 14, 10, 30, tzinfo=PARIS),
        patient=PATIENT,
        organisation=EHPAD,
        author=EDUCATOR,
        legal_authenticator=EDUCATOR,
        pdf=PDF,
        service_start=dt.datetime(2025, 1, 6, 9, 0, tzinfo=PARIS),
        service_stop=dt.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS),
    )
    return dataclasses.replace(base, **changes)


def patient(**changes) -> PatientIdentity:
    return dataclasses.replace(PATIENT, **changes)
