"""Pages of the projet personnalisé: the educator drafts, the chief validates, refusals, PDF."""

from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from opendui.accompaniment.models import Expectation, PersonalisedProject
from opendui.accompaniment.rules import ProjectStatus
from opendui.audit.models import AuditEvent


def _token(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def test_educator_drafts_and_chief_validates(client, login, world, educator, chief, stay):
    login(educator)
    page = _token(client, reverse("accompaniment:person", kwargs={"pk": world.anne.pk}))
    response = client.post(
        reverse("accompaniment:create", kwargs={"stay_pk": stay.pk}),
        {"form_token": page.context["token"], "project_type": "PPA", "title": "Mon projet"},
    )
    project = PersonalisedProject.objects.get()
    assert response.status_code == 302 and response.url == f"/projets/{project.pk}/"
    detail = client.get(response.url)
    response = client.post(
        reverse("accompaniment:add", kwargs={"pk": project.pk, "section": "attente"}),
        {
            "form_token": detail.context["tokens"]["attente"],
            "origin": "personne",
            "text": "Je veux aller au marché le samedi.",
        },
    )
    assert response.status_code == 302
    detail = client.get(f"/projets/{project.pk}/")
    assert "Je veux aller au marché le samedi." in detail.content.decode()
    client.post(
        reverse("accompaniment:add", kwargs={"pk": project.pk, "section": "accord"}),
        {
            "form_token": detail.context["tokens"]["accord"],
            "author_kind": "personne",
            "signed_on": timezone.localdate().isoformat(),
        },
    )
    # The educator cannot validate.
    response = client.post(
        reverse("accompaniment:status", kwargs={"pk": project.pk}), {"target": "ENCOURS"}
    )
    assert response.status_code == 403
    client.logout()
    login(chief)
    detail = client.get(f"/projets/{project.pk}/")
    assert "Valider le projet" not in detail.content.decode()  # no structure agreement yet
    client.post(
        reverse("accompaniment:add", kwargs={"pk": project.pk, "section": "accord"}),
        {
            "form_token": detail.context["tokens"]["accord"],
            "author_kind": "structure",
            "signed_on": timezone.localdate().isoformat(),
        },
    )
    detail = client.get(f"/projets/{project.pk}/")
    assert "Valider le projet" in detail.content.decode()
    response = client.post(
        reverse("accompaniment:status", kwargs={"pk": project.pk}),
        {"target": "ENCOURS", "expected_version": detail.context["project"].version},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.ACTIVE and project.frozen
    assert AuditEvent.objects.filter(action="pp.view").exists()


def test_bad_serafin_code_on_the_page_saves_nothing(client, login, educator, draft):
    login(educator)
    detail = client.get(f"/projets/{draft.pk}/")
    response = client.post(
        reverse("accompaniment:add", kwargs={"pk": draft.pk, "section": "besoin"}),
        {"form_token": detail.context["tokens"]["besoin"], "code": "9.9.9"},
    )
    assert response.status_code == 200
    assert "Rien n" in response.content.decode()
    assert response.context["need_form"].errors
    assert not draft.needs.exists()


def test_concurrent_header_edit_gets_409(client, login, educator, draft):
    login(educator)
    loaded = draft.version
    data = {"project_type": "PPA", "title": "Premier", "expected_version": loaded}
    assert client.post(f"/projets/{draft.pk}/modifier/", data).status_code == 302
    response = client.post(f"/projets/{draft.pk}/modifier/", {**data, "title": "Second"})
    assert response.status_code == 409
    assert PersonalisedProject.objects.get().title == "Premier"


def test_outsider_and_read_only_refusals(client, login, world, draft):
    login(world.user("educateur", facility=world.ime))
    assert client.get(f"/projets/{draft.pk}/").status_code == 403
    client.logout()
    psychologist = world.user("psychologue", facility=world.ehpad)  # social: read
    login(psychologist)
    page = client.get(f"/projets/{draft.pk}/")
    assert page.status_code == 200 and "Ajouter l'attente" not in page.content.decode()
    response = client.post(
        reverse("accompaniment:add", kwargs={"pk": draft.pk, "section": "attente"}),
        {"origin": "personne", "text": "x"},
    )
    assert response.status_code == 403
    assert not Expectation.objects.exists()
    client.logout()
    login(world.user("aide-soignant", facility=world.ehpad))  # social: read
    assert client.get(f"/projets/{draft.pk}/").status_code == 200
    client.logout()
    login(world.user("accueil", facility=world.ehpad))  # social: none
    assert client.get(f"/projets/{draft.pk}/").status_code == 403


def test_detail_page_queries_are_bounded(
    client, login, educator, running, edu, django_assert_max_num_queries
):
    from opendui.accompaniment import sections, services

    v2 = services.new_version(edu, running)
    for i in range(30):
        goal = sections.add_goal(edu, v2, title=f"Objectif {i}")
        sections.add_action(edu, goal, title=f"Action {i}")
        sections.add_expectation(edu, v2, origin="personne", text=f"Attente {i}")
    login(educator)
    with django_assert_max_num_queries(40):
        assert client.get(f"/projets/{v2.pk}/").status_code == 200


def test_pdf_of_a_validated_version(client, login, chief, running, world):
    world.anne.ins_matricule = ""
    login(chief)  # reads the PP and holds person.export
    response = client.get(f"/projets/{running.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 2000
    assert AuditEvent.objects.filter(action="pp.pdf").count() == 1


def test_pdf_html_shows_ins_only_when_qualified(running):
    from opendui.accompaniment import pdf

    person = running.person
    person.ins_matricule = "240057512345678"
    with mock.patch.object(
        type(person), "transmittable_ins", new_callable=mock.PropertyMock, return_value=""
    ):
        html = pdf.project_html(running)
    assert "240057512345678" not in html and "Vivre à mon rythme" in html
    with mock.patch.object(
        type(person),
        "transmittable_ins",
        new_callable=mock.PropertyMock,
        return_value="240057512345678",
    ):
        html = pdf.project_html(running)
    assert "Matricule INS" in html and "240057512345678" in html
    with mock.patch("opendui.accompaniment.pdf.render_pdf", return_value=b"%PDF-x") as render:
        assert pdf.project_pdf(running) == b"%PDF-x"
    assert "Je veux jardiner." in render.call_args.args[0]


def test_pdf_of_a_draft_is_refused(client, login, chief, draft):
    login(chief)
    assert client.get(f"/projets/{draft.pk}/pdf/").status_code == 403


def test_educator_reads_the_validated_pp_but_does_not_export_it(client, login, educator, running):
    login(educator)
    page = client.get(f"/projets/{running.pk}/")
    assert page.status_code == 200 and f"/projets/{running.pk}/pdf/" not in page.content.decode()
    assert client.get(f"/projets/{running.pk}/pdf/").status_code == 403
    assert not AuditEvent.objects.filter(action="pp.pdf").exists()


@pytest.mark.parametrize("role", ["chef-de-service"])
def test_navigation_shows_the_section(client, login, world, role):
    login(world.user(role, facility=world.ehpad))
    page = client.get("/")
    assert "/projets/" in page.content.decode()
    response = client.get("/projets/")
    assert response.status_code == 302
    assert response.url == f"/projets/etablissement/{world.ehpad.pk}/"


@pytest.mark.parametrize("version", [None, 9])
def test_removing_a_row_needs_the_version_it_was_seen_at(
    client, login, educator, edu, draft, version
):
    """Removing an expectation someone changed since (or without saying which version
    was seen) would drop their change unseen: refused, the row stays."""
    from opendui.accompaniment import sections

    row = sections.add_expectation(edu, draft, origin="personne", text="Jardiner")
    login(educator)
    page = client.get(f"/projets/{draft.pk}/").content.decode()
    assert f'name="expected_version" value="{row.version}"' in page
    url = f"/projets/{draft.pk}/retirer/attente/{row.pk}/"
    data = {} if version is None else {"expected_version": version}
    response = client.post(url, data)
    assert response.status_code == 409
    assert Expectation.objects.filter(pk=row.pk).exists()
    response = client.post(url, {"expected_version": row.version})
    assert response.status_code == 302
    assert not Expectation.objects.filter(pk=row.pk).exists()
