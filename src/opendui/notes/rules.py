"""Pure rules of transmissions: shifts (postes), the grace period, withdrawal, and the
grouping of the cahier de liaison. No Django import.

Shifts are the care team's three postes in local (Europe/Paris) time: matin 7 h–14 h,
après-midi 14 h–21 h, nuit 21 h–7 h. The night belongs to the day it started: a note
written at 3 h on the 12th is in the night of the 11th, as the team hands it over.
Shift boundaries (7, 14, 21 h) never fall inside a French DST change (2 h–3 h), so
local boundary times always exist and are unambiguous; a night shift lasts 9 h or 11 h
on the nights the clocks change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MORNING_START, AFTERNOON_START, NIGHT_START = 7, 14, 21

# A note may be written up to this long after the facts (end of a night shift written
# in the morning), never in the future: older facts go in a note dated now that says so.
MAX_BACKDATING = dt.timedelta(hours=24)
# The form has minute precision: a time typed as "now" may be up to a minute ahead.
FUTURE_TOLERANCE = dt.timedelta(minutes=1)


class Shift(StrEnum):
    MORNING = "matin"
    AFTERNOON = "apres_midi"
    NIGHT = "nuit"


SHIFT_ORDER = (Shift.MORNING, Shift.AFTERNOON, Shift.NIGHT)
SHIFT_LABELS = {
    Shift.MORNING: "Matin (7 h – 14 h)",
    Shift.AFTERNOON: "Après-midi (14 h – 21 h)",
    Shift.NIGHT: "Nuit (21 h – 7 h)",
}


def shift_of(moment: dt.datetime, tz: dt.tzinfo = PARIS) -> tuple[dt.date, Shift]:
    """The (day, shift) an aware datetime belongs to, in local time `tz`."""
    if moment.tzinfo is None:
        raise ValueError("shift_of needs an aware datetime")
    local = moment.astimezone(tz)
    hour = local.hour
    if hour < MORNING_START:
        return local.date() - dt.timedelta(days=1), Shift.NIGHT
    if hour < AFTERNOON_START:
        return local.date(), Shift.MORNING
    if hour < NIGHT_START:
        return local.date(), Shift.AFTERNOON
    return local.date(), Shift.NIGHT


def shift_bounds(
    day: dt.date, shift: Shift | str, tz: dt.tzinfo = PARIS
) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a shift as aware datetimes in UTC (for database range queries)."""
    shift = Shift(shift)

    def at(d: dt.date, hour: int) -> dt.datetime:
        return dt.datetime(d.year, d.month, d.day, hour, tzinfo=tz).astimezone(dt.UTC)

    if shift is Shift.MORNING:
        return at(day, MORNING_START), at(day, AFTERNOON_START)
    if shift is Shift.AFTERNOON:
        return at(day, AFTERNOON_START), at(day, NIGHT_START)
    return at(day, NIGHT_START), at(day + dt.timedelta(days=1), MORNING_START)


def day_bounds(day: dt.date, tz: dt.tzinfo = PARIS) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a care day: from its morning shift to the end of its night."""
    return shift_bounds(day, Shift.MORNING, tz)[0], shift_bounds(day, Shift.NIGHT, tz)[1]


def within_grace(recorded_at: dt.datetime, now: dt.datetime, minutes: int) -> bool:
    """Whether a note recorded at `recorded_at` may still be edited in place at `now`.

    The period runs from when the note was recorded, not from the (possibly earlier)
    time of the facts it reports.
    """
    return dt.timedelta(0) <= now - recorded_at <= dt.timedelta(minutes=minutes)


def written_at_problem(written_at: dt.datetime, now: dt.datetime) -> str | None:
    """A French message when the time of the facts is not acceptable, else None."""
    if written_at > now + FUTURE_TOLERANCE:
        return "L'heure de la transmission ne peut pas être dans le futur."
    if written_at < now - MAX_BACKDATING:
        return (
            "Une transmission ne peut pas être antidatée de plus de 24 heures : "
            "datez-la de maintenant et précisez dans le texte quand les faits ont eu lieu."
        )
    return None


# --- withdrawal ------------------------------------------------------------------------------


class WithdrawalReason(StrEnum):
    """Why a note leaves the record (it is kept, hidden, never deleted)."""

    WRONG_RECORD = "erreur_dossier"
    DUPLICATE = "doublon"
    OTHER = "autre"


WITHDRAWAL_REASON_LABELS = {
    WithdrawalReason.WRONG_RECORD: "erreur de dossier (écrite dans le dossier d'une autre "
    "personne ou pour une autre équipe)",
    WithdrawalReason.DUPLICATE: "doublon (déjà saisie)",
    WithdrawalReason.OTHER: "autre motif (à préciser)",
}
WITHDRAWAL_COMMENT_MAX = 500


def withdrawal_problem(reason: str, comment: str) -> tuple[str, str] | None:
    """None when a withdrawal may be recorded with this reason and comment, else
    (field, French message). "Autre motif" needs the comment that says which."""
    if reason not in {r.value for r in WithdrawalReason}:
        return "reason", "Choisissez le motif du retrait."
    if reason == WithdrawalReason.OTHER and not comment.strip():
        return "comment", "Précisez le motif du retrait."
    if len(comment) > WITHDRAWAL_COMMENT_MAX:
        return "comment", f"Le commentaire est limité à {WITHDRAWAL_COMMENT_MAX} caractères."
    return None


# --- the cahier de liaison, grouped ----------------------------------------------------------


@dataclass(frozen=True)
class GroupCount:
    """Notes of one shift in one unit (None: no unit, or the whole facility) of a care day."""

    shift: Shift
    unit_id: int | None
    unit_name: str
    total: int
    unread: int


def group_order(groups: list[GroupCount]) -> list[GroupCount]:
    """Groups with unread notes first, then the shifts in their order through the day, then
    units by name (the facility-wide group, without a unit, first within a shift)."""
    rank = {shift: i for i, shift in enumerate(SHIFT_ORDER)}
    return sorted(
        groups,
        key=lambda g: (g.unread == 0, rank[g.shift], g.unit_id is not None, g.unit_name, g.unit_id),
    )


def group_pages(groups: list[GroupCount], page_size: int) -> list[tuple[int, int]]:
    """(first page, last page) of each group when the notes are listed group after group.

    The cahier lists notes in `group_order`, so each group's notes are consecutive: a
    group's notes start after the totals of the groups before it.
    """
    if page_size < 1:
        raise ValueError("page_size must be positive")
    pages = []
    start = 0
    for group in groups:
        end = start + max(group.total, 1) - 1
        pages.append((start // page_size + 1, end // page_size + 1))
        start += group.total
    return pages
