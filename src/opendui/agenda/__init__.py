"""The agenda (issue 4 §3): events of persons and teams, plannings, conflicts, and the
ESMS Numérique "événement".

Where the decisions are written:

- statuses and transitions (PLANIFIE → TERMINE allowed; ANNULE and TERMINE final), when
  a reason for non-realisation is required: `rules.py`;
- recurrence (expanded into rows, wall-clock time kept across DST, 1 year / 366
  occurrences at most): `recurrence.py`; "this occurrence" / "this and following":
  `services.update_event`, `services_status.change_status`;
- who reads and writes an event (every participant for writing, at least one for
  reading, a care/support assignment in the facility for team meetings): `access.py`;
- what counts as an "événement" (every write, cancellation included, one row per
  participant, jobs flagged): `changes.py`, counted by `selectors.persons_with_events`;
- double bookings (shown, never blocking): `conflicts.py` + `selectors.conflicts_of`;
- report texts kept out of the audit trail: `audit.py`.

The link to a PP service (TDDUI "hors prestation prévue au PP") is added when the PP
model lands (`pp_service` foreign key on Event).
"""
