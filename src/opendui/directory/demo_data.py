"""Demo directory: a few external professionals and structures of the facilities' towns,
linked to the demo persons (médecin traitant, pharmacy).

Called by demo.activity inside the seed's transaction. Everything goes through the
services (create_professional, create_structure, link_professional), under the account of
a demo professional allowed to do it, so the validation and the audit trail are those of
real use. Deterministic for a given seed.

Plausible but obviously fictitious: RPPS numbers in a range of their own with a valid
Luhn key, FINESS numbers of the facility's département with a valid key, MSSanté
addresses under `opendui-demo.mssante.fr`, phone numbers from the ranges ARCEP reserves
for fiction (01 99 00…, 02 61 91…, 03 53 01…, 04 65 71…, 05 36 49…).
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Sequence

from opendui.core.actor import Actor
from opendui.core.identifiers import luhn_check_digit

from . import professions
from .models import LinkRole, StructureKind
from .services import create_professional, create_structure, link_professional

DEMO_MSSANTE = "opendui-demo.mssante.fr"
#: Fiction ranges (ARCEP), by the first digit of the postal code's zone.
FICTION_PHONES = ("01 99 00", "02 61 91", "03 53 01", "04 65 71", "05 36 49")
GP_NAMES = (
    ("DR", "LEMAIRE", "Hélène"),
    ("DR", "BERTRAND", "Olivier"),
    ("DR", "NGUYEN", "Thi Mai"),
    ("DR", "CARPENTIER", "Luc"),
    ("DR", "BENALI", "Samira"),
    ("DR", "MOREL", "Antoine"),
    ("DR", "FAURE", "Isabelle"),
)
OTHERS = (
    ("DR", "VIDAL", "Marc", professions.MEDECIN, "Psychiatrie"),
    ("M", "LAMBERT", "Yann", professions.MASSEUR_KINESITHERAPEUTE, ""),
    ("MME", "PERRIN", "Agathe", professions.INFIRMIER, ""),
)
#: Share of the persons who get a médecin traitant in the demo.
GP_SHARE = 0.85


def _rpps(index: int) -> str:
    body = f"1099{index:06d}"
    return body + luhn_check_digit(body)


def _finess(department: str, index: int) -> str:
    body = f"{department}0{90000 + index:05d}"
    return body + luhn_check_digit(body)


def _phone(index: int) -> str:
    return f"{FICTION_PHONES[index % len(FICTION_PHONES)]} {10 + index:02d} {20 + index:02d}"


def _mssante(first: str, last: str) -> str:
    def plain(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return text.lower().replace(" ", "-")

    return f"{plain(first)}.{plain(last)}@{DEMO_MSSANTE}"


def seed_directory(
    organisation,
    facility,
    manager,
    stays: Sequence,
    writers: dict[int, object],
    rng: random.Random,
    today: dt.date,
) -> int:
    """Create the directory around `facility` (its town) with `manager` (a user with
    directory.manage), then link the persons of `stays` through the user of
    `writers[facility_id]` (person.edit_administrative there). Rows created."""
    actor = Actor.system("opendui seed") if manager is None else Actor(user=manager)
    town = {"postal_code": facility.postal_code, "city": facility.city}
    department = (facility.postal_code or "75")[:2]
    gps = []
    for index, (civility, last, first) in enumerate(GP_NAMES):
        gps.append(
            create_professional(
                actor,
                organisation,
                civility=civility,
                last_name=last,
                first_name=first,
                profession_code=professions.MEDECIN,
                profession_label=professions.label_of(professions.MEDECIN),
                specialty_label="Médecine générale",
                rpps=_rpps(index + 1),
                phone=_phone(index),
                mssante_addresses=[_mssante(first, last)],
                address=f"{3 + 4 * index} rue des Tilleuls",
                **town,
            )
        )
    for offset, (civility, last, first, code, specialty) in enumerate(OTHERS):
        index = len(GP_NAMES) + offset
        create_professional(
            actor,
            organisation,
            civility=civility,
            last_name=last,
            first_name=first,
            profession_code=code,
            profession_label=professions.label_of(code),
            specialty_label=specialty,
            rpps=_rpps(index + 1),
            phone=_phone(index),
            mssante_addresses=[_mssante(first, last)],
            address=f"{5 + 2 * offset} place de la Mairie",
            **town,
        )
    pharmacy = create_structure(
        actor,
        organisation,
        name="Pharmacie du Marché (démonstration)",
        kind=StructureKind.PHARMACIE,
        finess=_finess(department, 1),
        address="1 place du Marché",
        phone=_phone(11),
        mssante_address=f"pharmacie.marche@{DEMO_MSSANTE}",
        **town,
    )
    create_structure(
        actor,
        organisation,
        name="Centre hospitalier de démonstration",
        service="Gériatrie aiguë",
        kind=StructureKind.SERVICE_HOSPITALIER,
        finess=_finess(department, 2),
        address="12 avenue de l'Hôpital",
        phone=_phone(12),
        mssante_address=f"geriatrie.ch@{DEMO_MSSANTE}",
        **town,
    )
    rows = len(gps) + len(OTHERS) + 2
    for stay in stays:
        writer = writers.get(stay.facility_id)
        if writer is None:
            continue
        person_actor = Actor(user=writer)
        start = min(stay.start_date, today)
        if rng.random() < GP_SHARE:
            link_professional(
                person_actor,
                stay.person,
                role=LinkRole.MEDECIN_TRAITANT,
                professional=rng.choice(gps),
                start_date=start,
                today=today,
            )
            rows += 1
        if rng.random() < 0.3:
            link_professional(
                person_actor,
                stay.person,
                role=LinkRole.PHARMACIE,
                structure=pharmacy,
                start_date=start,
                today=today,
            )
            rows += 1
    return rows
