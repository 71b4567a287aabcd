"""Services: permission, validation (nothing written on bad input), audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.identifiers import luhn_check_digit
from opendui.programme import services
from opendui.programme.models import Grappe, GrappeDeclaration, GrappeMember, Milestone

from .helpers import grappe_of, milestone_of


def finess(body: str) -> str:
    return body + luhn_check_digit(body)


def actor(user) -> Actor:
    return Actor(user=user, label=user.email)


FIELDS = {
    "name": "Grappe Touraine",
    "project_type": "acquisition",
    "solution_name": "Solution DUI",
    "segur_status": "reference",
    "segur_source": "Liste ANS consultée le 02/03/2026",
    "rule_set": "2022",
    "territory": "metropole",
    "duration_months": 18,
}


def test_create_grappe_with_milestones_and_audit(world, director):
    grappe = services.create_grappe(actor(director), world.og, **FIELDS)
    assert grappe.carrier_siret == world.og.siret
    assert list(grappe.milestones.values_list("kind", flat=True).order_by("pk")) == [
        "candidature",
        "convention",
        "contrat-editeur",
        "parametrage",
        "va",
        "vsr",
        "cibles",
        "second-versement",
    ]
    event = AuditEvent.objects.get(action="programme.grappe_create")
    assert event.organisation_id == world.og.pk and event.person_ids == []
    # A declared referencing needs its source; nothing is written without it.
    before = (Grappe.objects.count(), AuditEvent.objects.count())
    for status in ("reference", "en-cours"):
        with pytest.raises(ValidationError, match="source du statut"):
            services.create_grappe(
                actor(director), world.og, **(FIELDS | {"segur_status": status, "segur_source": ""})
            )
    assert (Grappe.objects.count(), AuditEvent.objects.count()) == before
    plain = FIELDS | {"segur_status": "non-reference", "segur_source": ""}
    assert services.create_grappe(actor(director), world.og, **plain).segur_source == ""


@pytest.mark.parametrize(
    "role_and_scope",
    [("educateur", "ehpad"), ("directeur", "ehpad"), ("admin", "other_og"), ("dpo", None)],
)
def test_non_holders_are_refused_and_nothing_is_written(world, role_and_scope):
    role, scope = role_and_scope
    if scope == "ehpad":
        user = world.user(role, facility=world.ehpad)
    elif scope == "other_og":
        user = world.user(role, organisation=world.other_og)
    else:
        user = world.user(role)
    grappe = grappe_of(world)
    before = (Grappe.objects.count(), GrappeMember.objects.count(), AuditEvent.objects.count())
    with pytest.raises(PermissionDenied):
        services.create_grappe(actor(user), world.og, **FIELDS)
    with pytest.raises(PermissionDenied):
        services.add_facilities(actor(user), grappe, [world.ime])
    with pytest.raises(PermissionDenied):
        services.declare(actor(user), grappe, "meme-solution", True)
    after = (Grappe.objects.count(), GrappeMember.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_bad_grappe_input_changes_nothing(world, director):
    before = (Grappe.objects.count(), Milestone.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as error:
        services.create_grappe(
            actor(director), world.og, **{**FIELDS, "carrier_siret": "12345678901234"}
        )
    assert "SIRET" in str(error.value)
    with pytest.raises(ValidationError):
        services.create_grappe(actor(director), world.og, **{**FIELDS, "rule_set": "2023"})
    assert (Grappe.objects.count(), Milestone.objects.count(), AuditEvent.objects.count()) == before


def test_add_own_facilities_all_or_nothing(world, director):
    grappe = grappe_of(world)  # has world.ehpad already
    count = GrappeMember.objects.count()
    with pytest.raises(ValidationError):
        services.add_facilities(actor(director), grappe, [world.ime, world.ehpad])
    assert GrappeMember.objects.count() == count  # the ime was not kept
    with pytest.raises(ValidationError):
        services.add_facilities(actor(director), grappe, [world.other])  # another OG's
    services.add_facilities(actor(director), grappe, [world.ime])
    assert grappe.members.count() == 2


def test_partner_is_validated(world, director):
    grappe = grappe_of(world)
    good = {
        "finess_et": finess("41090001"),
        "name": "EHPAD Partenaire",
        "couloir": "PA",
        "finess_ej": finess("41090900"),
    }
    with pytest.raises(ValidationError) as error:
        services.add_partner(
            actor(director), grappe, **{**good, "finess_et": "410900010", "couloir": "XX"}
        )
    assert set(error.value.message_dict) == {"finess_et", "couloir"}
    with pytest.raises(ValidationError) as error:
        services.add_partner(actor(director), grappe, **{**good, "finess_ej": world.og.finess_ej})
    assert "organisme porteur" in error.value.message_dict["finess_ej"][0]
    with pytest.raises(ValidationError) as error:
        services.add_partner(actor(director), grappe, **{**good, "finess_et": world.ime.finess_et})
    assert "appartient à l'organisme porteur" in error.value.message_dict["finess_et"][0]
    assert grappe.members.count() == 1
    member = services.add_partner(
        actor(director), grappe, **{**good, "finess_et": " 41 090 001 " + good["finess_et"][-1]}
    )
    assert member.finess_et == good["finess_et"] and member.is_partner
    with pytest.raises(ValidationError):
        services.add_partner(actor(director), grappe, **good)  # already there
    services.remove_member(actor(director), member)
    assert grappe.members.count() == 1
    removed = AuditEvent.objects.get(action="programme.member_remove")
    assert removed.details["removed"]["finess_et"] == good["finess_et"]


def test_declaration_keeps_who_and_when(world, director):
    grappe = grappe_of(world)
    services.declare(actor(director), grappe, "sans-financement-europeen", True)
    services.declare(actor(director), grappe, "sans-financement-europeen", False)
    row = GrappeDeclaration.objects.get()
    assert (row.value, row.declared_by, row.version) == (False, director, 2)
    with pytest.raises(ValidationError):
        services.declare(actor(director), grappe, "inconnue", True)


def test_milestone_dates_are_checked(world, director):
    grappe = grappe_of(world)
    today = dt.date(2026, 6, 1)
    candidature = milestone_of(grappe, "candidature")
    services.update_milestone(
        actor(director),
        candidature,
        planned_on=None,
        done_on=dt.date(2026, 3, 1),
        today=today,
        expected_version=candidature.version,
    )
    convention = milestone_of(grappe, "convention")
    with pytest.raises(ValidationError) as error:
        services.update_milestone(
            actor(director),
            convention,
            planned_on=None,
            done_on=dt.date(2026, 2, 1),
            today=today,
            expected_version=convention.version,
        )
    assert "avant" in error.value.message_dict["done_on"][0]
    with pytest.raises(ValidationError):
        services.update_milestone(
            actor(director),
            convention,
            planned_on=None,
            done_on=dt.date(2026, 7, 1),
            today=today,
            expected_version=convention.version,
        )
    convention.refresh_from_db()
    assert convention.done_on is None and convention.version == 1
