"""Services of the projet personnalisé: lifecycle, refusals (nothing saved), audit, DB rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from opendui.accompaniment import sections, services
from opendui.accompaniment.models import (
    Action,
    Agreement,
    Expectation,
    Goal,
    Need,
    PersonalisedProject,
    Review,
    Service,
)
from opendui.accompaniment.needs import NeedSuggestion
from opendui.accompaniment.rules import ItemStatus, ProjectStatus
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import CURRENT, ConcurrentEditError
from opendui.stays.rules import add_months

from .conftest import agree


def test_educator_drafts_with_expectations_and_codes(draft, edu):
    sections.add_expectation(edu, draft, origin="personne", text="Je veux revoir ma sœur.")
    need = sections.add_need(edu, draft, code="1.1.2", source="évaluation n°3")
    service = sections.add_service(edu, draft, code="3.1.1.1")
    assert need.label == "Besoins en matière de fonctions sensorielles"
    assert service.value_set == "J283"
    assert draft.status == ProjectStatus.DRAFT and not draft.frozen
    assert AuditEvent.objects.filter(action="pp.create").count() == 1


@pytest.mark.parametrize(
    ("add", "code"),
    [(sections.add_need, "9.9"), (sections.add_need, "2.1.1.1"), (sections.add_service, "1.1.2")],
)
def test_unknown_or_wrong_serafin_code_saves_nothing(draft, edu, add, code):
    with pytest.raises(ValidationError) as error:
        add(edu, draft, code=code)
    assert "SERAFIN" in str(error.value) or "pas un" in str(error.value)
    assert not Need.objects.exists() and not Service.objects.exists()


def test_add_needs_is_all_or_nothing(draft, edu):
    good = NeedSuggestion("1.1.2", "Vue", "évaluation n°1")
    with pytest.raises(ValidationError):
        sections.add_needs(edu, draft, [good, NeedSuggestion("0.0", "?", "évaluation n°1")])
    assert not Need.objects.exists()
    needs = services.add_needs(edu, draft, [good, NeedSuggestion("1.1.3", "Douleur", "éval")])
    assert [n.source for n in needs] == ["évaluation n°1", "éval"]


def test_encours_refused_without_structure_agreement(draft, edu, boss):
    services.add_agreement(edu, draft, author_kind="personne", signed_on=timezone.localdate())
    with pytest.raises(ValidationError, match="structure"):
        services.validate(boss, draft, expected_version=CURRENT)
    draft.refresh_from_db()
    assert draft.status == ProjectStatus.DRAFT and not draft.frozen


def test_encours_refused_without_person_agreement(draft, boss):
    services.add_agreement(boss, draft, author_kind="structure", signed_on=timezone.localdate())
    with pytest.raises(ValidationError, match="personne"):
        services.validate(boss, draft, expected_version=CURRENT)


def test_expired_agreement_does_not_count(draft, edu, boss):
    today = timezone.localdate()
    # Created "yesterday" so that a validity ending yesterday is possible.
    PersonalisedProject.objects.filter(pk=draft.pk).update(
        created_at=timezone.now() - dt.timedelta(days=3)
    )
    draft.refresh_from_db()
    services.add_agreement(
        edu,
        draft,
        author_kind="personne",
        signed_on=today - dt.timedelta(days=2),
        valid_until=today - dt.timedelta(days=1),
    )
    services.add_agreement(boss, draft, author_kind="structure", signed_on=today)
    with pytest.raises(ValidationError, match="personne"):
        services.validate(boss, draft, expected_version=CURRENT)


def test_validation_with_representative_agreement(draft, boss, edu, guardian):
    services.add_agreement(
        edu,
        draft,
        author_kind="representant",
        representative=guardian,
        signed_on=timezone.localdate(),
    )
    services.add_agreement(boss, draft, author_kind="structure", signed_on=timezone.localdate())
    assert services.validate(boss, draft, expected_version=CURRENT).status == ProjectStatus.ACTIVE


def test_representative_must_be_a_legal_representative_of_the_person(draft, edu, guardian):
    guardian.is_legal_representative = False
    guardian.save()
    with pytest.raises(ValidationError, match="représentant légal"):
        services.add_agreement(
            edu,
            draft,
            author_kind="representant",
            representative=guardian,
            signed_on=timezone.localdate(),
        )
    assert not Agreement.objects.exists()


def test_agreement_dated_before_the_project_or_in_the_future_is_refused(draft, edu):
    today = timezone.localdate()
    for day in (today - dt.timedelta(days=1), today + dt.timedelta(days=1)):
        with pytest.raises(ValidationError):
            services.add_agreement(edu, draft, author_kind="personne", signed_on=day)
    assert not Agreement.objects.exists()


def test_structure_agreement_and_validation_need_pp_validate(draft, edu):
    with pytest.raises(PermissionDenied):
        services.add_agreement(edu, draft, author_kind="structure", signed_on=timezone.localdate())
    with pytest.raises(PermissionDenied):
        services.validate(edu, draft, expected_version=CURRENT)
    assert not Agreement.objects.exists()


def test_validation_freezes_and_starts_the_yearly_review(running, boss):
    today = timezone.localdate()
    assert running.frozen and running.status == ProjectStatus.ACTIVE
    assert running.validated_on == today and running.validated_by == boss.user
    assert running.next_review_due == add_months(today, 12)
    assert set(Goal.objects.values_list("status", flat=True)) == {ItemStatus.ACTIVE}
    assert set(Action.objects.values_list("status", flat=True)) == {ItemStatus.ACTIVE}
    assert AuditEvent.objects.filter(action="pp.validate").count() == 1


def test_frozen_version_content_cannot_change(running, edu):
    with pytest.raises(ValidationError, match="figée"):
        sections.add_expectation(edu, running, origin="personne", text="Autre chose")
    with pytest.raises(ValidationError, match="figée"):
        services.update_project(
            edu, running, expected_version=running.version, project_type="PP", title="Nouveau"
        )
    running.refresh_from_db()
    assert running.title == "Vivre à mon rythme"
    assert Expectation.objects.count() == 1


def test_goal_status_follows_the_item_rules_on_a_running_version(running, edu):
    goal = Goal.objects.get()
    done = sections.change_item_status(edu, goal, ItemStatus.DONE, expected_version=goal.version)
    assert done.status == ItemStatus.DONE
    with pytest.raises(ValidationError):
        sections.change_item_status(edu, done, ItemStatus.ACTIVE, expected_version=done.version)


def test_invalid_pp_transition_is_refused_and_nothing_saved(running, boss):
    with pytest.raises(ValidationError):
        services.change_status(boss, running, ProjectStatus.DRAFT, expected_version=running.version)
    paused = services.change_status(
        boss, running, ProjectStatus.PAUSED, expected_version=running.version
    )
    assert paused.status == ProjectStatus.PAUSED
    done = services.change_status(boss, paused, ProjectStatus.DONE, expected_version=paused.version)
    with pytest.raises(ValidationError):
        services.change_status(boss, done, ProjectStatus.ACTIVE, expected_version=done.version)
    assert PersonalisedProject.objects.get().status == ProjectStatus.DONE


def test_new_version_copies_content_and_keeps_the_frozen_one(running, edu, boss):
    v2 = services.new_version(edu, running)
    assert v2.number == 2 and v2.previous_id == running.pk and v2.status == ProjectStatus.DRAFT
    assert v2.expectations.count() == 1 and v2.needs.count() == 1
    assert v2.goals.get().actions.count() == 1
    assert v2.services.get().goal == v2.goals.get()
    assert not v2.agreements.exists()
    running.refresh_from_db()
    assert running.frozen and running.status == ProjectStatus.ACTIVE
    with pytest.raises(ValidationError, match="déjà"):
        services.new_version(edu, running)
    sections.add_expectation(edu, v2, origin="proche", text="Qu'elle sorte plus.")
    agree(v2, edu, boss)
    services.validate(boss, v2, expected_version=CURRENT)
    running.refresh_from_db()
    assert running.status == ProjectStatus.DONE
    assert running.expectations.count() == 1  # the frozen version did not change


def test_review_moves_the_due_date(running, edu):
    today = timezone.localdate()
    services.add_review(
        edu, running, held_on=today, synthesis="Bien.", next_review_on=add_months(today, 3)
    )
    running.refresh_from_db()
    assert running.next_review_due == add_months(today, 3)
    assert Review.objects.count() == 1


def test_review_of_a_draft_is_refused(draft, edu):
    with pytest.raises(ValidationError):
        services.add_review(edu, draft, held_on=timezone.localdate(), synthesis="x")
    assert not Review.objects.exists()


def test_concurrent_edit_is_refused_and_nothing_overwritten(draft, edu, educator, world):
    other = Actor(world.user("educateur", facility=world.ehpad))
    loaded = draft.version
    services.update_project(
        other, draft, expected_version=loaded, project_type="PPA", title="Version de l'autre"
    )
    with pytest.raises(ConcurrentEditError):
        services.update_project(
            edu, draft, expected_version=loaded, project_type="PPA", title="Ma version"
        )
    assert PersonalisedProject.objects.get().title == "Version de l'autre"


def test_validating_a_stale_page_is_refused(draft, edu, boss):
    agree(draft, edu, boss)
    draft.refresh_from_db()
    seen = draft.version
    sections.add_goal(edu, draft, title="Ajouté pendant ce temps")
    with pytest.raises(ConcurrentEditError):
        services.validate(boss, draft, expected_version=seen)
    assert PersonalisedProject.objects.get().status == ProjectStatus.DRAFT


def test_concurrent_goal_edit(draft, edu):
    goal = sections.add_goal(edu, draft, title="Premier")
    sections.update_goal(edu, goal, expected_version=goal.version, title="Deuxième")
    with pytest.raises(ConcurrentEditError):
        sections.update_goal(edu, goal, expected_version=goal.version, title="Troisième")
    assert Goal.objects.get().title == "Deuxième"


def test_outsiders_cannot_write_or_create(world, stay, draft):
    outsider = Actor(world.user("educateur", facility=world.ime))
    with pytest.raises(PermissionDenied):
        services.create_project(outsider, stay, project_type="PP", title="x")
    with pytest.raises(PermissionDenied):
        sections.add_expectation(outsider, draft, origin="personne", text="x")
    psychologist = Actor(world.user("psychologue", facility=world.ehpad))  # social: read only
    with pytest.raises(PermissionDenied):
        sections.add_expectation(psychologist, draft, origin="personne", text="x")
    assert not Expectation.objects.exists()


def test_second_project_for_a_stay_is_refused(draft, edu, stay):
    with pytest.raises(ValidationError):
        services.create_project(edu, stay, project_type="PP", title="Encore")
    with pytest.raises(ValidationError):
        services.create_project(edu, stay, project_type="XYZ", title="Type inconnu")
    assert PersonalisedProject.objects.count() == 1


def test_removing_a_draft_row_is_audited(draft, edu):
    item = sections.add_expectation(edu, draft, origin="personne", text="Sortir")
    item.project = draft
    sections.remove_row(edu, item, expected_version=item.version)
    assert not Expectation.objects.exists()
    event = AuditEvent.objects.get(action="pp.section_remove")
    assert event.details["removed"]["text"] == "Sortir"


def test_every_write_is_audited_with_the_person(running, world):
    actions = set(
        AuditEvent.objects.filter(action__startswith="pp.").values_list("action", flat=True)
    )
    assert {
        "pp.create",
        "pp.expectation",
        "pp.need",
        "pp.goal",
        "pp.action",
        "pp.service",
        "pp.agreement",
        "pp.validate",
        "pp.item_status",
    } <= actions
    for event in AuditEvent.objects.filter(action__startswith="pp."):
        assert event.person_ids == [world.anne.pk]


# --- the database holds what it can ----------------------------------------------------------


def _violates(**changes) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonalisedProject.objects.filter(**changes.pop("where")).update(**changes)


def test_database_refuses_inconsistent_projects(running, draft):
    _violates(where={"pk": running.pk}, frozen=False)
    _violates(where={"pk": running.pk}, project_type="XX")
    _violates(where={"pk": running.pk}, status="ACTIF")


def test_database_refuses_two_running_or_two_drafts(running, edu, stay):
    v2 = services.new_version(edu, running)
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonalisedProject.objects.create(
            stay=stay, person=stay.person, number=3, project_type="PP", title="x"
        )
    assert v2.status == ProjectStatus.DRAFT


def test_database_refuses_bad_codes_and_signatories(draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.create(project=draft, code="2.1", label="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Service.objects.create(project=draft, value_set="J284", code="3.1", label="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.create(
            project=draft, author_kind="structure", signed_on=timezone.localdate()
        )
