"""The "Modifier l'identité" page: correcting traits under the RNIV rules.

Qualified identities keep their strict traits (INSi, or a withdrawal with a reason
first); other statuses drop to provisoire when a strict trait is corrected; every
correction is versioned, kept in the identity history and audited.
"""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opendui.audit.models import AuditEvent
from opendui.persons.ins import INS_NIR_OID
from opendui.persons.models import IdentityStatusChange, Person, Sex
from opendui.persons.rniv import IdentityStatus

MATRICULE = "297022A02077878"


def url(person, action="modifier/"):
    return f"/personnes/{person.pk}/identite/{action}"


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def secretary(world):
    return world.user("accueil", facility=world.ehpad)


def form_data(person: Person, **changes) -> dict:
    """What the page's form posts when the user changes `changes` only."""
    data = {
        "expected_version": person.version,
        "birth_name": person.birth_name,
        "birth_first_names": person.birth_first_names or person.first_name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "birth_place_code": person.birth_place_code,
        "used_name": person.used_name,
        "used_first_name": person.used_first_name,
        "reason": "",
    }
    data.update(changes)
    return data


def with_status(world, status: str, **traits) -> Person:
    retrieved = status in ("RECUP", "QUAL")
    checked = status in ("VALI", "QUAL")
    return world.person(
        world.ehpad,
        birth_name="ADRTROIS",
        first_name="DOMINIQUE",
        birth_first_names="DOMINIQUE",
        birth_date=dt.date(1997, 2, 26),
        sex=Sex.FEMALE,
        ins_matricule=MATRICULE if retrieved else "",
        ins_oid=INS_NIR_OID if retrieved else "",
        identity_retrieved_from_insi=retrieved,
        identity_document_checked=checked,
        identity_document_type="CN" if checked else "",
        **traits,
    )


def snapshot(person: Person) -> tuple:
    person.refresh_from_db()
    return (
        person.birth_name,
        person.first_name,
        person.birth_first_names,
        person.sex,
        person.birth_date,
        person.used_name,
        person.ins_matricule,
        person.identity_status,
        person.version,
    )


# --- display ---------------------------------------------------------------------------------


def test_identity_page_links_to_the_edit_page_for_those_who_may_edit(world, login, secretary):
    html = text(login(secretary).get(url(world.anne, "")))
    assert url(world.anne) in html and "Modifier l'identité" in html


def test_edit_page_is_prefilled_audited_and_bounded_in_queries(world, login, secretary):
    client = login(secretary)
    client.get(url(world.anne))  # warm-up: session and caches as for the measured request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url(world.anne))
    assert response.status_code == 200
    # 11 for the page, and the record banner's current stays and protection measures.
    assert len(captured) <= 16, [q["sql"] for q in captured]  # banner: photo, rights
    form = response.context["form"]
    assert form["birth_name"].value() == "MARTIN" and form["birth_first_names"].value() == "Anne"
    assert form["expected_version"].value() == world.anne.version
    html = text(response)
    assert 'name="expected_version"' in html and "Enregistrer l'identité" in html
    event = AuditEvent.objects.filter(action="person.identity_edit").latest("seq")
    assert event.person_ids == [world.anne.pk] and event.user_id == secretary.pk


def test_educator_and_outsider_may_not_edit(world, login):
    before = snapshot(world.anne)
    for user in (
        world.user("educateur", facility=world.ehpad),
        world.user("accueil", facility=world.ime),
    ):
        client = login(user)
        assert client.get(url(world.anne)).status_code == 403
        response = client.post(url(world.anne), form_data(world.anne, birth_name="X"))
        assert response.status_code == 403
        assert client.post(url(world.anne, "qualification/retrait/"), {}).status_code == 403
    assert snapshot(world.anne) == before
    html = text(login(world.user("educateur", facility=world.ehpad)).get(url(world.anne, "")))
    assert "Modifier l'identité" not in html


# --- provisional identity ----------------------------------------------------------------------


def test_correction_is_saved_in_ins_form_kept_in_history_and_audited(world, login, secretary):
    client = login(secretary)
    version = world.anne.version
    response = client.post(
        url(world.anne),
        form_data(
            world.anne,
            birth_name="Martin-Lefèvre",
            birth_first_names="Anne Louise",
            used_first_name="Annie",
        ),
    )
    assert response.status_code == 302 and response.url == url(world.anne, "")
    person = Person.objects.get(pk=world.anne.pk)
    assert (person.birth_name, person.first_name, person.birth_first_names) == (
        "MARTIN-LEFEVRE",
        "ANNE",
        "ANNE LOUISE",
    )
    assert person.used_first_name == "ANNIE" and person.version == version + 1
    assert person.identity_status is IdentityStatus.PROV
    change = IdentityStatusChange.objects.get(person=person)
    assert change.event == "strict_trait_change" and change.by == secretary
    assert change.changes["birth_name"] == ["MARTIN", "MARTIN-LEFEVRE"]
    assert change.changes["birth_first_names"] == ["", "ANNE LOUISE"]
    event = AuditEvent.objects.get(action="identity.strict_trait_change")
    assert event.details["changes"]["birth_name"] == ["MARTIN", "MARTIN-LEFEVRE"]
    assert event.person_ids == [person.pk]
    page = client.get(response.url)
    assert any(m == "Identité corrigée." for m in messages_of(page))
    html = text(page)
    assert "Nom de naissance : MARTIN → MARTIN-LEFEVRE" in html
    assert "Correction d'un trait strict" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_name", "DUPONT3", "Caractère non autorisé dans le nom de naissance : « 3 »"),
        ("birth_first_names", "Anne!", "dans les prénoms de naissance : « ! »"),
        ("used_name", "MARTIN\u202e", "« U+202E » (caractère invisible de mise en forme)"),
        ("birth_date", "2999-01-01", "dans le futur"),
        ("birth_place_code", "99999", "n'est pas un code pays INSEE connu"),
        ("sex", "X", "Sélectionnez un choix valide"),
    ],
)
def test_bad_traits_get_a_french_field_error_and_change_nothing(
    world, login, secretary, field, value, message
):
    before = snapshot(world.anne)
    response = login(secretary).post(url(world.anne), form_data(world.anne, **{field: value}))
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])
    assert message in text(response)
    assert snapshot(world.anne) == before
    assert not IdentityStatusChange.objects.exists()


def test_the_version_is_required_and_a_stale_one_is_refused(world, login, secretary):
    client = login(secretary)
    before = snapshot(world.anne)
    data = form_data(world.anne, birth_name="MARTINEZ")
    response = client.post(url(world.anne), {**data, "expected_version": ""})
    assert response.status_code == 409
    assert any("rechargez la page" in e for e in response.context["form"].non_field_errors())
    response = client.post(url(world.anne), {**data, "expected_version": world.anne.version - 1})
    assert response.status_code == 409
    assert "modifié par quelqu'un d'autre" in text(response)
    assert snapshot(world.anne) == before


def test_nothing_changed_saves_nothing(world, login, secretary):
    Person.objects.filter(pk=world.anne.pk).update(first_name="ANNE", birth_first_names="ANNE")
    world.anne.refresh_from_db()
    before = snapshot(world.anne)
    response = login(secretary).post(url(world.anne), form_data(world.anne), follow=True)
    assert any("rien n'a été enregistré" in m for m in messages_of(response))
    assert snapshot(world.anne) == before


def test_rewriting_a_row_saved_before_the_rules_is_not_a_strict_change(world, login, secretary):
    """'Lefèvre' as stored before the character rules becomes 'LEFEVRE': the same INS
    form, so a validated identity keeps its status."""
    person = with_status(world, "VALI", used_name="")
    Person.objects.filter(pk=person.pk).update(birth_name="Adrtroïs")
    person.refresh_from_db()
    response = login(secretary).post(url(person), form_data(person))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.birth_name == "ADRTROIS" and person.identity_status is IdentityStatus.VALI
    assert IdentityStatusChange.objects.get(person=person).event == "identity_correction"


# --- retrieved / validated ---------------------------------------------------------------------


@pytest.mark.parametrize("status", ["RECUP", "VALI"])
def test_strict_correction_drops_to_provisional_and_needs_a_reason(world, login, secretary, status):
    person = with_status(world, status)
    client = login(secretary)
    before = snapshot(person)
    data = form_data(person, birth_date="1997-02-27")
    response = client.post(url(person), data)
    assert response.status_code == 400
    errors = response.context["form"].errors["reason"]
    assert any("Indiquez le motif de la correction" in e for e in errors)
    assert any("redevient provisoire" in e for e in errors)
    assert snapshot(person) == before

    response = client.post(url(person), {**data, "reason": "Erreur de saisie du jour"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.birth_date == dt.date(1997, 2, 27)
    assert person.identity_status is IdentityStatus.PROV
    assert person.ins_matricule == "" and person.identity_document_type == ""
    change = IdentityStatusChange.objects.get(person=person)
    assert (change.from_status, change.to_status) == (status, "PROV")
    assert change.reason.startswith("Erreur de saisie du jour")
    page = client.get(response.url)
    assert any("redevient provisoire" in m for m in messages_of(page))


def test_used_traits_change_without_touching_the_status(world, login, secretary):
    person = with_status(world, "RECUP")
    response = login(secretary).post(url(person), form_data(person, used_name="Dupré"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.used_name == "DUPRE" and person.identity_status is IdentityStatus.RECUP
    assert person.ins_matricule == MATRICULE


# --- qualified ---------------------------------------------------------------------------------


def test_qualified_strict_traits_are_read_only_used_traits_editable(world, login, secretary):
    person = with_status(world, "QUAL")
    client = login(secretary)
    html = text(client.get(url(person)))
    assert "ne se modifient que par l'INSi" in html
    assert "Retirer la qualification" in html
    assert 'name="birth_name"' in html and "disabled" in html
    form = client.get(url(person)).context["form"]
    assert all(form.fields[f].disabled for f in form.STRICT_FIELDS)
    assert not form.fields["used_name"].disabled
    # A forged post cannot change a disabled field: only the used name changes.
    response = client.post(
        url(person), form_data(person, birth_name="DURAND", used_first_name="Domi")
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.birth_name == "ADRTROIS" and person.used_first_name == "DOMI"
    assert person.identity_status is IdentityStatus.QUAL
    assert person.transmittable_ins == MATRICULE


def test_withdrawing_the_qualification_then_correcting(world, login, secretary):
    person = with_status(world, "QUAL")
    client = login(secretary)
    response = client.post(
        url(person, "qualification/retrait/"),
        {"expected_version": person.version, "reason": ""},
    )
    assert response.status_code == 400
    assert any(
        "Indiquez le motif du retrait" in e
        for e in response.context["withdraw_form"].errors["reason"]
    )
    assert snapshot(person)[-2] is IdentityStatus.QUAL

    response = client.post(
        url(person, "qualification/retrait/"),
        {"expected_version": person.version, "reason": "Date de naissance mal lue"},
    )
    assert response.status_code == 302 and response.url == url(person)
    person.refresh_from_db()
    assert person.identity_status is IdentityStatus.PROV and person.ins_matricule == ""
    withdrawn = IdentityStatusChange.objects.get(person=person)
    assert (withdrawn.event, withdrawn.reason) == (
        "qualification_withdrawn",
        "Date de naissance mal lue",
    )
    assert AuditEvent.objects.filter(
        action="identity.qualification_withdrawn", person_ids=[person.pk]
    ).exists()
    page = client.get(url(person))
    assert not page.context["form"].fields["birth_date"].disabled
    assert "Retirer la qualification" not in text(page)
    response = client.post(url(person), form_data(person, birth_date="1997-02-25"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.birth_date == dt.date(1997, 2, 25)


def test_withdrawing_a_qualification_that_is_not_there_is_refused(world, login, secretary):
    person = with_status(world, "VALI")
    before = snapshot(person)
    response = login(secretary).post(
        url(person, "qualification/retrait/"),
        {"expected_version": person.version, "reason": "Date de naissance mal lue"},
        follow=True,
    )
    assert any("n'est pas qualifiée" in m for m in messages_of(response))
    assert snapshot(person) == before


def test_withdrawal_with_a_stale_version_is_refused(world, login, secretary):
    person = with_status(world, "QUAL")
    before = snapshot(person)
    response = login(secretary).post(
        url(person, "qualification/retrait/"),
        {"expected_version": person.version - 1, "reason": "Date de naissance mal lue"},
    )
    assert response.status_code == 409
    assert snapshot(person) == before


def test_actions_are_refused_on_a_merged_record(world, login, secretary):
    from django.utils import timezone

    Person.objects.filter(pk=world.bruno.pk).update(
        merged_into=world.anne, merged_at=timezone.now()
    )
    client = login(secretary)
    response = client.get(url(world.bruno), follow=True)
    assert any("fusionné" in m for m in messages_of(response))
    response = client.post(url(world.bruno), form_data(world.bruno, birth_name="X"))
    world.bruno.refresh_from_db()
    assert world.bruno.birth_name == "Lefèvre"
