"""Fixtures of the admissions and stays tests (the shared `world` is in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from opendui.core.actor import Actor
from opendui.persons.models import Person, Sex
from opendui.stays.models import AdmissionRequest


@pytest.fixture
def secretary(world):
    """Accueil of the EHPAD only: manages its admissions and stays."""
    return world.user("accueil", facility=world.ehpad)


@pytest.fixture
def secretary_actor(secretary):
    return Actor(user=secretary)


@pytest.fixture
def org_secretary(world):
    """Accueil of the whole organisation (both facilities: transfers)."""
    return world.user("accueil")


@pytest.fixture
def newcomer(world):
    """A person of the organisation without any stay yet."""
    return Person.objects.create(
        organisation=world.og,
        local_id="N000001",
        birth_name="NOUVEAU",
        first_name="Paul",
        birth_date=dt.date(1938, 2, 1),
        sex=Sex.MALE,
    )


def make_request(world, person, status="recue", facility=None, **extra):
    return AdmissionRequest.objects.create(
        person=person,
        facility=facility or world.ehpad,
        received_on=extra.pop("received_on", dt.date(2025, 1, 5)),
        status=status,
        **extra,
    )
