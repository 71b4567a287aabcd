"""Milestones of an ESMS Numérique project, in order, with what each requires (pure).

Source: spec/programme-esms-numerique.md §4 and §3 (payments, SONS). A milestone's
state is derived from its dates, never stored, so it cannot disagree with them:
done when it has an actual date, late when its planned date has passed without one.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from .eligibility import GrappeType


class Kind(StrEnum):
    CANDIDATURE = "candidature"
    CONVENTION = "convention"
    EDITOR_CONTRACT = "contrat-editeur"
    CONFIGURATION = "parametrage"
    VA = "va"
    VSR = "vsr"
    TARGETS = "cibles"
    SECOND_PAYMENT = "second-versement"


ORDER = tuple(Kind)

LABELS = {
    Kind.CANDIDATURE: "Candidature à l'appel à projets (GALIS)",
    Kind.CONVENTION: "Convention avec l'ARS",
    Kind.EDITOR_CONTRACT: "Contrat avec l'éditeur",
    Kind.CONFIGURATION: "Paramétrage de la solution",
    Kind.VA: "Vérification d'aptitude (VA)",
    Kind.VSR: "Vérification de service régulier (VSR)",
    Kind.TARGETS: "Cibles d'usage atteintes (3 mesures mensuelles)",
    Kind.SECOND_PAYMENT: "Second versement",
}

REQUIREMENTS = {
    Kind.CANDIDATURE: (
        "Dossier déposé sur GALIS par le porteur (SIRET), liste des ESSMS de la grappe avec "
        "leur FINESS géographique, déclarations de non-redondance des financements."
    ),
    Kind.CONVENTION: (
        "Convention signée avec l'ARS : premier versement de 50 % du financement à la signature."
    ),
    Kind.EDITOR_CONTRACT: (
        "Contrat avec l'éditeur de la solution retenue, la même pour tous les ESSMS "
        "(barème 2025 : pas de contrat signé avant le 15/01/2025)."
    ),
    Kind.CONFIGURATION: ("La solution doit être référencée Ségur avant le début du paramétrage."),
    Kind.VA: (
        "Attestation signée par le représentant légal : DUI déployé dans chaque ESSMS, "
        "tableau de bord montrant des indicateurs non nuls pour chacun, les trois indicateurs "
        "DUI (dossiers actifs, avec projet personnalisé, avec au moins un événement) fournis "
        "pour chaque ESSMS. Obligatoire pour une montée de version ; déclenche les 70 % de la "
        "prestation SONS de l'éditeur."
    ),
    Kind.VSR: (
        "Vérification de service régulier, environ 18 mois après le lancement : mêmes "
        "indicateurs par ESSMS. Obligatoire pour une acquisition."
    ),
    Kind.TARGETS: (
        "Cibles d'usage atteintes et transmises à l'ARS chaque mois pendant 3 mois : dossiers "
        "actifs 90 %, avec projet personnalisé 90 %, avec au moins un événement 90 %, "
        "MSSanté 70 %, DMP 70 %."
    ),
    Kind.SECOND_PAYMENT: "Second versement de 50 %, une fois les cibles d'usage atteintes.",
}


def mandatory(kind: Kind, project_type: GrappeType) -> bool:
    """VA is mandatory for a montée de version, VSR for an acquisition (both for mixed)."""
    if kind is Kind.VA:
        return project_type in {GrappeType.UPGRADE, GrappeType.MIXED}
    if kind is Kind.VSR:
        return project_type in {GrappeType.ACQUISITION, GrappeType.MIXED}
    return True


class State(StrEnum):
    DONE = "fait"
    LATE = "en-retard"
    PLANNED = "prevu"
    UNPLANNED = "a-planifier"


STATE_LABELS = {
    State.DONE: "réalisé",
    State.LATE: "en retard",
    State.PLANNED: "prévu",
    State.UNPLANNED: "à planifier",
}


def state(planned_on: dt.date | None, done_on: dt.date | None, today: dt.date) -> State:
    if done_on is not None:
        return State.DONE
    if planned_on is None:
        return State.UNPLANNED
    return State.LATE if planned_on < today else State.PLANNED


def order_problem(dates: list[tuple[Kind, dt.date | None]]) -> str | None:
    """Actual dates must follow the milestones' order (a later step cannot be done earlier)."""
    previous: tuple[Kind, dt.date] | None = None
    for kind, done_on in sorted(dates, key=lambda item: ORDER.index(item[0])):
        if done_on is None:
            continue
        if previous is not None and done_on < previous[1]:
            return (
                f"« {LABELS[kind]} » ne peut pas être réalisé ({done_on:%d/%m/%Y}) avant "
                f"« {LABELS[previous[0]]} » ({previous[1]:%d/%m/%Y})."
            )
        previous = (kind, done_on)
    return None
