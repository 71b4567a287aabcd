"""Evaluation models (versioning), filled evaluations, and needs for the PP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.core.actor import Actor
from opendui.evaluations import services_grids as grids
from opendui.evaluations.models import EvaluationModel, FilledEvaluation, Question
from opendui.evaluations.needs import needs_from_evaluation
from opendui.evaluations.serafin_model import CODE, ensure_serafin_model

TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def admin(world):
    return world.user("admin", organisation=world.og)


def test_default_serafin_model_has_one_scored_question_per_leaf_need(world):
    model, created = ensure_serafin_model(world.og)
    assert created and model.status == "publie" and model.code == CODE
    questions = Question.objects.filter(section__model=model)
    assert questions.count() == 25 and model.sections.count() == 3
    assert all(q.answer_type == "score" and (q.min_score, q.max_score) == (0, 3) for q in questions)
    assert ensure_serafin_model(world.og) == (model, False)


def test_model_versioning(world, admin):
    actor = Actor(admin)
    model = grids.create_model(actor, world.og, "Bilan d'entrée")
    section = grids.add_section(actor, model, "Vie quotidienne")
    grids.add_question(actor, section, text="Repas", answer_type="choix", options=["seul", "aidé"])
    with pytest.raises(ValidationError) as error:
        grids.add_question(
            actor, section, text="Score", answer_type="score", min_score=3, max_score=1
        )
    assert "max_score" in error.value.message_dict
    grids.publish_model(actor, model, expected_version=model.version)
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        grids.add_section(actor, model, "Autre")
    v2 = grids.new_revision(actor, model)
    assert (v2.revision, v2.status, v2.code) == (2, "brouillon", model.code)
    assert Question.objects.filter(section__model=v2).count() == 1
    with pytest.raises(ValidationError, match="déjà en brouillon"):
        grids.new_revision(actor, model)
    grids.publish_model(actor, v2, expected_version=v2.version)
    model.refresh_from_db()
    assert model.status == "archive"
    assert EvaluationModel.objects.filter(code=model.code, status="publie").get() == v2


def test_models_are_managed_by_the_admin_only(world):
    educator = world.user("educateur", facility=world.ehpad)
    with pytest.raises(PermissionDenied):
        grids.create_model(Actor(educator), world.og, "Grille")
    other_admin = world.user("admin", organisation=world.other_og)
    with pytest.raises(PermissionDenied):
        grids.create_model(Actor(other_admin), world.og, "Grille")


def _filled(world, author, scores: dict[str, tuple[int, str]]):
    model, _ = ensure_serafin_model(world.og)
    evaluation = grids.start_evaluation(
        Actor(author), world.chloe, world.chloe.stays.get(), model, TODAY, today=TODAY
    )
    by_code = {q.need_code: q for q in Question.objects.filter(section__model=model)}
    grids.save_answers(
        Actor(author),
        evaluation,
        {by_code[code].pk: value for code, value in scores.items()},
        comment="Synthèse",
        expected_version=evaluation.version,
    )
    return evaluation


def test_needs_from_a_validated_serafin_evaluation(world):
    educator = world.user("educateur", facility=world.ime)
    chef = world.user("chef-de-service", facility=world.ime)
    evaluation = _filled(
        world,
        educator,
        {"1.1.2": (3, "Malvoyance"), "1.2.1.3": (2, ""), "1.3.1.1": (1, "léger")},
    )
    assert needs_from_evaluation(evaluation) == []  # a draft suggests nothing
    grids.change_evaluation_status(
        Actor(educator), evaluation, "APPROUVE", expected_version=evaluation.version
    )
    with pytest.raises(PermissionDenied):
        grids.change_evaluation_status(
            Actor(educator), evaluation, "VALIDE", expected_version=evaluation.version
        )
    grids.change_evaluation_status(
        Actor(chef), evaluation, "VALIDE", expected_version=evaluation.version
    )
    needs = needs_from_evaluation(FilledEvaluation.objects.get(pk=evaluation.pk))
    assert [(n.code, n.description) for n in needs] == [
        ("1.1.2", "Malvoyance"),
        ("1.2.1.3", "Besoins pour la mobilité"),
    ]
    assert "score 3" in needs[0].source


def test_bad_answer_saves_nothing(world):
    educator = world.user("educateur", facility=world.ime)
    model, _ = ensure_serafin_model(world.og)
    evaluation = grids.start_evaluation(
        Actor(educator), world.chloe, world.chloe.stays.get(), model, TODAY, today=TODAY
    )
    question = Question.objects.filter(section__model=model).first()
    with pytest.raises(ValidationError, match="Le score va de 0 à 3"):
        grids.save_answers(
            Actor(educator), evaluation, {question.pk: (7, "")}, expected_version=evaluation.version
        )
    assert not evaluation.answers.exists()
