"""Demo sharings: what the DMP and MSSanté clients would have recorded (models.py).

Per facility and month over the last 14 months: a DMP document (PP, DLU, synthèse) for a
share of the persons who have a PP, MSSanté messages for a share of the persons plus a few
messages about nobody in particular, and about 3 % of failures. Shares differ by facility
position so that some facilities reach the 70 % targets and others do not.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from opendui.stays.models import Stay

from .models import Channel, Sharing, SharingStatus

DMP_SHARE = (0.8, 0.55, 0.75, 0.45, 0.85)
MSSANTE_SHARE = (0.7, 0.3, 0.6, 0.35, 0.8)
DOCUMENTS = ("Projet personnalisé", "Dossier de liaison d'urgence", "Synthèse de séjour")
MONTHS = 14


def _month_starts(today: dt.date) -> list[dt.date]:
    first = dt.date(today.year, today.month, 1)
    out = []
    for back in range(MONTHS - 1, -1, -1):
        index = first.year * 12 + first.month - 1 - back
        out.append(dt.date(index // 12, index % 12 + 1, 1))
    return out


def seed_sharings(facility_ids: Sequence[int], rng: random.Random, today: dt.date) -> int:
    from opendui.accompaniment.models import PersonalisedProject

    with_pp = set(
        PersonalisedProject.objects.filter(stay__facility_id__in=facility_ids).values_list(
            "person_id", flat=True
        )
    )
    position = {pk: i for i, pk in enumerate(facility_ids)}
    stays = list(
        Stay.objects.filter(facility_id__in=facility_ids)
        .order_by("pk")
        .values_list("person_id", "facility_id", "start_date", "end_date")
    )
    rows = []
    serial = 0

    def sharing(channel, facility_id, day, person_id=None):
        nonlocal serial
        serial += 1
        when = timezone.make_aware(
            dt.datetime.combine(day, dt.time(rng.randint(8, 18), rng.randrange(60)))
        )
        return Sharing(
            channel=channel,
            facility_id=facility_id,
            person_id=person_id,
            sent_at=when,
            status=SharingStatus.FAILED if rng.random() < 0.03 else SharingStatus.SENT,
            external_id=f"DEMO-{channel}-{serial:07d}",
            document_reference=rng.choice(DOCUMENTS),
        )

    for month in _month_starts(today):
        last = min(today, (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1))
        span = (last - month).days + 1
        for person_id, facility_id, start, end in stays:
            if start > last or (end is not None and end < month):
                continue
            index = position[facility_id] % len(DMP_SHARE)
            day = month + dt.timedelta(days=rng.randrange(span))
            if person_id in with_pp and rng.random() < DMP_SHARE[index]:
                rows.append(sharing(Channel.DMP, facility_id, day, person_id))
            if rng.random() < MSSANTE_SHARE[index]:
                rows.append(sharing(Channel.MSSANTE, facility_id, day, person_id))
        for facility_id in facility_ids:
            for _ in range(rng.randint(1, 4)):
                day = month + dt.timedelta(days=rng.randrange(span))
                rows.append(sharing(Channel.MSSANTE, facility_id, day))
    Sharing.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
