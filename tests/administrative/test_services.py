"""Services of the administrative file: validation, history, permission, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opendui.administrative import services
from opendui.administrative.models import (
    Address,
    AddressKind,
    Coverage,
    Phone,
    PhoneKind,
    Right,
    RightKind,
)
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError

from .conftest import nir


def actor(user):
    return Actor(user=user)


def address(secretary, person, **extra):
    fields = {
        "kind": AddressKind.DOMICILE,
        "line1": "12 rue des Lilas",
        "postal_code": "75011",
        "city": "Paris",
        "country": "99100",
        **extra,
    }
    return services.add_item(actor(secretary), person, Address, **fields)


def test_an_address_is_added_with_its_change_event(world, secretary):
    row = address(secretary, world.anne, commune_code="75056")
    assert row.is_current()
    event = AuditEvent.objects.get(action="administrative.address.add")
    assert event.details["created"] is True
    assert event.details["changes"]["line1"] == [None, "12 rue des Lilas"]


def test_bad_address_values_are_refused_in_french(world, secretary):
    with pytest.raises(ValidationError) as error:
        address(secretary, world.anne, postal_code="7501", commune_code="99999")
    assert "5 chiffres" in str(error.value.message_dict["postal_code"])
    assert "commune" in str(error.value.message_dict["commune_code"])
    assert not Address.objects.exists()


def test_a_foreign_address_needs_no_french_postal_code(world, secretary):
    row = address(secretary, world.anne, postal_code="1000", city="Bruxelles", country="99131")
    assert row.country_name.lower().startswith("belgique")


def test_a_correction_keeps_the_old_row_as_history(world, secretary):
    old = address(secretary, world.anne)
    new = services.correct_contact(
        actor(secretary), old, expected_version=old.version, line1="14 rue des Lilas"
    )
    old.refresh_from_db()
    assert old.replaced_by == new and not old.is_current() and new.is_current()
    assert old.line1 == "12 rue des Lilas" and new.line1 == "14 rue des Lilas"
    assert Address.objects.count() == 2
    assert AuditEvent.objects.filter(action="administrative.address.replaced").count() == 1
    with pytest.raises(ValidationError):  # history is not corrected again
        services.correct_contact(actor(secretary), old, expected_version=old.version, line1="x")


def test_a_stale_version_is_a_concurrent_edit(world, secretary):
    old = address(secretary, world.anne)
    with pytest.raises(ConcurrentEditError):
        services.correct_contact(
            actor(secretary), old, expected_version=old.version + 1, line1="14 rue des Lilas"
        )
    assert Address.objects.count() == 1


def test_ending_a_phone_keeps_it_with_its_reason(world, secretary):
    phone = services.add_item(
        actor(secretary), world.anne, Phone, kind=PhoneKind.MOBILE, number="06 12 34 56 78"
    )
    assert phone.number == "+33612345678"
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        services.end_contact(
            actor(secretary),
            phone,
            valid_until=today + dt.timedelta(days=1),
            reason="",
            expected_version=phone.version,
        )
    assert set(error.value.message_dict) == {"valid_until", "end_reason"}
    services.end_contact(
        actor(secretary),
        phone,
        valid_until=today - dt.timedelta(days=1),
        reason="Numéro résilié",
        expected_version=phone.version,
    )
    phone.refresh_from_db()
    assert not phone.is_current() and phone.end_reason == "Numéro résilié"


def test_an_educator_cannot_write_the_administrative_file(world, educator):
    with pytest.raises(PermissionDenied):
        address(educator, world.anne)
    assert not Address.objects.exists()


def test_a_secretary_cannot_write_in_another_facility(world, secretary):
    with pytest.raises(PermissionDenied):
        address(secretary, world.chloe)


def test_coverage_with_an_insured_relative_needs_a_valid_nir(world, secretary):
    fields = {
        "regime": "01",
        "organisation_code": "011751234",
        "start_date": dt.date(2024, 1, 1),
        "insured_is_person": False,
        "insured_last_name": "MARTIN",
        "insured_nir": "140057512345600",
    }
    with pytest.raises(ValidationError) as error:
        services.add_item(actor(secretary), world.anne, Coverage, **fields)
    assert "clé" in " ".join(error.value.message_dict["insured_nir"])
    fields["insured_nir"] = nir()
    row = services.add_item(actor(secretary), world.anne, Coverage, **fields)
    assert row.insured_nir == nir()


def test_coverage_code_organisme_follows_the_regime(world, secretary):
    with pytest.raises(ValidationError) as error:
        services.add_item(
            actor(secretary),
            world.anne,
            Coverage,
            regime="02",
            organisation_code="011751234",
            start_date=dt.date(2024, 1, 1),
        )
    assert "régime" in " ".join(error.value.message_dict["organisation_code"])


def test_rights_rules_department_and_cmi_mentions(world, secretary):
    with pytest.raises(ValidationError) as error:
        services.add_item(
            actor(secretary),
            world.anne,
            Right,
            kind=RightKind.APA_FACILITY,
            start_date=dt.date(2025, 1, 1),
        )
    assert "département" in " ".join(error.value.message_dict["department"])
    with pytest.raises(ValidationError):
        services.add_item(
            actor(secretary), world.anne, Right, kind=RightKind.CMI, start_date=dt.date(2025, 1, 1)
        )
    right = services.add_item(
        actor(secretary),
        world.anne,
        Right,
        kind=RightKind.CMI,
        start_date=dt.date(2025, 1, 1),
        cmi_invalidity=True,
        cmi_parking=True,
    )
    assert right.cmi_mentions == ["invalidité", "stationnement"]


def test_editing_a_right_is_versioned_and_audited(world, secretary):
    right = services.add_item(
        actor(secretary),
        world.anne,
        Right,
        kind=RightKind.APA_FACILITY,
        department="75",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2026, 1, 1),
    )
    with pytest.raises(ConcurrentEditError):
        services.update_item(
            actor(secretary),
            right,
            expected_version=right.version + 1,
            end_date=dt.date(2027, 1, 1),
        )
    services.update_item(
        actor(secretary), right, expected_version=right.version, end_date=dt.date(2027, 1, 1)
    )
    event = AuditEvent.objects.get(action="administrative.right.update")
    assert event.details["changes"]["end_date"] == ["2026-01-01", "2027-01-01"]
