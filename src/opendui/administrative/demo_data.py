"""Demo administrative file: contact details, health insurance, complementary cover and
rights of the demo persons.

Called by demo.activity inside the seed's transaction, through `add_item` under the
account of a demo professional allowed to edit the administrative file of the person's
facility, so validation and audit are those of real use. Deterministic for a given seed.

Addresses are in the facility's town; phone numbers come from the ranges ARCEP reserves
for fiction (06 39 98… for mobiles), e-mails from the reserved `example.org` domain.
Rights follow the facility: APA en établissement and (for some) aide sociale à
l'hébergement in an EHPAD, AAH for the adults of a MAS, FAM or ESAT; about one person in
five has a right ending within the next 60 days, so the "Droits à renouveler" card and
the banner alert have something to show. No photos: no invented faces.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from opendui.core.actor import Actor
from opendui.core.identifiers import ascii_digits

from .models import (
    Address,
    AddressKind,
    ComplementaryCover,
    ComplementaryKind,
    Coverage,
    Email,
    EmailKind,
    Phone,
    PhoneKind,
    Right,
    RightKind,
)
from .services import add_item

EHPAD = "500"
#: Facilities for adults with disabilities (MAS, FAM/EAM, ESAT): AAH.
ADULT_DISABILITY = frozenset({"255", "448", "246"})
#: Facilities where the person lives at home (SSIAD, SESSAD, SAAD): "domicile" address.
HOME_SERVICES = frozenset({"354", "182", "460"})
STREETS = (
    "rue de la République",
    "rue Victor Hugo",
    "avenue Jean Jaurès",
    "rue des Écoles",
    "chemin des Vignes",
    "allée des Peupliers",
    "rue du Moulin",
    "boulevard Pasteur",
)
MUTUELLES = ("Mutuelle Solidaire (démonstration)", "Complémentaire Santé Exemple")
#: Share of the persons with a right ending within 60 days.
EXPIRING_SHARE = 0.2


def _age(person, today: dt.date) -> int:
    born = person.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _caisse(postal_code: str) -> str:
    """A régime général code organisme: 01 + caisse of the département + centre."""
    department = postal_code[:2] if ascii_digits(postal_code[:2]) else "75"
    return f"01{department}1{0:04d}"


def _rights(person, facility, rng: random.Random, today: dt.date, since: dt.date) -> list[dict]:
    category = facility.category_id
    department = (facility.postal_code or "75")[:2]
    rights: list[dict] = []
    if category == EHPAD:
        rights.append(
            {
                "kind": RightKind.APA_FACILITY,
                "department": department,
                "decision_reference": f"APA-{person.pk:06d}",
                "decision_date": since,
                "start_date": since,
            }
        )
        if rng.random() < 0.35:
            rights.append(
                {
                    "kind": RightKind.ASH,
                    "department": department,
                    "decision_reference": f"ASH-{person.pk:06d}",
                    "decision_date": since,
                    "start_date": since,
                    "end_date": since + dt.timedelta(days=5 * 365),
                }
            )
    elif category in ADULT_DISABILITY and _age(person, today) >= 20:
        rights.append(
            {
                "kind": RightKind.AAH,
                "decision_reference": f"CDAPH-{person.pk:06d}",
                "decision_date": since,
                "start_date": since,
                "end_date": since + dt.timedelta(days=5 * 365),
                "notes": "Orientation MDPH en cours de validité (démonstration).",
            }
        )
    if rights and rng.random() < EXPIRING_SHARE:
        # Ending soon: within the 60 days of the renewal alert.
        rights[-1]["end_date"] = today + dt.timedelta(days=rng.randint(5, 55))
    for right in rights:
        end = right.get("end_date")
        if end is not None and end < right["start_date"]:
            right["start_date"] = right["decision_date"] = end - dt.timedelta(days=365)
    return rights


def seed_administrative(
    stays: Sequence, writers: dict[int, object], rng: random.Random, today: dt.date
) -> int:
    """Contact details, coverage and rights of the persons of `stays` (current stays),
    written by `writers[facility_id]`; rows created."""
    rows = 0
    for index, stay in enumerate(stays):
        writer = writers.get(stay.facility_id)
        if writer is None:
            continue
        actor, person, facility = Actor(user=writer), stay.person, stay.facility
        since = min(stay.start_date, today)
        kind = (
            AddressKind.DOMICILE
            if facility.category_id in HOME_SERVICES
            else AddressKind.BEFORE_ADMISSION
        )
        add_item(
            actor,
            person,
            Address,
            kind=kind,
            line1=f"{1 + rng.randrange(80)} {rng.choice(STREETS)}",
            postal_code=facility.postal_code or "75001",
            city=facility.city or "Paris",
            valid_from=since,
        )
        rows += 1
        if rng.random() < 0.6:
            add_item(
                actor,
                person,
                Phone,
                kind=PhoneKind.MOBILE,
                number=f"06 39 98 {index // 100 % 100:02d} {index % 100:02d}",
            )
            rows += 1
        if rng.random() < 0.2:
            first = person.first_name.lower().split(" ")[0].split("-")[0]
            add_item(
                actor,
                person,
                Email,
                kind=EmailKind.PERSONAL,
                address=f"{first}.{person.pk}@example.org",
            )
            rows += 1
        add_item(
            actor,
            person,
            Coverage,
            regime="01",
            organisation_code=_caisse(facility.postal_code or "75"),
            start_date=since - dt.timedelta(days=365 * rng.randint(1, 10)),
        )
        rows += 1
        cover = rng.random()
        if cover < 0.7:
            add_item(
                actor,
                person,
                ComplementaryCover,
                kind=ComplementaryKind.MUTUELLE,
                organisation_name=rng.choice(MUTUELLES),
                contract_number=f"DEMO-{person.pk:07d}",
                start_date=since,
            )
            rows += 1
        elif cover < 0.85:
            add_item(
                actor,
                person,
                ComplementaryCover,
                kind=ComplementaryKind.CSS,
                start_date=since,
                end_date=today + dt.timedelta(days=rng.randint(90, 330)),
            )
            rows += 1
        for right in _rights(person, facility, rng, today, since):
            add_item(actor, person, Right, **right)
            rows += 1
    return rows
