"""The person page and the identity page issue the same number of SQL queries whatever the
size of the person's history (issue 3): every list they show is fetched in one query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.persons.models import (
    Consent,
    ConsentGiver,
    ConsentKind,
    ConsentScope,
    IdentityStatusChange,
    RelatedPerson,
    RelationType,
)
from opendui.stays.models import Stay


def grow_history(world, person, how_many: int, author) -> None:
    """`how_many` more identity status changes, ended stays (alternating facilities and
    units), related persons, consents (some given by a representative, some withdrawn)
    and audit events about the person."""
    facilities = [(world.ehpad, world.glycines), (world.ehpad, world.lilas), (world.ime, None)]
    base = dt.date(1990, 1, 1)
    for n in range(how_many):
        IdentityStatusChange.objects.create(
            person=person,
            at=timezone.now() - dt.timedelta(days=n + 1),
            by=author if n % 2 else None,
            event="mark_homonyme" if n % 2 else "document_check",
            from_status="PROV",
            to_status="VALI" if n % 3 else "PROV",
            reason=f"motif {n}",
            document_type="CNI" if n % 2 == 0 else "",
        )
        facility, unit = facilities[n % len(facilities)]
        start = base + dt.timedelta(days=30 * n)
        Stay.objects.create(
            person=person,
            facility=facility,
            unit=unit,
            start_date=start,
            end_date=start + dt.timedelta(days=20),
        )
        related = RelatedPerson.objects.create(
            person=person,
            last_name=f"Proche{n}",
            first_name="Paul",
            relation=RelationType.ENFANT,
            is_legal_representative=n % 5 == 0,
        )
        by_representative = n % 5 == 0
        Consent.objects.create(
            person=person,
            scope=ConsentScope.PARTAGE_CERCLE_SOINS,
            kind=ConsentKind.CONSENTEMENT if n % 2 else ConsentKind.OPPOSITION,
            given_on=start,
            given_by=ConsentGiver.REPRESENTANT if by_representative else ConsentGiver.PERSONNE,
            representative=related if by_representative else None,
            withdrawn_on=start + dt.timedelta(days=5) if n % 4 == 0 else None,
            withdrawal_reason="retrait" if n % 4 == 0 else "",
        )
        record(
            Actor.system("test"),
            EventKind.ACCESS,
            "person.view",
            person_ids=[person.pk],
            organisation_id=world.og.pk,
        )


def count_queries(client, url: str) -> int:
    client.get(url)  # warm-up: the same session and cache state for the measured request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["", "identite/"])
@pytest.mark.parametrize("role", ["infirmier", "accueil"])  # accueil may edit the identity
def test_person_pages_query_count_does_not_depend_on_the_history(world, login, page, role):
    user = world.user(role, facility=world.ehpad)
    client = login(user)
    url = f"/personnes/{world.anne.pk}/{page}"

    grow_history(world, world.anne, 1, user)
    few = count_queries(client, url)
    grow_history(world, world.anne, 49, user)
    many = count_queries(client, url)

    assert IdentityStatusChange.objects.filter(person=world.anne).count() == 50
    assert Stay.objects.filter(person=world.anne).count() == 51
    assert few == many, f"{few} queries with a history of 1, {many} with 50"
    if page:
        body = client.get(url).content.decode()
        assert body.count("motif ") >= 50  # the whole history is shown, not a page of it
