"""Whose agreement a PP needs: a minor's legal representatives, a protected adult's
representative under a measure with representation, otherwise the person (services and
the validation page)."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opendui.accompaniment import services
from opendui.accompaniment.models import PersonalisedProject
from opendui.accompaniment.rules import ProjectStatus
from opendui.core.actor import Actor
from opendui.core.services import CURRENT
from opendui.persons.models_entourage import LegalProtection, RelatedPerson


def _relative(person, first_name, *, legal=True, relation="parent") -> RelatedPerson:
    return RelatedPerson.objects.create(
        person=person,
        last_name=person.birth_name,
        first_name=first_name,
        relation=relation,
        is_legal_representative=legal,
    )


@pytest.fixture
def ime_edu(world) -> Actor:
    return Actor(world.user("educateur", facility=world.ime))


@pytest.fixture
def ime_boss(world) -> Actor:
    return Actor(world.user("chef-de-service", facility=world.ime))


@pytest.fixture
def chloe_draft(world, ime_edu):
    """A draft PP of Chloé, 14 years old, in the IME."""
    project = services.create_project(
        ime_edu, world.chloe.stays.get(), project_type="PPA", title="Aller au collège"
    )
    project.refresh_from_db()
    return project


def _sign(actor, project, kind="personne", representative=None):
    return services.add_agreement(
        actor,
        project,
        author_kind=kind,
        signed_on=timezone.localdate(),
        representative=representative,
    )


def test_a_minors_pp_is_not_validated_with_the_minors_agreement_only(
    world, chloe_draft, ime_edu, ime_boss
):
    mother, father = _relative(world.chloe, "Léa"), _relative(world.chloe, "Marc")
    _sign(ime_edu, chloe_draft)
    _sign(ime_boss, chloe_draft, "structure")
    with pytest.raises(ValidationError) as error:
        services.validate(ime_boss, chloe_draft, expected_version=CURRENT)
    assert str(mother) in str(error.value) and str(father) in str(error.value)
    chloe_draft.refresh_from_db()
    assert chloe_draft.status == ProjectStatus.DRAFT and not chloe_draft.frozen

    _sign(ime_edu, chloe_draft, "representant", mother)
    with pytest.raises(ValidationError) as error:  # both holders of parental authority
        services.validate(ime_boss, chloe_draft, expected_version=CURRENT)
    assert str(father) in str(error.value) and str(mother) not in str(error.value)

    _sign(ime_edu, chloe_draft, "representant", father)
    chloe_draft.refresh_from_db()
    assert (
        services.validate(ime_boss, chloe_draft, expected_version=CURRENT).status
        == ProjectStatus.ACTIVE
    )


def test_a_minor_without_any_legal_representative_recorded_is_not_validated(
    world, chloe_draft, ime_edu, ime_boss
):
    _sign(ime_edu, chloe_draft)
    _sign(ime_boss, chloe_draft, "structure")
    with pytest.raises(ValidationError, match="aucun représentant légal n'est enregistré"):
        services.validate(ime_boss, chloe_draft, expected_version=CURRENT)
    assert PersonalisedProject.objects.get().status == ProjectStatus.DRAFT


def test_an_adult_under_tutelle_needs_the_tutor_named_by_the_measure(draft, edu, boss, world):
    tutor = _relative(world.anne, "Mandataire", legal=False, relation="mandataire")
    LegalProtection.objects.create(
        person=world.anne,
        measure="tutelle",
        start_date=dt.date(2023, 1, 1),
        representative=tutor,
    )
    _sign(edu, draft)
    _sign(boss, draft, "structure")
    with pytest.raises(ValidationError, match="tutelle"):
        services.validate(boss, draft, expected_version=CURRENT)
    # The tutor is not flagged "représentant légal" in the entourage: the measure names him.
    _sign(edu, draft, "representant", tutor)
    draft.refresh_from_db()
    assert services.validate(boss, draft, expected_version=CURRENT).status == ProjectStatus.ACTIVE


def test_an_ended_measure_no_longer_needs_the_tutor(draft, edu, boss, world):
    tutor = _relative(world.anne, "Ancien tuteur", legal=False, relation="mandataire")
    LegalProtection.objects.create(
        person=world.anne,
        measure="tutelle",
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2023, 1, 1),
        representative=tutor,
    )
    _sign(edu, draft)
    _sign(boss, draft, "structure")
    assert services.validate(boss, draft, expected_version=CURRENT).status == ProjectStatus.ACTIVE


def test_under_curatelle_the_person_agrees_themself(draft, edu, boss, world):
    LegalProtection.objects.create(
        person=world.anne, measure="curatelle_renforcee", start_date=dt.date(2023, 1, 1)
    )
    _sign(edu, draft)
    _sign(boss, draft, "structure")
    assert services.validate(boss, draft, expected_version=CURRENT).status == ProjectStatus.ACTIVE


def test_a_relative_who_is_not_a_representative_cannot_sign_as_one(draft, edu, world):
    cousin = _relative(world.anne, "Cousine", legal=False, relation="autre_famille")
    with pytest.raises(ValidationError, match="pas représentant légal"):
        _sign(edu, draft, "representant", cousin)
    assert not draft.agreements.exists()


def test_validation_page_lists_the_agreements_obtained_and_missing(
    world, chloe_draft, ime_edu, client, login
):
    mother, father = _relative(world.chloe, "Léa"), _relative(world.chloe, "Marc")
    _sign(ime_edu, chloe_draft, "representant", mother)
    login(world.user("chef-de-service", facility=world.ime))
    response = client.get(f"/projets/{chloe_draft.pk}/")
    html = unescape(response.content.decode())
    assert "Accords nécessaires à la validation" in html
    assert f"Obtenu : l'accord de {mother} (représentant légal)" in html
    assert f"<strong>Manquant</strong> : l'accord de {father} (représentant légal)" in html
    assert "<strong>Manquant</strong> : l'accord de la structure" in html
    assert "Non recueilli (facultatif) : l'avis de la personne" in html
    assert "Valider le projet" not in html
    # The agreement form offers the legal representatives, not other relatives.
    cousin = _relative(world.chloe, "Cousin", legal=False, relation="autre_famille")
    choices = response.context["agreement_form"].fields["representative"].queryset
    assert set(choices) == {mother, father} and cousin not in choices


def test_demo_minors_have_parents_who_signed_their_validated_pp(world):
    import random

    from opendui.accompaniment.demo_data import seed_projects
    from opendui.accompaniment.rules import activation_problem
    from opendui.accompaniment.services import valid_agreements
    from opendui.accompaniment.signatories import agreements_needed_for
    from opendui.persons.demo_data import seed_legal_representatives

    today = timezone.localdate()
    persons = [world.anne.pk, world.bruno.pk, world.chloe.pk]
    assert seed_legal_representatives(persons, today) == 2  # Chloé's two parents
    assert set(RelatedPerson.objects.values_list("person_id", flat=True)) == {world.chloe.pk}
    authors = [world.user("chef-de-service", facility=world.ime)]
    seed_projects([world.chloe.stays.get()], random.Random(0), authors, today)
    validated = list(PersonalisedProject.objects.filter(frozen=True))
    (project,) = validated
    assert project.agreements.filter(author_kind="representant").count() == 2
    needed = agreements_needed_for(world.chloe, project.validated_on)
    assert activation_problem(valid_agreements(project.agreements.all(), today), needed) is None
