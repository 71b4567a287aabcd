"""Optimistic locking cannot be skipped: an edit without the version it was made on is refused."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

import opendui
from opendui.core.actor import Actor
from opendui.core.forms import VersionedFormMixin
from opendui.core.services import (
    CURRENT,
    ConcurrentEditError,
    Current,
    MissingVersionError,
    check_version,
    save_audited,
)
from opendui.organisations.models import Unit
from tests.agenda.helpers import at, make
from tests.organisations.helpers import UNIT_FIELDS, edit_data

MISSING = "La version du formulaire manque : rechargez la page. Rien n&#x27;a été enregistré."


# --- check_version ----------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=2**31))
def test_the_stored_version_passes(version):
    check_version(version, version)


@given(st.integers(min_value=0, max_value=2**31), st.integers(min_value=0, max_value=2**31))
def test_another_version_is_a_concurrent_edit(current, expected):
    if current == expected:
        check_version(current, expected)
        return
    with pytest.raises(ConcurrentEditError) as raised:
        check_version(current, expected)
    assert not isinstance(raised.value, MissingVersionError)


@given(st.integers(min_value=0, max_value=2**31))
def test_a_missing_version_is_refused(current):
    with pytest.raises(MissingVersionError, match="La version du formulaire manque"):
        check_version(current, None)


@given(st.integers(min_value=0, max_value=2**31))
def test_current_skips_the_comparison_only(current):
    check_version(current, CURRENT)
    assert repr(CURRENT) == "CURRENT" and Current() == CURRENT


def test_check_version_has_no_way_to_skip_a_missing_version():
    """The former `required=False` let a service skip the check when the version was
    left out; internal callers now say CURRENT explicitly."""
    assert list(inspect.signature(check_version).parameters) == ["current", "expected_version"]
    source = Path(opendui.__file__).parent
    offenders = [
        f"{path.relative_to(source)}:{number}"
        for path in source.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"check_version\(.*required\s*=", line)
    ]
    assert offenders == []


def test_save_audited_refuses_an_update_without_version(world):
    admin = world.user("admin")
    unit = Unit.objects.get(pk=world.lilas.pk)
    unit.name = "Sans version"
    with pytest.raises(MissingVersionError):
        save_audited(Actor(admin), unit, "unit.update")
    with pytest.raises(MissingVersionError):
        save_audited(Actor(admin), unit, "unit.update", expected_version=None)
    world.lilas.refresh_from_db()
    assert (world.lilas.name, world.lilas.version) == ("Les Lilas", 1)
    save_audited(Actor(admin), unit, "unit.update", expected_version=CURRENT)
    world.lilas.refresh_from_db()
    assert (world.lilas.name, world.lilas.version) == ("Sans version", 2)


def test_save_audited_creates_without_version(world):
    admin = world.user("admin")
    unit = Unit(facility=world.ehpad, name="Unité créée sans version")
    save_audited(Actor(admin), unit, "unit.create")
    assert Unit.objects.get(pk=unit.pk).version == unit.version


def test_save_audited_refuses_a_stale_version(world):
    admin = world.user("admin")
    unit = Unit.objects.get(pk=world.lilas.pk)
    unit.name = "Version périmée"
    with pytest.raises(ConcurrentEditError):
        save_audited(Actor(admin), unit, "unit.update", expected_version=7)
    world.lilas.refresh_from_db()
    assert (world.lilas.name, world.lilas.version) == ("Les Lilas", 1)
    save_audited(Actor(admin), unit, "unit.update", expected_version=1)
    world.lilas.refresh_from_db()
    assert (world.lilas.name, world.lilas.version) == ("Version périmée", 2)


def test_agenda_services_refuse_an_update_without_version(world):
    from opendui.agenda.audit import locked

    educator = world.user("educateur", facility=world.ehpad)
    event = make(educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne])
    with pytest.raises(MissingVersionError):
        locked(event, None)


# --- forms ------------------------------------------------------------------------------------

# Forms that create as well as edit: they require the version when their `instance`
# is a stored row. Every other form of a versioned row declares `edits = True`.
CREATE_OR_EDIT = {
    "opendui.agenda.forms.EventForm",
    "opendui.accompaniment.forms.ProjectForm",
    "opendui.accompaniment.forms._EditMixin",
    "opendui.notes.forms.EditNoteForm",
    "opendui.organisations.forms.OrganisationEditForm",
    "opendui.organisations.forms.FacilityEditForm",
    "opendui.organisations.forms.UnitEditForm",
    "opendui.accounts.forms_admin.UserForm",
    "opendui.accounts.forms_admin.RoleForm",
    "opendui.evaluations.forms.AggirForm",
    "opendui.evaluations.forms.ModelForm",
    "opendui.programme.forms.GrappeForm",
    "opendui.programme.forms.MilestoneForm",
    "opendui.administrative.forms._ItemForm",  # a model form: required when it edits a row
    "opendui.directory.forms.ProfessionalForm",  # edits = True when given the row it edits
    "opendui.directory.forms.StructureForm",
}


def _versioned_forms() -> set[type]:
    for module in pkgutil.walk_packages(opendui.__path__, "opendui."):
        if module.name.rsplit(".", 1)[-1].startswith("forms"):
            importlib.import_module(module.name)
    found: set[type] = set()
    todo = [VersionedFormMixin]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("opendui.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_versioned_form_says_when_it_edits():
    """A new form of a versioned row must be classified here (edits = True, or a
    creation/edit form requiring the version of its stored instance)."""
    unclassified = [
        f"{form.__module__}.{form.__qualname__}"
        for form in _versioned_forms()
        if not form.edits
        and f"{form.__module__}.{form.__qualname__}" not in CREATE_OR_EDIT
        and not any(
            f"{base.__module__}.{base.__qualname__}" in CREATE_OR_EDIT or getattr(base, "edits", 0)
            for base in form.__mro__[1:]
            if base is not VersionedFormMixin and issubclass(base, VersionedFormMixin)
        )
    ]
    assert unclassified == []


@pytest.mark.parametrize(
    "form",
    sorted(
        (f for f in _versioned_forms() if f.edits), key=lambda f: f"{f.__module__}.{f.__name__}"
    ),
    ids=lambda f: f"{f.__module__}.{f.__name__}",
)
def test_an_action_form_without_version_is_refused_at_the_top(form):
    bound = form.__new__(form)
    VersionedFormMixin.__init__(bound, data={})
    assert not bound.is_valid()
    assert "La version du formulaire manque" in " ".join(bound.non_field_errors())
    assert "expected_version" not in bound.errors


# --- pages ------------------------------------------------------------------------------------


def test_agenda_event_edit_without_version_changes_nothing(world, client, login):
    educator = world.user("educateur", facility=world.ehpad)
    event = make(
        educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne], professionals=[educator]
    )
    login(educator)
    values = {
        "kind": "activite",
        "title": "Autre titre",
        "start": "2026-03-02T10:00",
        "end": "2026-03-02T11:00",
        "persons": [world.anne.pk],
        "professionals": [educator.pk],
        "category": "social",
        "rep-frequency": "",
        "rep-interval": "1",
        "scope": "une",
    }
    response = client.post(reverse("agenda:edit", kwargs={"pk": event.pk}), values)
    assert response.status_code in (200, 409)
    assert MISSING in response.content.decode()
    status = client.post(reverse("agenda:status", kwargs={"pk": event.pk}), {"status": "VALIDE"})
    assert status.status_code in (200, 302, 409)
    event.refresh_from_db()
    assert (event.title, event.status, event.version) == ("Atelier mémoire", "PLANIFIE", 1)


def test_unit_edit_without_version_changes_nothing(world, login):
    client = login(world.user("admin"))
    data = edit_data(world.lilas, UNIT_FIELDS, name="Les Lilas mauves")
    del data["expected_version"]
    response = client.post(reverse("organisations:unit_edit", args=[world.lilas.pk]), data)
    assert response.status_code == 409
    assert MISSING in response.content.decode()
    world.lilas.refresh_from_db()
    assert (world.lilas.name, world.lilas.version) == ("Les Lilas", 1)


# --- pages whose forms carry the version since the strict check ------------------------------
#
# Each form below edits a versioned row: posted without its version it is refused
# (nothing changes, no 500), with a stale one it is a concurrent edit.

CONFLICT = "Cet élément a été modifié par quelqu&#x27;un d&#x27;autre"


def _newcomer(world):
    import datetime as dt

    from opendui.persons.models import Person, Sex

    return Person.objects.create(
        organisation=world.og,
        local_id="N000009",
        birth_name="NOUVEAU",
        first_name="Paul",
        birth_date=dt.date(1938, 2, 1),
        sex=Sex.MALE,
    )


@pytest.mark.parametrize(("version", "shown"), [(None, MISSING), (9, CONFLICT)])
def test_admission_without_or_with_a_stale_version_changes_nothing(world, login, version, shown):
    from opendui.stays.models import AdmissionRequest, Stay
    from tests.stays.conftest import make_request

    person = _newcomer(world)
    request = make_request(world, person, status="acceptee")
    client = login(world.user("accueil", facility=world.ehpad))
    page = client.get(f"/sejours/demande/{request.pk}/")
    assert page.context["admit_form"]["expected_version"].value() == request.version
    data = {"start_date": "2025-02-01", "mode": "hebergement_permanent"}
    if version is not None:
        data["expected_version"] = version
    response = client.post(f"/sejours/demande/{request.pk}/admission/", data)
    assert response.status_code == 409
    assert shown in response.content.decode()
    assert not Stay.objects.filter(person=person).exists()
    assert AdmissionRequest.objects.get(pk=request.pk).status == "acceptee"


@pytest.mark.parametrize(("version", "shown"), [(None, MISSING), (9, CONFLICT)])
def test_request_status_without_or_with_a_stale_version_changes_nothing(
    world, login, version, shown
):
    from opendui.stays.models import AdmissionRequest
    from tests.stays.conftest import make_request

    request = make_request(world, _newcomer(world), status="recue")
    client = login(world.user("accueil", facility=world.ehpad))
    data = {"target": "en_etude"}
    if version is not None:
        data["expected_version"] = version
    response = client.post(f"/sejours/demande/{request.pk}/statut/", data)
    assert response.status_code == 409
    assert shown in response.content.decode()
    assert AdmissionRequest.objects.get(pk=request.pk).status == "recue"


@pytest.mark.parametrize(("version", "shown"), [(None, MISSING), (9, CONFLICT)])
@pytest.mark.parametrize("action", ["sortie", "transfert", "lieu"])
def test_discharge_or_transfer_without_or_with_a_stale_version_changes_nothing(
    world, login, action, version, shown
):
    from django.utils import timezone

    from opendui.stays.models import Stay

    stay = world.anne.stays.get()
    client = login(world.user("accueil"))
    forms = client.get(f"/sejours/personne/{world.anne.pk}/").context["rows"][0]["forms"]
    for name in ("discharge", "transfer", "relocate"):
        assert forms[name]["expected_version"].value() == stay.version
    on = timezone.localdate().isoformat()
    data = {
        "sortie": {"end_date": on, "reason": "choix_personne", "destination": "domicile"},
        "transfert": {"to_facility": world.ime.pk, "on": on, "mode": "externat"},
        "lieu": {"room": "12"},
    }[action]
    if version is not None:
        data["expected_version"] = version
    response = client.post(f"/sejours/sejour/{stay.pk}/{action}/", data)
    assert response.status_code == 409
    assert shown in response.content.decode()
    stay.refresh_from_db()
    assert (stay.end_date, stay.room, stay.version) == (None, "", 1)
    assert Stay.objects.filter(person=world.anne).count() == 1


@pytest.mark.parametrize(("version", "shown"), [(None, MISSING), (9, CONFLICT)])
@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("piece/", {"document": "CN"}),
        ("signalement/", {"attribute": "douteuse", "reason": "Deux dates de naissance"}),
    ],
)
def test_identity_document_or_attribute_without_or_with_a_stale_version(
    world, login, action, data, version, shown
):
    person = world.anne
    client = login(world.user("accueil", facility=world.ehpad))
    page = client.get(f"/personnes/{person.pk}/identite/")
    for name in ("document_form", "attribute_form"):
        assert page.context[name]["expected_version"].value() == person.version
    before = (person.identity_status, person.identity_document_type, person.version)
    if version is not None:
        data = {**data, "expected_version": version}
    response = client.post(f"/personnes/{person.pk}/identite/{action}", data, follow=True)
    assert response.status_code == 200
    assert shown in response.content.decode()
    person.refresh_from_db()
    assert (person.identity_status, person.identity_document_type, person.version) == before


@pytest.mark.parametrize(("version", "shown"), [(None, MISSING), (9, CONFLICT)])
def test_grappe_member_situation_without_or_with_a_stale_version(world, login, version, shown):
    from tests.programme.helpers import grappe_of, member_of

    grappe = grappe_of(world, project_type="mixte")
    member = member_of(grappe)
    client = login(world.user("directeur"))
    data = {"equipped": "1"} if version is None else {"equipped": "1", "expected_version": version}
    response = client.post(
        reverse("programme:member_equipped", args=[grappe.pk, member.pk]), data, follow=True
    )
    assert response.status_code == 200
    assert shown in response.content.decode()
    member.refresh_from_db()
    assert (member.equipped, member.version) == (False, 1)
    page = client.get(reverse("programme:detail", args=[grappe.pk])).content.decode()
    assert 'name="expected_version" value="1"' in page


def test_no_view_passes_current():
    """CURRENT skips the comparison: it is for internal updates of a row locked in the same
    transaction, never for a request's data. No view module may use it."""
    import pathlib
    import re

    src = pathlib.Path(__file__).resolve().parents[2] / "src" / "opendui"
    offenders = [
        str(path.relative_to(src))
        for path in src.rglob("views*.py")
        if re.search(r"\bCURRENT\b", path.read_text())
    ]
    assert offenders == []
