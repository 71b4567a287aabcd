"""Editing the rows of a draft PP: expectations, needs, objectives, actions, services.

One generic service (`sections.update_item`) and one view (`views.item_edit`): values
checked as at creation, a stale form refused (409, nothing overwritten), a validated
version frozen, every edit audited with its before/after values.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opendui.accompaniment import sections
from opendui.accompaniment.models import Action, Expectation, Need, PersonalisedProject, Service
from opendui.audit.models import AuditEvent
from opendui.core.services import ConcurrentEditError


@pytest.fixture
def rows(draft, edu):
    goal = sections.add_goal(edu, draft, title="Aller au jardin")
    return {
        "attente": sections.add_expectation(edu, draft, origin="personne", text="Jardiner"),
        "besoin": sections.add_need(edu, draft, code="1.1.2", description="Voit mal"),
        "objectif": goal,
        "action": sections.add_action(edu, goal, title="Le mardi"),
        "prestation": sections.add_service(edu, draft, code="2.1.1.1", goal=goal),
    }


def _url(project, kind: str, item) -> str:
    return reverse(
        "accompaniment:item_edit", kwargs={"pk": project.pk, "kind": kind, "item_pk": item.pk}
    )


def _fresh(item):
    return type(item).objects.get(pk=item.pk)


# --- the service -----------------------------------------------------------------------------


def test_each_kind_is_edited_and_audited(draft, edu, rows):
    before = PersonalisedProject.objects.get(pk=draft.pk).version
    expectation = sections.update_item(
        edu,
        rows["attente"],
        expected_version=rows["attente"].version,
        origin="proche",
        text="Jardiner avec ma fille",
        comment="dit au bilan",
    )
    assert (expectation.origin, expectation.text) == ("proche", "Jardiner avec ma fille")
    need = sections.update_item(
        edu, rows["besoin"], expected_version=rows["besoin"].version, code="1.1.1"
    )
    assert _fresh(need).code == "1.1.1" and _fresh(need).label != rows["besoin"].label
    action = sections.update_item(
        edu, rows["action"], expected_version=rows["action"].version, title="Le jeudi"
    )
    assert _fresh(action).title == "Le jeudi"
    service = sections.update_item(
        edu,
        rows["prestation"],
        expected_version=rows["prestation"].version,
        code="2.3.1.1",
        goal=None,
        frequency="chaque jour",
    )
    stored = _fresh(service)
    assert (stored.code, stored.goal_id, stored.frequency) == ("2.3.1.1", None, "chaque jour")
    assert stored.value_set == "J284"
    # Every edit moved the PP's lock on (a validator sees the change before validating).
    assert PersonalisedProject.objects.get(pk=draft.pk).version == before + 4
    event = AuditEvent.objects.get(action="pp.action_update")
    assert event.details["changes"]["title"] == ["Le mardi", "Le jeudi"]
    assert list(
        AuditEvent.objects.filter(action__endswith="_update")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == [
        "pp.expectation_update",
        "pp.need_update",
        "pp.action_update",
        "pp.service_update",
    ]


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        ("besoin", {"code": "9.9.9"}, "code"),
        ("besoin", {"code": "2.1.1.1"}, "code"),  # a service code is not a need
        ("prestation", {"code": "1.1.2"}, "code"),  # a need code is not a service
        ("prestation", {"code": ""}, "code"),
        ("attente", {"origin": "personne", "text": "  "}, "text"),
        ("attente", {"origin": "voisin", "text": "x"}, "origin"),
        ("action", {"title": ""}, "title"),
    ],
)
def test_bad_values_change_nothing(edu, rows, kind, values, field):
    item = rows[kind]
    with pytest.raises(ValidationError) as caught:
        sections.update_item(edu, item, expected_version=item.version, **values)
    assert field in caught.value.message_dict
    assert caught.value.message_dict[field][0][0].isupper()  # a French sentence
    assert _fresh(item).version == item.version
    assert not AuditEvent.objects.filter(action__endswith="_update").exists()


def test_a_stale_form_is_refused_and_overwrites_nothing(edu, rows):
    need = rows["besoin"]
    loaded = need.version
    sections.update_item(edu, need, expected_version=loaded, code="1.1.1", description="A")
    with pytest.raises(ConcurrentEditError):
        sections.update_item(edu, need, expected_version=loaded, code="1.1.2", description="B")
    stored = _fresh(need)
    assert (stored.code, stored.description) == ("1.1.1", "A")


def test_a_validated_version_is_frozen(running, edu):
    need = running.needs.get()
    with pytest.raises(ValidationError, match="figée"):
        sections.update_item(edu, need, expected_version=need.version, code="1.1.1")
    assert _fresh(need).code == "1.1.2"


def test_a_service_cannot_point_at_another_projects_goal(world, edu, rows, draft):
    other_stay = world.chloe.stays.get()
    other = PersonalisedProject.objects.create(
        stay=other_stay, person=world.chloe, project_type="PP", title="Autre"
    )
    foreign = other.goals.create(title="Ailleurs")
    service = rows["prestation"]
    with pytest.raises(ValidationError, match="autre projet"):
        sections.update_item(
            edu, service, expected_version=service.version, code="2.1.1.1", goal=foreign
        )


# --- the page --------------------------------------------------------------------------------


def test_edit_forms_are_on_the_draft_page_with_current_values(client, login, educator, draft, rows):
    login(educator)
    body = client.get(f"/projets/{draft.pk}/").content.decode()
    for kind, item in rows.items():
        assert _url(draft, kind, item) in body
    assert f'id="besoin{rows["besoin"].pk}_code"' in body
    # Each form shows the row's current values.
    form = client.get(f"/projets/{draft.pk}/").context["needs"][0].edit_form
    assert form["code"].value() == "1.1.2" and form["description"].value() == "Voit mal"
    assert '<option value="1.1.2" selected>' in body
    assert "Modifier la prestation" in body and "Modifier le besoin" in body


def test_page_edit_saves_then_refuses_a_stale_form(client, login, educator, draft, rows):
    login(educator)
    service = rows["prestation"]
    data = {
        "code": "2.3.1.1",
        "goal": "",
        "frequency": "2 fois par semaine",
        "expected_version": service.version,
    }
    response = client.post(_url(draft, "prestation", service), data)
    assert response.status_code == 302 and response.url == f"/projets/{draft.pk}/"
    assert _fresh(service).frequency == "2 fois par semaine"
    # A second professional had loaded the same version: told, nothing overwritten.
    response = client.post(_url(draft, "prestation", service), {**data, "frequency": "jamais"})
    assert response.status_code == 409
    assert "modifié par quelqu" in response.content.decode()
    assert _fresh(service).frequency == "2 fois par semaine"


def test_page_edit_refuses_an_unknown_serafin_code(client, login, educator, draft, rows):
    login(educator)
    need = rows["besoin"]
    response = client.post(
        _url(draft, "besoin", need), {"code": "9.9.9", "expected_version": need.version}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Rien n&#x27;a été enregistré" in body or "Rien n'a été enregistré" in body
    assert "<details open>" in body  # the refused form is shown again, open
    assert _fresh(need).code == "1.1.2"


def test_page_edit_of_a_validated_version_is_refused(client, login, educator, running):
    login(educator)
    expectation = running.expectations.get()
    response = client.post(
        _url(running, "attente", expectation),
        {"origin": "personne", "text": "Autre chose", "expected_version": expectation.version},
    )
    assert response.status_code == 200 and "figée" in response.content.decode()
    assert _fresh(expectation).text == "Je veux jardiner."
    # And a frozen version offers no edit form.
    assert "Modifier l&#x27;attente" not in client.get(f"/projets/{running.pk}/").content.decode()


def test_page_edit_needs_the_write_right_and_the_right_project(client, login, world, draft, rows):
    login(world.user("psychologue", facility=world.ehpad))  # social: read only
    need = rows["besoin"]
    response = client.post(
        _url(draft, "besoin", need), {"code": "1.1.1", "expected_version": need.version}
    )
    assert response.status_code == 403
    assert _fresh(need).code == "1.1.2"
    client.logout()
    login(world.user("educateur", facility=world.ehpad))
    # A row of another project is not found through this one.
    other = PersonalisedProject.objects.create(
        stay=world.chloe.stays.get(), person=world.chloe, project_type="PP", title="Autre"
    )
    foreign = other.needs.create(code="1.1.2", label="x")
    assert client.post(_url(draft, "besoin", foreign), {"code": "1.1.1"}).status_code == 404
    assert client.post(_url(draft, "bilan", need), {}).status_code == 404


def test_goal_edit_url_still_goes_through_the_generic_view(client, login, educator, draft, rows):
    login(educator)
    goal = rows["objectif"]
    response = client.post(
        reverse("accompaniment:goal_edit", kwargs={"pk": draft.pk, "goal_pk": goal.pk}),
        {"title": "Cultiver des tomates", "expected_version": goal.version},
    )
    assert response.status_code == 302 and _fresh(goal).title == "Cultiver des tomates"


def test_draft_page_queries_do_not_grow_with_rows(client, login, educator, draft, edu, rows):
    login(educator)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/projets/{draft.pk}/").status_code == 200
        return len(queries)

    few = count()
    for i in range(8):
        sections.add_need(edu, draft, code="1.1.2", description=f"n{i}")
        sections.add_service(edu, draft, code="2.1.1.1", goal=rows["objectif"])
        sections.add_action(edu, rows["objectif"], title=f"a{i}")
    assert count() == few
    assert Need.objects.count() == 9 and Service.objects.count() == 9
    assert Action.objects.count() == 9 and Expectation.objects.count() == 1
