"""Pure rules of the administrative file (no Django import): rights' renewal alerts, the
code organisme of a health insurance fund, département codes (telephone numbers:
`opendui.core.phones`, shared with the directory).

Each check returns None when the value is valid and a French sentence otherwise, like
`opendui.core.identifiers`, so that forms and services share one wording.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from opendui.core.identifiers import ascii_digits

#: A right is announced for renewal this many days before its end (issue 13 §1).
ALERT_DAYS = 60


class RightState(StrEnum):
    FUTURE = "future"  # not started yet
    OPEN = "open"  # no end date (granted without limit of time)
    VALID = "valid"  # ends more than ALERT_DAYS days from today
    EXPIRING = "expiring"  # ends within ALERT_DAYS days (today included)
    EXPIRED = "expired"  # ended before today


def alert_limit(today: dt.date) -> dt.date:
    """The last end date that calls for a renewal alert on `today`."""
    return today + dt.timedelta(days=ALERT_DAYS)


def state_on(start: dt.date | None, end: dt.date | None, today: dt.date) -> RightState:
    """The state of a right valid from `start` to `end` (both included) on `today`."""
    if end is not None and end < today:
        return RightState.EXPIRED
    if start is not None and start > today:
        return RightState.FUTURE
    if end is None:
        return RightState.OPEN
    if end <= alert_limit(today):
        return RightState.EXPIRING
    return RightState.VALID


@dataclass(frozen=True)
class RightFacts:
    """What the rule needs of a right: its kind (rights of one kind renew each other),
    the label shown, and its validity."""

    key: str
    label: str
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True)
class RightAlert:
    facts: RightFacts
    state: RightState

    @property
    def message(self) -> str:
        end = self.facts.end
        assert end is not None  # only expiring or expired rights give an alert
        if self.state is RightState.EXPIRED:
            return f"{self.facts.label} : droit expiré le {end:%d/%m/%Y}, à renouveler."
        return f"{self.facts.label} : droit à renouveler, il prend fin le {end:%d/%m/%Y}."


def _latest(rights: list[RightFacts]) -> RightFacts:
    """The right of a kind that lasts longest: one without end, else the latest end."""
    return max(rights, key=lambda r: (r.end is None, r.end or dt.date.min))


def alerts(rights: Iterable[RightFacts], today: dt.date) -> list[RightAlert]:
    """Renewal alerts on `today`: for each kind, its longest-lasting right when it is
    expiring (ends within ALERT_DAYS days) or expired. A right already renewed (another
    of the same kind lasts longer) gives no alert. Soonest end first."""
    by_key: dict[str, list[RightFacts]] = {}
    for right in rights:
        by_key.setdefault(right.key, []).append(right)
    found = []
    for group in by_key.values():
        latest = _latest(group)
        state = state_on(latest.start, latest.end, today)
        if state in (RightState.EXPIRING, RightState.EXPIRED):
            found.append(RightAlert(latest, state))
    return sorted(found, key=lambda a: (a.facts.end, a.facts.key))


# --- social coverage ----------------------------------------------------------------------


def organisation_code_problem(code: str, regime: str = "") -> str | None:
    """The code organisme of an insurance fund: 9 digits, régime (2) + caisse (3) +
    centre (4). When a régime is given, the code starts with it."""
    if len(code) != 9 or not ascii_digits(code):
        return (
            "Le code organisme comporte 9 chiffres : le régime (2), la caisse (3) "
            "puis le centre (4)."
        )
    if regime and not code.startswith(regime):
        return (
            f"Le code organisme commence par le code du régime ({regime}) : "
            f"« {code[:2]} » ne correspond pas au régime choisi."
        )
    return None


_DEPARTMENT = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$")


def department_problem(code: str) -> str | None:
    """A département code: 01–95 (2A, 2B for Corsica, no 20) or 971–976 overseas."""
    if code == "20" or not _DEPARTMENT.match(code):
        return (
            "Le département s'écrit avec son numéro : 01 à 95, 2A ou 2B pour la Corse, "
            "971 à 976 pour l'outre-mer."
        )
    return None
