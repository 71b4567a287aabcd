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
            gp = rng.choice(gps)
            if gp is gps[0]:
                # Dr LEMAIRE follows only the residents seed_external_access gives her, so
                # that her e-CPS opens one or two records; the draw is kept all the same
                # (every other demo value stays the one of the seed).
                gp = gps[1 + rows % (len(gps) - 1)]
            link_professional(
                person_actor,
                stay.person,
                role=LinkRole.MEDECIN_TRAITANT,
                professional=gp,
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


#: The demo's external professional: the first GP of GP_NAMES (Dr Hélène LEMAIRE), whose
#: e-CPS is the PSC simulator's "medecin-traitant" card (interop/psc/cards.py).
EXTERNAL_GP_EMAIL = "medecin-traitant@demo.opendui.fr"
#: Residents of the first EHPAD she follows in the demo.
EXTERNAL_GP_PERSONS = 2
EHPAD_CATEGORY = "500"


def seed_external_access(
    organisation,
    stays: Sequence,
    writers: dict[int, object],
    admin,
    director,
    today: dt.date,
) -> int:
    """Open, as real use would, Dr LEMAIRE's access to the records of the persons she
    follows: the secretariat records her as médecin traitant of EXTERNAL_GP_PERSONS
    residents of the first EHPAD among `stays` (those without one first, otherwise she
    replaces the current one), the administrator `admin` creates her PSC-only account and
    opens the access (directory.external_access), the directeur général `director`
    approves it (accounts.grants). Everything audited; no random draw. Rows created."""
    from opendui.accounts.grants import approve
    from opendui.accounts.models import GrantRequest, Role

    from .external_access import create_account, open_access
    from .models import ExternalProfessional, PersonProfessional

    if admin is None or director is None:
        return 0
    gp = ExternalProfessional.objects.filter(
        organisation=organisation, rpps=_rpps(1), active=True
    ).first()
    ehpads = sorted(
        {s.facility for s in stays if s.facility.category_id == EHPAD_CATEGORY},
        key=lambda f: f.pk,
    )
    if gp is None or not ehpads or writers.get(ehpads[0].pk) is None:
        return 0
    residents = [s for s in stays if s.facility_id == ehpads[0].pk]
    followed = set(
        PersonProfessional.objects.filter(
            person_id__in=[s.person_id for s in residents],
            role=LinkRole.MEDECIN_TRAITANT,
            end_date__isnull=True,
        ).values_list("person_id", flat=True)
    )
    # Stable sort: residents without a médecin traitant first, in the stays' order.
    chosen = sorted(residents, key=lambda s: s.person_id in followed)[:EXTERNAL_GP_PERSONS]
    secretary = Actor(user=writers[ehpads[0].pk])
    for stay in chosen:
        link_professional(
            secretary,
            stay.person,
            role=LinkRole.MEDECIN_TRAITANT,
            professional=gp,
            start_date=today,
            replace_current_gp=stay.person_id in followed,
            today=today,
        )
    actor = Actor(user=admin)
    account = create_account(actor, gp, EXTERNAL_GP_EMAIL)
    linked = open_access(
        actor,
        gp,
        account,
        Role.objects.get(code="medecin-externe"),
        start_date=today,
        new_account=True,
    )
    request = GrantRequest.objects.get(linked_assignment=linked)
    approve(Actor(user=director), request, expected_version=request.version)
    return len(chosen) + 2  # the links, the account, the access
