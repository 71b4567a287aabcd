"""The audit hook fills the indicator tables in the write's transaction; the backfill agrees."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from opendui.accompaniment import sections, services
from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.pilotage.backfill import rebuild
from opendui.pilotage.models import ProjectChange, RecordActivity


def activity():
    return sorted(RecordActivity.objects.values_list("person_id", "day", "by_job"))


def pp_changes():
    return sorted(
        ProjectChange.objects.values_list(
            "project_id", "person_id", "facility_id", "status", "by_job"
        )
    )


@pytest.mark.django_db
def test_writes_fill_the_tables_reads_do_not(world):
    today = timezone.localdate()
    edu = Actor(world.user("educateur", facility=world.ehpad))
    stay = world.anne.stays.get()
    project = services.create_project(edu, stay, project_type="PPA", title="Vivre à mon rythme")
    project.refresh_from_db()
    sections.add_expectation(edu, project, origin="personne", text="Jardiner")
    # Two writes the same day: one activity row; reads add nothing.
    record(edu, EventKind.ACCESS, "person.view", person_ids=[world.bruno.pk])
    record(Actor.system("job"), EventKind.CHANGE, "insi.reverify", person_ids=[world.anne.pk])
    assert activity() == [(world.anne.pk, today, False), (world.anne.pk, today, True)]
    # The version's creation carries its status; the section's write is an événement only.
    assert pp_changes() == [
        (project.pk, world.anne.pk, world.ehpad.pk, "", False),
        (project.pk, world.anne.pk, world.ehpad.pk, "ENPREPARATION", False),
    ]
    before = (activity(), pp_changes())
    assert rebuild(batch=2)["modifications_pp"] == 2
    assert (activity(), pp_changes()) == before


@pytest.mark.django_db
def test_a_refused_write_leaves_no_row(world):
    outsider = Actor(world.user("educateur", facility=world.other))
    with pytest.raises(PermissionDenied):
        services.create_project(outsider, world.anne.stays.get(), project_type="PP", title="x")
    assert not RecordActivity.objects.exists() and not ProjectChange.objects.exists()


@pytest.mark.django_db
def test_the_periodic_task_keeps_the_closed_months(world):
    from opendui.pilotage.models import MonthlyMeasure
    from opendui.pilotage.tasks import keep_closed_months

    assert keep_closed_months.call(months=3) == {"etablissements": 3, "mois": 3}
    assert MonthlyMeasure.objects.count() == 3 * 3
    keep_closed_months.call(months=3)  # kept rows are reused, not duplicated
    assert MonthlyMeasure.objects.count() == 9


def test_the_pilotage_app_registers_its_hook_with_the_audit():
    from opendui.audit.services import CHANGE_LISTENERS
    from opendui.pilotage.usage_hook import note_change

    assert CHANGE_LISTENERS.count(note_change) == 1
