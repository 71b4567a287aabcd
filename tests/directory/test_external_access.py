"""External professionals working in the records of the persons they follow: the
linked-persons scope (accounts.access), its opening by an administrator
(directory.external_access) and its end with the link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opendui.accounts.access import check, has_anywhere, scope_for
from opendui.accounts.models import LinkedPersonsAssignment, Role, User
from opendui.accounts.permissions import CATALOGUE, ScopeKind
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.directory import external_access
from opendui.directory.models import PersonProfessional
from opendui.persons.models import Person
from opendui.persons.selectors import visible_persons
from tests.directory.conftest import OTHER_RPPS, RPPS
from tests.factories_external import open_external_access

PERSON_CODES = sorted(c for c, p in CATALOGUE.items() if p.scope is ScopeKind.PERSON)
PLACE_CODES = sorted(c for c, p in CATALOGUE.items() if p.scope is not ScopeKind.PERSON)


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def admin(world):
    return world.user("admin")


@pytest.fixture
def account(db):
    """Dr Moreau's OpenDUI account: the same RPPS as her directory entry."""
    return User.objects.create_user(
        "claire.moreau@cabinet.example", None, first_name="Claire", last_name="Moreau", rpps=RPPS
    )


def link(person, professional, *, start=None, end=None, role="medecin_traitant"):
    return PersonProfessional.objects.create(
        person=person,
        professional=professional,
        role=role,
        start_date=start or today() - dt.timedelta(days=30),
        end_date=end,
    )


@pytest.fixture
def external(world, admin, doctor, account):
    """Dr Moreau, médecin traitant of Anne, works in OpenDUI as medecin-externe."""
    link(world.anne, doctor)
    return open_external_access(world, doctor, account, admin=admin)


def fresh(user) -> User:
    """A new user object: no grants or followed persons cached from a previous check."""
    return User.objects.get(pk=user.pk)


def visible(user, code="person.view_identity") -> set[Person]:
    return set(visible_persons(fresh(user), permission=code))


def allowed(user, code="person.view_identity") -> set[Person]:
    return {p for p in Person.objects.all() if check(fresh(user), code, person=p)}


# ------------------------------------------------------------------------------- the scope


def test_the_followed_person_only_and_list_and_page_agree(world, external):
    for code in ("person.view_identity", "person.view_medical", "person.edit_care"):
        assert visible(external, code) == {world.anne}
        assert allowed(external, code) == {world.anne}
    # Anne's neighbour in the same EHPAD, another facility, another organisation: no.
    assert not check(fresh(external), "person.view_identity", person=world.bruno)
    assert not check(fresh(external), "person.view_identity", person=world.chloe)
    assert not check(fresh(external), "person.view_identity", person=world.denis)


def test_the_role_s_categories_hold_no_more(world, external):
    user = fresh(external)
    assert check(user, "person.edit_medical", person=world.anne)
    # medecin-externe: administrative read only (no write), like the internal physician.
    assert check(user, "person.view_administrative", person=world.anne)
    assert not check(user, "person.edit_administrative", person=world.anne)
    assert not check(user, "person.edit_identity", person=world.anne)
    assert not check(user, "person.export", person=world.anne)
    assert visible(external, "person.edit_administrative") == set()


def test_nothing_facility_or_organisation_wide_comes_from_it(world, external):
    user = fresh(external)
    for code in PLACE_CODES:
        for target in (
            {"facility": world.ehpad},
            {"organisation": world.og},
            {},
        ):
            assert not check(user, code, **target), (code, target)
        assert not has_anywhere(user, code), code
    # The person lists of a facility are not open to it, not even the followed person's.
    assert not check(user, "person.view_identity", facility=world.ehpad)
    assert set(visible_persons(user, world.ehpad)) == set()
    assert not scope_for(user, "person.view_identity").covers_facility(world.ehpad)


def test_break_the_glass_is_not_given(world, external):
    assert not check(fresh(external), "person.break_glass", organisation=world.og)
    assert not check(fresh(external), "person.break_glass", facility=world.ehpad)


def test_the_access_ends_with_the_link(world, external, doctor):
    link_row = PersonProfessional.objects.get(person=world.anne)
    link_row.end_date = today() - dt.timedelta(days=1)
    link_row.save()
    assert visible(external) == set()
    assert allowed(external) == set()
    # Still current on its last day.
    link_row.end_date = today()
    link_row.save()
    assert visible(external) == allowed(external) == {world.anne}


def test_a_link_not_started_yet_opens_nothing(world, external, doctor):
    link(world.bruno, doctor, role="specialiste", start=today() + dt.timedelta(days=1))
    assert visible(external) == allowed(external) == {world.anne}


def test_a_new_link_opens_the_new_person_at_once(world, external, doctor):
    link(world.chloe, doctor, role="specialiste")
    assert visible(external) == allowed(external) == {world.anne, world.chloe}


def test_another_organisation_s_person_linked_by_mistake_stays_closed(world, external, doctor):
    """A link to a person of another organisation never opens that record."""
    link(world.denis, doctor, role="specialiste")
    assert visible(external) == allowed(external) == {world.anne}


def test_a_deactivated_entry_or_a_changed_identifier_closes_the_access(world, external, doctor):
    doctor.refresh_from_db()
    doctor.active = False
    doctor.deactivated_on = today()
    doctor.save()
    assert visible(external) == allowed(external) == set()
    doctor.active, doctor.deactivated_on = True, None
    doctor.save()
    assert visible(external) == {world.anne}
    User.objects.filter(pk=external.pk).update(rpps=OTHER_RPPS)
    assert visible(external) == allowed(external) == set()


def test_the_assignment_s_dates_and_the_account_s_state_count(world, external):
    LinkedPersonsAssignment.objects.filter(user=external).update(
        end_date=today() - dt.timedelta(days=1), start_date=today() - dt.timedelta(days=2)
    )
    assert visible(external) == allowed(external) == set()
    LinkedPersonsAssignment.objects.filter(user=external).update(end_date=None)
    User.objects.filter(pk=external.pk).update(is_active=False)
    assert visible(external) == allowed(external) == set()


def test_the_link_of_another_professional_opens_nothing(world, external, doctor):
    from opendui.directory.models import ExternalProfessional

    colleague = ExternalProfessional.objects.create(
        organisation=world.og,
        last_name="Roux",
        profession_label="Médecin",
        rpps=OTHER_RPPS,
        idnat_ps="8" + OTHER_RPPS,
    )
    link(world.bruno, colleague, role="specialiste")
    assert visible(external) == allowed(external) == {world.anne}


def test_closing_the_access_ends_it_today(world, admin, external, doctor):
    assert external_access.close_access(Actor(user=admin), doctor) == 1
    doctor.refresh_from_db()
    assert doctor.account_id is None
    assert visible(external) == allowed(external) == set()
    assert AuditEvent.objects.filter(action="directory.account_unlink").count() == 1


def test_an_internal_user_s_scope_is_unchanged(world, external, nurse):
    assert visible(nurse) == {world.anne, world.bruno}


# ---------------------------------------------------------------- opening, by an administrator


def _open(admin, doctor, account, role="medecin-externe"):
    return external_access.open_access(
        Actor(user=admin), doctor, account, Role.objects.get(code=role)
    )


def _refusals() -> list[str]:
    return list(
        AuditEvent.objects.filter(action="directory.account_link_refused").values_list(
            "details__reason", flat=True
        )
    )


def test_opening_ties_the_entry_removes_any_password_and_is_audited(world, admin, doctor):
    account = User.objects.create_user(
        "moreau@cabinet.example",
        "Un mot de passe solide 2026",
        first_name="C",
        last_name="M",
        rpps=RPPS,
    )
    _open(admin, doctor, account)
    doctor.refresh_from_db()
    account.refresh_from_db()
    assert doctor.account_id == account.pk
    assert not account.has_usable_password()
    event = AuditEvent.objects.get(action="directory.account_link")
    assert event.details["account"] == account.pk and event.details["role"] == "medecin-externe"
    assert event.user_id == admin.pk


def test_an_entry_whose_national_identifier_differs_is_refused(world, admin, doctor):
    stranger = User.objects.create_user(
        "autre@cabinet.example", None, first_name="A", last_name="B", rpps=OTHER_RPPS
    )
    with pytest.raises(ValidationError, match="identifiant national"):
        _open(admin, doctor, stranger)
    without = User.objects.create_user("sans@cabinet.example", None, first_name="A", last_name="B")
    with pytest.raises(ValidationError, match="identifiant national"):
        _open(admin, doctor, without)
    doctor.refresh_from_db()
    assert doctor.account_id is None
    assert not LinkedPersonsAssignment.objects.exists()
    assert len(_refusals()) == 2


def test_an_administrator_cannot_open_anything_to_themself(world, admin, doctor):
    User.objects.filter(pk=admin.pk).update(rpps=RPPS)
    admin.refresh_from_db()
    with pytest.raises(ValidationError, match="vous-même"):
        _open(admin, doctor, admin)
    assert not LinkedPersonsAssignment.objects.exists()


def test_an_account_working_inside_the_organisation_is_refused(world, admin, doctor):
    physician = world.user("medecin", facility=world.ime)
    User.objects.filter(pk=physician.pk).update(rpps=RPPS)
    physician.refresh_from_db()
    with pytest.raises(ValidationError, match="affectations"):
        _open(admin, doctor, physician)


def test_only_an_external_role_may_be_given(world, admin, doctor, account):
    for role in ("medecin", "directeur", "admin"):
        with pytest.raises(ValidationError, match="rôle de professionnel extérieur"):
            _open(admin, doctor, account, role=role)
    assert not LinkedPersonsAssignment.objects.exists()


def test_without_accounts_manage_in_the_entry_s_organisation_it_is_refused(
    world, doctor, account, secretary
):
    for actor in (secretary, world.user("admin", organisation=world.other_og)):
        with pytest.raises(PermissionDenied):
            _open(actor, doctor, account)
        with pytest.raises(PermissionDenied):
            external_access.close_access(Actor(user=actor), doctor)
    assert not LinkedPersonsAssignment.objects.exists()


def test_one_entry_one_account(world, admin, doctor, account, external):
    from opendui.directory.models import ExternalProfessional

    twin = User.objects.create_user("twin@cabinet.example", None, first_name="T", last_name="W")
    User.objects.filter(pk=twin.pk).update(adeli="")
    with pytest.raises(ValidationError):
        _open(admin, doctor, twin)
    other_entry = ExternalProfessional.objects.create(
        organisation=world.other_og,
        last_name="Moreau",
        profession_code="10",
        profession_label="Médecin",
        rpps=RPPS,
        idnat_ps="8" + RPPS,
    )
    other_admin = world.user("admin", organisation=world.other_og)
    with pytest.raises(ValidationError, match="autre fiche"):
        _open(other_admin, other_entry, account)


def test_a_new_account_copies_the_entry_s_identity_and_has_no_password(world, admin, doctor):
    user = external_access.create_account(
        Actor(user=admin), doctor, "Claire.Moreau@Cabinet.example"
    )
    assert (user.rpps, user.last_name, user.email) == (
        RPPS,
        "Moreau",
        "claire.moreau@cabinet.example",
    )
    assert user.national_id == doctor.idnat_ps
    assert not user.has_usable_password()
    assert external_access.account_of(doctor) == user
    with pytest.raises(ValidationError):
        external_access.create_account(Actor(user=admin), doctor, "autre@cabinet.example")


def test_the_role_follows_the_profession_of_the_entry(world, admin, doctor, account, login):
    """A doctor's entry is offered the doctor's external role only, and a forged role of
    another profession (a nurse's, a kiné's) is refused and audited: the habilitation
    matrix follows the profession, not the administrator's choice."""
    from opendui.accounts.models import Role

    for code in ("infirmier-externe", "kine-externe"):
        with pytest.raises(ValidationError, match="ne correspond pas à la profession"):
            external_access.open_access(
                Actor(user=admin), doctor, account, Role.objects.get(code=code)
            )
    assert not LinkedPersonsAssignment.objects.exists()
    refused = AuditEvent.objects.filter(action="directory.account_link_refused")
    assert refused.count() == 2
    assert all("profession" in event.details["reason"] for event in refused)
    page = login(admin).get(f"/annuaire/professionnels/{doctor.pk}/acces-dossiers/")
    assert [code for code, _ in page.context["form"].fields["role"].choices] == ["medecin-externe"]
