"""AGGIR records: adverbs → letters → GIR, refusals, statuses, permissions, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError
from opendui.evaluations import services
from opendui.evaluations.models import AggirEvaluation
from opendui.evaluations.selectors import current_gir, gir_history

from .conftest import adverbs

ON = dt.date(2025, 3, 1)
TODAY = dt.date(2025, 6, 1)


def record(user, person, grid, status="ENPREPARATION", on=ON, **kw):
    return services.record_aggir(
        Actor(user), person, person.stays.get(), on, grid, status=status, today=TODAY, **kw
    )


def test_a_nurse_records_a_complete_grid_and_the_gir_is_stored(world, nurse):
    # CCAAAAAC… : the reference's pitfall (A-sum 3400) must give GIR 2.
    grid = adverbs(COH={"communication": "", "comportement": ""})
    grid["ORI"] = {"temps": "", "espace": ""}
    grid["DPI"] = {"déplacement à l'intérieur": ""}
    saved = record(nurse, world.anne, grid, "APPROUVE", illustrative={"GES": "B"})
    saved.refresh_from_db()
    assert (saved.coding, saved.gir, saved.rang, saved.group) == ("CCAAAAACAA", 2, 3, "A")
    assert saved.illustrative == {"GES": "B"}
    event = AuditEvent.objects.get(action="aggir.create")
    assert event.details["changes"]["gir"] == [None, 2]


def test_a_draft_may_be_partial_and_has_no_gir(world, nurse):
    grid = adverbs()
    del grid["TOI"]
    saved = record(nurse, world.anne, grid)
    assert saved.status == "ENPREPARATION" and saved.gir is None and saved.coding == ""


def test_an_incomplete_grid_is_refused_when_approved_naming_the_sub_variable(world, nurse):
    grid = adverbs()
    del grid["ALI"]["se servir"]
    with pytest.raises(ValidationError, match="Alimentation \\(ALI\\) – se servir"):
        record(nurse, world.anne, grid, "APPROUVE")
    assert not AggirEvaluation.objects.exists()
    assert not AuditEvent.objects.filter(action="aggir.create").exists()


def test_a_draft_cannot_be_approved_while_incomplete(world, nurse):
    grid = adverbs()
    del grid["COM"]
    draft = record(nurse, world.anne, grid)
    with pytest.raises(ValidationError, match="Communication à distance"):
        services.change_aggir_status(
            Actor(nurse), draft, "APPROUVE", expected_version=draft.version
        )
    draft.refresh_from_db()
    assert draft.status == "ENPREPARATION"


def test_date_outside_the_stay_or_in_the_future_is_refused(world, nurse):
    with pytest.raises(ValidationError, match="futur"):
        record(nurse, world.anne, adverbs(), on=dt.date(2025, 7, 1))
    with pytest.raises(ValidationError, match="hors du séjour"):
        record(nurse, world.anne, adverbs(), on=dt.date(2023, 1, 1))


def test_validation_needs_a_doctor_and_then_the_grid_is_frozen(world, nurse, doctor):
    grid = record(nurse, world.anne, adverbs(), "APPROUVE")
    with pytest.raises(PermissionDenied):
        services.change_aggir_status(Actor(nurse), grid, "VALIDE", expected_version=grid.version)
    chef = world.user("chef-de-service", facility=world.ehpad)  # pp.validate, care read only
    with pytest.raises(PermissionDenied):
        services.change_aggir_status(Actor(chef), grid, "VALIDE", expected_version=grid.version)
    services.change_aggir_status(
        Actor(doctor), grid, "VALIDE", today=TODAY, expected_version=grid.version
    )
    grid.refresh_from_db()
    assert grid.status == "VALIDE" and grid.validated_by == doctor
    assert grid.validated_on == TODAY
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        services.update_aggir(
            Actor(nurse), grid, evaluated_on=ON, adverbs=adverbs(""), expected_version=grid.version
        )
    with pytest.raises(ValidationError):
        services.change_aggir_status(
            Actor(doctor), grid, "ENPREPARATION", expected_version=grid.version
        )


def test_outsider_nurse_cannot_record(world):
    other = world.user("infirmier", facility=world.ime)
    with pytest.raises(PermissionDenied):
        record(other, world.anne, adverbs())


def test_concurrent_edit_of_a_draft_is_refused(world, nurse):
    draft = record(nurse, world.anne, adverbs())
    stale = AggirEvaluation.objects.get(pk=draft.pk)
    services.update_aggir(
        Actor(nurse),
        draft,
        evaluated_on=ON,
        adverbs=adverbs("S"),
        expected_version=1,
        today=TODAY,
    )
    with pytest.raises(ConcurrentEditError):
        services.update_aggir(
            Actor(nurse),
            stale,
            evaluated_on=ON,
            adverbs=adverbs(""),
            expected_version=1,
            today=TODAY,
        )


def test_gir_history_and_current_gir(world, nurse, doctor):
    def validated(grid, on):
        saved = record(nurse, world.anne, grid, "APPROUVE", on=on)
        return services.change_aggir_status(
            Actor(doctor), saved, "VALIDE", today=TODAY, expected_version=saved.version
        )

    old = validated(adverbs(), dt.date(2024, 3, 1))  # GIR 6
    new = validated(adverbs("S"), dt.date(2025, 3, 1))  # all B → GIR 4
    record(nurse, world.anne, adverbs(""), "APPROUVE", on=dt.date(2025, 5, 1))  # not validated
    assert current_gir(world.anne).pk == new.pk and new.gir == 4
    assert current_gir(world.anne, on=dt.date(2024, 12, 31)).pk == old.pk
    services.change_aggir_status(Actor(doctor), old, "TERMINE", expected_version=old.version)
    assert [g.pk for g in gir_history(world.anne)] == [new.pk, old.pk]
