"""Demo transmissions: realistic French notes across categories and shifts.

Rows are built in memory and written with core.bulk.bulk_insert in batches (no audit: the
demo seed is recorded once as a system event by its caller). Deterministic for a
given `rng`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils import timezone

from opendui.core.bulk import bulk_insert

from .models import Note, NoteKind
from .rules import PARIS

BATCH_SIZE = 1000
WEEKS = 2  # notes cover the last two weeks of each stay

# (cible, données, actions, résultats) per data category.
TRANSMISSIONS: dict[str, list[tuple[str, str, str, str]]] = {
    "care": [
        (
            "Douleur",
            "Se plaint du genou droit à la mobilisation (EVA 5).",
            "Antalgique selon protocole, installation au fauteuil avec coussin.",
            "EVA 2 une heure après.",
        ),
        (
            "Risque de chute",
            "Lever difficile ce matin, équilibre précaire.",
            "Accompagnement à la marche avec le déambulateur, sonnette à portée de main.",
            "Pas de chute sur le poste.",
        ),
        (
            "Hydratation",
            "A peu bu depuis le matin, lèvres sèches.",
            "Boissons proposées toutes les heures, eau gélifiée.",
            "800 ml bus sur l'après-midi.",
        ),
        (
            "Sommeil",
            "Réveillée à 2 h, déambule dans le couloir.",
            "Réassurance, collation, raccompagnée en chambre.",
            "Rendormie vers 3 h.",
        ),
        (
            "Plaie talon gauche",
            "Plaie propre, pas d'écoulement.",
            "Réfection du pansement selon prescription.",
            "À revoir dans 48 h.",
        ),
        (
            "Élimination",
            "Pas de selles depuis trois jours.",
            "Hydratation renforcée, information de l'infirmière.",
            "Selles le lendemain matin.",
        ),
    ],
    "social": [
        (
            "Visite de la famille",
            "Visite de sa fille l'après-midi, échange chaleureux.",
            "Proposition d'un temps en salon pour la visite.",
            "Repas pris avec appétit ensuite.",
        ),
        (
            "Participation aux activités",
            "Refuse l'atelier mémoire.",
            "Proposition de l'atelier jardinage à la place.",
            "A participé 30 minutes, souriant.",
        ),
        (
            "Isolement",
            "Reste en chambre depuis deux jours.",
            "Passage régulier, invitation au goûter collectif.",
            "Est venu au goûter.",
        ),
        (
            "Autonomie dans les actes",
            "Souhaite choisir ses vêtements seul.",
            "Tenues préparées à sa hauteur dans l'armoire.",
            "S'est habillé seul ce matin.",
        ),
        (
            "Sortie extérieure",
            "Sortie au marché avec le groupe.",
            "Accompagnement à pied, gestion de son argent de poche.",
            "Contente de ses achats.",
        ),
    ],
    "medical": [
        (
            "Adaptation du traitement",
            "Tension artérielle basse au lever (10/6).",
            "Avis du médecin : diminution de l'antihypertenseur.",
            "Tension à surveiller 7 jours.",
        ),
        (
            "Suivi biologique",
            "Bilan sanguin prélevé ce matin.",
            "Résultats transmis au médecin traitant.",
            "Pas d'anomalie significative.",
        ),
        (
            "Toux",
            "Toux grasse depuis hier, température 37,9 °C.",
            "Auscultation par le médecin, kinésithérapie respiratoire prescrite.",
            "Apyrétique le lendemain.",
        ),
    ],
    "psychological": [
        (
            "Anxiété",
            "Exprime des inquiétudes sur son avenir dans l'établissement.",
            "Entretien individuel de 30 minutes.",
            "Apaisé en fin d'entretien, à revoir la semaine prochaine.",
        ),
        (
            "Deuil",
            "Évoque le décès de son épouse, pleure.",
            "Écoute, proposition d'un suivi régulier.",
            "Accepte un rendez-vous hebdomadaire.",
        ),
        (
            "Troubles du comportement",
            "Agressivité verbale envers un autre résident.",
            "Entretien, analyse avec l'équipe des situations déclenchantes.",
            "Pistes d'accompagnement partagées en réunion.",
        ),
    ],
    "administrative": [
        (
            "Dossier d'aide sociale",
            "Pièces manquantes pour le dossier d'aide sociale.",
            "Courrier envoyé à la famille.",
            "En attente du retour.",
        ),
        (
            "Mutuelle",
            "Nouvelle carte de mutuelle reçue.",
            "Carte scannée et dossier mis à jour.",
            "",
        ),
    ],
}
OBSERVATIONS: dict[str, list[str]] = {
    "care": ["Toilette réalisée au lavabo, participe bien.", "Bon appétit au repas de midi."],
    "social": ["Journée calme, a regardé un film au salon.", "A appelé son fils au téléphone."],
    "medical": ["Visite du médecin traitant, pas de changement de traitement."],
    "psychological": ["Humeur plus stable cette semaine, dort mieux."],
    "administrative": ["Rendez-vous pris avec la mandataire judiciaire."],
}
CATEGORY_WEIGHTS = {
    "care": 40,
    "social": 30,
    "medical": 10,
    "psychological": 8,
    "administrative": 12,
}
# Hours at which notes are written, so that the three shifts all get some.
HOURS = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 1, 3, 5, 6]


def _moment(rng: random.Random, day: dt.date) -> dt.datetime:
    hour = rng.choice(HOURS)
    return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=PARIS)


def _fields(rng: random.Random, category: str) -> dict[str, Any]:
    if rng.random() < 0.2:
        return {"kind": NoteKind.OBSERVATION, "text": rng.choice(OBSERVATIONS[category])}
    target, data, actions, results = rng.choice(TRANSMISSIONS[category])
    return {
        "kind": NoteKind.TRANSMISSION,
        "target": target,
        "data": data,
        "actions": actions,
        "results": results,
    }


def seed_notes(
    stays: Iterable[Any],
    rng: random.Random,
    authors_by_category: Mapping[str, Sequence[Any]],
    today: dt.date,
    per_person_per_week: int = 4,
) -> int:
    """Write demo notes for the stays (persons) given; returns the number created.

    `authors_by_category` gives, per data category, the users who may write it (a
    category without authors gets no notes). Notes fall on the days of each stay within
    the last WEEKS weeks, never in the future; a stay that started within that window
    gets an admission macrocible.
    """
    now = timezone.now()
    categories = [c for c in CATEGORY_WEIGHTS if authors_by_category.get(c)]
    if not categories:
        return 0
    weights = [CATEGORY_WEIGHTS[c] for c in categories]
    window_start = today - dt.timedelta(weeks=WEEKS)
    batch: list[Note] = []
    created = 0

    def flush() -> None:
        nonlocal created, batch
        bulk_insert(Note, batch)
        created += len(batch)
        batch = []

    for stay in stays:
        first = max(stay.start_date, window_start)
        last = min(stay.end_date or today, today)
        if first > last:
            continue
        days = (last - first).days + 1
        place = {
            "person_id": stay.person_id,
            "facility_id": stay.facility_id,
            "unit_id": stay.unit_id,
        }
        care_authors = authors_by_category.get("care") or authors_by_category[categories[0]]
        if stay.start_date >= window_start and stay.start_date <= today:
            written = min(_moment(rng, stay.start_date), now)
            batch.append(
                Note(
                    **place,
                    kind=NoteKind.MACROCIBLE,
                    macro_moment="admission",
                    category="care" if authors_by_category.get("care") else categories[0],
                    target="Entrée dans l'établissement",
                    data="Arrivée accompagnée de sa famille, découvre sa chambre.",
                    actions="Présentation de l'équipe et des lieux, recueil des habitudes de vie.",
                    results="Semble rassuré(e) en fin de journée.",
                    mtved_experience="Vit l'entrée comme un changement important.",
                    mtved_environment="Famille présente, visites prévues chaque semaine.",
                    author=rng.choice(care_authors),
                    written_at=written,
                )
            )
        count = max(1, round(per_person_per_week * days / 7))
        for _ in range(count):
            category = rng.choices(categories, weights)[0]
            day = first + dt.timedelta(days=rng.randrange(days))
            written = min(_moment(rng, day), now)
            batch.append(
                Note(
                    **place,
                    category=category,
                    author=rng.choice(authors_by_category[category]),
                    written_at=written,
                    **_fields(rng, category),
                )
            )
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
    return created
