"""INSi queries as background jobs: request, run (in the worker), record the outcome.

Design rule 7: the user's click only stores an `InsiQuery` and enqueues a job;
the worker calls the téléservice with retries; the identity page shows the
query's state. Nothing here writes the person's identity: acceptance stays a
user action (`persons.identity.record_insi_retrieval`), and a re-verification
that finds a difference only raises an alert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.interop.insi.client import InsiUnavailable
from opendui.interop.insi.envelope import (
    CR_OK,
    InsiFault,
    InsiInputError,
    SearchTraits,
    normalise_traits,
)
from opendui.jobs.models import Job
from opendui.persons.identity import InsiTraits, insi_acceptance_problem, trait_differences
from opendui.persons.models import IdentityStatusChange, Person
from opendui.persons.services import record_person_access

from .models import InsiQuery, InsVerification, Outcome, QueryKind, QueryStatus

logger = logging.getLogger(__name__)

SYSTEM_ACTOR_LABEL = "insi.reverify"
# A result older than this is not offered for acceptance: query again.
RESULT_VALIDITY = dt.timedelta(hours=24)
# Re-verification: seconds between two batches, and at most this many persons a night.
BATCH_INTERVAL_SECONDS = 60
MAX_REVERIFICATIONS_PER_RUN = 2000

UNREACHABLE_MESSAGE = (
    "Le téléservice INSi est injoignable (plusieurs tentatives sans réponse) ; "
    "votre saisie est conservée."
)
STALE_TRAITS_MESSAGE = (
    "Les traits stricts de la personne ont été modifiés depuis l'interrogation de l'INSi : "
    "cette réponse ne peut plus être acceptée. Interrogez de nouveau l'INSi avec les traits "
    "actuels."
)
FAILED_MESSAGE = (
    "La recherche INSi n'a pas pu aboutir (erreur interne) ; votre saisie est conservée."
)


# --- traits ----------------------------------------------------------------------------------


def search_traits_of(person: Person) -> SearchTraits:
    """The entered strict traits, normalised as INSi expects (raises InsiInputError)."""
    return normalise_traits(
        SearchTraits(
            birth_name=person.birth_name,
            first_name=person.birth_first_names or person.first_name,
            sex=person.sex,
            birth_date=person.birth_date,
            birth_place=person.birth_place_code or None,
        )
    )


def _traits_json(traits: SearchTraits) -> dict[str, Any]:
    return {
        "birth_name": traits.birth_name,
        "first_name": traits.first_name,
        "sex": traits.sex,
        "birth_date": traits.birth_date.isoformat(),
        "birth_place": traits.birth_place,
    }


def _traits_from_json(data: dict[str, Any]) -> SearchTraits:
    return SearchTraits(
        birth_name=data["birth_name"],
        first_name=data["first_name"],
        sex=data["sex"],
        birth_date=dt.date.fromisoformat(data["birth_date"]),
        birth_place=data.get("birth_place"),
    )


def traits_hash(traits: SearchTraits) -> str:
    canonical = json.dumps(_traits_json(traits), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def returned_traits(query: InsiQuery) -> InsiTraits | None:
    """The identity INSi returned, as persons.identity expects it (None unless CR 00)."""
    data = query.returned
    if query.outcome != Outcome.FOUND or not data:
        return None
    try:
        return InsiTraits(
            birth_name=data["birth_name"],
            birth_first_names=tuple(data["birth_first_names"]),
            sex=data["sex"],
            birth_date=dt.date.fromisoformat(data["birth_date"]),
            birth_place_code=data["birth_place_code"],
            matricule=data["matricule"],
            oid=data["oid"],
        )
    except (KeyError, TypeError, ValueError):
        return None


# --- request (web request) -------------------------------------------------------------------


def request_search(actor: Actor, person: Person) -> InsiQuery:
    """Store a search query for the entered traits and enqueue its job.

    Checked at once, without calling the service: the configuration
    (ImproperlyConfigured) and the traits (InsiInputError), both with French
    messages. A second click while the same traits are being searched returns
    the query in progress instead of calling INSi twice.
    """
    from .config import client_from_settings
    from .tasks import search_identity

    traits = search_traits_of(person)
    client_from_settings()  # raises ImproperlyConfigured
    digest = traits_hash(traits)
    with transaction.atomic():
        existing = (
            InsiQuery.objects.select_for_update()
            .filter(
                person=person,
                kind=QueryKind.SEARCH,
                status=QueryStatus.PENDING,
                traits_hash=digest,
            )
            .first()
        )
        if existing is not None:
            return existing
        query = InsiQuery.objects.create(
            person=person,
            kind=QueryKind.SEARCH,
            requested_by=actor.user,
            address=actor.address,
            facility_id=actor.facility_id,
            traits_sent=_traits_json(traits),
            traits_hash=digest,
        )
        return _enqueue(query, search_identity, f"insi.search:{person.pk}:{digest}")


def _enqueue(query: InsiQuery, task, key: str, run_after: dt.datetime | None = None) -> InsiQuery:
    task = task.using(idempotency_key=key, run_after=run_after)
    result = task.enqueue(query.pk)
    if result.args != [query.pk]:
        # An unfinished job with this key serves another query (a concurrent click):
        # that one is the query in progress; ours was never seen by anyone.
        other = InsiQuery.objects.get(pk=result.args[0])
        query.delete()
        return other
    query.job_id = int(result.id)
    query.save(update_fields=["job"])
    return query


# --- run (worker) ----------------------------------------------------------------------------


class ServiceUnreachable(Exception):
    """The service did not answer this attempt (the task retries it)."""


def run_query(query_id: int) -> dict[str, Any]:
    """Call INSi for one query; raises ServiceUnreachable for the job to retry.

    Idempotent: a query that already has its outcome is not sent again.
    """
    from .config import client_from_settings

    query = InsiQuery.objects.select_related("person").get(pk=query_id)
    if query.status != QueryStatus.PENDING:
        return {"status": query.status, "outcome": query.outcome, "skipped": True}
    InsiQuery.objects.filter(pk=query.pk).update(attempts=F("attempts") + 1)
    query.attempts += 1
    try:
        result = client_from_settings().search(_traits_from_json(query.traits_sent))
    except ImproperlyConfigured as error:
        return finish(query, QueryStatus.ERROR, message=str(error))
    except InsiInputError as error:
        return finish(query, QueryStatus.ERROR, message=str(error))
    except InsiFault as fault:
        return finish(query, QueryStatus.DONE, outcome=Outcome.FAULT, message=fault.message)
    except InsiUnavailable as error:
        raise ServiceUnreachable() from error
    returned = None
    if result.code == CR_OK and result.identity is not None:
        found = result.identity
        returned = {
            "birth_name": found.birth_name,
            "birth_first_names": list(found.first_names),
            "sex": found.sex,
            "birth_date": found.birth_date.isoformat(),
            "birth_place_code": found.birth_place,
            "matricule": found.matricule,
            "oid": found.oid,
        }
    if result.code not in Outcome.values or result.code == Outcome.FAULT:
        return finish(
            query,
            QueryStatus.ERROR,
            message=f"Réponse inattendue de l'INSi ({result.code}) : rien n'a changé.",
        )
    return finish(query, QueryStatus.DONE, outcome=result.code, returned=returned)


def record_failure(query_id: int, *, unreachable: bool) -> None:
    """The job ended without an outcome (retries exhausted, or an unexpected error)."""
    query = InsiQuery.objects.select_related("person").filter(pk=query_id).first()
    if query is None or query.status != QueryStatus.PENDING:
        return
    if unreachable:
        finish(query, QueryStatus.UNREACHABLE, message=UNREACHABLE_MESSAGE)
    else:
        finish(query, QueryStatus.ERROR, message=FAILED_MESSAGE)


def finish(
    query: InsiQuery,
    status: QueryStatus,
    *,
    outcome: str = "",
    returned: dict | None = None,
    message: str = "",
) -> dict[str, Any]:
    """Store the outcome and its audit event in one transaction."""
    with transaction.atomic():
        locked = InsiQuery.objects.select_for_update().get(pk=query.pk)
        if locked.status != QueryStatus.PENDING:
            return {"status": locked.status, "outcome": locked.outcome, "skipped": True}
        query.status, query.outcome, query.returned, query.message = (
            status,
            outcome,
            returned,
            message,
        )
        query.finished_at = timezone.now()
        query.attempts = locked.attempts
        if query.kind == QueryKind.REVERIFY:
            _finish_reverification(query)
        else:
            _record_search_audit(query)
        query.save(
            update_fields=[
                "status",
                "outcome",
                "returned",
                "message",
                "finished_at",
                "differences",
                "alert",
            ]
        )
    return {"status": query.status, "outcome": query.outcome}


def _result_code(query: InsiQuery) -> str:
    return query.outcome or query.status


def _record_search_audit(query: InsiQuery) -> None:
    user = query.requested_by
    actor = Actor(
        user=user,
        address=query.address,
        facility_id=query.facility_id,
        label=user.email if user else "",
    )
    record_person_access(
        actor,
        "person.insi_search",
        [query.person],
        details={"result": _result_code(query), "query": query.pk},
    )


# --- selectors for the identity page ---------------------------------------------------------


def latest_search(person: Person, now: dt.datetime | None = None) -> InsiQuery | None:
    """The person's last search, if recent (a pending one whatever its age)."""
    query = person.insi_queries.filter(kind=QueryKind.SEARCH).select_related("job").first()
    if query is None:
        return None
    now = now or timezone.now()
    if not query.is_pending and query.created_at < now - RESULT_VALIDITY:
        return None
    return query


def acceptable_search(person: Person, latest: InsiQuery | None = None) -> InsiQuery | None:
    """The last search when it found one identity not accepted yet (what "Accepter" uses).

    `latest`: the result of latest_search() when the caller already has it."""
    query = latest if latest is not None else latest_search(person)
    if (
        query is None
        or query.status != QueryStatus.DONE
        or query.outcome != Outcome.FOUND
        or query.accepted_at is not None
    ):
        return None
    return query


def acceptance_problem(person: Person, query: InsiQuery, traits: InsiTraits) -> str | None:
    """Why accepting `query`'s answer would be refused whatever the user confirms (French,
    saying what to do), or None. The identity page offers "Accepter" only when None.

    Refused: an answer the record cannot hold (persons.identity), and an answer to traits
    that are not the person's any more (corrected since the query was sent): INSi was
    asked about another set of traits."""
    problem = insi_acceptance_problem(person, traits)
    if problem:
        return problem
    try:
        current = traits_hash(search_traits_of(person))
    except InsiInputError:
        return STALE_TRAITS_MESSAGE
    return None if current == query.traits_hash else STALE_TRAITS_MESSAGE


def open_alerts(person: Person) -> list[InsiQuery]:
    return list(
        person.insi_queries.filter(kind=QueryKind.REVERIFY, alert=True, resolved_at__isnull=True)
    )


def mark_accepted(query: InsiQuery) -> None:
    """The user accepted this result: the INS is verified today; earlier alerts are resolved.

    Called in the transaction of persons.identity.record_insi_retrieval."""
    now = timezone.now()
    InsiQuery.objects.filter(pk=query.pk).update(accepted_at=now)
    _verified(query.person_id, timezone.localdate(now))
    _resolve_alerts(query.person_id, now)


def _verified(person_id: int, day: dt.date) -> None:
    InsVerification.objects.update_or_create(person_id=person_id, defaults={"verified_on": day})


def _resolve_alerts(person_id: int, now: dt.datetime) -> None:
    InsiQuery.objects.filter(
        person_id=person_id, kind=QueryKind.REVERIFY, alert=True, resolved_at__isnull=True
    ).update(resolved_at=now)


# --- periodic re-verification ----------------------------------------------------------------


def due_for_reverification(today: dt.date | None = None):
    """Persons whose identity was retrieved from INSi and not verified for N days.

    Without a verification row, the date of the last INSi retrieval in the
    identity history counts; without either, the person is due.
    """
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=settings.INSI_REVERIFY_DAYS)
    cutoff_at = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    last_retrieval = Subquery(
        IdentityStatusChange.objects.filter(person=OuterRef("pk"), event="insi_retrieval")
        .order_by("-at")
        .values("at")[:1]
    )
    pending = InsiQuery.objects.filter(
        person=OuterRef("pk"), kind=QueryKind.REVERIFY, status=QueryStatus.PENDING
    )
    return (
        Person.objects.filter(identity_retrieved_from_insi=True)
        .annotate(last_retrieval=last_retrieval)
        .filter(
            Q(ins_verification__verified_on__lt=cutoff)
            | Q(ins_verification__isnull=True)
            & (Q(last_retrieval__isnull=True) | Q(last_retrieval__lt=cutoff_at))
        )
        .exclude(Exists(pending))
        .order_by("pk")
    )


def enqueue_reverifications(now: dt.datetime | None = None) -> int:
    """One re-verification job per due person, batch after batch a minute apart."""
    from .tasks import reverify_identity

    now = now or timezone.now()
    batch = max(settings.INSI_REVERIFY_BATCH, 1)
    persons = list(due_for_reverification(timezone.localdate(now))[:MAX_REVERIFICATIONS_PER_RUN])
    count = 0
    for index, person in enumerate(persons):
        try:
            traits = search_traits_of(person)
        except InsiInputError:
            logger.warning("Person %s: traits cannot be sent to INSi, not re-verified", person.pk)
            continue
        run_after = now + dt.timedelta(seconds=BATCH_INTERVAL_SECONDS * (index // batch))
        with transaction.atomic():
            query = InsiQuery.objects.create(
                person=person,
                kind=QueryKind.REVERIFY,
                traits_sent=_traits_json(traits),
                traits_hash=traits_hash(traits),
            )
            _enqueue(query, reverify_identity, f"insi.reverify:{person.pk}", run_after)
        count += 1
    return count


def _finish_reverification(query: InsiQuery) -> None:
    """Compare INSi's answer with the stored identity; alert, never correct."""
    person = Person.objects.get(pk=query.person_id)
    differences: list[str] = []
    if query.status == QueryStatus.DONE and query.outcome == Outcome.FOUND:
        traits = returned_traits(query)
        if traits is not None:
            differences = trait_differences(person, traits)
            if person.ins_matricule and traits.matricule != person.ins_matricule:
                differences.append("matricule INS différent de celui enregistré")
    elif query.outcome == Outcome.NONE:
        differences = ["l'INSi ne trouve plus cette identité"]
    elif query.outcome == Outcome.MULTIPLE:
        differences = ["l'INSi trouve plusieurs identités pour ces traits"]
    verified = query.status == QueryStatus.DONE and query.outcome != Outcome.FAULT
    query.differences = differences
    query.alert = bool(differences)
    if verified:
        _verified(person.pk, timezone.localdate())
        if not differences:
            _resolve_alerts(person.pk, timezone.now())
    record(
        Actor.system(SYSTEM_ACTOR_LABEL),
        EventKind.SYSTEM,
        "person.insi_reverify",
        person_ids=[person.pk],
        obj=query,
        organisation_id=person.organisation_id,
        details={"result": _result_code(query), "alert": query.alert},
    )


def unfinished_job(query: InsiQuery) -> Job | None:
    job = query.job
    return job if job is not None and not job.is_finished else None
