"""`opendui seed`: counts, accounts and their scopes, valid identifiers, determinism."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from opendui.accounts.models import Assignment, User
from opendui.audit.models import AuditEvent
from opendui.core.identifiers import finess_problem, rpps_problem, siret_problem
from opendui.demo.seed import (
    SeedError,
    seed_demo,
)
from opendui.organisations.models import Facility, ManagingOrganisation, Unit
from opendui.persons.models import Person, Sex
from opendui.stays.models import Stay

from .conftest import REFERENCE_DATE
from .demo_helpers import HOME_SERVICES, scopes_of


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


def test_facility_positions_wrap_around_with_fewer_facilities(db):
    seed_demo(2, 10, seed=1, reference_date=REFERENCE_DATE)
    assert scopes_of("directeur@demo.opendui.fr") == {(1, None)}  # 1 and 5 -> 1 and 1
    assert scopes_of("medecin@demo.opendui.fr") == {(1, None)}  # 1 and 3 -> 1 and 1
    assert scopes_of("psychologue@demo.opendui.fr") == {(2, None), (1, None)}


def test_about_a_third_of_older_women_use_a_married_name(db):
    seed_demo(1, 2000, seed=7, reference_date=REFERENCE_DATE, activity=False)  # one EHPAD
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


def test_earlier_and_discharged_stays_have_the_expected_shares(db):
    summary = seed_demo(5, 3000, seed=2, reference_date=REFERENCE_DATE, activity=False)
    assert 0.03 < summary.discharged / summary.persons < 0.07
    assert 0.10 < summary.earlier_stays / summary.persons < 0.18


class _Rollback(Exception):
    pass


def _dump_of_seed(seed: int, persons: int = 80) -> dict[str, list]:
    """Seed in a savepoint, read back every generated value by natural key, roll back."""
    dump: dict[str, list] = {}
    try:
        with transaction.atomic():
            seed_demo(6, persons, seed=seed, reference_date=REFERENCE_DATE, activity=False)
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

    seed_demo(5, 1500, seed=4, reference_date=REFERENCE_DATE, activity=False)
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
