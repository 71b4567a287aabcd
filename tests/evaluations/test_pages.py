"""Evaluation pages: a nurse records a grid and sees the GIR; refusals; audit; queries."""

from __future__ import annotations

import datetime as dt
import html as htmllib

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.evaluations.aggir import DISCRIMINANT_VARIABLES
from opendui.evaluations.models import AggirEvaluation, FilledEvaluation
from opendui.evaluations.rules import ADVERB_LETTERS, sub_variable_names
from opendui.evaluations.serafin_model import ensure_serafin_model


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def grid_post(person, token, *, action="approve", skip=(), none=False) -> dict:
    data = {
        "form_token": token,
        "evaluated_on": timezone.localdate().isoformat(),
        "stay": person.stays.get().pk,
        "action": action,
    }
    for variable in DISCRIMINANT_VARIABLES:
        for index, _name in enumerate(sub_variable_names(variable)):
            if (variable.code, index) in skip:
                continue
            if none:
                data[f"a_{variable.code}_{index}_X"] = "on"
            else:
                for letter in ADVERB_LETTERS:
                    data[f"a_{variable.code}_{index}_{letter}"] = "on"
    return data


def test_a_nurse_records_a_grid_and_sees_the_gir(world, login, nurse):
    client = login(nurse)
    page = client.get(f"/evaluations/personnes/{world.anne.pk}/aggir/nouvelle/")
    assert page.status_code == 200
    html = text(page)
    assert "<fieldset" in html and "Habillage – moyen" in html and "spontanément" in html
    response = client.post(
        f"/evaluations/personnes/{world.anne.pk}/aggir/nouvelle/",
        grid_post(world.anne, page.context["token"], none=True),
        follow=True,
    )
    assert response.status_code == 200
    grid = AggirEvaluation.objects.get()
    assert grid.gir == 1 and grid.status == "APPROUVE"
    assert "GIR 1" in text(response)
    assert AuditEvent.objects.filter(action="evaluation.aggir_view").exists()


def test_an_incomplete_grid_is_refused_with_the_sub_variable_named(world, login, nurse):
    client = login(nurse)
    token = client.get(f"/evaluations/personnes/{world.anne.pk}/aggir/nouvelle/").context["token"]
    response = client.post(
        f"/evaluations/personnes/{world.anne.pk}/aggir/nouvelle/",
        grid_post(world.anne, token, skip={("TOI", 1)}),
    )
    assert response.status_code == 200
    assert "Toilette (TOI) – bas" in text(response)
    assert not AggirEvaluation.objects.exists()
    # The same partial grid is accepted as a draft (with the form's new token).
    token = response.context["token"]
    response = client.post(
        f"/evaluations/personnes/{world.anne.pk}/aggir/nouvelle/",
        grid_post(world.anne, token, skip={("TOI", 1)}, action="draft"),
        follow=True,
    )
    assert AggirEvaluation.objects.get().status == "ENPREPARATION"


def test_person_page_is_audited_and_refused_to_outsiders(world, login, nurse):
    response = login(nurse).get(f"/evaluations/personnes/{world.anne.pk}/")
    assert response.status_code == 200 and "Nouvelle grille AGGIR" in text(response)
    assert AuditEvent.objects.filter(action="evaluation.list").count() == 1


def test_person_page_is_refused_to_outsiders(world, login):
    outsider = world.user("infirmier", facility=world.ime)
    assert login(outsider).get(f"/evaluations/personnes/{world.anne.pk}/").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_person_page_queries_do_not_grow(world, login, nurse):
    client = login(nurse)
    url = f"/evaluations/personnes/{world.anne.pk}/"

    def add(n):
        for i in range(n):
            AggirEvaluation.objects.create(
                person=world.anne,
                stay=world.anne.stays.get(),
                evaluated_on=dt.date(2024, 2, 1 + i),
                evaluator=nurse,
                status="VALIDE",
                gir=3,
                validated_on=dt.date(2024, 3, 1),
            )

    add(1)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(10)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_an_educator_fills_a_serafin_evaluation(world, login):
    educator = world.user("educateur", facility=world.ime)
    model, _ = ensure_serafin_model(world.og)
    client = login(educator)
    page = client.get(f"/evaluations/personnes/{world.chloe.pk}/")
    assert "Grilles AGGIR" not in text(page)  # no care data for an educator
    response = client.post(
        f"/evaluations/personnes/{world.chloe.pk}/grille/nouvelle/",
        {
            "form_token": page.context["start_token"],
            "model": model.pk,
            "stay": world.chloe.stays.get().pk,
            "evaluated_on": timezone.localdate().isoformat(),
        },
        follow=True,
    )
    evaluation = FilledEvaluation.objects.get()
    question = model.sections.first().questions.first()
    response = client.post(
        f"/evaluations/grilles/{evaluation.pk}/reponses/",
        {f"q{question.pk}": "3", f"c{question.pk}": "Troubles", "expected_version": 1},
        follow=True,
    )
    assert response.status_code == 200
    assert evaluation.answers.get().score == 3
    client.post(
        f"/evaluations/grilles/{evaluation.pk}/statut/",
        {"target": "APPROUVE", "expected_version": 2},
    )
    response = client.get(f"/evaluations/grilles/{evaluation.pk}/")
    assert "Besoins suggérés" in text(response) and "Troubles" in text(response)


def test_gmp_page_for_the_director(world, login):
    director = world.user("directeur", facility=world.ehpad)
    response = login(director).get(f"/evaluations/etablissements/{world.ehpad.pk}/gmp/")
    assert response.status_code == 200 and "GMP non calculable" in text(response)
    assert AuditEvent.objects.filter(action="evaluation.gmp_view").exists()
    assert f"/evaluations/etablissements/{world.ehpad.pk}/gmp/" in text(login(director).get("/"))


def test_admin_creates_a_model(world, login):
    admin = world.user("admin", organisation=world.og)
    client = login(admin)
    token = client.get("/evaluations/modeles/").context["token"]
    response = client.post(
        "/evaluations/modeles/", {"form_token": token, "name": "Bilan"}, follow=True
    )
    assert response.status_code == 200 and "Bilan" in text(response)
