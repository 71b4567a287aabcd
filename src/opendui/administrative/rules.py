"""Pure rules of the administrative file (no Django import): rights' renewal alerts,
telephone numbers, the code organisme of a health insurance fund, département codes.

Each check returns None when the value is valid and a French sentence otherwise, like
`opendui.core.identifiers`, so that forms and services share one wording.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

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


# --- telephone numbers --------------------------------------------------------------------

#: French overseas numbers dialled nationally with a 0 and a 4-digit prefix belong to
#: their own E.164 country codes (ARCEP numbering plan: Guadeloupe, Saint-Martin and
#: Saint-Barthélemy +590, Guyane +594, Martinique +596, La Réunion and Mayotte +262,
#: Saint-Pierre-et-Miquelon +508).
OVERSEAS_PREFIXES: dict[str, str] = {
    "0590": "590",
    "0690": "590",
    "0691": "590",
    "0594": "594",
    "0694": "594",
    "0596": "596",
    "0696": "596",
    "0697": "596",
    "0262": "262",
    "0263": "262",
    "0692": "262",
    "0693": "262",
    "0269": "262",
    "0639": "262",
    "0508": "508",
}
_SEPARATORS = re.compile(r"[\s.\-()/\u00a0]")
PHONE_FORMAT = (
    "Saisissez un numéro français à 10 chiffres (01 23 45 67 89) ou un numéro "
    "international commençant par + et l'indicatif du pays (+32 2 123 45 67)."
)


def normalise_phone(text: str) -> tuple[str, str | None]:
    """(E.164 form, None) for a valid number, ("", French sentence) otherwise.

    Accepted: a French national number (10 digits, 0 then 1–9), mapped to +33 or to
    the overseas country code of its prefix; an international number (`+` or `00`,
    then 9 to 15 digits, the first not 0, ITU-T E.164); +33 numbers must have 9 digits
    after the code, the first not 0.
    """
    raw = _SEPARATORS.sub("", text or "")
    if not raw:
        return "", "Le numéro de téléphone est vide."
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+"):
        digits = raw[1:]
        if not digits.isdigit() or not 9 <= len(digits) <= 15 or digits[0] == "0":
            return "", PHONE_FORMAT
        if digits.startswith("33") and (len(digits) != 11 or digits[2] == "0"):
            return "", "Un numéro français (+33) compte 9 chiffres après l'indicatif."
        return "+" + digits, None
    if not raw.isdigit():
        return "", PHONE_FORMAT
    if len(raw) != 10 or raw[0] != "0" or raw[1] == "0":
        return "", PHONE_FORMAT
    country = OVERSEAS_PREFIXES.get(raw[:4], "33")
    return f"+{country}{raw[1:]}", None


def display_phone(e164: str) -> str:
    """A French number as people write it (01 23 45 67 89); others as stored."""
    for country in ("33", *sorted(set(OVERSEAS_PREFIXES.values()))):
        national = e164.removeprefix(f"+{country}")
        if national == e164 or len(national) != 9 or not national.isdigit():
            continue
        number = "0" + national
        if country == "33" or OVERSEAS_PREFIXES.get(number[:4]) == country:
            return " ".join(number[i : i + 2] for i in range(0, 10, 2))
    return e164


# --- social coverage ----------------------------------------------------------------------


def organisation_code_problem(code: str, regime: str = "") -> str | None:
    """The code organisme of an insurance fund: 9 digits, régime (2) + caisse (3) +
    centre (4). When a régime is given, the code starts with it."""
    if len(code) != 9 or not code.isdigit():
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
