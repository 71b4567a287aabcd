"""Exports of the activity report: CSV rows and JSON values, shared by the page and the command.

Aggregates only, like the report. Numbers stay numbers in JSON (null when a figure cannot
be computed, e.g. an occupation rate without recorded capacity); the CSV uses French
headers, `;` and decimal commas so that it opens as is in a French spreadsheet.
"""

from __future__ import annotations

from decimal import Decimal

from opendui.core.downloads import spreadsheet_csv

from .activity_report import ActivityReport, ModeRow

MODE_FIGURES: list[tuple[str, str]] = [
    ("capacity", "Capacité (places)"),
    ("persons", "Personnes (file active)"),
    ("admissions", "Admissions"),
    ("discharges", "Sorties"),
    ("stay_days", "Journées de séjour"),
    ("absence_days", "Journées d'absence"),
    ("presence_days", "Journées de présence effective"),
    ("occupation", "Taux d'occupation (%)"),
    ("ended_length", "Durée moyenne des séjours terminés (jours)"),
]
NO_CAPACITY = "capacité non renseignée"
SEX_LABELS = ("Femmes", "Hommes", "Sexe indéterminé")


def _mode_value(mode: ModeRow, name: str) -> object:
    value = getattr(mode, name)
    if value is None and name in {"capacity", "occupation"}:
        return NO_CAPACITY
    return value


def report_rows(report: ActivityReport) -> list[tuple[str, str, str, object]]:
    """(rubrique, ligne, indicateur, valeur) rows: the CSV export, in the page's order."""
    on = f"{report.period.end:%d/%m/%Y}"
    rows: list[tuple[str, str, str, object]] = [
        ("Période", "", "Du", f"{report.period.start:%d/%m/%Y}"),
        ("Période", "", "Au", on),
        ("Période", "", "Année en cours", "oui" if report.in_progress else "non"),
        ("File active", "Total", "Personnes", report.file_active),
    ]
    for mode in [*report.modes, report.total]:
        rows += [
            ("Activité par mode d'accueil", mode.label, label, _mode_value(mode, name))
            for name, label in MODE_FIGURES
        ]
    rows += [("Sorties par motif", r.label, "Sorties", r.count) for r in report.discharge_reasons]
    rows += [
        ("Sorties par destination", r.label, "Sorties", r.count)
        for r in report.discharge_destinations
    ]
    rows += [("Absences par type", r.label, "Journées", r.count) for r in report.absences]
    rows += [
        ("Durées", "Séjours terminés dans la période", "Nombre", report.ended_stays),
        (
            "Durées",
            "Séjours terminés dans la période",
            "Durée moyenne (jours)",
            report.average_length,
        ),
        ("Durées", f"Séjours en cours au {on}", "Nombre", report.present_stays),
        (
            "Durées",
            f"Séjours en cours au {on}",
            "Ancienneté moyenne (jours)",
            report.average_seniority,
        ),
    ]
    for age in [*report.ages, report.ages_total]:
        rows += [
            (f"Âge au {on}", age.label, label, value)
            for label, value in zip((*SEX_LABELS, "Total"), (*age.by_sex, age.total), strict=True)
        ]
    rows += [(f"GIR au {on}", f"GIR {gir}", "Personnes", n) for gir, n, _ in report.gmp.rows()]
    rows += [
        (f"GIR au {on}", "Sans GIR validé", "Personnes", report.gmp.without_gir),
        (
            f"GIR au {on}",
            "GMP",
            "GMP",
            report.gmp.gmp if report.gmp.gmp is not None else "non calculable",
        ),
    ]
    rows += [("Événements indésirables", r.label, "Événements", r.count) for r in report.incidents]
    rows.append(("Événements indésirables", "Total", "Événements", report.incidents_total))
    return rows


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _mode_json(mode: ModeRow) -> dict:
    return {
        "mode": mode.code,
        "libelle": mode.label,
        "capacite": mode.capacity,
        "personnes": mode.persons,
        "admissions": mode.admissions,
        "sorties": mode.discharges,
        "journees_sejour": mode.stay_days,
        "journees_absence": mode.absence_days,
        "journees_presence": mode.presence_days,
        "taux_occupation": _number(mode.occupation),
        "duree_moyenne_sejours_termines": _number(mode.ended_length),
    }


def report_json(report: ActivityReport) -> dict:
    """The report as plain JSON values (numbers as numbers, null when not computable)."""
    return {
        "finess": report.facility.finess_et,
        "etablissement": report.facility.name,
        "annee": report.year,
        "du": report.period.start.isoformat(),
        "au": report.period.end.isoformat(),
        "en_cours": report.in_progress,
        "file_active": report.file_active,
        "modes": [_mode_json(mode) for mode in report.modes],
        "total": _mode_json(report.total),
        "sorties_par_motif": {r.code: r.count for r in report.discharge_reasons},
        "sorties_par_destination": {r.code: r.count for r in report.discharge_destinations},
        "journees_absence_par_type": {r.code: r.count for r in report.absences},
        "sejours_termines": report.ended_stays,
        "duree_moyenne_sejour": _number(report.average_length),
        "sejours_en_cours": report.present_stays,
        "anciennete_moyenne": _number(report.average_seniority),
        "ages": [
            {
                "tranche": a.label,
                "femmes": a.by_sex[0],
                "hommes": a.by_sex[1],
                "indetermine": a.by_sex[2],
                "total": a.total,
            }
            for a in report.ages
        ],
        "gir": {str(gir): n for gir, n, _ in report.gmp.rows()},
        "sans_gir": report.gmp.without_gir,
        "gmp": _number(report.gmp.gmp),
        "evenements_indesirables": {
            "total": report.incidents_total,
            "par_categorie": {r.code: r.count for r in report.incidents},
        },
    }


def csv_text(report: ActivityReport) -> str:
    """UTF-8 text with a BOM, `;`-separated, French headers and decimal commas (Excel)."""
    finess = report.facility.finess_et
    return spreadsheet_csv(
        ["FINESS géographique", "Année", "Rubrique", "Ligne", "Indicateur", "Valeur"],
        (
            [finess, report.year, section, line, figure, value]
            for section, line, figure, value in report_rows(report)
        ),
    )
