"""INSi queries as background jobs: outcomes, retries, idempotency, audit, re-verification."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import socket

import pytest
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.interop.insi import services
from opendui.interop.insi.models import InsiQuery, InsVerification, QueryKind, QueryStatus
from opendui.jobs.models import Job, JobStatus
from opendui.jobs.schedule import SCHEDULE, enqueue_due
from opendui.jobs.worker import run_pending
from opendui.persons.ins import INS_NIR_OID
from opendui.persons.models import IdentityStatusChange, Person, Sex
from opendui.persons.rniv import IdentityStatus

ADRTROIS = {
    "birth_name": "ADRTROIS",
    "first_name": "Dominique",
    "sex": Sex.FEMALE,
    "birth_date": dt.date(1997, 2, 26),
    "birth_place_code": "2A020",
}
ADRTROIS_MATRICULE = "297022A02077878"
# Two homonyms in the simulator: without the birth place, INSi finds both (CR 02).
MARTIN_PIERRE = {
    "birth_name": "MARTIN",
    "first_name": "Pierre",
    "sex": Sex.MALE,
    "birth_date": dt.date(1940, 1, 1),
}


@pytest.fixture
def unreachable(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.INSI_ENDPOINT = f"http://127.0.0.1:{port}/lps"
    settings.INSI_IDAM = "TEST"
    settings.INSI_TIMEOUT = 2


@pytest.fixture
def secretary(world):
    return world.user("accueil", facility=world.ehpad)


def actor(user) -> Actor:
    return Actor(user=user, address="192.0.2.7", facility_id=None, label=user.email)


def identity_snapshot(person: Person) -> tuple:
    person.refresh_from_db()
    return (
        person.birth_name,
        person.first_name,
        person.birth_first_names,
        person.birth_date,
        person.birth_place_code,
        person.ins_matricule,
        person.ins_oid,
        person.identity_status,
        person.version,
    )


def search_events(person: Person):
    return AuditEvent.objects.filter(action="person.insi_search", person_ids=[person.pk])


def run_all(hours: int = 4) -> None:
    for hour in range(hours):
        run_pending(now=timezone.now() + dt.timedelta(hours=hour))


# --- user searches -----------------------------------------------------------------------------


def test_found_identity_is_stored_on_the_query_and_nothing_is_overwritten(world, insi, secretary):
    person = world.person(world.ehpad, **ADRTROIS)
    before = identity_snapshot(person)
    query = services.request_search(actor(secretary), person)
    assert query.status == QueryStatus.PENDING and query.kind == QueryKind.SEARCH
    assert query.traits_sent == {
        "birth_name": "ADRTROIS",
        "first_name": "DOMINIQUE",
        "sex": "F",
        "birth_date": "1997-02-26",
        "birth_place": "2A020",
    }
    job = Job.objects.get(pk=query.job_id)
    assert job.task_path == "opendui.interop.insi.tasks.search_identity"
    assert job.args == [query.pk] and job.max_attempts == 3
    assert job.idempotency_key == f"insi.search:{person.pk}:{query.traits_hash}"
    assert "ADRTROIS" not in job.idempotency_key  # a hash, not the traits
    assert not search_events(person).exists()  # recorded when the answer is there

    assert run_pending() == 1
    query.refresh_from_db()
    assert (query.status, query.outcome, query.attempts) == (QueryStatus.DONE, "00", 1)
    assert query.returned["matricule"] == ADRTROIS_MATRICULE
    assert query.returned["birth_first_names"] == ["DOMINIQUE"]
    assert query.finished_at is not None
    assert identity_snapshot(person) == before
    event = search_events(person).get()
    assert event.user_id == secretary.pk and event.address == "192.0.2.7"
    assert event.details == {"result": "00", "query": query.pk}
    assert Job.objects.get(pk=query.job_id).status == JobStatus.SUCCEEDED


def test_double_click_calls_insi_once(world, insi, secretary):
    person = world.person(world.ehpad, **ADRTROIS)
    first = services.request_search(actor(secretary), person)
    second = services.request_search(actor(secretary), person)
    assert second.pk == first.pk
    assert InsiQuery.objects.filter(person=person).count() == 1
    assert Job.objects.count() == 1
    run_pending()
    assert search_events(person).count() == 1
    # Once answered, a new click is a new search.
    third = services.request_search(actor(secretary), person)
    assert third.pk != first.pk


def test_changed_traits_while_searching_make_a_new_search(world, insi, secretary):
    person = world.person(world.ehpad, **ADRTROIS)
    first = services.request_search(actor(secretary), person)
    Person.objects.filter(pk=person.pk).update(birth_place_code="")
    person.refresh_from_db()
    second = services.request_search(actor(secretary), person)
    assert second.pk != first.pk and second.traits_hash != first.traits_hash
    assert run_pending() == 2


def test_no_identity_found(world, insi, secretary):
    before = identity_snapshot(world.anne)
    query = services.request_search(actor(secretary), world.anne)
    run_pending()
    query.refresh_from_db()
    assert (query.status, query.outcome, query.returned) == (QueryStatus.DONE, "01", None)
    assert identity_snapshot(world.anne) == before
    assert search_events(world.anne).get().details["result"] == "01"


def test_several_identities_found(world, insi, secretary):
    person = world.person(world.ehpad, **MARTIN_PIERRE)
    query = services.request_search(actor(secretary), person)
    run_pending()
    query.refresh_from_db()
    assert (query.status, query.outcome, query.returned) == (QueryStatus.DONE, "02", None)
    assert services.acceptable_search(person) is None
    assert search_events(person).get().details["result"] == "02"


def test_soap_fault_is_a_final_outcome_not_retried(world, insi, secretary, settings):
    settings.INSI_IDAM = ""  # the simulator refuses an unknown software authorisation
    before = identity_snapshot(world.anne)
    query = services.request_search(actor(secretary), world.anne)
    run_all()
    query.refresh_from_db()
    assert (query.status, query.outcome, query.attempts) == (QueryStatus.DONE, "fault", 1)
    assert "n'est pas autorisé" in query.message
    assert identity_snapshot(world.anne) == before
    assert search_events(world.anne).get().details["result"] == "fault"


def test_unreachable_service_is_retried_three_times_then_reported(world, unreachable, secretary):
    person = world.person(world.ehpad, **ADRTROIS)
    before = identity_snapshot(person)
    query = services.request_search(actor(secretary), person)

    start = timezone.now()
    assert run_pending(now=start) == 1
    query.refresh_from_db()
    job = Job.objects.get(pk=query.job_id)
    assert (query.status, query.attempts) == (QueryStatus.PENDING, 1)
    assert (job.status, job.attempts) == (JobStatus.READY, 1)
    assert job.last_error == "Le téléservice INSi n'a pas répondu à cette tentative."
    assert job.run_after == start + dt.timedelta(seconds=10)
    assert not search_events(person).exists()

    assert run_pending(now=start + dt.timedelta(seconds=10)) == 1
    job.refresh_from_db()
    assert job.run_after == start + dt.timedelta(seconds=30)  # 10 s, then 20 s
    assert run_pending(now=start + dt.timedelta(seconds=30)) == 1

    query.refresh_from_db()
    job.refresh_from_db()
    assert job.status == JobStatus.ABANDONED and job.attempts == 3
    assert (query.status, query.attempts) == (QueryStatus.UNREACHABLE, 3)
    assert "injoignable" in query.message and "saisie est conservée" in query.message
    assert identity_snapshot(person) == before
    assert not IdentityStatusChange.objects.filter(person=person).exists()
    event = search_events(person).get()
    assert event.details["result"] == "unreachable" and event.user_id == secretary.pk


def test_retry_after_unreachable_succeeds_when_the_service_is_back(
    world, unreachable, secretary, settings, simulator_url
):
    person = world.person(world.ehpad, **ADRTROIS)
    services.request_search(actor(secretary), person)
    run_all()
    settings.INSI_ENDPOINT = simulator_url
    retry = services.request_search(actor(secretary), person)
    run_pending()
    retry.refresh_from_db()
    assert (retry.status, retry.outcome) == (QueryStatus.DONE, "00")
    assert [e.details["result"] for e in search_events(person).order_by("seq")] == [
        "unreachable",
        "00",
    ]


def test_configuration_removed_before_the_job_runs_is_a_french_error(
    world, insi, secretary, settings
):
    query = services.request_search(actor(secretary), world.anne)
    settings.INSI_ENDPOINT = ""
    run_pending()
    query.refresh_from_db()
    assert query.status == QueryStatus.ERROR and "n'est pas configuré" in query.message
    assert search_events(world.anne).get().details["result"] == "error"


def test_a_finished_query_is_not_sent_again(world, insi, secretary):
    """Idempotent task: a job run twice (e.g. after a lease expiry) does not call twice."""
    from opendui.interop.insi.tasks import search_identity

    query = services.request_search(actor(secretary), world.anne)
    run_pending()
    again = search_identity.enqueue(query.pk)
    run_pending()
    assert Job.objects.get(pk=int(again.id)).result["skipped"] is True
    assert search_events(world.anne).count() == 1


# --- pages -------------------------------------------------------------------------------------


def page_text(client, person) -> str:
    return htmllib.unescape(client.get(f"/personnes/{person.pk}/identite/").content.decode())


def test_status_url_tells_whether_the_search_is_pending(world, insi, secretary, login):
    person = world.person(world.ehpad, **ADRTROIS)
    client = login(secretary)
    status_url = f"/personnes/{person.pk}/identite/insi/etat/"
    assert client.get(status_url).json() == {"pending": False, "status": ""}
    client.post(f"/personnes/{person.pk}/identite/insi/")
    assert client.get(status_url).json() == {"pending": True, "status": "pending"}
    run_pending()
    assert client.get(status_url).json() == {"pending": False, "status": "done"}
    assert client.post(status_url).status_code == 405


def test_accepting_records_the_verification_and_hides_the_result(world, insi, secretary, login):
    person = world.person(world.ehpad, **ADRTROIS)
    client = login(secretary)
    client.post(f"/personnes/{person.pk}/identite/insi/")
    run_pending()
    query = InsiQuery.objects.get(person=person)
    # A stale form (another query id) is refused.
    response = client.post(
        f"/personnes/{person.pk}/identite/insi/accepter/",
        {"query": query.pk + 1000, "expected_version": person.version},
    )
    person.refresh_from_db()
    assert response.status_code == 302 and person.identity_status is IdentityStatus.PROV
    client.post(
        f"/personnes/{person.pk}/identite/insi/accepter/",
        {"query": query.pk, "expected_version": person.version},
    )
    person.refresh_from_db()
    query.refresh_from_db()
    assert person.identity_status is IdentityStatus.RECUP
    assert query.accepted_at is not None
    assert InsVerification.objects.get(person=person).verified_on == timezone.localdate()
    assert "Accepter les traits INSi" not in page_text(client, person)


# --- periodic re-verification ------------------------------------------------------------------


def retrieved(world, verified_days_ago: int | None = None, **traits) -> Person:
    matricule = traits.pop("ins_matricule", ADRTROIS_MATRICULE)
    person = world.person(
        world.ehpad,
        **{**ADRTROIS, "birth_first_names": "DOMINIQUE", **traits},
        ins_matricule=matricule,
        ins_oid=INS_NIR_OID,
        identity_retrieved_from_insi=True,
    )
    if verified_days_ago is not None:
        InsVerification.objects.create(
            person=person, verified_on=timezone.localdate() - dt.timedelta(days=verified_days_ago)
        )
    return person


def reverify_now() -> None:
    from opendui.interop.insi.tasks import reverify_due_identities

    reverify_due_identities.enqueue()
    run_all(hours=2)


def test_only_persons_not_verified_for_n_days_are_due(world, settings):
    settings.INSI_REVERIFY_DAYS = 365
    never = retrieved(world)
    old = retrieved(world, verified_days_ago=400, birth_name="ADRTROIS", first_name="Zoé")
    recent = retrieved(world, verified_days_ago=10, first_name="Anne")
    world.person(world.ehpad, birth_name="PROVISOIRE")  # not retrieved from INSi
    due = list(services.due_for_reverification())
    assert [p.pk for p in due] == [never.pk, old.pk]
    assert recent.pk not in [p.pk for p in due]
    settings.INSI_REVERIFY_DAYS = 5
    assert recent.pk in [p.pk for p in services.due_for_reverification()]


def test_reverification_without_difference_updates_the_date_and_raises_no_alert(world, insi):
    person = retrieved(world, verified_days_ago=400)
    before = identity_snapshot(person)
    reverify_now()
    query = InsiQuery.objects.get(person=person, kind=QueryKind.REVERIFY)
    assert (query.status, query.outcome, query.alert, query.differences) == (
        QueryStatus.DONE,
        "00",
        False,
        [],
    )
    assert query.requested_by is None
    assert InsVerification.objects.get(person=person).verified_on == timezone.localdate()
    assert identity_snapshot(person) == before
    event = AuditEvent.objects.get(action="person.insi_reverify", person_ids=[person.pk])
    assert (event.kind, event.user_id, event.user_label) == ("system", None, "insi.reverify")
    assert event.details == {"result": "00", "alert": False}
    assert list(services.due_for_reverification()) == []


def test_reverification_flags_differences_without_changing_the_identity(
    world, insi, secretary, login
):
    changed = retrieved(world, ins_matricule="297022A02077800")  # INSi now returns another
    gone = retrieved(world, birth_name="ADRDISPARU")  # INSi no longer finds it
    before = {p.pk: identity_snapshot(p) for p in (changed, gone)}
    reverify_now()

    changed_query = InsiQuery.objects.get(person=changed, kind=QueryKind.REVERIFY)
    assert changed_query.alert
    assert changed_query.differences == ["matricule INS différent de celui enregistré"]
    gone_query = InsiQuery.objects.get(person=gone, kind=QueryKind.REVERIFY)
    assert (gone_query.outcome, gone_query.alert) == ("01", True)
    assert gone_query.differences == ["l'INSi ne trouve plus cette identité"]
    for person in (changed, gone):
        assert identity_snapshot(person) == before[person.pk]
    events = AuditEvent.objects.filter(action="person.insi_reverify")
    assert {e.person_ids[0]: e.details["alert"] for e in events} == {
        changed.pk: True,
        gone.pk: True,
    }

    client = login(secretary)
    html = page_text(client, gone)
    assert "Identité INS à revérifier :</strong> l'INSi ne trouve plus cette identité" in html
    assert "n'a pas été modifiée" in html
    # An educator who may only read the identity sees the alert too.
    educator = login(world.user("educateur", facility=world.ehpad))
    assert "Identité INS à revérifier" in page_text(educator, changed)


def test_a_clean_reverification_resolves_an_open_alert(world, insi):
    person = retrieved(world, ins_matricule="297022A02077800")
    reverify_now()
    assert services.open_alerts(person)
    # The identity is corrected (by a user, elsewhere) and re-verified later.
    Person.objects.filter(pk=person.pk).update(ins_matricule=ADRTROIS_MATRICULE)
    InsVerification.objects.filter(person=person).update(
        verified_on=timezone.localdate() - dt.timedelta(days=400)
    )
    reverify_now()
    assert services.open_alerts(person) == []
    assert InsiQuery.objects.filter(person=person, kind=QueryKind.REVERIFY).count() == 2


def test_reverification_runs_in_batches(world, insi, settings):
    settings.INSI_REVERIFY_BATCH = 2
    persons = [retrieved(world, first_name=name) for name in ("Anne", "Béa", "Chloé")]
    from opendui.interop.insi.tasks import reverify_due_identities

    result = reverify_due_identities.enqueue()
    start = timezone.now()
    run_pending(now=start)
    result.refresh()
    assert result.return_value == {"enqueued": 3}
    jobs = Job.objects.filter(task_path="opendui.interop.insi.tasks.reverify_identity")
    delays = sorted(round((j.run_after - start).total_seconds() / 60) for j in jobs)
    assert delays == [0, 0, 1]  # two persons a minute
    assert {j.idempotency_key for j in jobs} == {f"insi.reverify:{p.pk}" for p in persons}
    # A second nightly run the same day adds nothing while they are pending.
    assert services.enqueue_reverifications() == 0


def test_the_nightly_job_is_enqueued_once_a_day(world):
    entry = next(e for e in SCHEDULE if e.name == "insi.reverify")
    night = timezone.make_aware(dt.datetime(2026, 5, 4, 2, 30))
    assert len(enqueue_due(night, (entry,))) == 1
    assert enqueue_due(night + dt.timedelta(hours=3), (entry,)) == []
    assert Job.objects.get().idempotency_key == "periodic:insi.reverify:2026-05-04"


def test_page_shows_the_search_in_progress_and_hints_when_no_worker_runs(
    world, insi, secretary, login
):
    person = world.person(world.ehpad, **ADRTROIS)
    client = login(secretary)
    client.post(f"/personnes/{person.pk}/identite/insi/")
    html = page_text(client, person)
    assert 'role="status" aria-live="polite"' in html and "Recherche en cours…" in html
    assert "Interroger l'INSi" not in html  # no second search while one runs
    assert "opendui worker" not in html
    InsiQuery.objects.filter(person=person).update(
        created_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert "opendui worker" in page_text(client, person)
