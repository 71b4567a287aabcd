"""The projet personnalisé's section of the record export (documents.record_export):
social data (`person.view_social`, as the PP pages). The history of every version, then
the content of the latest validated version of each stay (expectations, goals with their
actions, services, reviews): what the person may ask to read (CASF D311).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from opendui.persons.sections import ExportSection, ExportTable, RecordReading, export_date

from .base import READ
from .models import Action, PersonalisedProject


def _latest_validated(versions: list[PersonalisedProject]) -> list[PersonalisedProject]:
    """Per stay, the validated (frozen) version of highest number."""
    latest: dict[int, PersonalisedProject] = {}
    for version in versions:
        if version.frozen and version.validated_on is not None:
            kept = latest.get(version.stay_id)
            if kept is None or version.number > kept.number:
                latest[version.stay_id] = version
    return sorted(latest.values(), key=lambda v: (v.validated_on, v.pk))


def project_tables(project: PersonalisedProject) -> list[ExportTable]:
    """The content of one validated version (a few queries, bounded by the version)."""
    where = f"{project.title} (v{project.number})"
    goals = project.goals.select_related("referent").prefetch_related(
        Prefetch("actions", queryset=Action.objects.order_by("pk"))
    )
    return [
        ExportTable(
            _("Attentes de la personne – %(pp)s") % {"pp": where},
            (_("Exprimée par"), _("Attente")),
            [(str(e.get_origin_display()), e.text) for e in project.expectations.all()],
        ),
        ExportTable(
            _("Objectifs et actions – %(pp)s") % {"pp": where},
            (_("Objectif"), _("Résultat attendu"), _("Échéance"), _("Actions")),
            [
                (
                    g.title,
                    g.expected_result or "–",
                    export_date(g.end_date),
                    "\n".join(a.title for a in g.actions.all()) or "–",
                )
                for g in goals.order_by("pk")
            ],
        ),
        ExportTable(
            _("Prestations – %(pp)s") % {"pp": where},
            (_("Prestation"), _("Fréquence")),
            [(f"{s.label} ({s.code})", s.frequency or "–") for s in project.services.all()],
        ),
        ExportTable(
            _("Bilans – %(pp)s") % {"pp": where},
            (_("Date"), _("Synthèse")),
            [(export_date(r.held_on), r.synthesis) for r in project.reviews.order_by("held_on")],
        ),
    ]


def project_section(reading: RecordReading) -> ExportSection | None:
    if not reading.allowed(READ):
        return None
    versions = list(
        PersonalisedProject.objects.filter(person=reading.person)
        .select_related("stay__facility")
        .defer("description")
        .order_by("stay__start_date", "stay_id", "number")
    )
    history = ExportTable(
        _("Versions du projet personnalisé"),
        (_("Établissement"), _("Version"), _("Intitulé"), _("État"), _("Validée le")),
        [
            (
                v.stay.facility.name,
                str(v.number),
                v.title,
                str(v.get_status_display()),
                export_date(v.validated_on),
            )
            for v in versions
        ],
        empty=_("Aucun projet personnalisé."),
    )
    tables = [history]
    for project in _latest_validated(versions):
        tables.extend(project_tables(project))
    return ExportSection(_("Projet personnalisé"), tables=tuple(tables))
