"""Demo projets personnalisés: realistic content, various statuses, some reviews overdue.

Bulk-created (the seeder writes thousands of rows; the services would audit each one),
deterministic for a given `rng`. Every row respects the model's database constraints
and the rules (agreements dated between the version's creation and its validation,
review due dates from `rules.review_due`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from opendui.core.bulk import bulk_insert
from opendui.nomenclatures import serafin
from opendui.nomenclatures.serafin import ValueSet
from opendui.persons.models_entourage import RelatedPerson

from .models import (
    Action,
    Agreement,
    Expectation,
    Goal,
    Need,
    PersonalisedProject,
    Review,
    Service,
)
from .rules import ItemStatus, ProjectStatus, review_due

EXPECTATIONS = [
    "Je voudrais sortir plus souvent, aller au marché le samedi.",
    "J'aimerais revoir ma fille plus souvent.",
    "Je veux garder mon fauteuil et mes photos dans ma chambre.",
    "Je voudrais apprendre à prendre le bus tout seul.",
    "Je ne veux plus qu'on me réveille trop tôt.",
    "J'aimerais participer à l'atelier cuisine.",
    "Je voudrais travailler à l'ESAT plus tard.",
]
GOALS = [
    ("Maintenir l'autonomie dans les déplacements", "Marche quotidienne accompagnée"),
    ("Favoriser les liens familiaux", "Appel vidéo hebdomadaire"),
    ("Participer à la vie sociale", "Inscription à une activité extérieure"),
    ("Préserver le sommeil et le rythme de vie", "Adapter l'horaire du lever"),
    ("Développer l'autonomie dans les transports", "Trajet accompagné puis seul"),
]
REVIEW_SYNTHESES = [
    "Objectifs en bonne voie ; la personne se dit satisfaite.",
    "Progrès sur les déplacements ; l'atelier cuisine est à reprendre.",
    "Situation stable ; la famille souhaite un point dans six mois.",
]


def _leaves(value_set: ValueSet) -> list[serafin.Concept]:
    return [c for c in serafin.concepts(value_set) if c.depth >= 2]


def seed_projects(stays: Sequence, rng: random.Random, authors: Sequence, today: dt.date) -> int:
    """PPs for about 85 % of `stays` (current stays); returns the number of PP versions."""
    needs = _leaves(ValueSet.NEEDS)
    direct = _leaves(ValueSet.DIRECT_SERVICES)
    indirect = _leaves(ValueSet.INDIRECT_SERVICES)
    projects: list[PersonalisedProject] = []
    for stay in stays:
        if rng.random() > 0.85 or not authors:
            continue
        roll = rng.random()
        created_on = max(stay.start_date, today - dt.timedelta(days=rng.randint(20, 900)))
        author = rng.choice(authors)
        project = PersonalisedProject(
            stay=stay,
            person_id=stay.person_id,
            number=1,
            project_type=rng.choice(["PPA", "PP", "PAI", "PI"]),
            title="Projet personnalisé",
            description="Projet construit avec la personne et son entourage.",
            created_by=author,
        )
        project.demo_created_on = created_on
        if roll < 0.2:  # still in preparation
            pass
        else:
            validated_on = min(today, created_on + dt.timedelta(days=rng.randint(5, 40)))
            project.status = ProjectStatus.PAUSED if roll > 0.95 else ProjectStatus.ACTIVE
            project.frozen = True
            project.validated_on = validated_on
            project.validated_at = timezone.make_aware(
                dt.datetime.combine(validated_on, dt.time(10))
            )
            project.validated_by = rng.choice(authors)
            project.start_date = validated_on
            project.next_review_due = review_due(validated_on)
        projects.append(project)
    bulk_insert(PersonalisedProject, projects)
    # created_at is auto_now_add: set the demo dates afterwards, row by row in bulk.
    for project in projects:
        project.created_at = timezone.make_aware(
            dt.datetime.combine(project.demo_created_on, dt.time(9))
        )
    PersonalisedProject.objects.bulk_update(projects, ["created_at"], batch_size=500)

    # A minor's legal representatives (persons.demo_data) sign their PP too.
    representatives: dict[int, list[RelatedPerson]] = {}
    for related in RelatedPerson.objects.filter(
        person_id__in={p.person_id for p in projects if p.frozen},
        is_active=True,
        is_legal_representative=True,
    ).order_by("pk"):
        representatives.setdefault(related.person_id, []).append(related)
    expectations, need_rows, goals, agreements, reviews = [], [], [], [], []
    for project in projects:
        for text in rng.sample(EXPECTATIONS, 2):
            expectations.append(Expectation(project=project, origin="personne", text=text))
        for concept in rng.sample(needs, 2):
            need_rows.append(
                Need(
                    project=project,
                    code=concept.code,
                    label=concept.display,
                    description="Observé par l'équipe.",
                )
            )
        item_status = ItemStatus.ACTIVE if project.frozen else ItemStatus.DRAFT
        for title, _action in rng.sample(GOALS, 2):
            goals.append(
                Goal(
                    project=project,
                    title=title,
                    expected_result="Amélioration constatée au bilan.",
                    person_opinion="D'accord.",
                    referent=rng.choice(authors),
                    status=item_status,
                )
            )
        created_on = project.demo_created_on
        if project.frozen:
            agreements.append(
                Agreement(project=project, author_kind="personne", signed_on=project.validated_on)
            )
            agreements += [
                Agreement(
                    project=project,
                    author_kind="representant",
                    representative=related,
                    signed_on=project.validated_on,
                )
                for related in representatives.get(project.person_id, [])
            ]
            agreements.append(
                Agreement(
                    project=project,
                    author_kind="structure",
                    professional=project.validated_by,
                    signed_on=project.validated_on,
                )
            )
            # Some have a review; those validated long ago without one are overdue.
            if rng.random() < 0.5 and (today - project.validated_on).days > 200:
                held = project.validated_on + dt.timedelta(days=rng.randint(150, 330))
                if held <= today:
                    reviews.append(
                        Review(
                            project=project,
                            held_on=held,
                            synthesis=rng.choice(REVIEW_SYNTHESES),
                            participants="La personne, l'éducateur référent, la cheffe de service.",
                            author=rng.choice(authors),
                        )
                    )
                    project.next_review_due = review_due(project.validated_on, held)
        elif rng.random() < 0.5:
            agreements.append(
                Agreement(project=project, author_kind="personne", signed_on=created_on)
            )
    bulk_insert(Expectation, expectations)
    bulk_insert(Need, need_rows)
    bulk_insert(Goal, goals)
    bulk_insert(Agreement, agreements)
    bulk_insert(Review, reviews)
    PersonalisedProject.objects.bulk_update(projects, ["next_review_due"], batch_size=500)
    actions, services = [], []
    for goal in goals:
        action_title = dict(GOALS)[goal.title]
        actions.append(
            Action(goal=goal, title=action_title, referent=goal.referent, status=goal.status)
        )
        pool = direct if rng.random() < 0.8 else indirect
        concept = rng.choice(pool)
        services.append(
            Service(
                project_id=goal.project_id,
                goal=goal,
                value_set=concept.value_set.value,
                code=concept.code,
                label=concept.display,
                frequency=rng.choice(["1 fois par semaine", "chaque jour", "2 fois par mois"]),
                status=goal.status,
            )
        )
    bulk_insert(Action, actions)
    bulk_insert(Service, services)
    return len(projects)
