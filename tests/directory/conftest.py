"""Fixtures of the directory tests: world.og's secretariat and directory entries."""

from __future__ import annotations

import datetime as dt

import pytest

from opendui.core.actor import Actor
from opendui.directory.models import ExternalProfessional, ExternalStructure
from tests.annuaire.fixtures import (  # noqa: F401 - fixtures of the Annuaire simulator
    annuaire_down,
    annuaire_server_url,
    annuaire_settings,
)
from tests.factories_external import external_entry, rpps_of

valid_rpps = rpps_of


RPPS = valid_rpps("1000346103")  # 10003461033, the Annuaire's own example
OTHER_RPPS = valid_rpps("1000000001")
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def secretary(world):
    """EHPAD secretariat: keeps the directory, writes the administrative file."""
    return world.user("accueil", facility=world.ehpad)


@pytest.fixture
def educator(world):
    """EHPAD educator: reads the directory and the administrative file, writes neither."""
    return world.user("educateur", facility=world.ehpad)


@pytest.fixture
def actor(secretary):
    return Actor(user=secretary)


@pytest.fixture
def doctor(world):
    """Dr Moreau, médecin généraliste, in world.og's directory."""
    return external_entry(
        world,
        RPPS,
        civility="DR",
        last_name="Moreau",
        first_name="Claire",
        profession_label="Médecin",
        specialty_label="Médecine générale",
        city="Lyon",
        city_key="lyon",
    )


@pytest.fixture
def other_doctor(world):
    return external_entry(
        world,
        OTHER_RPPS,
        civility="DR",
        last_name="Bernard",
        first_name="Luc",
        profession_label="Médecin",
    )


@pytest.fixture
def pharmacy(world):
    return ExternalStructure.objects.create(
        organisation=world.og, name="Pharmacie du Centre", kind="pharmacie", city="Lyon"
    )


@pytest.fixture
def foreign_doctor(world):
    """A professional of the other organisation's directory."""
    return ExternalProfessional.objects.create(
        organisation=world.other_og, last_name="Durand", profession_label="Médecin"
    )
