"""The seeded demo read back: one seed per module (conftest `seeded`), each test in its own savepoint."""

from __future__ import annotations

from itertools import pairwise

import pytest
from django.test import Client
from django.utils.html import escape

from opendui.accounts.models import Assignment, Role, User
from opendui.audit.models import AuditEvent, AuditEventPerson
from opendui.demo.seed import (
    CATEGORY_CYCLE,
    DEMO_ACCOUNTS,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    PROFILES,
)
from opendui.organisations.models import Facility, ManagingOrganisation, Unit
from opendui.persons.models import Person, Sex
from opendui.stays.models import Stay

from .conftest import REFERENCE_DATE
from .demo_helpers import HOME_SERVICES, facilities_in_order, scopes_of

# Keyed by the login (the part of the address before @): two accounts share a role.
EXPECTED_SCOPES = {
    "accueil": {(1, None)},
    "educateur": {(2, None)},
    "aide-soignant": {(1, "Les Glycines")},
    "infirmier": {(1, None)},
    "medecin": {(1, None), (3, None)},
    "psychologue": {(2, None), (3, None)},
    "chef-de-service": {(2, None)},
    "directeur": {(1, None), (5, None)},
    "direction": {(None, None)},
    "identitovigilance": {(None, None)},
    "admin": {(None, None)},
    "dpo": {(None, None)},
}


def test_summary_counts_match_the_database(seeded):
    assert seeded.organisations == ManagingOrganisation.objects.count() == 1
    assert seeded.facilities == Facility.objects.count() == 5
    assert seeded.units == Unit.objects.count()
    assert seeded.demo_accounts == len(DEMO_ACCOUNTS) == 12
    # Plus the external doctor whose access the demo opens (directory.demo_data).
    assert seeded.activity["acces_professionnels_exterieurs"] == 4  # 2 links, account, access
    assert seeded.demo_accounts + seeded.professionals + 1 == User.objects.count()
    assert User.objects.filter(has_linked_access=True).count() == 1
    assert seeded.assignments == Assignment.objects.count()
    assert seeded.persons == Person.objects.count() == 60
    assert seeded.stays == Stay.objects.count()
    assert seeded.current_stays + seeded.discharged == seeded.persons
    assert seeded.current_stays == Stay.objects.filter(end_date__isnull=True).count()
    assert (
        seeded.earlier_stays + seeded.discharged
        == Stay.objects.filter(end_date__isnull=False).count()
    )
    assert seeded.stays == seeded.persons + seeded.earlier_stays


def test_one_seed_event_and_per_person_audit_only_for_the_service_writes(seeded):
    event = AuditEvent.objects.get(action="demo.seed")
    assert event.kind == "system"
    assert event.user_id is None and event.user_label == "opendui seed"
    assert event.details["persons"] == 60
    assert event.details["seed"] == 1
    assert event.details["reference_date"] == "2026-01-15"
    # The bulk rows (persons, stays, PPs, agenda…) are not audited one by one; the
    # directory, administrative files and documents are written through the services by
    # demo professionals, as in real use, so those (and only those) name persons.
    per_person = AuditEvent.objects.filter(pk__in=AuditEventPerson.objects.values("event_id"))
    actions = set(per_person.values_list("action", flat=True))
    assert actions and all(
        action.startswith(("directory.", "administrative.", "document.", "contract."))
        for action in actions
    ), actions
    assert not per_person.filter(user_id__isnull=True).exists()


def test_organisation_and_facilities_are_plausible_and_valid(seeded):
    organisation = ManagingOrganisation.objects.get()
    assert organisation.name == "Association Les Tilleuls"
    organisation.full_clean()
    facilities = facilities_in_order()
    assert [f.category_id for f in facilities] == list(CATEGORY_CYCLE[:5])
    for facility in facilities:
        facility.full_clean()  # FINESS, SIRET and MSSanté validators
        assert facility.couloir == facility.category.couloir
        assert facility.mssante_address.endswith(".mssante.fr")
        assert facility.total_capacity > 0
        units = facility.units.count()
        if facility.category_id in HOME_SERVICES:
            assert units == 0
        else:
            assert 2 <= units <= 4


def test_generated_professionals_cover_every_facility_and_role(seeded):
    facility_roles = [
        "accueil",
        "educateur",
        "aide-soignant",
        "infirmier",
        "medecin",
        "psychologue",
        "chef-de-service",
        "directeur",
    ]
    generated = Assignment.objects.exclude(user__email__in=[a.email for a in DEMO_ACCOUNTS])
    pairs = set(generated.values_list("facility_id", "role__code"))
    for facility in Facility.objects.all():
        for role in facility_roles:
            assert (facility.pk, role) in pairs
    external = User.objects.filter(has_linked_access=True)  # the demo's external doctor
    for user in User.objects.exclude(email__in=[a.email for a in DEMO_ACCOUNTS]).exclude(
        pk__in=external
    ):
        assert not user.has_usable_password()
        local, _, domain = user.email.partition("@")
        assert domain == DEMO_DOMAIN
        role, _, number = local.rpartition(".")
        assert role in facility_roles and number.isdigit()


def test_demo_accounts_exist_with_their_assignments(seeded):
    logins = {a.email.removesuffix("@demo.opendui.fr"): a for a in DEMO_ACCOUNTS}
    assert set(logins) == set(EXPECTED_SCOPES)
    assert logins["direction"].role_code == "directeur"
    for login, account in logins.items():
        assert login == account.role_code or login == "direction"
        assert account.description
        user = User.objects.get(email=account.email)
        assert user.check_password(DEMO_PASSWORD)
        roles = set(Assignment.objects.filter(user=user).values_list("role__code", flat=True))
        assert roles == {account.role_code}
        assert scopes_of(account.email) == EXPECTED_SCOPES[login], account.email


def test_admin_and_dpo_log_in_without_second_factor_in_the_demo(seeded):
    assert not Role.objects.filter(code__in=["admin", "dpo"], requires_totp=True).exists()


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.role_code)
def test_each_demo_account_logs_in_with_the_password(seeded, account):
    client = Client()
    response = client.post("/connexion/", {"email": account.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.url == "/"  # straight in, no second-factor step
    assert client.get("/").status_code == 200


def test_persons_have_ages_names_and_stays_fitting_their_facility(seeded):
    position = {f.pk: f for f in facilities_in_order()}
    local_ids = set()
    for person in Person.objects.prefetch_related("stays"):
        local_ids.add(person.local_id)
        assert person.local_id.startswith("U") and len(person.local_id) == 8
        assert person.birth_name_key and person.birth_name and person.first_name
        assert person.sex in {Sex.FEMALE, Sex.MALE}
        stays = sorted(person.stays.all(), key=lambda s: s.start_date)
        own = stays[-1]  # the latest stay is the one in their facility
        for stay in stays:
            assert stay.end_date is None or stay.end_date >= stay.start_date
            assert stay.start_date > person.birth_date
        for earlier, later in pairwise(stays):
            assert earlier.end_date is not None and earlier.end_date < later.start_date
            assert earlier.facility_id != later.facility_id
        facility = position[own.facility_id]
        low, high = PROFILES[facility.category_id].ages
        age = (REFERENCE_DATE - person.birth_date).days // 365.2425
        assert low <= age <= high, (facility.category_id, age)
        assert own.end_date is None or own.end_date < REFERENCE_DATE
        units = list(facility.units.all())
        assert (own.unit in units) if units else own.unit is None
    assert len(local_ids) == 60


def test_demo_identities_follow_the_rniv_character_rules(seeded):
    """The seed writes names in the stored form of persons.traits (INS form), so the demo
    shows what the front desk and INSi produce, and its rows pass the correction form."""
    from opendui.persons.traits import NAME_PATTERN, normalise_name

    rows = Person.objects.values_list(
        "birth_name", "first_name", "birth_first_names", "used_name", "used_first_name"
    )
    assert rows
    for birth_name, first_name, first_names, used_name, used_first_name in rows:
        for value in (birth_name, first_name, first_names):
            assert NAME_PATTERN.match(value) and normalise_name(value) == value
        assert first_names.split(" ")[0] == first_name
        for value in (used_name, used_first_name):
            assert value == "" or NAME_PATTERN.match(value)


def test_educator_sees_only_persons_of_the_ime(seeded):
    ehpad, ime = facilities_in_order()[:2]
    assert (ime.category_id, ehpad.category_id) == ("183", "500")
    ime_ids = set(Stay.objects.filter(facility=ime).values_list("person_id", flat=True))
    ime_names = {p.display_name for p in Person.objects.filter(pk__in=ime_ids)}
    shown = Person.objects.filter(pk__in=ime_ids).order_by("birth_name_key", "first_name", "id")
    first_ime = shown.first()
    outsider = next(
        p
        for p in Person.objects.filter(stays__facility=ehpad).exclude(pk__in=ime_ids)
        if p.display_name not in ime_names
    )
    client = Client()
    client.post("/connexion/", {"email": "educateur@demo.opendui.fr", "password": DEMO_PASSWORD})
    body = client.get("/personnes/").content.decode()
    assert escape(first_ime.display_name) in body
    assert escape(outsider.display_name) not in body
    searched = client.get("/personnes/", {"q": outsider.birth_name}).content.decode()
    assert escape(outsider.display_name) not in searched
    found = client.get("/personnes/", {"q": first_ime.local_id}).content.decode()
    assert escape(first_ime.display_name) in found


def test_the_psc_simulator_cards_log_into_the_demo_accounts(seeded):
    """The demo's médecin, infirmier, aide-soignant, psychologue and éducateur hold the
    national identifiers of the simulator's test e-CPS cards; the unknown card is nobody's."""
    from opendui.accounts.psc.claims import identity_of
    from opendui.accounts.psc.session import linked_account
    from opendui.interop.psc.cards import CARDS_BY_KEY, DEMO_NATIONAL_IDS

    for login, (field, number) in DEMO_NATIONAL_IDS.items():
        user = User.objects.get(email=f"{login}@demo.opendui.fr")
        assert getattr(user, field) == number
        card = CARDS_BY_KEY[login]
        identity = identity_of(card.userinfo("sub"))
        assert linked_account(identity.national_id) == user, login
        assert (card.given_name, card.family_name) == (user.first_name, user.last_name)
    assert linked_account(identity_of(CARDS_BY_KEY["inconnu"].userinfo("s")).national_id) is None
