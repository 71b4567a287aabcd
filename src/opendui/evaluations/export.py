"""The evaluations' section of the record export (documents.record_export): as the
Évaluations tab, the AGGIR grids (GIR history) with `person.view_care`, the filled
evaluations (social) with `person.view_social`; all of them, oldest first.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from opendui.persons.sections import ExportSection, ExportTable, RecordReading, export_date

from .selectors import aggir_grids, filled_evaluations

VIEW_CARE, VIEW_SOCIAL = "person.view_care", "person.view_social"


def evaluations_section(reading: RecordReading) -> ExportSection | None:
    care, social = reading.allowed(VIEW_CARE), reading.allowed(VIEW_SOCIAL)
    if not (care or social):
        return None
    person = reading.person
    tables = []
    if care:
        grids = aggir_grids(person).order_by("evaluated_on", "pk")
        tables.append(
            ExportTable(
                _("Grilles AGGIR (GIR)"),
                (_("Évaluée le"), _("État"), _("GIR"), _("Évaluateur"), _("Validée le")),
                (
                    (
                        export_date(g.evaluated_on),
                        str(g.get_status_display()),
                        str(g.gir) if g.gir else "–",
                        g.evaluator.get_full_name(),
                        export_date(g.validated_on),
                    )
                    for g in grids.iterator(chunk_size=500)
                ),
                empty=_("Aucune grille AGGIR."),
            )
        )
    if social:
        filled = filled_evaluations(person).order_by("evaluated_on", "pk")
        tables.append(
            ExportTable(
                _("Évaluations"),
                (_("Évaluée le"), _("Modèle"), _("État"), _("Auteur"), _("Synthèse")),
                (
                    (
                        export_date(e.evaluated_on),
                        str(e.model),
                        str(e.get_status_display()),
                        e.author.get_full_name(),
                        e.comment or "–",
                    )
                    for e in filled.iterator(chunk_size=500)
                ),
                empty=_("Aucune évaluation."),
            )
        )
    return ExportSection(_("Évaluations"), tables=tuple(tables))
