"""The SQL activity report: a hand-built year, the pure rules on random datasets, queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendui.evaluations.models import AggirEvaluation
from opendui.incidents.models import Incident
from opendui.persons.models import Person, Sex
from opendui.pilotage import activity_rules as rules
from opendui.pilotage.activity_report import activity_report
from opendui.stays.models import Absence, Stay

D = dt.date
TODAY = D(2026, 6, 15)
BIRTH = D(1940, 5, 17)


def person(w, facility, birth=BIRTH, sex=Sex.FEMALE):
    return Person.objects.create(
        organisation=facility.organisation,
        local_id=f"A{Person.objects.count() + 1:06d}",
        birth_name="TEST",
        first_name="Test",
        birth_date=birth,
        sex=sex,
    )


def stay(who, facility, start, end=None, mode="hebergement_permanent", reason="", destination=""):
    return Stay.objects.create(
        person=who,
        facility=facility,
        start_date=start,
        end_date=end,
        mode=mode,
        discharge_reason=reason,
        discharge_destination=destination,
    )


def row(report, code):
    return next(r for r in report.modes if r.code == code)


@pytest.fixture
def year_2024(world):
    """world.ehpad (80 permanent places, 4 temporary here) in 2024, a leap year.

    world.anne and world.bruno are there since 2024-01-01 (open stays, 366 days each).
    """
    ehpad = world.ehpad
    ehpad.capacity_temporary = 4
    ehpad.save()
    Stay.objects.filter(facility=ehpad).update(mode="hebergement_permanent")
    world.anne.birth_date = D(1930, 2, 28)
    world.anne.save()
    # A temporary stay spanning 2023-2024, ended by death, with a hospitalisation.
    eve = person(world, ehpad, birth=D(1925, 2, 28), sex=Sex.MALE)
    eve_stay = stay(
        eve, ehpad, D(2023, 12, 20), D(2024, 1, 10), "hebergement_temporaire", "deces", "sans_objet"
    )
    Absence.objects.create(
        stay=eve_stay, kind="hospitalisation", start_date=D(2023, 12, 28), end_date=D(2024, 1, 3)
    )
    # A same-day stay in day care (no capacity recorded for it).
    fred = person(world, ehpad, birth=D(1960, 1, 1))
    stay(
        fred,
        ehpad,
        D(2024, 3, 10),
        D(2024, 3, 10),
        "accueil_jour",
        "fin_accompagnement",
        "domicile",
    )
    # Admitted in 2024, holidays crossing into 2025.
    gina = person(world, ehpad, birth=D(1945, 12, 31))
    gina_stay = stay(gina, ehpad, D(2024, 12, 1))
    Absence.objects.create(
        stay=gina_stay, kind="vacances", start_date=D(2024, 12, 24), end_date=D(2025, 1, 2)
    )
    # Not in 2024: left on 2023-12-31, and admitted in 2025.
    stay(person(world, ehpad), ehpad, D(2023, 1, 1), D(2023, 12, 31), reason="autre")
    stay(person(world, ehpad), ehpad, D(2025, 1, 1))
    # GIRs validated before the end of the year.
    evaluator = world.user("infirmier", facility=ehpad)
    for who, gir in [(world.anne, 2), (world.bruno, 4)]:
        AggirEvaluation.objects.create(
            person=who,
            stay=who.stays.get(),
            evaluated_on=D(2024, 6, 1),
            evaluator=evaluator,
            status="VALIDE",
            gir=gir,
            validated_on=D(2024, 6, 2),
        )
    # Incidents: two in 2024 (one in two categories), one on 1 January 2025 at 00:30 local.
    declarer = world.user("educateur", facility=ehpad)
    zone = timezone.get_current_timezone()
    for when, categories in [
        (dt.datetime(2024, 3, 1, 10, tzinfo=zone), ["4", "8"]),
        (dt.datetime(2024, 12, 31, 23, 30, tzinfo=zone), ["4"]),
        (dt.datetime(2025, 1, 1, 0, 30, tzinfo=zone), ["1"]),
    ]:
        Incident.objects.create(
            facility=ehpad,
            declared_by=declarer,
            declared_at=when,
            occurred_at=when,
            place="Salle",
            description="Faits",
            severity="ei",
            categories=categories,
        )
    return world


def test_a_hand_built_leap_year(year_2024):
    w = year_2024
    report = activity_report(w.ehpad, 2024, today=TODAY)
    assert report.period == rules.Period(D(2024, 1, 1), D(2024, 12, 31))
    assert not report.in_progress
    assert report.file_active == 5  # anne, bruno, eve, fred, gina

    permanent = row(report, "hebergement_permanent")
    assert (permanent.capacity, permanent.persons, permanent.admissions) == (80, 3, 3)
    assert permanent.stay_days == 366 + 366 + 31  # gina: 1..31 December
    assert permanent.absence_days == 8  # gina's holidays 24..31 December
    assert permanent.presence_days == 366 + 366 + 23
    assert permanent.occupation == Decimal("2.6")  # 763 / (80 × 366)

    temporary = row(report, "hebergement_temporaire")
    assert (temporary.capacity, temporary.persons, temporary.admissions, temporary.discharges) == (
        4,
        1,
        0,
        1,
    )
    assert temporary.stay_days == 9  # 1..9 January
    assert temporary.absence_days == 2  # 1 and 2 January
    assert temporary.occupation == Decimal("0.6")  # 9 / (4 × 366)
    assert temporary.ended_length == Decimal("21.0")  # whole stay, 20 December to 10 January

    day_care = row(report, "accueil_jour")
    assert day_care.capacity is None and day_care.occupation is None  # capacité non renseignée
    assert (day_care.stay_days, day_care.discharges, day_care.ended_length) == (
        1,
        1,
        Decimal("1.0"),
    )

    assert report.total.stay_days == 763 + 9 + 1
    assert report.total.capacity == 84
    assert report.total.occupation == Decimal("2.5")  # 773 / (84 × 366)
    assert report.average_length == Decimal("11.0")  # (21 + 1) / 2
    assert report.ended_stays == 2
    assert report.present_stays == 3  # anne, bruno, gina on 31 December
    assert report.average_seniority == Decimal("254.3")  # (366 + 366 + 31) / 3

    reasons = {r.code: r.count for r in report.discharge_reasons}
    assert reasons["deces"] == 1 and reasons["fin_accompagnement"] == 1 and reasons["autre"] == 0
    destinations = {r.code: r.count for r in report.discharge_destinations}
    assert destinations["sans_objet"] == 1 and destinations["domicile"] == 1
    assert {r.code: r.count for r in report.absences} == {
        "hospitalisation": 2,
        "vacances": 8,
        "autre": 0,
    }

    # Present on 31 December: anne 94 (born 28 Feb 1930), bruno 84, gina 79 (born 31 Dec 1945).
    ages = {r.label: r.by_sex for r in report.ages}
    assert ages["95 ans et plus"] == (0, 0, 0)
    assert ages["85 à 94 ans"] == (1, 0, 0)
    assert ages["75 à 84 ans"] == (1, 1, 0)
    assert report.ages_total.total == 3
    assert report.gmp.distribution == {2: 1, 4: 1}
    assert report.gmp.gmp == Decimal("630.00")

    assert report.incidents_total == 2
    incidents = {r.code: r.count for r in report.incidents}
    assert incidents["4"] == 2 and incidents["8"] == 1 and incidents["1"] == 0
    assert len(report.incidents) == 11


def test_the_next_year_gets_the_rest(year_2024):
    report = activity_report(year_2024.ehpad, 2025, today=TODAY)
    assert report.period.days == 365
    assert {r.code: r.count for r in report.absences}["vacances"] == 1  # 1 January
    assert report.incidents_total == 1
    assert report.file_active == 4  # anne, bruno, gina and the 2025 admission


def test_the_year_in_progress_stops_today(year_2024):
    report = activity_report(year_2024.ehpad, 2026, today=TODAY)
    assert report.in_progress
    assert report.period.end == TODAY
    assert row(report, "hebergement_permanent").stay_days == 4 * 166


def test_a_future_year_is_refused(world):
    with pytest.raises(rules.PeriodError, match="n'a pas commencé"):
        activity_report(world.ehpad, 2027, today=TODAY)


def test_queries_do_not_grow_with_persons(year_2024, django_assert_max_num_queries):
    w = year_2024
    with django_assert_max_num_queries(7) as captured:
        activity_report(w.ehpad, 2024, today=TODAY)
    small = len(captured)
    for index in range(30):
        who = person(w, w.ehpad, birth=D(1930 + index, 1, 1))
        stay(who, w.ehpad, D(2024, 1, 1) + dt.timedelta(days=index), mode="hebergement_temporaire")
    with django_assert_max_num_queries(small):
        activity_report(w.ehpad, 2024, today=TODAY)


def test_another_facility_is_not_counted(year_2024):
    report = activity_report(year_2024.ime, 2024, today=TODAY)
    assert report.file_active == 1  # chloe only
    assert report.incidents_total == 0
    assert row(report, "hebergement_permanent").persons == 0  # chloe's stay has no mode


# ------------------------------------------------------------------ SQL == rules


MODES = ["hebergement_permanent", "hebergement_temporaire", "accueil_jour", ""]
day = st.dates(min_value=D(2022, 10, 1), max_value=D(2025, 3, 1))


@st.composite
def datasets(draw):
    """Up to 8 stays of up to 5 persons, each with up to 2 non-overlapping absences."""
    result = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        start = draw(day)
        end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=D(2025, 3, 1))))
        absences = []
        cursor = start
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            limit = end or D(2025, 3, 1)
            if cursor > limit:
                break
            a_start = draw(st.dates(min_value=cursor, max_value=limit))
            a_end = draw(st.one_of(st.none(), st.dates(min_value=a_start, max_value=limit)))
            absences.append(
                (draw(st.sampled_from(["hospitalisation", "vacances"])), a_start, a_end)
            )
            if a_end is None:
                break
            cursor = a_end + dt.timedelta(days=1)
        result.append(
            {
                "person": draw(st.integers(min_value=0, max_value=4)),
                "start": start,
                "end": end,
                "mode": draw(st.sampled_from(MODES)),
                "absences": absences,
            }
        )
    return result


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=datasets(),
    year=st.sampled_from([2023, 2024]),
    births=st.lists(day.map(lambda d: d.replace(year=d.year - 80)), min_size=5, max_size=5),
)
def test_sql_agrees_with_the_rules(world, data, year, births):
    period = rules.year_period(year, TODAY)
    with transaction.atomic():
        persons = [person(world, world.ime, birth=b) for b in births]
        for item in data:
            created = stay(
                persons[item["person"]], world.ime, item["start"], item["end"], item["mode"]
            )
            for kind, a_start, a_end in item["absences"]:
                Absence.objects.create(stay=created, kind=kind, start_date=a_start, end_date=a_end)
        report = activity_report(world.ime, year, today=TODAY)
        transaction.set_rollback(True)

    chloe = [("chloe", D(2024, 1, 1), None, "")]
    all_stays = chloe + [(i["person"], i["start"], i["end"], i["mode"]) for i in data]
    assert report.file_active == rules.file_active([(p, s, e) for p, s, e, _ in all_stays], period)
    for mode in MODES:
        mine = [(s, e) for _, s, e, m in all_stays if m == mode]
        expected_days = sum(
            rules.stay_days(s, e, period) for s, e in mine if rules.overlaps(s, e, period)
        )
        found = next((r for r in report.modes if r.code == (mode or "non_renseigne")), None)
        assert (found.stay_days if found else 0) == expected_days
        absent = sum(
            rules.absence_days(a_start, a_end, i["end"], period)
            for i in data
            if i["mode"] == mode and rules.overlaps(i["start"], i["end"], period)
            for _, a_start, a_end in i["absences"]
            if rules.overlaps(a_start, a_end, period)
        )
        assert (found.absence_days if found else 0) == absent
    ended = [
        (s, e) for _, s, e, _ in all_stays if e is not None and period.start <= e <= period.end
    ]
    assert report.ended_stays == len(ended)
    assert report.average_length == rules.average(
        sum(rules.stay_length(s, e) for s, e in ended), len(ended)
    )
    running = [(s, e) for _, s, e, _ in all_stays if rules.runs_on(s, e, period.end)]
    assert report.present_stays == len(running)
    assert report.average_seniority == rules.average(
        sum(rules.seniority(s, e, period.end) for s, e in running), len(running)
    )
    birth_of = {**dict(enumerate(births)), "chloe": world.chloe.birth_date}
    present = {p for p, s, e, _ in all_stays if rules.runs_on(s, e, period.end)}
    expected_ages = rules.age_distribution(
        [birth_of[p] for p in present], period.end, rules.age_brackets("PH")
    )
    assert [r.total for r in report.ages] == expected_ages


def test_stays_created_by_the_forms_count_in_their_mode(world):
    """Admission at creation and admission of a request, no mode typed: the stays take
    the facility's default mode and count against the same mode's places."""
    from opendui.core.actor import Actor
    from opendui.persons.services_create import REQUEST, create_person
    from opendui.stays.models import AdmissionRequest
    from opendui.stays.services import admit, change_request_status, default_mode

    Stay.objects.filter(facility=world.ehpad).update(mode="hebergement_permanent")
    today = timezone.localdate()
    actor = Actor(user=world.user("accueil", facility=world.ehpad))
    traits = {"birth_first_names": "Paul", "birth_date": BIRTH, "sex": Sex.MALE}
    create_person(actor, world.ehpad, None, {**traits, "birth_name": "ROUX"})
    applicant = create_person(
        actor, world.ehpad, None, {**traits, "birth_name": "BLANC"}, entry=REQUEST
    )
    request = AdmissionRequest.objects.get(person=applicant)
    request = change_request_status(actor, request, "en_etude", expected_version=request.version)
    # Accepting is a decision (admission.decide): the chef de service's, not the accueil's.
    chief = Actor(user=world.user("chef-de-service", facility=world.ehpad))
    request = change_request_status(chief, request, "acceptee", expected_version=request.version)
    admit(
        actor, request, today, default_mode(world.ehpad), expected_version=request.version
    )  # the form's initial value
    report = activity_report(world.ehpad, today.year, today)
    assert [r.code for r in report.modes] == ["hebergement_permanent"]
    permanent = row(report, "hebergement_permanent")
    assert permanent.persons == 4 and permanent.capacity == 80
    assert permanent.occupation is not None and permanent.occupation > 0
