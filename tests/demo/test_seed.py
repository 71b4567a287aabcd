"""`opendui seed`: counts, accounts and their scopes, valid identifiers, determinism."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.utils.html import escape

from opendui.accounts.models import Assignment, Role, User
from opendui.audit.models import AuditEvent, AuditEventPerson
from opendui.core.identifiers import finess_problem, rpps_problem, siret_problem
from opendui.demo.seed import (
    CATEGORY_CYCLE,
    DEMO_ACCOUNTS,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    PROFILES,
    SeedError,
    seed_demo,
)
from opendui.organisations.models import Facility, ManagingOrganisation, Unit
from opendui.persons.models import Person, Sex
from opendui.stays.models import Stay

from .conftest import REFERENCE_DATE

HOME_SERVICES = {"354", "182", "460"}  # SSIAD, SESSAD, SAA: no units


def facilities_in_order() -> list[Facility]:
    """Facilities by seeding position (FINESS géographique numbers follow it)."""
    return sorted(Facility.objects.select_related("category"), key=lambda f: f.finess_et[2:])


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


def test_every_generated_identifier_is_valid_and_unique(db):
    seed_demo(12, 30, seed=3, reference_date=REFERENCE_DATE)  # all ten categories, and more
    organisation = ManagingOrganisation.objects.get()
    assert finess_problem(organisation.finess_ej) is None
    assert siret_problem(organisation.siret) is None
    facilities = list(Facility.objects.all())
    assert len({f.finess_et for f in facilities} | {organisation.finess_ej}) == 13
    for facility in facilities:
        assert finess_problem(facility.finess_et) is None, facility.finess_et
        assert siret_problem(facility.siret) is None, facility.siret
    users = list(User.objects.all())
    health = [u for u in users if u.profession.startswith("G15:")]
    assert health and all(u.rpps for u in health)
    assert not any(u.rpps for u in users if not u.profession.startswith("G15:"))
    for user in health:
        assert rpps_problem(user.rpps) is None, user.rpps
    assert len({u.rpps for u in health}) == len(health)


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


def _scopes(email: str) -> set[tuple[int | None, str | None]]:
    """(facility position, unit name) of the user's assignments; position None = OG-wide."""
    positions = {f.pk: i for i, f in enumerate(facilities_in_order(), start=1)}
    return {
        (positions.get(a.facility_id), a.unit.name if a.unit else None)
        for a in Assignment.objects.filter(user__email=email).select_related("unit")
    }


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
        assert _scopes(account.email) == EXPECTED_SCOPES[login], account.email


def test_facility_positions_wrap_around_with_fewer_facilities(db):
    seed_demo(2, 10, seed=1, reference_date=REFERENCE_DATE)
    assert _scopes("directeur@demo.opendui.fr") == {(1, None)}  # 1 and 5 -> 1 and 1
    assert _scopes("medecin@demo.opendui.fr") == {(1, None)}  # 1 and 3 -> 1 and 1
    assert _scopes("psychologue@demo.opendui.fr") == {(2, None), (1, None)}


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


def test_about_a_third_of_older_women_use_a_married_name(db):
    seed_demo(1, 2000, seed=7, reference_date=REFERENCE_DATE)  # one EHPAD
    women = Person.objects.filter(sex=Sex.FEMALE)
    share = women.exclude(used_name="").count() / women.count()
    assert 0.22 < share < 0.38
    assert (
        Person.objects.filter(used_name="", sex=Sex.MALE).count()
        == Person.objects.filter(sex=Sex.MALE).count()
    )
    # Realistic spread of surnames: common ones repeat, and there are many different ones.
    names = Counter(Person.objects.values_list("birth_name", flat=True))
    assert len(names) > 150 and names.most_common(1)[0][1] > 20


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


def test_earlier_and_discharged_stays_have_the_expected_shares(db):
    summary = seed_demo(5, 3000, seed=2, reference_date=REFERENCE_DATE)
    assert 0.03 < summary.discharged / summary.persons < 0.07
    assert 0.10 < summary.earlier_stays / summary.persons < 0.18


class _Rollback(Exception):
    pass


def _dump_of_seed(seed: int, persons: int = 80) -> dict[str, list]:
    """Seed in a savepoint, read back every generated value by natural key, roll back."""
    dump: dict[str, list] = {}
    try:
        with transaction.atomic():
            seed_demo(6, persons, seed=seed, reference_date=REFERENCE_DATE)
            dump["organisation"] = list(
                ManagingOrganisation.objects.values_list("name", "finess_ej", "siret", "city")
            )
            dump["facilities"] = list(
                Facility.objects.order_by("finess_et").values_list(
                    "finess_et",
                    "name",
                    "siret",
                    "category_id",
                    "couloir",
                    "capacity_permanent",
                    "capacity_temporary",
                    "capacity_day_care",
                    "capacity_service",
                    "address",
                    "city",
                    "mssante_address",
                )
            )
            dump["units"] = list(
                Unit.objects.order_by("facility__finess_et", "name").values_list(
                    "facility__finess_et", "name"
                )
            )
            dump["users"] = list(
                User.objects.order_by("email").values_list(
                    "email", "first_name", "last_name", "profession", "activity_role", "rpps"
                )
            )
            dump["assignments"] = list(
                Assignment.objects.order_by(
                    "user__email", "facility__finess_et", "unit__name"
                ).values_list(
                    "user__email", "role__code", "facility__finess_et", "unit__name", "start_date"
                )
            )
            dump["persons"] = list(
                Person.objects.order_by("local_id").values_list(
                    "local_id",
                    "birth_name",
                    "first_name",
                    "used_name",
                    "birth_date",
                    "sex",
                    "birth_name_key",
                    "used_name_key",
                )
            )
            dump["stays"] = list(
                Stay.objects.order_by("person__local_id", "start_date").values_list(
                    "person__local_id",
                    "facility__finess_et",
                    "unit__name",
                    "start_date",
                    "end_date",
                )
            )
            raise _Rollback
    except _Rollback:
        pass
    assert not Person.objects.exists()
    return dump


def test_same_seed_and_reference_date_give_identical_data(db):
    first = _dump_of_seed(seed=42)
    second = _dump_of_seed(seed=42)
    assert first == second
    assert len(first["persons"]) == 80 and len(first["stays"]) >= 80
    other = _dump_of_seed(seed=43)
    assert other["persons"] != first["persons"]
    # What the README may name does not depend on the seed.
    assert other["facilities"][0][:2] == first["facilities"][0][:2]
    assert [u[:1] for u in other["users"]] == [u[:1] for u in first["users"]]


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


def test_progress_is_reported_up_to_the_total(db):
    calls = []
    seed_demo(2, 12, seed=1, progress=lambda *args: calls.append(args))
    assert calls[0] == ("Personnes", 0, 12)
    assert calls[-1] == ("Personnes", 12, 12)


def test_reference_date_defaults_to_today(db):
    summary = seed_demo(1, 5, seed=1)
    assert summary.persons == 5
    event = AuditEvent.objects.get(action="demo.seed")
    assert dt.date.fromisoformat(event.details["reference_date"]) >= REFERENCE_DATE


def test_seed_refuses_bad_arguments_and_a_second_run(db):
    with pytest.raises(SeedError):
        seed_demo(0, 10, seed=1)
    with pytest.raises(SeedError):
        seed_demo(1, -1, seed=1)
    seed_demo(1, 3, seed=1)
    with pytest.raises(SeedError, match="existe déjà"):
        seed_demo(1, 3, seed=1)
    assert Person.objects.count() == 3  # the refused run left no trace


def test_command_seeds_then_if_empty_does_nothing(db):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "seed",
        "--facilities",
        "3",
        "--persons",
        "25",
        "--seed",
        "5",
        "--reference-date",
        "2026-01-15",
        stdout=out,
        stderr=err,
    )
    assert Person.objects.count() == 25 and Facility.objects.count() == 3
    assert "25 personnes" in out.getvalue()
    assert "educateur@demo.opendui.fr" in out.getvalue()
    assert "\rPersonnes [" in err.getvalue() and "100 % (25/25)" in err.getvalue()

    out = io.StringIO()
    call_command("seed", "--if-empty", "--persons", "10", stdout=out)
    assert "aucune donnée créée" in out.getvalue()
    assert Person.objects.count() == 25

    with pytest.raises(CommandError, match="existe déjà"):
        call_command("seed", "--persons", "10", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="Date de référence invalide"):
        call_command("seed", "--reference-date", "15/01/2026", stdout=io.StringIO())


def test_stays_carry_a_mode_the_facility_has_places_of(db):
    """The activity report divides each mode's days by the same mode's places: every
    seeded stay has a mode, drawn in proportion to its facility's places."""
    from opendui.stays.modes import CAPACITY_FIELDS

    seed_demo(5, 1500, seed=4, reference_date=REFERENCE_DATE)
    assert not Stay.objects.filter(mode="").exists()
    modes = Counter()
    for stay in Stay.objects.select_related("facility"):
        assert getattr(stay.facility, CAPACITY_FIELDS[stay.mode]) > 0, stay.mode
        modes[stay.facility.category_id, stay.mode] += 1
        if stay.mode == "hebergement_temporaire" and stay.end_date is not None:
            assert (stay.end_date - stay.start_date).days <= 90
    ehpad = {mode: n for (category, mode), n in modes.items() if category == "500"}
    assert ehpad["hebergement_permanent"] > 0.75 * sum(ehpad.values())  # mostly permanent
    assert ehpad.get("hebergement_temporaire", 0) > 0
    assert {mode for (category, mode) in modes if category in HOME_SERVICES} == {"domicile"}
    # Residents in a current stay have a room of their facility (the banner shows it), one
    # each; day, home and ended stays have none.
    residential = {"hebergement_permanent", "hebergement_temporaire", "internat"}
    rooms = Counter()
    for stay in Stay.objects.all():
        if stay.end_date is None and stay.mode in residential:
            assert stay.room.isdigit() and int(stay.room) > 100, stay.room
            rooms[stay.facility_id, stay.room] += 1
        else:
            assert stay.room == "", (stay.mode, stay.end_date)
    assert rooms and max(rooms.values()) == 1


def test_activity_goes_to_a_spread_sample_of_persons_beyond_the_limit(db):
    from opendui.accompaniment.models import PersonalisedProject
    from opendui.agenda.models import EventParticipant
    from opendui.pilotage.models import RecordActivity

    summary = seed_demo(5, 400, seed=1, reference_date=REFERENCE_DATE, activity_persons=40)
    assert summary.persons == Person.objects.count() == 400
    persons = set()
    for model in (PersonalisedProject, EventParticipant, RecordActivity):
        persons |= set(model.objects.values_list("person_id", flat=True))
    assert 20 < len(persons) <= 40
    facilities = set(Stay.objects.filter(person_id__in=persons).values_list("facility", flat=True))
    assert len(facilities) == 5  # every facility gets its share


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


def test_the_external_gp_card_opens_an_approved_access_to_two_residents(db):
    """The simulator's « médecin traitant » card is the first GP of the demo directory,
    Dr Hélène LEMAIRE: the demo opens her access through the services (account created
    by the administrator, approved by the directeur général, audited), to two residents
    of the first EHPAD and no one else."""
    from opendui.accounts.access import check
    from opendui.accounts.models import GrantRequest, LinkedPersonsAssignment
    from opendui.accounts.psc.claims import identity_of
    from opendui.accounts.psc.session import linked_account
    from opendui.directory.demo_data import EXTERNAL_GP_EMAIL, GP_NAMES, _rpps
    from opendui.directory.models import ExternalProfessional, PersonProfessional
    from opendui.interop.psc.cards import CARDS_BY_KEY, EXTERNAL_GP_RPPS

    seed_demo(2, 20, seed=1, reference_date=REFERENCE_DATE)
    assert _rpps(1) == EXTERNAL_GP_RPPS
    card = CARDS_BY_KEY["medecin-traitant"]
    assert (card.family_name.upper(), card.given_name) == GP_NAMES[0][1:]
    entry = ExternalProfessional.objects.get(rpps=EXTERNAL_GP_RPPS)
    assert (entry.last_name, entry.first_name) == GP_NAMES[0][1:]
    account = User.objects.get(rpps=EXTERNAL_GP_RPPS)
    assert entry.account == account and account.email == EXTERNAL_GP_EMAIL
    assert not account.has_usable_password()  # Pro Santé Connect only
    assert linked_account(identity_of(card.userinfo("sub")).national_id) == account
    access = LinkedPersonsAssignment.objects.get(user=account)
    assert access.status == "active" and access.role.code == "medecin-externe"
    request = GrantRequest.objects.get(linked_assignment=access)
    assert request.status == "approved" and request.decided_by.email == "direction@demo.opendui.fr"
    links = PersonProfessional.objects.filter(professional=entry, end_date__isnull=True)
    followed = {link.person for link in links}
    assert len(followed) == 2
    assert {p.stays.get().facility.category_id for p in followed} == {"500"}
    fresh = User.objects.get(pk=account.pk)
    assert {p for p in Person.objects.all() if check(fresh, "person.view_identity", person=p)} == (
        followed
    )
    # Through the services, by the demo's administrator and directeur général: audited.
    for action in ("user.create", "directory.account_link", "grant.approve"):
        event = AuditEvent.objects.get(action=action)
        assert event.user_label.startswith(("admin@", "direction@")), action
