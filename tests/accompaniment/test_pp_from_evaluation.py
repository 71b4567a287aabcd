"""An educator drafts the PP's needs from a validated SERAFIN-PH evaluation."""

from __future__ import annotations

import datetime as dt
import html

from opendui.accompaniment.models import PersonalisedProject
from opendui.accompaniment.rules import ProjectStatus
from opendui.core.actor import Actor
from opendui.evaluations import services_grids as grids
from opendui.evaluations.models import Question
from opendui.evaluations.serafin_model import ensure_serafin_model


def _validated_evaluation(world, educator, chef):
    today = dt.date.today()
    model, _ = ensure_serafin_model(world.og)
    evaluation = grids.start_evaluation(
        Actor(educator), world.chloe, world.chloe.stays.get(), model, today, today=today
    )
    by_code = {q.need_code: q for q in Question.objects.filter(section__model=model)}
    grids.save_answers(
        Actor(educator),
        evaluation,
        {by_code["1.1.2"].pk: (3, "Malvoyance"), by_code["1.2.1.3"].pk: (2, "")},
        comment="Synthèse",
        expected_version=evaluation.version,
    )
    grids.change_evaluation_status(
        Actor(educator), evaluation, "APPROUVE", expected_version=evaluation.version
    )
    grids.change_evaluation_status(
        Actor(chef), evaluation, "VALIDE", expected_version=evaluation.version
    )
    return evaluation


def test_button_creates_the_draft_pp_with_the_suggested_needs_once(world, login):
    educator = world.user("educateur", facility=world.ime)
    chef = world.user("chef-de-service", facility=world.ime)
    evaluation = _validated_evaluation(world, educator, chef)
    client = login(educator)
    page = html.unescape(client.get(f"/evaluations/grilles/{evaluation.pk}/").content.decode())
    assert "Ajouter ces besoins au projet personnalisé en préparation" in page

    url = f"/projets/depuis-evaluation/{evaluation.pk}/"
    response = client.post(url)
    draft = PersonalisedProject.objects.get(stay=world.chloe.stays.get())
    assert response.status_code == 302 and response.url == f"/projets/{draft.pk}/"
    assert draft.status == ProjectStatus.DRAFT
    assert sorted(draft.needs.values_list("code", flat=True)) == ["1.1.2", "1.2.1.3"]
    assert "Malvoyance" in draft.needs.get(code="1.1.2").description

    client.post(url)  # pressing again adds nothing
    assert draft.needs.count() == 2
    assert PersonalisedProject.objects.filter(stay=draft.stay).count() == 1


def test_a_reader_without_social_write_is_refused(world, login):
    educator = world.user("educateur", facility=world.ime)
    chef = world.user("chef-de-service", facility=world.ime)
    evaluation = _validated_evaluation(world, educator, chef)
    psychologist = login(world.user("psychologue", facility=world.ime))
    assert psychologist.post(f"/projets/depuis-evaluation/{evaluation.pk}/").status_code == 403
    assert not PersonalisedProject.objects.exists()
