"""The professional identity for the national services (VIHF), after PSC and after a password."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from opendui.accounts.models import User
from opendui.accounts.national_identity import (
    ACTIVITY_ROLE_OID,
    DIRECT,
    INDIRECT_STRONG,
    SECTOR_OID,
    Code,
    acting_professional,
    acting_professional_of,
    profession_code,
    sector_of_facility,
)
from opendui.accounts.professions import HEALTH_PROFESSION_OID, SOCIAL_PROFESSION_OID
from opendui.interop.psc.cards import DEMO_NATIONAL_IDS
from tests.accounts.psc_helpers import psc_login


def user(**fields) -> User:
    base = {"first_name": "Claire", "last_name": "Fontaine", "profession": "G15:60"}
    return User(email="x@test.example", **(base | fields))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("G15:10", Code("10", HEALTH_PROFESSION_OID)),
        ("SOC:51", Code("51", SOCIAL_PROFESSION_OID)),
        ("AUTRE", None),
        ("", None),
        ("XYZ:1", None),
    ],
)
def test_profession_codes_carry_their_code_system(value, expected):
    assert profession_code(value) == expected


def test_sector_from_the_facility_category():
    assert sector_of_facility("500") == Code("SA17", SECTOR_OID)
    assert sector_of_facility("183") == Code("SA41", SECTOR_OID)
    assert sector_of_facility("") == Code("SA41", SECTOR_OID)


def test_after_a_password_login_the_mode_is_indirect_and_the_facility_gives_the_sector():
    nurse = user(rpps="10999000028")
    ehpad = SimpleNamespace(category=SimpleNamespace(code="500"), finess_et="750000028")
    identity = acting_professional(nurse, {}, ehpad)
    assert identity.idnat == "810999000028"
    assert (identity.family_name, identity.given_name) == ("Fontaine", "Claire")
    assert identity.roles == (Code("60", HEALTH_PROFESSION_OID),)
    assert identity.sector == Code("SA17", SECTOR_OID)
    assert identity.authentication_mode == INDIRECT_STRONG
    assert identity.facility_finess == "750000028"


def test_an_rpps_plus_professional_has_the_genre_d_activite():
    educator = user(profession="SOC:51", activity_role="GENR10", rpps_plus="10999000051")
    identity = acting_professional(educator, None, None)
    assert identity.idnat == "810999000051"
    assert identity.roles == (
        Code("51", SOCIAL_PROFESSION_OID),
        Code("GENR10", ACTIVITY_ROLE_OID),
    )
    assert identity.sector == Code("SA41", SECTOR_OID)


def test_administrative_staff_without_identifier():
    identity = acting_professional(user(profession="AUTRE", activity_role="GENR09"), {})
    assert identity.idnat == "" and identity.profession is None
    assert identity.roles == (Code("GENR09", ACTIVITY_ROLE_OID),)


def test_after_psc_the_mode_is_direct_and_the_exercice_gives_the_sector():
    session = {"psc": {"idnat": "810999000010", "exercice": {"sector": "SA07"}, "id_token": "t"}}
    doctor = user(profession="G15:10", rpps="10999000010")
    ehpad = SimpleNamespace(category=SimpleNamespace(code="500"), finess_et="")
    identity = acting_professional(doctor, session, ehpad)
    assert identity.authentication_mode == DIRECT
    assert identity.sector == Code("SA07", SECTOR_OID)
    assert identity.idnat == "810999000010"


def test_the_request_helper_after_a_real_psc_login(client, psc, world, rf):
    doctor = world.user("medecin", facility=world.ehpad)
    User.objects.filter(pk=doctor.pk).update(
        rpps=DEMO_NATIONAL_IDS["medecin"][1], profession="G15:10"
    )
    psc_login(client, "medecin")
    request = rf.get("/")
    request.user = User.objects.get(pk=doctor.pk)
    request.session = client.session
    request.current_facility = world.ehpad
    identity = acting_professional_of(request)
    assert identity.authentication_mode == DIRECT
    assert identity.idnat == "8" + DEMO_NATIONAL_IDS["medecin"][1]
    assert identity.sector == Code("SA17", SECTOR_OID)  # the simulator's EHPAD exercice
    assert identity.profession == Code("10", HEALTH_PROFESSION_OID)
