"""Demo documents: for a few persons, the contract generated and stored the real way, an
attestation de présence, and a scanned-looking "Notification MDPH" marked as a demo.

Called by demo.activity inside the seed's transaction, under the account of a demo
professional of the facility allowed to write the administrative file (store_document
checks it and audits the write, as in real use). The contract's steps are recorded with
stays.services.record_contract first (the contract generated is the stay's). The
thumbnails are left to the background worker that `opendui demo` runs (the jobs are
enqueued by the store). Few persons: WeasyPrint takes a moment for each PDF.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Sequence

from opendui.accounts.permissions import DataCategory
from opendui.core.actor import Actor

from .generation import generate
from .models import AuthorKind
from .services import store_document

#: Persons who get documents in the demo.
DOCUMENT_PERSONS = 4
#: Facilities where the person lives at home (SSIAD, SESSAD, SAAD): a DIPC.
HOME_SERVICES = frozenset({"354", "182", "460"})


def scanned_notice(person, decided_on: dt.date) -> bytes:
    """A one-page PDF that looks like a scanned letter (grey paper, a slight tilt),
    plainly marked as a demonstration example: no real notification is imitated."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (1240, 1754), 244)
    draw = ImageDraw.Draw(page)
    title = ImageFont.load_default(size=46)
    body = ImageFont.load_default(size=30)
    lines = [
        (title, "Notification MDPH"),
        (body, "(exemple de démonstration, sans valeur)"),
        (body, ""),
        (body, f"Décision de la CDAPH du {decided_on:%d/%m/%Y}"),
        (body, f"Concerne : {person.display_name}"),
        (body, ""),
        (body, "Orientation : établissement médico-social"),
        (body, "Durée : 5 ans"),
        (body, ""),
        (body, "Document fictif créé par les données de démonstration d'OpenDUI."),
    ]
    y = 160
    for font, text in lines:
        draw.text((130, y), text, fill=30, font=font)
        y += 70
    page = page.rotate(0.7, fillcolor=244, expand=False)
    out = io.BytesIO()
    page.convert("RGB").save(out, "PDF", resolution=150)
    return out.getvalue()


def _store(actor: Actor, stay, generated) -> None:
    store_document(
        actor,
        stay.person,
        facility=stay.facility,
        data_category=generated.data_category,
        type_code=generated.type_code,
        title=generated.title,
        act_date=generated.act_date,
        files=[(generated.filename, generated.pdf)],
    )


def seed_documents(
    stays: Sequence, writers: dict[int, object], rng: random.Random, today: dt.date
) -> int:
    """Documents of at most DOCUMENT_PERSONS persons of `stays` (current stays begun a
    month ago at least), written by `writers[facility_id]`; documents stored."""
    from opendui.stays.rules import CONTRACT, DIPC
    from opendui.stays.services import record_contract

    chosen = [
        s for s in stays if writers.get(s.facility_id) and s.start_date <= today - dt.timedelta(30)
    ]
    rows = 0
    for stay in rng.sample(chosen, min(DOCUMENT_PERSONS, len(chosen))):
        actor = Actor(user=writers[stay.facility_id])
        handed = stay.start_date + dt.timedelta(days=rng.randint(0, 10))
        kind = DIPC if stay.facility.category_id in HOME_SERVICES else CONTRACT
        contract = record_contract(
            actor,
            stay,
            kind,
            handed_on=handed,
            signed_on=handed + dt.timedelta(days=rng.randint(1, 15)),
            expected_version=0,
            today=today,
        )
        document_kind = "DIPC" if kind == DIPC else "CONTRAT-SEJOUR"
        _store(actor, stay, generate(document_kind, contract=contract, director_name="Mme Durand"))
        _store(actor, stay, generate("ATTEST-PRESENCE", stay=stay, act_date=today))
        decided = max(
            stay.start_date - dt.timedelta(days=rng.randint(60, 400)),
            stay.person.birth_date + dt.timedelta(days=30),  # never before the birth
        )
        store_document(
            actor,
            stay.person,
            facility=stay.facility,
            data_category=DataCategory.ADMINISTRATIVE,
            type_code="NOTIF-MDPH",
            title="Notification MDPH (exemple de démonstration)",
            act_date=decided,
            files=[("notification-mdph.pdf", scanned_notice(stay.person, decided))],
            author_kind=AuthorKind.EXTERNAL,
            author_name="MDPH (démonstration)",
        )
        rows += 3
    return rows
