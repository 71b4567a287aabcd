"""Fixtures of the projet personnalisé tests: actors of world.ehpad and a draft PP of Anne."""

from __future__ import annotations

import datetime as dt

import pytest

from opendui.accompaniment import services
from opendui.core.actor import Actor
from opendui.persons.models_entourage import RelatedPerson


@pytest.fixture
def educator(world):
    return world.user("educateur", facility=world.ehpad)


@pytest.fixture
def chief(world):
    return world.user("chef-de-service", facility=world.ehpad)


@pytest.fixture
def edu(educator) -> Actor:
    return Actor(educator)


@pytest.fixture
def boss(chief) -> Actor:
    return Actor(chief)


@pytest.fixture
def stay(world):
    return world.anne.stays.get()


@pytest.fixture
def draft(edu, stay):
    project = services.create_project(edu, stay, project_type="PPA", title="Vivre à mon rythme")
    project.refresh_from_db()
    return project


@pytest.fixture
def guardian(world):
    return RelatedPerson.objects.create(
        person=world.anne,
        last_name="MARTIN",
        first_name="Paul",
        relation="enfant",
        is_legal_representative=True,
    )


def agree(project, edu: Actor, boss: Actor, on: dt.date | None = None) -> None:
    """The person's and the structure's agreements, dated today unless told."""
    from django.utils import timezone

    on = on or timezone.localdate()
    services.add_agreement(edu, project, author_kind="personne", signed_on=on)
    services.add_agreement(boss, project, author_kind="structure", signed_on=on)


@pytest.fixture
def running(draft, edu, boss):
    from opendui.accompaniment import sections

    sections.add_expectation(edu, draft, origin="personne", text="Je veux jardiner.")
    sections.add_need(edu, draft, code="1.1.2", description="Voit mal de loin")
    goal = sections.add_goal(edu, draft, title="Aller au jardin chaque semaine")
    sections.add_action(edu, goal, title="Accompagnement le mardi")
    sections.add_service(edu, draft, code="2.1.1.1", goal=goal, frequency="1 fois par semaine")
    agree(draft, edu, boss)
    draft.refresh_from_db()
    return services.validate(boss, draft, expected_version=draft.version)
