"""Demo incidents: about a dozen per facility over the last year, in every status.

Written directly (bulk inserts), like the rest of the demo seed: the seeder records one
system audit event for the whole demo, not one per row.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils import timezone

from . import rules
from .models import Analysis, CorrectiveAction, Incident

PER_FACILITY = 12

# (severity, categories, place, facts, immediate actions, causes, corrective action)
_SCENARIOS = [
    (
        "ei",
        [],
        "Salle à manger",
        "Chute d'une résidente en se levant de table, sans blessure apparente.",
        "Relevée, examen par l'infirmière, surveillance renforcée 24 h.",
        "Chaussures inadaptées, sol récemment lavé.",
        "Rappeler le protocole de nettoyage pendant les repas",
    ),
    (
        "eig",
        ["4"],
        "Chambre",
        "Erreur de distribution de médicaments : traitement du soir donné à une autre personne.",
        "Appel du médecin, surveillance des constantes toute la nuit.",
        "Piluliers non étiquetés, interruption pendant la distribution.",
        "Double vérification des piluliers nominatifs",
    ),
    (
        "eig",
        ["9"],
        "Extérieur de l'établissement",
        "Disparition d'une personne accompagnée, retrouvée deux heures plus tard ; gendarmerie alertée.",
        "Recherches dans le parc, alerte de la gendarmerie, information de la famille.",
        "Digicode de la porte du jardin en panne.",
        "Contrôle hebdomadaire des issues",
    ),
    (
        "eig",
        ["10"],
        "Unité de vie",
        "Comportement violent d'une personne accompagnée envers une autre : griffures au bras.",
        "Séparation des personnes, soins, information des familles.",
        "Changement de chambre mal préparé, douleur non repérée.",
        "Réunion pluridisciplinaire et évaluation de la douleur",
    ),
    (
        "dysfonctionnement_grave",
        ["3"],
        "Établissement",
        "Nuit assurée par un seul professionnel après deux absences non remplacées.",
        "Appel de la cadre d'astreinte, renfort à 2 h.",
        "Liste de remplaçants non à jour.",
        "Mettre à jour la liste de remplacement et le planning d'astreinte",
    ),
    (
        "ei",
        [],
        "Salle de bain",
        "Eau du robinet trop chaude signalée lors d'une toilette.",
        "Arrêt de la toilette, appel du service technique.",
        "Mitigeur thermostatique défectueux.",
        "Remplacer les mitigeurs de l'étage",
    ),
    (
        "eig",
        ["2"],
        "Cuisine",
        "Panne du groupe froid : rupture de la chaîne du froid pendant 6 heures.",
        "Denrées jetées, repas commandés à l'extérieur.",
        "Contrat de maintenance sans intervention le week-end.",
        "Renégocier le contrat de maintenance",
    ),
    (
        "eig",
        ["5"],
        "Accueil",
        "Propos menaçants répétés d'un proche envers l'équipe lors des visites.",
        "Entretien avec la direction, main courante déposée.",
        "Désaccord ancien sur le projet personnalisé, non traité.",
        "Rencontre de médiation avec la famille",
    ),
    (
        "ei",
        [],
        "Couloir",
        "Lit laissé dans le couloir gênant l'évacuation.",
        "Lit rangé immédiatement.",
        "Local de stockage saturé.",
        "Désencombrer le local de stockage",
    ),
    (
        "eig",
        ["1"],
        "Bâtiment B",
        "Inondation d'une aile après un orage : trois chambres évacuées.",
        "Relogement provisoire des personnes, information des familles.",
        "Gouttières obstruées.",
        "Nettoyage trimestriel des gouttières",
    ),
    (
        "eig",
        ["8"],
        "Chambre",
        "Suspicion de maltraitance verbale signalée par une stagiaire.",
        "Professionnel concerné écarté du service, entretien avec la personne.",
        "Épuisement de l'équipe, absence d'analyse des pratiques.",
        "Séances d'analyse des pratiques mensuelles",
    ),
    (
        "ei",
        [],
        "Jardin",
        "Porte du jardin trouvée ouverte la nuit.",
        "Porte refermée, ronde effectuée.",
        "Oubli lors de la fermeture du soir.",
        "Ajouter la porte du jardin à la check-list de nuit",
    ),
]


def _pick(users: Mapping[int, Sequence[Any]] | Sequence[Any], facility_id: int) -> Sequence[Any]:
    if isinstance(users, Mapping):
        return users.get(facility_id, ())
    return users


def seed_incidents(
    facilities: Sequence[Any],
    stays: Iterable[Any],
    rng: random.Random,
    declarers: Mapping[int, Sequence[Any]] | Sequence[Any],
    managers: Mapping[int, Sequence[Any]] | Sequence[Any],
    today: dt.date,
) -> int:
    """Create demo incidents; returns how many.

    `stays`: stays of the facilities (their `facility_id` and `person_id` are read);
    `declarers` and `managers`: users by facility pk, or one list for every facility.
    A facility without declarer gets no incident.
    """
    persons_by_facility: dict[int, list[int]] = defaultdict(list)
    for stay in stays:
        persons_by_facility[stay.facility_id].append(stay.person_id)
    tz = timezone.get_current_timezone()
    now = timezone.now()
    created = 0
    for facility in facilities:
        staff = list(_pick(declarers, facility.pk))
        chiefs = list(_pick(managers, facility.pk)) or staff
        if not staff:
            continue
        residents = sorted(set(persons_by_facility.get(facility.pk, ())))
        plans = []
        for index in range(PER_FACILITY):
            scenario = _SCENARIOS[index % len(_SCENARIOS)]
            days_ago = rng.randint(1, 364) if index >= 3 else index  # a few very recent
            occurred = dt.datetime.combine(
                today - dt.timedelta(days=days_ago),
                dt.time(rng.randint(6, 22), rng.choice([0, 15, 30, 45])),
                tzinfo=tz,
            )
            occurred = min(occurred, now - dt.timedelta(hours=2))
            declared = min(occurred + dt.timedelta(hours=rng.randint(1, 20)), now)
            plans.append((index, scenario, occurred, declared))
        incidents = []
        for index, (
            severity,
            categories,
            place,
            facts,
            immediate,
            _c,
            _a,
        ), occurred, declared in plans:
            reportable = rules.must_report(severity)
            old = (now - occurred).days > 30
            status = (
                rules.Status.CLOSED
                if old and index % 3
                else rules.Status.ANALYSIS
                if index % 2 or old
                else rules.Status.DECLARED
            )
            reported = mode = confirmed = None
            if reportable and (status != rules.Status.DECLARED or index % 4 == 1):
                reported = min(declared + dt.timedelta(hours=rng.randint(1, 6)), now)
                mode = rules.ReportMode.ORAL if index % 2 else rules.ReportMode.WRITTEN
                if mode == rules.ReportMode.ORAL and (old or status == rules.Status.CLOSED):
                    confirmed = reported + dt.timedelta(hours=rng.randint(2, 40))
            incidents.append(
                Incident(
                    facility=facility,
                    declared_by=rng.choice(staff),
                    declared_at=declared,
                    occurred_at=occurred,
                    place=place,
                    description=facts,
                    immediate_actions=immediate,
                    severity=severity,
                    categories=categories,
                    others_involved="Une aide-soignante de l'équipe de jour"
                    if index % 3 == 0
                    else "",
                    exposed_count=1 if residents else None,
                    families_informed=reportable,
                    status=status.value,
                    closed_at=min(declared + dt.timedelta(days=20), now)
                    if status == rules.Status.CLOSED
                    else None,
                    ars_reported_at=reported,
                    ars_report_mode=mode.value if mode else "",
                    ars_confirmed_at=confirmed,
                    cvs_informed=reportable and status == rules.Status.CLOSED,
                    cvs_informed_on=(declared + dt.timedelta(days=30)).date()
                    if reportable and status == rules.Status.CLOSED and old
                    else None,
                )
            )
        Incident.objects.bulk_create(incidents)
        links, analyses, actions = [], [], []
        through = Incident.persons.through
        for incident, (index, scenario, _occurred, declared) in zip(incidents, plans, strict=True):
            if residents and index % 6 != 4:
                for person_id in rng.sample(residents, k=min(len(residents), 1 + index % 2)):
                    links.append(through(incident_id=incident.pk, person_id=person_id))
            if incident.status == rules.Status.DECLARED:
                continue
            chief = rng.choice(chiefs)
            analysed_on = min(declared.date() + dt.timedelta(days=rng.randint(1, 10)), today)
            analyses.append(
                Analysis(
                    incident=incident,
                    causes=scenario[5],
                    analysed_by=chief,
                    analysed_on=analysed_on,
                )
            )
            closed = incident.status == rules.Status.CLOSED
            due = analysed_on + dt.timedelta(days=rng.randint(15, 90))
            actions.append(
                CorrectiveAction(
                    incident=incident,
                    description=scenario[6],
                    owner=chief,
                    due_date=due,
                    status=(
                        rules.ActionStatus.DONE if closed else rules.ActionStatus.IN_PROGRESS
                    ).value,
                    done_on=min(due, today) if closed else None,
                )
            )
        through.objects.bulk_create(links)
        Analysis.objects.bulk_create(analyses)
        CorrectiveAction.objects.bulk_create(actions)
        created += len(incidents)
    return created
