"""The stays' part of a person's record (persons.sections): the Séjours tab, the stays
block of the synthèse with its contract alerts, and the banner's place of stay.

The stays are read once per page (`RecordReading.shared`): the whole history with the
latest contract of each stay annotated (stays.overdue) on the synthèse; the current
stays only elsewhere. Either read is one query whatever the history's length.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from opendui.persons.sections import Alert, BannerPart, Block, Fact, RecordReading

from .models import AdmissionRequest, Stay
from .overdue import describe_contract, with_latest_contract
from .rules import AdmissionStatus

#: Admission requests still open: the person waits for a place.
OPEN_REQUESTS = [
    AdmissionStatus.RECEIVED,
    AdmissionStatus.UNDER_REVIEW,
    AdmissionStatus.ACCEPTED,
    AdmissionStatus.WAITING_LIST,
]
ALL, CURRENT = "stays.all", "stays.current"


@dataclass(frozen=True)
class StaysSection:
    stays: list[Stay]  # whole history, newest first
    current: list[Stay]
    waiting: list[AdmissionRequest]  # open requests, only when no stay is current


def is_current(stay: Stay, today: dt.date) -> bool:
    return stay.start_date <= today and (stay.end_date is None or stay.end_date >= today)


def _stays_of(reading: RecordReading):
    return with_latest_contract(
        Stay.objects.filter(person=reading.person).select_related(
            "facility", "facility__category", "unit"
        )
    ).order_by("-start_date", "-pk")


def all_stays(reading: RecordReading) -> list[Stay]:
    """The whole history, newest first, with the latest contract annotated (one query)."""
    return reading.shared(ALL, lambda: list(_stays_of(reading)))


def current_stays(reading: RecordReading) -> list[Stay]:
    """The stays running today: from the history when this page read it, else one query."""
    if reading.has(ALL):
        return [s for s in all_stays(reading) if is_current(s, reading.today)]
    today = reading.today
    return reading.shared(
        CURRENT,
        lambda: list(
            _stays_of(reading).filter(
                Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today
            )
        ),
    )


def contract_alerts(current: list[Stay], today: dt.date) -> list[Alert]:
    alerts = []
    for stay in current:
        for label, due in describe_contract(stay, today).items:
            alerts.append(
                Alert(
                    "stays",
                    f"Contrat ({stay.facility.name}) : {label} en retard "
                    f"(échéance le {due:%d/%m/%Y}).",
                )
            )
    return alerts


def stays_block(reading: RecordReading) -> Block | None:
    """Current stays (or the waiting list), the history; contract alerts for the readers
    of administrative data. Shown to every reader of the record (as before issue 13)."""
    stays = all_stays(reading)
    current = current_stays(reading)
    waiting: list[AdmissionRequest] = []
    if not current:
        waiting = list(
            AdmissionRequest.objects.filter(person=reading.person, status__in=OPEN_REQUESTS)
            .select_related("facility")
            .order_by("-received_on", "-pk")
        )
    alerts = []
    if reading.allowed("person.view_administrative"):
        alerts = contract_alerts(current, reading.today)
    return Block(
        "stays", "stays/_record_stays.html", StaysSection(stays, current, waiting), tuple(alerts)
    )


def place(stay) -> str:
    """Where the person is received: « EHPAD Les Tilleuls, Unité Alzheimer, chambre 12 »."""
    parts = [stay.facility.name]
    if stay.unit_id:
        parts.append(stay.unit.name)
    if stay.room:
        parts.append(f"chambre {stay.room}")
    return ", ".join(parts)


def stays_banner(reading: RecordReading) -> BannerPart:
    """Where the person lives now (facility, unit, room); an overdue contract
    (administrative)."""
    current = current_stays(reading)
    places = [place(stay) for stay in current]
    facts = (Fact(_("Lieu"), " ; ".join(places) or _("aucun séjour en cours")),)
    alerts: tuple[str, ...] = ()
    if reading.allowed("person.view_administrative") and any(
        describe_contract(stay, reading.today).items for stay in current
    ):
        alerts = (_("Contrat de séjour en retard"),)
    return BannerPart(facts, alerts)
