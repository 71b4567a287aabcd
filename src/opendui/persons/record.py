"""The person's synthèse page (issue 4 §6): the current picture, gathered block by block.

Each block comes from the app that owns its data, through the registry of
`persons.sections` (issue 13 §3): stays (`stays.record`), projet personnalisé
(`accompaniment.record`), GIR (`evaluations.record`), next events (`agenda.record`),
latest notes (`notes.record`). `person_record()` asks every registered provider; a
provider returns None when the reader may not see its block (`accounts.access.check`,
which also knows break-the-glass grants). Each block costs a fixed number of queries
whatever the size of the person's history (see each provider's module).

Alerts follow the block they belong to, so a reader never learns from an alert what the
block would hide:

- contract steps overdue: administrative data, `person.view_administrative`
  (stays.record);
- PP review overdue and first PP overdue (CASF D311): `person.view_social`, like the PP
  block (accompaniment.record);
- AGGIR evaluation overdue: `person.view_care`, like the GIR block (evaluations.record,
  rule in `evaluations.rules.aggir_due`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .models import Person
from .models_entourage import LegalProtection
from .sections import Alert, BannerPart, Block, Fact, RecordReading, synthesis_blocks

__all__ = ["Alert", "PersonRecord", "person_record"]


@dataclass(frozen=True)
class PersonRecord:
    person: Person
    today: dt.date
    blocks: list[Block]
    alerts: list[Alert] = field(default_factory=list)
    reading: RecordReading | None = None

    def block(self, key: str) -> Block | None:
        return next((b for b in self.blocks if b.key == key), None)

    def __getattr__(self, name: str) -> Any:
        """`record.<key>`: the data of the block `key` (None when not shown), as templates
        and callers read it (`record.gir`, `record.project.lines`)."""
        if name.startswith("_"):
            raise AttributeError(name)
        for block in self.__dict__.get("blocks", ()):
            if block.key == name:
                return block.data
        return None

    @property
    def sections(self) -> list[str]:
        """Names of the sections shown (for the audit trail: no personal data)."""
        names = ["identity", *(b.key for b in self.blocks)]
        if self.alerts:
            names.append("alerts")
        return names


def person_record(
    user: Any,
    person: Person,
    now: dt.datetime | None = None,
    reading: RecordReading | None = None,
) -> PersonRecord:
    """Every block of the synthèse the user may see, with their alerts.

    The caller has already checked `person.view_identity` (the page itself). Pass the
    page's `reading` so the banner reuses what the blocks have read."""
    reading = reading or RecordReading(user, person, now)
    blocks = synthesis_blocks(reading)
    alerts = [alert for block in blocks for alert in block.alerts]
    return PersonRecord(person, reading.today, blocks, alerts, reading)


def protection_banner(reading: RecordReading) -> BannerPart | None:
    """The legal protection measures in force (entourage data: administrative), one query."""
    if not reading.allowed("person.view_administrative"):
        return None
    measures = [
        str(m.get_measure_display())
        for m in LegalProtection.objects.filter(
            person=reading.person, start_date__lte=reading.today
        ).exclude(end_date__lt=reading.today)
    ]
    return BannerPart((Fact(_("Protection juridique"), ", ".join(measures) or _("aucune")),))
