"""Recompute the stored review due date of every validated PP version with the rule.

`next_review_due` is a copy of `rules.review_due` (validation, latest review and the next
date it asked), kept for the pages that show it (the record page, the PDF, the person's
list of versions). Before the review form refused a next date more than a year away, such
a date could be stored on a review; the copy was always clamped, but data entered by other
means may hold a later date. The copy is set back to the rule; no content changes, so the
rows' lock versions are kept and nothing is audited (the facility's overdue list computes
the rule in SQL and never relied on the copy).
"""

from django.db import migrations

BATCH = 500


def recompute(apps, schema_editor):
    from opendui.accompaniment.rules import review_due

    Project = apps.get_model("accompaniment", "PersonalisedProject")
    Review = apps.get_model("accompaniment", "Review")
    latest: dict[int, tuple] = {}
    for project_id, held_on, next_on in Review.objects.order_by(
        "project_id", "held_on", "pk"
    ).values_list("project_id", "held_on", "next_review_on"):
        latest[project_id] = (held_on, next_on)  # the last one per project wins
    changed = []
    for project in Project.objects.filter(validated_on__isnull=False).only(
        "pk", "validated_on", "next_review_due"
    ):
        held_on, next_on = latest.get(project.pk, (None, None))
        due = review_due(project.validated_on, held_on, next_on)
        if project.next_review_due != due:
            project.next_review_due = due
            changed.append(project)
    Project.objects.bulk_update(changed, ["next_review_due"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("accompaniment", "0001_initial")]
    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
