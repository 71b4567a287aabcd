"""Set-based loader of 5 years of history for bench/history.py (PostgreSQL only).

Every step is a few INSERT … SELECT statements over generate_series and the stays, in
one transaction, recorded in `bench_history_step` (created here, outside the app's
schema) so a later run skips it: an interrupted load resumes at the first missing step.
Ids of rows that other rows point to are drawn from the tables' own sequences into
UNLOGGED staging tables (`h_*`, dropped at the end), so the app's sequences stay right.
No index, trigger or constraint is disabled: rows go through every check the app's
writes go through. `random()` after `setseed()` in each step, with parallel query off:
the same arguments give the same data.

Rows mirror what the services write: events with their copies on participants and
professionals and one EventChange per participant for the creation and for the final
status; notes by professionals allowed to write their data category, in the unit of the
person's stay; personalised projects with versions, goals and the pilotage.ProjectChange
timeline the audit hook keeps; AGGIR grids computed by the app's own calculator; the
pilotage.RecordActivity days derived from all the writes above.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from collections.abc import Callable
from typing import Any

TZ = "Europe/Paris"
QUIET_SHARE = 8  # percent of persons with no activity since QUIET_FROM
GROUP_SLOTS = [  # (title, weekday 0 = Monday, time, minutes)
    ("Atelier mémoire", 0, "14:30", 60),
    ("Gym douce", 1, "10:30", 45),
    ("Chorale", 2, "15:00", 60),
    ("Atelier cuisine", 3, "10:00", 120),
    ("Sortie au marché", 4, "09:30", 90),
    ("Jeux de société", 5, "15:00", 90),
]
INDIVIDUAL = [  # (kind, title, place, minutes)
    ("rendez_vous", "Rendez-vous médecin traitant", "Cabinet médical", 30),
    ("rendez_vous", "Rendez-vous kinésithérapeute", "Salle de kinésithérapie", 45),
    ("rendez_vous", "Entretien avec le référent", "Bureau du référent", 60),
    ("rendez_vous", "Consultation dentaire", "Centre dentaire", 45),
    ("domicile", "Aide à la toilette", "Domicile", 45),
    ("domicile", "Visite à domicile", "Domicile", 60),
    ("activite", "Promenade accompagnée", "Parc", 60),
    ("autre", "Coiffeur", "Salon", 45),
]
NOTE_CATEGORIES = [("care", 9), ("social", 7), ("medical", 2), ("psychological", 1)]
NOTE_CATEGORIES += [("administrative", 1)]
TARGETS = ["Sommeil", "Alimentation", "Douleur", "Mobilité", "Humeur", "Hygiène", "Relations"]
TARGETS += ["Chute", "Comportement", "Autonomie", "Traitement", "Famille"]
GOALS = ["Maintenir l'autonomie dans les gestes du quotidien", "Participer à une activité"]
GOALS += ["Renforcer les liens familiaux", "Prévenir les chutes", "Exprimer ses choix"]
GOALS += ["Accéder à un loisir à l'extérieur", "Améliorer le sommeil"]
AGGIR_GRIDS = 400


def largest_facility_id() -> int:
    """The facility with the most current stays (the heaviest planning and cahier)."""
    from django.db.models import Count, Q

    from opendui.organisations.models import Facility

    return (
        Facility.objects.annotate(n=Count("stays", filter=Q(stays__end_date__isnull=True)))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def load(args: argparse.Namespace, today: dt.date, log: Callable[[str], None]) -> list[dict]:
    """Run the missing steps; returns [{step, seconds, rows}] of every step (done before or
    now)."""
    from django.db import connection, transaction

    p = _params(args, today)
    steps = [
        ("staging", _staging),
        ("agenda_plan", _agenda_plan),
        ("agenda_series", _agenda_series),
        ("agenda_event", _agenda_event),
        ("agenda_eventparticipant", _agenda_participant),
        ("agenda_eventprofessional", _agenda_professional),
        ("agenda_eventchange", _agenda_change),
        ("notes_note", _notes),
        ("accompaniment", _projects),
        ("evaluations_aggirevaluation", _aggir),
        ("documents_sharing", fill_sharings),
        ("pilotage_recordactivity", fill_record_activity),
        ("cleanup", _cleanup),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_history_step (step text PRIMARY KEY, "
            "seconds double precision, rows bigint, at timestamptz DEFAULT now())"
        )
        cursor.execute("SELECT step, seconds, rows FROM bench_history_step")
        done = {row[0]: {"step": row[0], "seconds": row[1], "rows": row[2]} for row in cursor}
    report = []
    for name, step in steps:
        if name in done:
            report.append(done[name])
            continue
        log(f"step {name}…")
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SELECT setseed(%s)", [0.5 - len(name) / 100])
            rows = step(cursor, p) or 0
            cursor.execute(
                "INSERT INTO bench_history_step (step, seconds, rows) VALUES (%s, 0, %s)",
                [name, rows],
            )
        # Measured after the commit: the deferred foreign-key checks run there.
        seconds = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE bench_history_step SET seconds = %s WHERE step = %s", [seconds, name]
            )
        log(f"step {name}: {rows} rows in {seconds} s")
        report.append({"step": name, "seconds": seconds, "rows": rows})
    if "vacuum analyze" not in done:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            seconds = round(time.perf_counter() - started, 1)
            cursor.execute(
                "INSERT INTO bench_history_step (step, seconds, rows) VALUES (%s, %s, 0)",
                ["vacuum analyze", seconds],
            )
        done["vacuum analyze"] = {"step": "vacuum analyze", "seconds": seconds, "rows": 0}
        log("VACUUM ANALYZE done")
    report.append(done["vacuum analyze"])
    return report


def _params(args: argparse.Namespace, today: dt.date) -> dict[str, Any]:
    first_of_month = today.replace(day=1)
    return {
        "events": args.events,
        "notes": args.notes,
        "today": today,
        "w0": today - dt.timedelta(days=365 * 5),
        "w1": today + dt.timedelta(weeks=4),
        "now": f"{today} 12:00",
        "quiet_from": (first_of_month - dt.timedelta(days=1)).replace(day=1),
    }


def _run(cursor, sql: str, params: dict[str, Any] | None = None) -> int:
    cursor.execute(sql, params or {})
    return max(cursor.rowcount, 0)


def _values(rows: list[tuple]) -> str:
    """A VALUES list of literals built from trusted constants (quotes doubled)."""

    def literal(value: Any) -> str:
        if isinstance(value, int):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)


# --------------------------------------------------------------------------- staging


def _staging(cursor, p) -> int:
    """h_stay: stays clipped to the 5-year window (`act_last`: end of activity, earlier for
    quiet persons); h_staff / h_writers: who works where and may write what today."""
    _run(
        cursor,
        """
        CREATE UNLOGGED TABLE h_stay AS
        SELECT s.id AS stay_id, s.person_id, s.facility_id, s.unit_id, s.start_date,
               s.end_date, f.category_id,
               greatest(s.start_date, %(w0)s::date) AS first,
               least(coalesce(s.end_date + 1, %(w1)s::date), %(w1)s::date) AS last,
               CASE WHEN (s.person_id * 37 + 11) %% 100 < %(quiet)s
                    THEN least(coalesce(s.end_date + 1, %(w1)s::date), %(quiet_from)s::date - 3)
                    ELSE least(coalesce(s.end_date + 1, %(w1)s::date), %(w1)s::date)
               END AS act_last
        FROM stays_stay s JOIN organisations_facility f ON f.id = s.facility_id
        WHERE s.start_date < %(w1)s AND coalesce(s.end_date, %(w1)s) >= %(w0)s
        """,
        {**p, "quiet": QUIET_SHARE},
    )
    _run(
        cursor,
        """
        CREATE UNLOGGED TABLE h_staff AS
        SELECT a.facility_id, array_agg(DISTINCT a.user_id) AS users
        FROM accounts_assignment a
        WHERE a.facility_id IS NOT NULL AND a.start_date <= %(today)s
          AND (a.end_date IS NULL OR a.end_date >= %(today)s)
        GROUP BY a.facility_id
        """,
        p,
    )
    _run(
        cursor,
        """
        CREATE UNLOGGED TABLE h_writers AS
        SELECT a.facility_id, c.category, array_agg(DISTINCT a.user_id) AS users
        FROM accounts_assignment a JOIN accounts_role r ON r.id = a.role_id
        CROSS JOIN (SELECT unnest(ARRAY['care', 'social', 'medical', 'psychological',
                                        'administrative']) AS category) c
        WHERE a.facility_id IS NOT NULL AND r.data_access ->> c.category = 'write'
          AND a.start_date <= %(today)s AND (a.end_date IS NULL OR a.end_date >= %(today)s)
        GROUP BY a.facility_id, c.category
        """,
        p,
    )
    # Weighted categories a facility's staff can write, as an array to draw from.
    _run(
        cursor,
        f"""
        CREATE UNLOGGED TABLE h_note_cats AS
        SELECT w.facility_id, array_agg(c.category) AS cats
        FROM h_writers w
        JOIN (VALUES {_values(NOTE_CATEGORIES)}) AS c(category, weight)
          ON c.category = w.category
        CROSS JOIN LATERAL generate_series(1, c.weight) AS g
        GROUP BY w.facility_id
        """,  # noqa: S608 - constants
    )
    cursor.execute("SELECT count(*) FROM h_stay")
    return cursor.fetchone()[0]


# --------------------------------------------------------------------------- agenda


def _agenda_plan(cursor, p) -> int:
    """Plan the events in staging tables, ids drawn from agenda's sequences.

    Group activities: each person takes places in the weekly activities of their unit
    (6 slots); a (unit, slot, week) with at least one taker is one event. Individual
    appointments fill the rest up to `events`."""
    cursor.execute(
        "SELECT sum(act_last - first) / 7.0 FROM h_stay WHERE act_last > first",
    )
    person_weeks = float(cursor.fetchone()[0])
    group_rate = 0.6 * p["events"] / person_weeks  # group places per person-week
    slots = _values(
        [(i, title, day, at, minutes) for i, (title, day, at, minutes) in enumerate(GROUP_SLOTS)]
    )
    _run(
        cursor,
        f"""
        CREATE UNLOGGED TABLE h_gpick AS
        SELECT DISTINCT person_id, facility_id, unit_id, ukey, slot, day
        FROM (
            SELECT s.person_id, s.facility_id, s.unit_id,
                   coalesce(s.unit_id, -s.facility_id) AS ukey, sl.slot, s.first, s.act_last,
                   (r.d - (extract(isodow FROM r.d)::int - 1)) + sl.weekday AS day
            FROM h_stay s
            CROSS JOIN LATERAL generate_series(1, floor((s.act_last - s.first) / 7.0
                                                        * %(rate)s + random())::int) AS g
            CROSS JOIN LATERAL (
                SELECT s.first + floor(random() * (s.act_last - s.first))::int + 0 * g AS d,
                       floor(random() * 6)::int + 0 * g AS pick) AS r
            JOIN (VALUES {slots}) AS sl(slot, title, weekday, at, minutes) ON sl.slot = r.pick
            WHERE s.act_last > s.first
        ) x
        WHERE day >= first AND day < act_last
        """,  # noqa: S608 - constants
        {"rate": group_rate},
    )
    _run(
        cursor,
        f"""
        CREATE UNLOGGED TABLE h_group AS
        SELECT nextval(pg_get_serial_sequence('agenda_event', 'id')) AS id, k.*,
               sl.title, sl.minutes, (k.day + sl.at::time) AT TIME ZONE '{TZ}' AS start
        FROM (SELECT DISTINCT facility_id, unit_id, ukey, slot, day FROM h_gpick) k
        JOIN (VALUES {slots}) AS sl(slot, title, weekday, at, minutes) ON sl.slot = k.slot
        """,  # noqa: S608 - constants
    )
    cursor.execute("SELECT count(*) FROM h_group")
    groups = cursor.fetchone()[0]
    individual_rate = max(0, p["events"] - groups) / person_weeks
    kinds = _values(list((i, *row) for i, row in enumerate(INDIVIDUAL)))
    _run(
        cursor,
        f"""
        CREATE UNLOGGED TABLE h_ind AS
        SELECT nextval(pg_get_serial_sequence('agenda_event', 'id')) AS id, s.person_id,
               s.facility_id, s.unit_id, k.kind, k.title, k.place, k.minutes,
               ((s.first + floor(random() * (s.act_last - s.first))::int)
                 + make_time(8 + floor(random() * 10)::int, 15 * floor(random() * 4)::int, 0))
                 AT TIME ZONE '{TZ}' AS start,
               st.users[1 + floor(random() * cardinality(st.users))::int] AS user_id
        FROM h_stay s
        JOIN h_staff st ON st.facility_id = s.facility_id
        CROSS JOIN LATERAL generate_series(1, floor((s.act_last - s.first) / 7.0 * %(rate)s
                                                    + random())::int) AS g
        CROSS JOIN LATERAL (SELECT floor(random() * {len(INDIVIDUAL)})::int + 0 * g AS pick) r
        JOIN (VALUES {kinds}) AS k(i, kind, title, place, minutes) ON k.i = r.pick
        WHERE s.act_last > s.first
        """,  # noqa: S608 - constants
        {"rate": individual_rate},
    )
    # Outcome of every event: past ones mostly done (7 % cancelled), future ones
    # planned or validated; created 1 to 14 days before.
    _run(
        cursor,
        f"""
        CREATE UNLOGGED TABLE h_event AS
        SELECT e.*, e.start + make_interval(mins => e.minutes) AS "end",
               CASE WHEN e.start + make_interval(mins => e.minutes) > n.now
                    THEN CASE WHEN random() < 0.3 THEN 'VALIDE' ELSE 'PLANIFIE' END
                    WHEN random() < 0.07 THEN 'ANNULE' ELSE 'TERMINE' END AS status,
               least(e.start - make_interval(days => 1 + floor(random() * 14)::int,
                                             hours => floor(random() * 8)::int), n.now)
                 AS created_at,
               random() AS r
        FROM (SELECT id, facility_id, unit_id, 'activite' AS kind, title,
                     'Salle d''activités' AS place, minutes, start, true AS is_group,
                     ukey, slot, day
              FROM h_group
              UNION ALL
              SELECT id, facility_id, unit_id, kind, title, place, minutes, start, false,
                     NULL, NULL, NULL
              FROM h_ind) e
        CROSS JOIN (SELECT (%(now)s::timestamp AT TIME ZONE '{TZ}') AS now) n
        """,  # noqa: S608 - constants
        p,
    )
    cursor.execute("CREATE INDEX ON h_event (id)")
    cursor.execute("SELECT count(*) FROM h_event")
    return cursor.fetchone()[0]


def _agenda_series(cursor, p) -> int:
    """One weekly Series per (unit, activity, year), like the demo's group activities."""
    _run(
        cursor,
        """
        CREATE UNLOGGED TABLE h_series AS
        SELECT nextval(pg_get_serial_sequence('agenda_series', 'id')) AS id, k.*
        FROM (SELECT DISTINCT facility_id, unit_id, ukey, slot,
                              extract(year FROM day)::int AS year
              FROM h_group) k
        """,
    )
    return _run(
        cursor,
        f"""
        INSERT INTO agenda_series (id, facility_id, frequency, interval, weekdays, until,
                                   count, created_at, created_by_id)
        SELECT s.id, s.facility_id, 'hebdomadaire', 1, sl.weekday::text, make_date(s.year, 12, 31),
               NULL, make_date(s.year, 1, 1)::timestamp AT TIME ZONE '{TZ}', NULL
        FROM h_series s
        JOIN (VALUES {_values([(i, d) for i, (_, d, _, _) in enumerate(GROUP_SLOTS)])})
          AS sl(slot, weekday) ON sl.slot = s.slot
        """,  # noqa: S608 - constants
    )


def _agenda_event(cursor, p) -> int:
    reasons = "ARRAY['Personne hospitalisée', 'Professionnel absent', 'Météo', "
    reasons += "'Refus de la personne']"
    return _run(
        cursor,
        f"""
        INSERT INTO agenda_event (id, version, created_at, updated_at, kind, title, place,
            start, "end", status, non_realisation_reason, serafin_code, category, report,
            created_by_id, facility_id, unit_id, series_id, pp_service_id)
        SELECT e.id, CASE WHEN e.status IN ('TERMINE', 'ANNULE') THEN 2 ELSE 1 END,
               e.created_at,
               CASE WHEN e.status IN ('TERMINE', 'ANNULE') THEN least(e."end", n.now)
                    ELSE e.created_at END,
               e.kind, e.title, e.place, e.start, e."end", e.status,
               CASE WHEN e.status = 'ANNULE' THEN ({reasons})[1 + floor(e.r * 4)::int]
                    ELSE '' END,
               CASE WHEN e.r < 0.2 THEN (ARRAY['2.1.1.1', '2.3.1.1', '2.3.3.1', '2.3.5.1'])
                    [1 + floor(e.r * 20)::int] ELSE '' END,
               'social',
               CASE WHEN e.status = 'TERMINE' AND e.r > 0.7
                    THEN (ARRAY['Bonne participation.', 'Personne fatiguée, séance écourtée.',
                                'Objectifs atteints.'])[1 + floor((e.r - 0.7) * 10)::int]
                    ELSE '' END,
               st.users[1 + (e.id %% cardinality(st.users))::int], e.facility_id, e.unit_id,
               s.id, NULL
        FROM h_event e
        JOIN h_staff st ON st.facility_id = e.facility_id
        CROSS JOIN (SELECT (%(now)s::timestamp AT TIME ZONE '{TZ}') AS now) n
        LEFT JOIN h_series s ON e.is_group AND s.facility_id = e.facility_id
             AND s.ukey = e.ukey AND s.slot = e.slot
             AND s.year = extract(year FROM e.day)::int
        ORDER BY e.start
        """,  # noqa: S608 - constants
        p,
    )


def _participants_sql() -> str:
    """(event_id, person_id, status, start, end, created_at, facility_id) of every place."""
    return """
        SELECT e.id AS event_id, g.person_id, e.status, e.start, e."end", e.created_at,
               e.facility_id, e.is_group
        FROM h_gpick g JOIN h_group k ON k.facility_id = g.facility_id
             AND k.ukey = g.ukey AND k.slot = g.slot AND k.day = g.day
        JOIN h_event e ON e.id = k.id
        UNION ALL
        SELECT e.id, i.person_id, e.status, e.start, e."end", e.created_at, e.facility_id,
               false
        FROM h_ind i JOIN h_event e ON e.id = i.id
    """


def _agenda_participant(cursor, p) -> int:
    return _run(
        cursor,
        f"""
        INSERT INTO agenda_eventparticipant (event_id, person_id, present, start)
        SELECT event_id, person_id,
               CASE WHEN status <> 'TERMINE' THEN 'inconnu'
                    WHEN is_group AND random() < 0.1 THEN 'non' ELSE 'oui' END,
               start
        FROM ({_participants_sql()}) x
        ORDER BY event_id
        """,  # noqa: S608 - constants
    )


def _agenda_professional(cursor, p) -> int:
    """Individual events: their professional; group activities: one or two of the
    facility's staff."""
    return _run(
        cursor,
        """
        INSERT INTO agenda_eventprofessional (event_id, user_id, start, "end", cancelled)
        SELECT DISTINCT ON (event_id, user_id) event_id, user_id, start, "end", cancelled
        FROM (
            SELECT e.id AS event_id, i.user_id, e.start, e."end", e.status = 'ANNULE' AS cancelled
            FROM h_ind i JOIN h_event e ON e.id = i.id
            UNION ALL
            SELECT e.id, st.users[1 + floor(random() * cardinality(st.users))::int],
                   e.start, e."end", e.status = 'ANNULE'
            FROM h_group k JOIN h_event e ON e.id = k.id
            JOIN h_staff st ON st.facility_id = k.facility_id
            CROSS JOIN LATERAL generate_series(1, CASE WHEN e.r < 0.33 THEN 2 ELSE 1 END) g
        ) x
        ORDER BY event_id, user_id
        """,
    )


def _agenda_change(cursor, p) -> int:
    """What agenda.changes writes: per participant, the creation and the final status."""
    return _run(
        cursor,
        f"""
        INSERT INTO agenda_eventchange (person_id, facility_id, event_id, changed_at, kind,
                                        by_job)
        SELECT person_id, facility_id, event_id, at, kind, false
        FROM (
            SELECT person_id, facility_id, event_id, created_at AS at, 'create' AS kind
            FROM ({_participants_sql()}) x
            UNION ALL
            SELECT person_id, facility_id, event_id,
                   least("end" + make_interval(hours => floor(random() * 48)::int), n.now),
                   'status'
            FROM ({_participants_sql()}) y
            CROSS JOIN (SELECT (%(now)s::timestamp AT TIME ZONE '{TZ}') AS now) n
            WHERE status IN ('TERMINE', 'ANNULE')
        ) z
        ORDER BY at
        """,  # noqa: S608 - constants
        p,
    )


# --------------------------------------------------------------------------- notes


def _notes(cursor, p) -> int:
    """Transmissions ciblées (70 %), observations (28 %), macrocibles (2 %), written in the
    person's unit by a professional of the facility allowed to write their category;
    then a correction for 0.3 % of them (a new version, as notes.services does)."""
    cursor.execute(
        "SELECT sum(least(act_last, %(today)s::date + 1) - first) / 7.0 FROM h_stay "
        "WHERE least(act_last, %(today)s::date + 1) > first",
        p,
    )
    rate = p["notes"] / float(cursor.fetchone()[0]) / 1.003
    targets = "ARRAY[" + ", ".join(f"'{t}'" for t in TARGETS) + "]"
    now = f"(%(now)s::timestamp AT TIME ZONE '{TZ}')"
    created = _run(
        cursor,
        f"""
        INSERT INTO notes_note (version, created_at, updated_at, kind, category, target, data,
            actions, results, text, macro_moment, mtved_illness, mtved_treatment,
            mtved_experience, mtved_environment, mtved_development, written_at, author_id,
            corrects_id, facility_id, original_id, person_id, unit_id, goal_id)
        SELECT 1, x.at + interval '20 minutes', x.at + interval '20 minutes', x.kind,
               x.category,
               CASE WHEN x.kind = 'observation' THEN ''
                    ELSE ({targets})[1 + floor(x.r * {len(TARGETS)})::int] END,
               CASE WHEN x.kind = 'transmission' THEN 'Observé lors du passage de l''équipe.'
                    ELSE '' END,
               CASE WHEN x.kind = 'transmission' THEN 'Accompagnement adapté, équipe informée.'
                    ELSE '' END,
               CASE WHEN x.kind = 'transmission' AND x.r < 0.5 THEN 'Amélioration constatée.'
                    ELSE '' END,
               CASE WHEN x.kind = 'observation'
                    THEN 'Journée calme, la personne a participé aux échanges du groupe.'
                    ELSE '' END,
               CASE WHEN x.kind = 'macrocible' THEN 'relais' ELSE '' END,
               '', '', '', '', '',
               x.at, w.users[1 + floor(random() * cardinality(w.users))::int],
               NULL, x.facility_id, NULL, x.person_id, x.unit_id, NULL
        FROM (
            SELECT s.person_id, s.facility_id, s.unit_id, r.r,
                   CASE WHEN r.r < 0.70 THEN 'transmission' WHEN r.r < 0.98 THEN 'observation'
                        ELSE 'macrocible' END AS kind,
                   c.cats[1 + floor(random() * cardinality(c.cats))::int] AS category,
                   least(((s.first + floor(random() * (least(s.act_last, %(today)s::date + 1)
                                                   - s.first))::int)
                          + make_interval(hours => 7 + floor(random() * 15)::int,
                                          mins => floor(random() * 60)::int))
                         AT TIME ZONE '{TZ}', {now} - interval '1 hour') AS at
            FROM h_stay s
            JOIN h_note_cats c ON c.facility_id = s.facility_id
            CROSS JOIN LATERAL generate_series(1, floor((least(s.act_last, %(today)s::date + 1)
                                                         - s.first) / 7.0 * %(rate)s
                                                        + random())::int) AS g
            CROSS JOIN LATERAL (SELECT random() + 0 * g AS r) r
            WHERE least(s.act_last, %(today)s::date + 1) > s.first
        ) x
        JOIN h_writers w ON w.facility_id = x.facility_id AND w.category = x.category
        ORDER BY x.at
        """,  # noqa: S608 - constants
        {**p, "rate": rate},
    )
    corrected = _run(
        cursor,
        """
        INSERT INTO notes_note (version, created_at, updated_at, kind, category, target, data,
            actions, results, text, macro_moment, mtved_illness, mtved_treatment,
            mtved_experience, mtved_environment, mtved_development, written_at, author_id,
            corrects_id, facility_id, original_id, person_id, unit_id, goal_id)
        SELECT 1, created_at + interval '2 hours', created_at + interval '2 hours', kind,
               category, target, data, actions, results,
               CASE WHEN kind = 'observation' THEN text || ' (précision ajoutée)' ELSE text END,
               macro_moment, '', '', '', '', '', written_at, author_id, id, facility_id, id,
               person_id, unit_id, NULL
        FROM notes_note
        WHERE id %% 331 = 0 AND corrects_id IS NULL
        """,
    )
    return created + corrected


# --------------------------------------------------------------------------- projects


def _projects(cursor, p) -> int:
    """A PP for 85 % of the current stays: 60 % running (ENCOURS, 5 % ENPAUSE), the rest
    being drafted; stays older than 2 years often have a closed first version (TERMINE)
    before the current one. 2 to 4 goals per version. The ProjectChange timeline the audit
    hook keeps (creation as a draft, validation, pause, end)."""
    _run(
        cursor,
        """
        CREATE UNLOGGED TABLE h_pp AS
        WITH chosen AS (
            SELECT s.stay_id, s.person_id, s.facility_id, s.start_date, random() AS r,
                   random() AS r2
            FROM h_stay s WHERE s.end_date IS NULL AND random() < 0.85
        ), current_pp AS (
            SELECT c.*,
                   c.start_date < %(today)s::date - 730 AND c.r2 < 0.6 AS has_old,
                   CASE WHEN c.r < 0.30 THEN 'ENPREPARATION' WHEN c.r < 0.35 THEN 'ENPAUSE'
                        ELSE 'ENCOURS' END AS status
            FROM chosen c
        )
        SELECT nextval(pg_get_serial_sequence('accompaniment_personalisedproject', 'id')) AS id,
               c.stay_id, c.person_id, c.facility_id, 1 AS number,
               CASE WHEN c.status = 'ENPREPARATION' THEN 'ENCOURS' ELSE 'TERMINE' END AS status,
               greatest(c.start_date + 60, %(today)s::date - 1400 + floor(c.r2 * 300)::int)
                 AS drafted_on,
               NULL::bigint AS previous_id, c.stay_id AS key
        FROM current_pp c WHERE c.has_old
        UNION ALL
        SELECT nextval(pg_get_serial_sequence('accompaniment_personalisedproject', 'id')),
               c.stay_id, c.person_id, c.facility_id, CASE WHEN c.has_old THEN 2 ELSE 1 END,
               c.status,
               least(greatest(c.start_date + 30, %(today)s::date - 700 + floor(c.r * 600)::int),
                     %(today)s::date - 1),
               NULL, c.stay_id
        FROM current_pp c
        """,
        p,
    )
    _run(
        cursor,
        """
        UPDATE h_pp n SET previous_id = o.id FROM h_pp o
        WHERE o.stay_id = n.stay_id AND o.number = 1 AND n.number = 2
        """,
    )
    _run(cursor, "ALTER TABLE h_pp ADD COLUMN validated_on date, ADD COLUMN ended_on date")
    _run(
        cursor,
        """
        UPDATE h_pp SET validated_on = CASE WHEN status = 'ENPREPARATION' THEN NULL
                                            ELSE least(drafted_on + 30, %(today)s::date) END
        """,
        p,
    )
    _run(
        cursor,
        """
        UPDATE h_pp o SET ended_on = n.drafted_on + 30 FROM h_pp n
        WHERE n.previous_id = o.id AND n.status <> 'ENPREPARATION'
        """,
    )
    _run(
        cursor,
        "UPDATE h_pp SET validated_on = least(validated_on, ended_on - 1) "
        "WHERE ended_on IS NOT NULL",
    )
    now = f"(%(now)s::timestamp AT TIME ZONE '{TZ}')"
    rows = _run(
        cursor,
        f"""
        INSERT INTO accompaniment_personalisedproject (id, version, created_at, updated_at,
            number, project_type, title, description, status, frozen, validated_at,
            validated_on, start_date, end_date, next_review_due, created_by_id, person_id,
            previous_id, stay_id, validated_by_id)
        SELECT h.id, CASE WHEN h.status = 'ENPREPARATION' THEN 1 ELSE 2 END,
               h.drafted_on::timestamp AT TIME ZONE '{TZ}',
               least(coalesce(h.ended_on, h.validated_on, h.drafted_on)::timestamp
                     AT TIME ZONE '{TZ}', {now}),
               h.number, 'PP', 'Projet personnalisé ' || extract(year FROM h.drafted_on),
               '', h.status, h.status <> 'ENPREPARATION',
               CASE WHEN h.validated_on IS NOT NULL
                    THEN (h.validated_on + time '15:00') AT TIME ZONE '{TZ}' END,
               h.validated_on, h.validated_on, h.validated_on + 365,
               CASE WHEN h.status IN ('ENCOURS', 'ENPAUSE') THEN h.validated_on + 365 END,
               w.users[1], h.person_id, h.previous_id, h.stay_id,
               CASE WHEN h.validated_on IS NOT NULL
                    THEN w.users[cardinality(w.users)] END
        FROM h_pp h
        JOIN h_writers w ON w.facility_id = h.facility_id AND w.category = 'social'
        ORDER BY h.id
        """,  # noqa: S608 - constants
        p,
    )
    goals = "ARRAY[" + ", ".join("'" + g.replace("'", "''") + "'" for g in GOALS) + "]"
    rows += _run(
        cursor,
        f"""
        INSERT INTO accompaniment_goal (version, created_at, updated_at, title, description,
            expected_result, person_opinion, start_date, end_date, status, referent_id,
            project_id)
        SELECT 1, pp.created_at, pp.created_at, ({goals})[1 + (g + pp.id::int) %% {len(GOALS)}],
               '', 'Objectif atteint au prochain bilan.', '', pp.start_date, pp.end_date,
               CASE pp.status WHEN 'ENPREPARATION' THEN 'ENPREPARATION'
                              WHEN 'TERMINE' THEN 'TERMINE' ELSE 'ACTIF' END,
               pp.created_by_id, pp.id
        FROM accompaniment_personalisedproject pp
        CROSS JOIN LATERAL generate_series(1, 2 + (pp.id %% 3)::int) AS g
        ORDER BY pp.id, g
        """,  # noqa: S608 - constants
    )
    rows += fill_project_changes(cursor, p)
    return rows


def fill_project_changes(cursor, p) -> int:
    """pilotage.ProjectChange: the rows the audit hook writes for each PP write (status after
    the write): drafted, a section edit two weeks later, validated, paused, ended."""
    if not _table_exists(cursor, "pilotage_projectchange"):
        return 0
    return _run(
        cursor,
        f"""
        INSERT INTO pilotage_projectchange (project_id, person_id, facility_id, changed_at,
                                            status, by_job)
        SELECT h.id, h.person_id, h.facility_id, (x.day + time '11:00') AT TIME ZONE '{TZ}',
               x.status, false
        FROM h_pp h
        CROSS JOIN LATERAL (VALUES
            (h.drafted_on, 'ENPREPARATION'),
            (least(h.drafted_on + 14, coalesce(h.validated_on, %(today)s::date)),
             'ENPREPARATION'),
            (h.validated_on, 'ENCOURS'),
            (CASE WHEN h.status = 'ENPAUSE' THEN least(h.validated_on + 90, %(today)s::date)
             END, 'ENPAUSE'),
            (h.ended_on, 'TERMINE')
        ) AS x(day, status)
        WHERE x.day IS NOT NULL
        ORDER BY 4
        """,  # noqa: S608 - constants
        p,
    )


# --------------------------------------------------------------------------- evaluations


def _aggir(cursor, p) -> int:
    """Yearly AGGIR grids of EHPAD stays (the last validated, earlier ones closed, 10 % of
    current residents with a draft in progress); adverbs, coding and GIR from the app's own
    calculator on AGGIR_GRIDS random grids, drawn per evaluation."""
    from opendui.evaluations.aggir import (
        DISCRIMINANT_VARIABLES,
        ILLUSTRATIVE_VARIABLES,
        compute_gir,
    )
    from opendui.evaluations.demo_data import _adverbs
    from opendui.evaluations.rules import variable_letters

    rng = random.Random(5)
    cursor.execute(
        "CREATE UNLOGGED TABLE h_grid (i int, adverbs jsonb, illustrative jsonb, coding text, "
        "gir int, rang int, grp text, score int)"
    )
    rows = []
    for i in range(AGGIR_GRIDS):
        dependency = min(0.95, rng.betavariate(2.5, 2.0))
        adverbs = _adverbs(rng, dependency)
        letters = variable_letters(adverbs)
        coding = "".join(letters[v.code] or "" for v in DISCRIMINANT_VARIABLES)
        result = compute_gir(coding)
        illustrative = {
            v.code: rng.choice("BC" if dependency > 0.4 else "ABC") for v in ILLUSTRATIVE_VARIABLES
        }
        rows.append(
            (
                i,
                json.dumps(adverbs),
                json.dumps(illustrative),
                coding,
                result.gir,
                result.rang,
                result.group,
                result.score,
            )
        )
    cursor.executemany("INSERT INTO h_grid VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
    return _run(
        cursor,
        f"""
        INSERT INTO evaluations_aggirevaluation (version, created_at, updated_at,
            evaluated_on, status, adverbs, illustrative, coding, gir, rang, "group", score,
            comment, validated_on, evaluator_id, person_id, stay_id, validated_by_id)
        SELECT 1, x.on_day::timestamp AT TIME ZONE '{TZ}', x.on_day::timestamp AT TIME ZONE
               '{TZ}', x.on_day, x.status, g.adverbs, g.illustrative, g.coding, g.gir, g.rang,
               g.grp, g.score, '',
               CASE WHEN x.status <> 'ENPREPARATION' THEN least(x.on_day + 7, %(today)s::date)
               END,
               x.evaluator, x.person_id, x.stay_id,
               CASE WHEN x.status <> 'ENPREPARATION' THEN x.evaluator END
        FROM (
            SELECT s.stay_id, s.person_id,
                   least(s.first + k * 365 + floor(random() * 30)::int, %(today)s::date)
                     AS on_day,
                   CASE WHEN k = (least(s.last, %(today)s::date) - s.first) / 365 THEN 'VALIDE'
                        ELSE 'TERMINE' END AS status,
                   w.users[1 + floor(random() * cardinality(w.users))::int] AS evaluator,
                   floor(random() * {AGGIR_GRIDS})::int AS grid
            FROM h_stay s JOIN h_writers w ON w.facility_id = s.facility_id
                 AND w.category = 'care'
            CROSS JOIN LATERAL generate_series(0, (least(s.last, %(today)s::date) - s.first)
                                                  / 365) AS k
            WHERE s.category_id = '500' AND least(s.last, %(today)s::date) > s.first
            UNION ALL
            SELECT s.stay_id, s.person_id, %(today)s::date - floor(random() * 20)::int,
                   'ENPREPARATION', w.users[1], floor(random() * {AGGIR_GRIDS})::int
            FROM h_stay s JOIN h_writers w ON w.facility_id = s.facility_id
                 AND w.category = 'care'
            WHERE s.category_id = '500' AND s.end_date IS NULL AND random() < 0.1
        ) x
        JOIN h_grid g ON g.i = x.grid
        ORDER BY x.on_day
        """,  # noqa: S608 - constants
        p,
    )


# --------------------------------------------------------------------------- pilotage


def _table_exists(cursor, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    return cursor.fetchone()[0]


def fill_sharings(cursor, p) -> int:
    """documents.Sharing over the last 13 months: per current person and month, a document
    sent to their DMP (55 %) and an MSSanté message about them (50 %), 4 % failed; plus a
    few messages concerning nobody in particular."""
    if not _table_exists(cursor, "documents_sharing"):
        return 0
    return _run(
        cursor,
        f"""
        INSERT INTO documents_sharing (channel, facility_id, person_id, sent_at, status,
                                       external_id, document_reference)
        SELECT c.channel, s.facility_id,
               CASE WHEN c.channel = 'MSSANTE' AND random() < 0.05 THEN NULL
                    ELSE s.person_id END,
               (m.month + floor(random() * 28)::int + time '10:00') AT TIME ZONE '{TZ}',
               CASE WHEN random() < 0.04 THEN 'failed' ELSE 'sent' END,
               md5(s.person_id::text || m.month::text || c.channel),
               CASE c.channel WHEN 'DMP' THEN 'Document de liaison d''urgence'
                              ELSE 'Compte rendu de coordination' END
        FROM h_stay s
        CROSS JOIN LATERAL generate_series(date_trunc('month', %(today)s::date)
                                             - interval '12 months',
                                           date_trunc('month', %(today)s::date)
                                             - interval '1 month', interval '1 month') AS m0
        CROSS JOIN LATERAL (SELECT m0::date AS month) m
        CROSS JOIN (VALUES ('DMP', 0.55), ('MSSANTE', 0.5)) AS c(channel, share)
        WHERE s.end_date IS NULL AND s.start_date <= m.month AND s.act_last > m.month + 27
          AND random() < c.share
        ORDER BY 4
        """,  # noqa: S608 - constants
        p,
    )


def fill_record_activity(cursor, p) -> int:
    """pilotage.RecordActivity: one row per (person, local day) on which something of their
    record was written above (notes, agenda changes, PP changes), as the audit hook does."""
    if not _table_exists(cursor, "pilotage_recordactivity"):
        return 0
    parts = [
        "SELECT person_id, (created_at AT TIME ZONE '{tz}')::date AS day FROM notes_note",
        "SELECT person_id, (changed_at AT TIME ZONE '{tz}')::date FROM agenda_eventchange",
    ]
    if _table_exists(cursor, "pilotage_projectchange"):
        parts.append(
            "SELECT person_id, (changed_at AT TIME ZONE '{tz}')::date FROM pilotage_projectchange"
        )
    union = " UNION ".join(part.format(tz=TZ) for part in parts)
    return _run(
        cursor,
        f"""
        INSERT INTO pilotage_recordactivity (person_id, day, by_job)
        SELECT person_id, day, false FROM ({union}) x
        WHERE day <= %(today)s::date
        ORDER BY day, person_id
        ON CONFLICT DO NOTHING
        """,  # noqa: S608 - constants
        p,
    )


def _cleanup(cursor, p) -> int:
    for table in (
        "h_stay",
        "h_staff",
        "h_writers",
        "h_note_cats",
        "h_gpick",
        "h_group",
        "h_ind",
        "h_event",
        "h_series",
        "h_pp",
        "h_grid",
    ):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    return 0
