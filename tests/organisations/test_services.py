"""The services check permissions themselves: views are not the only gate."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent, EventKind
from opendui.core.actor import Actor
from opendui.organisations import services
from opendui.organisations.models import Facility, ManagingOrganisation, Unit

from ..conftest import valid_finess
from .helpers import organisation_data


def test_services_refuse_an_administrator_of_another_organisation(world):
    outsider = Actor(user=world.user("admin", organisation=world.other_og))
    world.ehpad.name = "Piratage"
    with pytest.raises(PermissionDenied):
        services.update_facility(outsider, world.ehpad, expected_version=1)
    with pytest.raises(PermissionDenied):
        services.create_unit(outsider, Unit(facility=world.ehpad, name="Piratage"))
    with pytest.raises(PermissionDenied):
        services.update_organisation(outsider, world.og, expected_version=1)
    assert not Unit.objects.filter(name="Piratage").exists()
    assert Facility.objects.get(pk=world.ehpad.pk).name == "EHPAD Les Tilleuls"


def test_create_organisation_requires_an_organisation_wide_manager(world):
    educator = Actor(user=world.user("educateur", facility=world.ehpad))
    data = organisation_data()
    with pytest.raises(PermissionDenied):
        services.create_organisation(educator, ManagingOrganisation(**data))
    assert not ManagingOrganisation.objects.filter(finess_ej=data["finess_ej"]).exists()


def test_services_validate_without_a_form(world):
    admin = Actor(user=world.user("admin"))
    changes = AuditEvent.objects.filter(kind=EventKind.CHANGE).count()
    facility = Facility(
        organisation=world.og,
        name="Sans clé",
        finess_et="750000999",
        category_id="500",
        capacity_permanent=10,
    )
    with pytest.raises(ValidationError) as error:
        services.create_facility(admin, facility)
    assert "finess_et" in error.value.error_dict
    assert AuditEvent.objects.filter(kind=EventKind.CHANGE).count() == changes


def test_create_facility_takes_the_couloir_of_its_category(world):
    admin = Actor(user=world.user("admin"))
    facility = services.create_facility(
        admin,
        Facility(
            organisation=world.og,
            name="SESSAD",
            finess_et=valid_finess("75000070"),
            category_id="182",
            capacity_service=20,
        ),
    )
    assert facility.couloir == facility.category.couloir
