"""The pre-filled declaration to the ARS, without nominative data (CASF R331-8).

The arrêté of 28 December 2016 fixes the form; the fields kept here are those the project
reference lists (structure, category, dates, facts, victims or exposed persons, measures,
consequences, information of families and authorities, media impact). Persons involved
appear as "personne accompagnée n°1 (femme, 87 ans)"; professionals are never named. Free
texts are redacted (anonymity.py) of the names of the persons concerned and of the
professionals concerned (declarer, analyst, action owners), as whole words, and of their
identifiers (birth date, local record number, INS, e-mail, RPPS), in case someone typed
one; ordinary words are left as they are ("aide-soignante" stays).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from . import rules
from .anonymity import Concerned, redact
from .models import Incident
from .selectors import analysis_of

STAFF = "[professionnel]"


@dataclass
class Section:
    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)


def _local(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}" if moment else "non renseigné"


def _yes(value: bool) -> str:
    return "oui" if value else "non"


def _concerned(persons, staff) -> list[Concerned]:
    """Who the free texts must not name: each person (numbered) and each professional."""
    result = []
    for number, person in enumerate(persons, start=1):
        names = (
            person.birth_name,
            person.used_name,
            person.first_name,
            person.used_first_name,
            *person.birth_first_names.split(),  # each first name of the civil status
        )
        identifiers = (
            person.local_id,
            person.ins_matricule,
            f"{person.birth_date:%d/%m/%Y}",
            f"{person.birth_date:%d/%m/%y}",
            person.birth_date.isoformat(),
        )
        result.append(
            Concerned(
                f"[personne n°{number}]",
                tuple(n for n in names if n),
                tuple(i for i in identifiers if i),
            )
        )
    for user in staff:
        identifiers = (user.email, getattr(user, "rpps", ""))
        result.append(
            Concerned(
                STAFF,
                tuple(n for n in (user.first_name, user.last_name) if n),
                tuple(i for i in identifiers if i),
            )
        )
    return result


def build(incident: Incident, *, today: dt.date | None = None) -> list[Section]:
    """The declaration's sections. `incident` comes from selectors.incident_for_page."""
    today = today or timezone.localdate()
    persons = sorted(incident.persons.all(), key=lambda p: p.pk)
    staff = [incident.declared_by]
    analysis = analysis_of(incident)
    if analysis is not None:
        staff.append(analysis.analysed_by)
    staff.extend(a.owner for a in incident.actions.all())
    concerned = _concerned(persons, staff)

    def clean(text: str) -> str:
        return redact(text, concerned) if text else "non renseigné"

    facility = incident.facility
    organisation = facility.organisation
    structure = Section(
        "Structure déclarante",
        [
            ("Établissement", facility.name),
            ("N° FINESS de l'établissement", facility.finess_et),
            ("Catégorie", str(facility.category)),
            (
                "Adresse",
                " ".join(x for x in [facility.address, facility.postal_code, facility.city] if x)
                or "non renseignée",
            ),
            ("Organisme gestionnaire", organisation.name),
            ("N° FINESS juridique", organisation.finess_ej),
        ],
    )
    event = Section(
        "Événement",
        [
            ("Gravité", rules.SEVERITY_LABELS[rules.Severity(incident.severity)]),
            (
                "Catégorie(s) (arrêté du 28 décembre 2016)",
                "\n".join(incident.category_labels) or "non renseignée",
            ),
            ("Date et heure de survenue", _local(incident.occurred_at)),
            ("Date et heure de découverte", _local(incident.discovered_at)),
            ("Date de la déclaration interne", _local(incident.declared_at)),
            ("Lieu", clean(incident.place)),
            ("Nature des faits et circonstances", clean(incident.description)),
        ],
    )
    people = Section(
        "Personnes concernées (sans données nominatives)",
        [
            (
                f"Personne {n}",
                rules.anonymous_label(n, p.sex, rules.age_on(p.birth_date, today)),
            )
            for n, p in enumerate(persons, start=1)
        ],
    )
    if incident.others_involved:
        people.lines.append(("Autres personnes concernées", clean(incident.others_involved)))
    people.lines.append(
        (
            "Nombre de personnes victimes ou exposées",
            str(incident.exposed_count) if incident.exposed_count is not None else "non renseigné",
        )
    )
    measures = Section(
        "Mesures et conséquences",
        [
            ("Mesures immédiates prises", clean(incident.immediate_actions)),
            ("Conséquences constatées", clean(incident.consequences)),
            (
                "Mesures correctives prévues",
                "\n".join(
                    f"{clean(a.description)} (échéance {a.due_date:%d/%m/%Y}, "
                    f"{rules.ACTION_STATUS_LABELS[rules.ActionStatus(a.status)]})"
                    for a in incident.actions.all()
                )
                or "aucune à ce jour",
            ),
        ],
    )
    information = Section(
        "Information",
        [
            ("Familles ou proches informés", _yes(incident.families_informed)),
            ("Autorités informées", clean(incident.authorities_informed)),
            ("Conseil de la vie sociale informé", _yes(incident.cvs_informed)),
            ("Retentissement médiatique", _yes(incident.media_impact)),
            (
                "Signalement à l'ARS",
                (
                    f"{_local(incident.ars_reported_at)} "
                    f"({rules.REPORT_MODE_LABELS[rules.ReportMode(incident.ars_report_mode)]})"
                    if incident.ars_reported_at and incident.ars_report_mode
                    else "le présent document"
                ),
            ),
        ],
    )
    return [structure, event, people, measures, information]


def as_text(incident: Incident, sections: list[Section]) -> str:
    """The same content as plain text (to paste into a message or the ARS portal).

    No neutralisation of formula characters (core.downloads.spreadsheet_cell) here: the
    file is read by people and pasted into the portal's text fields, not opened as a
    spreadsheet, and a leading quote would alter what the ARS reads. No user-typed value
    starts a line anyway: each follows "- label : " or an indent of four spaces.
    """
    out = [
        "DÉCLARATION D'ÉVÉNEMENT À L'AGENCE RÉGIONALE DE SANTÉ",
        "(CASF L331-8-1 et R331-8 – arrêté du 28 décembre 2016) – sans données nominatives",
        "",
    ]
    for section in sections:
        out.append(section.title.upper())
        for label, value in section.lines:
            lines = value.splitlines() or [""]
            out.append(f"- {label} : {lines[0]}")
            out.extend(f"    {line}" for line in lines[1:])
        out.append("")
    return "\n".join(out)
