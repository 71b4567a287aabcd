"""The role × permission × (in scope / out of scope) matrix, as a table.

The expected table is written by hand on purpose: it documents what each
default role may do, and any change to the defaults or to the scope logic
must show up here.
"""

from __future__ import annotations

import datetime as dt

import pytest

from opendui.accounts.access import check
from opendui.accounts.permissions import CATALOGUE, ScopeKind
from tests.factories_external import external_professional, rpps_of

FUNCTIONAL_COLUMNS = [
    "person.view_identity",
    "person.create",
    "person.edit_identity",
    "person.export",
    "person.view_archived",
    "person.break_glass",
    "audit.view_person_access",
    "audit.search",
    "identity.merge",
    "pp.validate",
    "note.withdraw",
    "note.view_withdrawn",
    "incident.declare",
    "incident.manage",
    "evaluation.manage_models",
    "facility.view_overview",
    "pilotage.view",
    "programme.manage",
    "organisation.manage",
    "accounts.manage",
    "roles.manage",
    "grants.approve",
    "admission.decide",
]
CATEGORIES = ["administrative", "social", "care", "medical", "psychological"]

# Y/N per functional permission | data level per category (- none, R read, W write).
EXPECTED = """
accueil           | Y Y Y Y Y N N N N N N N Y N N N N N N N N N N | W - - - -
educateur         | Y N N N N N N N N N N N Y N N N N N N N N N N | R W - - -
aide-soignant     | Y N N N N N N N N N N N Y N N N N N N N N N N | R R W - -
infirmier         | Y N N N N Y N N N N N N Y N N N N N N N N N N | R R W R -
medecin           | Y N N N Y Y N N N N N N Y N N N N N N N N N N | R R W W R
psychologue       | Y N N N N N N N N N N N Y N N N N N N N N N N | R R - - W
chef-de-service   | Y Y Y Y N N N N N Y Y Y Y Y N Y Y N N N N N Y | W W R - -
directeur         | Y N N Y Y Y Y N N Y N N Y Y N Y Y N N N N Y Y | R R - - -
identitovigilance | Y N Y N N N N N Y N N N N N N N N N N N N N N | R - - - -
admin             | N N N N N N N N N N N N N N Y N N Y Y Y Y N N | - - - - -
dpo               | N N N Y N N Y Y N N N N N N N N N N N N N N N | - - - - -
"""
# identity.merge is in the directeur role, but it is an organisation permission: the
# facility assignment of this table does not grant it (see test_merge_referent_*);
# so is programme.manage (the organisation-wide director holds it).

ORGANISATION_WIDE_ROLES = {"identitovigilance", "admin", "dpo"}

# Directory of external professionals (facility scope): read by the roles that write
# records, kept by the secretariat and the chief of service.
DIRECTORY_COLUMNS = ["directory.view", "directory.manage"]
EXPECTED_DIRECTORY = """
accueil           | Y Y
educateur         | Y N
aide-soignant     | Y N
infirmier         | Y N
medecin           | Y N
psychologue       | Y N
chef-de-service   | Y Y
directeur         | N N
identitovigilance | N N
admin             | N N
dpo               | N N
"""


# The facility's DMP failures list (interop.dmp, facility scope): those who keep the
# facility's documents.
DMP_COLUMNS = ["dmp.manage_failures"]
EXPECTED_DMP = """
accueil           | Y
educateur         | N
aide-soignant     | N
infirmier         | N
medecin           | N
psychologue       | N
chef-de-service   | Y
directeur         | Y
identitovigilance | N
admin             | N
dpo               | N
"""


def expected_rows() -> list[tuple[str, str, bool]]:
    rows = []
    for line in EXPECTED.strip().splitlines():
        role, functional, data = (part.split() for part in line.split("|"))
        (role,) = role
        for code, flag in zip(FUNCTIONAL_COLUMNS, functional, strict=True):
            rows.append((role, code, flag == "Y"))
        for category, level in zip(CATEGORIES, data, strict=True):
            rows.append((role, f"person.view_{category}", level in {"R", "W"}))
            rows.append((role, f"person.edit_{category}", level == "W"))
    for line in EXPECTED_DIRECTORY.strip().splitlines():
        role, flags = (part.split() for part in line.split("|"))
        (role,) = role
        for code, flag in zip(DIRECTORY_COLUMNS, flags, strict=True):
            rows.append((role, code, flag == "Y"))
    for line in EXPECTED_DMP.strip().splitlines():
        role, flags = (part.split() for part in line.split("|"))
        (role,) = role
        for code, flag in zip(DMP_COLUMNS, flags, strict=True):
            rows.append((role, code, flag == "Y"))
    return rows


def test_table_covers_the_whole_catalogue():
    covered = {code for _, code, _ in expected_rows()}
    assert covered == set(CATALOGUE), "declare new permissions in this table"


def targets(world, code: str, in_scope: bool) -> dict:
    """The object to check against: inside the user's scope, or just outside it."""
    scope = CATALOGUE[code].scope
    if scope is ScopeKind.PERSON:
        return {"person": world.anne if in_scope else world.chloe}
    if scope is ScopeKind.FACILITY:
        return {"facility": world.ehpad if in_scope else world.ime}
    return {"organisation": world.og if in_scope else world.other_og}


@pytest.mark.parametrize(("role", "code", "allowed"), expected_rows())
def test_role_permission_scope(world, role, code, allowed):
    if role in ORGANISATION_WIDE_ROLES:
        user = world.user(role)  # organisation-wide: 'out of scope' is the other organisation
        outside = {
            ScopeKind.PERSON: {"person": world.denis},
            ScopeKind.FACILITY: {"facility": world.other},
            ScopeKind.ORGANISATION: {"organisation": world.other_og},
        }[CATALOGUE[code].scope]
    else:
        user = world.user(role, facility=world.ehpad)
        outside = targets(world, code, in_scope=False)
    inside = targets(world, code, in_scope=True)
    if role in ORGANISATION_WIDE_ROLES and CATALOGUE[code].scope is ScopeKind.FACILITY:
        inside = {"facility": world.ehpad}

    assert check(user, code, **inside).allowed is allowed
    assert check(user, code, **outside).allowed is False
    # A person of another organisation is never in scope, whatever the role.
    if CATALOGUE[code].scope is ScopeKind.PERSON:
        assert check(user, code, person=world.denis).allowed is False


def test_unit_assignment_limits_to_the_unit(world):
    carer = world.user("aide-soignant", facility=world.ehpad, unit=world.glycines)
    assert check(carer, "person.view_identity", person=world.anne)  # in Les Glycines
    assert not check(carer, "person.view_identity", person=world.bruno)  # in Les Lilas


def test_ended_assignment_grants_nothing(world):

    educator = world.user("educateur", facility=world.ime)
    educator.assignments.update(end_date=dt.date(2021, 1, 1))
    educator.refresh_from_db()
    assert not check(educator, "person.view_identity", person=world.chloe)


def test_unknown_permission_is_a_programming_error(world):
    with pytest.raises(LookupError):
        check(world.user("directeur", facility=world.ehpad), "person.fly")


def test_anonymous_and_inactive_users_are_refused(world):
    from django.contrib.auth.models import AnonymousUser

    assert not check(AnonymousUser(), "person.view_identity", person=world.anne)
    nurse = world.user("infirmier", facility=world.ehpad)
    nurse.is_active = False
    assert not check(nurse, "person.view_identity", person=world.anne)


def test_merge_referent_is_an_organisation_wide_directeur(world):
    """identity.merge comes with the referent's role, and with the default directeur
    role for an organisation-wide director only."""
    from opendui.accounts.models import Role

    assert "identity.merge" in Role.objects.get(code="directeur").permissions
    referent = world.user("directeur")  # organisation-wide assignment in world.og
    assert check(referent, "identity.merge", organisation=world.og)
    assert not check(referent, "identity.merge", organisation=world.other_og)
    director_of_one_facility = world.user("directeur", facility=world.ehpad)
    assert not check(director_of_one_facility, "identity.merge", organisation=world.og)
    others = {r.code for r in Role.objects.all() if "identity.merge" in r.permissions}
    assert others == {"directeur", "identitovigilance"}


def test_an_admission_request_places_the_applicant_in_the_facility_not_in_its_units(world):

    from opendui.persons.models import Person
    from opendui.persons.selectors import visible_persons
    from opendui.stays.models import AdmissionRequest

    applicant = Person.objects.create(
        organisation=world.og,
        local_id="APP001",
        birth_name="CANDIDAT",
        first_name="Léa",
        birth_date=dt.date(1938, 4, 2),
        sex="F",
    )
    AdmissionRequest.objects.create(
        person=applicant, facility=world.ehpad, received_on=dt.date(2026, 1, 5)
    )
    secretary = world.user("accueil", facility=world.ehpad)
    unit_carer = world.user("aide-soignant", facility=world.ehpad, unit=world.glycines)
    educator = world.user("educateur", facility=world.ime)
    assert check(secretary, "person.view_identity", person=applicant).allowed
    assert applicant in visible_persons(secretary)
    assert applicant in visible_persons(secretary, world.ehpad)
    for outsider in (unit_carer, educator):
        assert not check(outsider, "person.view_identity", person=applicant).allowed
        assert applicant not in visible_persons(outsider)


def test_directory_permissions_hold_in_the_whole_organisation_of_the_facility(world):
    """The directory is organisation-wide: a facility's secretariat keeps it for every
    facility of its organisation, never another organisation's."""
    secretary = world.user("accueil", facility=world.ime)
    for code in DIRECTORY_COLUMNS:
        assert check(secretary, code, organisation=world.og)
        assert not check(secretary, code, organisation=world.other_og)


# External professionals (linked-persons assignments, accounts.LinkedPersonsAssignment):
# the same columns, held on the persons they follow only. Facility and organisation
# permissions never come from such an assignment, whatever the role holds.
EXPECTED_EXTERNAL = """
medecin-externe   | Y N N N N N N N N N N N N N N N N N N N N N N | R R W W R
infirmier-externe | Y N N N N N N N N N N N N N N N N N N N N N N | R R W R -
kine-externe      | Y N N N N N N N N N N N N N N N N N N N N N N | R - W - -
"""
EXPECTED_EXTERNAL_DIRECTORY = {
    "directory.view": False,
    "directory.manage": False,
    "dmp.manage_failures": False,
}


def external_rows() -> list[tuple[str, str, bool]]:
    rows = []
    for line in EXPECTED_EXTERNAL.strip().splitlines():
        role, functional, data = (part.split() for part in line.split("|"))
        (role,) = role
        for code, flag in zip(FUNCTIONAL_COLUMNS, functional, strict=True):
            rows.append((role, code, flag == "Y"))
        for category, level in zip(CATEGORIES, data, strict=True):
            rows.append((role, f"person.view_{category}", level in {"R", "W"}))
            rows.append((role, f"person.edit_{category}", level == "W"))
        rows += [(role, code, flag) for code, flag in EXPECTED_EXTERNAL_DIRECTORY.items()]
    return rows


def test_external_table_covers_the_whole_catalogue_and_the_external_roles(db):
    from opendui.accounts.defaults import EXTERNAL_ROLE_CODES
    from opendui.accounts.models import Role

    assert {code for _, code, _ in external_rows()} == set(CATALOGUE)
    assert {role for role, _, _ in external_rows()} == set(EXTERNAL_ROLE_CODES)
    assert set(
        Role.objects.filter(code__in=EXTERNAL_ROLE_CODES).values_list("code", flat=True)
    ) == (set(EXTERNAL_ROLE_CODES))


def external_professional_with(world, role_code: str):
    """An external professional of world.og's directory, linked to world.anne only,
    holding `role_code` on the persons they follow (opened by world.og's administrator)."""
    return external_professional(
        world, [world.anne], rpps=rpps_of("1000346103"), role_code=role_code, link_role="autre"
    )


@pytest.mark.parametrize(("role", "code", "allowed"), external_rows())
def test_external_role_permission_scope(world, role, code, allowed):
    user = external_professional_with(world, role)
    scope = CATALOGUE[code].scope
    if scope is ScopeKind.PERSON:
        assert check(user, code, person=world.anne).allowed is allowed
        for outside in (world.bruno, world.chloe, world.denis):
            assert check(user, code, person=outside).allowed is False
    else:
        assert allowed is False
        for target in ({"facility": world.ehpad}, {"organisation": world.og}, {}):
            assert check(user, code, **target).allowed is False
