"""Admission decisions: who accepts and refuses, refusal with its reason, reopening,
corrections of a request with their history (services and pure rules)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from opendui.audit.models import AuditEvent, EventKind
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError, MissingVersionError
from opendui.stays.models import AdmissionRequest, AdmissionRequestChange
from opendui.stays.rules import (
    MIN_REASON_CHARACTERS,
    edit_problem,
    meaningful_characters,
    reason_problem,
    refusal_problems,
    reopen_problems,
)
from opendui.stays.services import (
    change_request_status,
    create_admission_request,
    refuse_request,
    reopen_request,
    update_request,
)

from .conftest import make_request

D = dt.date
DETAIL = "Besoins de soins techniques que l'équipe ne peut assurer la nuit."


@pytest.fixture
def chief(world):
    return Actor(user=world.user("chef-de-service", facility=world.ehpad))


def changes_of(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=EventKind.CHANGE, action=action).order_by("seq"))


def state(request: AdmissionRequest) -> tuple:
    request.refresh_from_db()
    return (
        request.status,
        request.version,
        request.refusal_reason,
        request.refusal_detail,
        request.priority,
        request.reasons,
        request.history.count(),
        AuditEvent.objects.filter(kind=EventKind.CHANGE).count(),
    )


# --- pure rules --------------------------------------------------------------------------------


@given(st.text(max_size=40), st.text(alphabet=" .,;-…'\u200b\u00a0", max_size=10))
def test_a_reason_counts_letters_and_digits_only(text, padding):
    count = meaningful_characters(text)
    assert meaningful_characters(padding + text + padding) == count <= len(text)
    assert (reason_problem(text, what="le refus") is None) == (count >= MIN_REASON_CHARACTERS)


@given(st.text(alphabet=" .,;-_!?\u200b\u200c\ufeff\t\n", max_size=60))
def test_punctuation_spaces_and_invisible_characters_are_no_reason(text):
    assert meaningful_characters(text) == 0
    assert reason_problem(text, what="le refus") is not None


@given(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=10, max_size=30))
def test_ten_letters_or_digits_in_any_script_are_a_reason(text):
    assert reason_problem(f"  {text} ...", what="le refus") is None


def test_refusal_rules():
    assert refusal_problems("en_etude", "profil", DETAIL) == {}
    problems = refusal_problems("admise", "", "..........")
    assert set(problems) == {"__all__", "reason", "detail"}
    assert "définitif" in problems["__all__"]
    assert problems["detail"] == (
        "Expliquez le refus en quelques mots (au moins 10 lettres ou chiffres)."
    )
    assert refusal_problems("en_etude", "inconnu", DETAIL) == {
        "reason": "Choisissez le motif du refus dans la liste."
    }


def test_reopen_and_edit_rules():
    assert reopen_problems("refusee", "Nouvelle évaluation du médecin") == {}
    assert reopen_problems("annulee", "Nouvelle évaluation du médecin") == {
        "__all__": "Seule une demande refusée peut être réouverte ; celle-ci est « annulée »."
    }
    assert set(reopen_problems("refusee", "oui")) == {"reason"}
    for status in ("recue", "en_etude", "liste_attente", "acceptee"):
        assert edit_problem(status) is None
    assert edit_problem("refusee") == (
        "La demande est « refusée » : son contenu ne se modifie plus (réouvrez-la d'abord)."
    )
    assert "ne se modifie plus" in edit_problem("admise")


# --- who decides -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["acceptee", "refusee"])
def test_the_secretariat_does_not_decide(world, secretary_actor, newcomer, target):
    request = make_request(world, newcomer, status="en_etude")
    before = state(request)
    with pytest.raises(PermissionDenied, match="chef de service ou de la direction"):
        change_request_status(secretary_actor, request, target, expected_version=1)
    with pytest.raises(PermissionDenied):
        refuse_request(secretary_actor, request, "profil", DETAIL, expected_version=1)
    assert state(request) == before


@pytest.mark.parametrize("role", ["chef-de-service", "directeur"])
def test_chief_and_director_accept(world, newcomer, role):
    request = make_request(world, newcomer, status="en_etude")
    actor = Actor(user=world.user(role, facility=world.ehpad))
    change_request_status(actor, request, "acceptee", expected_version=1)
    request.refresh_from_db()
    assert request.status == "acceptee"
    step = request.history.get()
    assert (step.kind, step.from_status, step.to_status, step.by) == (
        "statut",
        "en_etude",
        "acceptee",
        actor.user,
    )


def test_a_decider_of_another_facility_is_refused(world, newcomer):
    request = make_request(world, newcomer, status="en_etude")
    other = Actor(user=world.user("chef-de-service", facility=world.ime))
    before = state(request)
    with pytest.raises(PermissionDenied):
        refuse_request(other, request, "profil", DETAIL, expected_version=1)
    with pytest.raises(PermissionDenied):
        change_request_status(other, request, "acceptee", expected_version=1)
    assert state(request) == before


def test_the_plain_status_change_cannot_refuse(world, chief, newcomer):
    """One click used to refuse for good: a refusal now always goes with its reason."""
    request = make_request(world, newcomer, status="en_etude")
    before = state(request)
    with pytest.raises(ValidationError, match="Refuser la demande"):
        change_request_status(chief, request, "refusee", expected_version=1)
    assert state(request) == before


# --- refusal -----------------------------------------------------------------------------------


def test_refusal_keeps_its_reason_history_and_audit(world, chief, newcomer):
    request = make_request(world, newcomer, status="liste_attente")
    refuse_request(chief, request, "besoins", f"  {DETAIL}  ", expected_version=1)
    request.refresh_from_db()
    assert (request.status, request.refusal_reason, request.refusal_detail, request.version) == (
        "refusee",
        "besoins",
        DETAIL,
        2,
    )
    step = request.history.get()
    assert (step.kind, step.from_status, step.to_status, step.reason, step.comment) == (
        "refus",
        "liste_attente",
        "refusee",
        "besoins",
        DETAIL,
    )
    (event,) = changes_of("admission.refuse")
    assert event.person_ids == [newcomer.pk]
    assert event.details["changes"]["status"] == ["liste_attente", "refusee"]
    assert event.details["changes"]["refusal_reason"] == ["", "besoins"]


@pytest.mark.parametrize(
    ("reason", "detail", "field"),
    [("", DETAIL, "reason"), ("profil", "", "detail"), ("profil", "... --- ...", "detail")],
)
def test_refusal_without_a_reason_saves_nothing(world, chief, newcomer, reason, detail, field):
    request = make_request(world, newcomer, status="en_etude")
    before = state(request)
    with pytest.raises(ValidationError) as error:
        refuse_request(chief, request, reason, detail, expected_version=1)
    assert field in error.value.message_dict
    assert state(request) == before


def test_refusal_of_a_final_request_saves_nothing(world, chief, newcomer):
    request = make_request(world, newcomer, status="annulee")
    before = state(request)
    with pytest.raises(ValidationError, match="définitif"):
        refuse_request(chief, request, "profil", DETAIL, expected_version=1)
    assert state(request) == before


def test_refusal_needs_the_version_seen(world, chief, newcomer):
    request = make_request(world, newcomer, status="en_etude")
    before = state(request)
    with pytest.raises(MissingVersionError):
        refuse_request(chief, request, "profil", DETAIL, expected_version=None)
    with pytest.raises(ConcurrentEditError):
        refuse_request(chief, request, "profil", DETAIL, expected_version=7)
    assert state(request) == before


# --- reopening ---------------------------------------------------------------------------------


def test_reopen_goes_back_to_study_and_keeps_the_refusal_in_history(world, chief, newcomer):
    request = make_request(world, newcomer, status="en_etude")
    refuse_request(chief, request, "orientation", DETAIL, expected_version=1)
    director = Actor(user=world.user("directeur", facility=world.ehpad))
    reopen_request(
        director, request, "Nouvelle décision CDAPH reçue le 3 mars.", expected_version=2
    )
    request.refresh_from_db()
    assert (request.status, request.refusal_reason, request.refusal_detail) == ("en_etude", "", "")
    steps = list(request.history.order_by("at", "pk"))
    assert [s.kind for s in steps] == ["refus", "reouverture"]
    assert steps[0].comment == DETAIL and steps[0].reason == "orientation"
    assert steps[1].comment == "Nouvelle décision CDAPH reçue le 3 mars."
    assert steps[1].by == director.user
    (event,) = changes_of("admission.reopen")
    assert event.details["changes"]["status"] == ["refusee", "en_etude"]
    assert event.details["changes"]["refusal_detail"] == [DETAIL, ""]


def test_reopen_refusals_save_nothing(world, chief, secretary_actor, newcomer):
    refused = make_request(world, newcomer, status="refusee")
    before = state(refused)
    with pytest.raises(PermissionDenied):
        reopen_request(secretary_actor, refused, "Élément nouveau au dossier", expected_version=1)
    with pytest.raises(ValidationError) as error:
        reopen_request(chief, refused, "oups", expected_version=1)
    assert "reason" in error.value.message_dict
    assert state(refused) == before
    cancelled = make_request(world, world.bruno, status="annulee")
    with pytest.raises(ValidationError, match="Seule une demande refusée"):
        reopen_request(chief, cancelled, "Élément nouveau au dossier", expected_version=1)


# --- corrections -------------------------------------------------------------------------------


def test_edit_priority_reasons_and_orientation_with_history(world, secretary_actor, newcomer):
    request = make_request(
        world, newcomer, status="en_etude", reasons="Aidant épuisé", mdph_category="13.3 MAS"
    )
    update_request(
        secretary_actor,
        request,
        expected_version=1,
        priority="urgente",
        reasons="Aidant hospitalisé",
        mdph_decision_number="D-2025-42",
        mdph_decision_date=D(2025, 1, 2),
        mdph_valid_until=D(2030, 1, 1),
    )
    request.refresh_from_db()
    assert (request.priority, request.reasons, request.mdph_decision_number) == (
        "urgente",
        "Aidant hospitalisé",
        "D-2025-42",
    )
    assert request.mdph_category == "13.3 MAS"  # not sent: kept
    assert request.version == 2
    step = request.history.get()
    assert step.kind == "modification"
    assert step.changes == {
        "priority": ["normale", "urgente"],
        "reasons": ["Aidant épuisé", "Aidant hospitalisé"],
        "mdph_decision_number": ["", "D-2025-42"],
        "mdph_decision_date": [None, "2025-01-02"],
        "mdph_valid_until": [None, "2030-01-01"],
    }
    (event,) = changes_of("admission.update")
    assert event.details["changes"]["priority"] == ["normale", "urgente"]
    assert event.details["changes"]["reasons"] == ["Aidant épuisé", "Aidant hospitalisé"]


def test_edit_refusals_save_nothing(world, secretary_actor, newcomer):
    request = make_request(world, newcomer, status="recue")
    before = state(request)
    for values, field in [
        ({"priority": "capitale"}, "priority"),
        ({"mdph_decision_date": D(2999, 1, 1)}, "mdph_decision_date"),
        (
            {"mdph_decision_date": D(2024, 5, 1), "mdph_valid_until": D(2024, 1, 1)},
            "mdph_valid_until",
        ),
    ]:
        with pytest.raises(ValidationError) as error:
            update_request(
                secretary_actor, request, expected_version=1, today=D(2025, 6, 1), **values
            )
        assert field in error.value.message_dict
    with pytest.raises(ValidationError, match="Aucune modification"):
        update_request(secretary_actor, request, expected_version=1, priority="normale")
    with pytest.raises(MissingVersionError):
        update_request(secretary_actor, request, expected_version=None, priority="haute")
    with pytest.raises(ConcurrentEditError):
        update_request(secretary_actor, request, expected_version=3, priority="haute")
    with pytest.raises(TypeError):
        update_request(secretary_actor, request, expected_version=1, status="acceptee")
    outsider = Actor(user=world.user("educateur", facility=world.ehpad))
    with pytest.raises(PermissionDenied):
        update_request(outsider, request, expected_version=1, priority="haute")
    assert state(request) == before


def test_a_refused_request_is_not_edited_until_reopened(world, secretary_actor, newcomer):
    request = make_request(world, newcomer, status="refusee")
    before = state(request)
    with pytest.raises(ValidationError, match="réouvrez-la"):
        update_request(secretary_actor, request, expected_version=1, priority="haute")
    assert state(request) == before


def test_creation_and_admission_start_and_end_the_history(world, secretary_actor, newcomer):
    from opendui.stays.services import admit

    request = create_admission_request(
        secretary_actor, newcomer, world.ehpad, D(2025, 1, 3), today=D(2025, 1, 5)
    )
    AdmissionRequest.objects.filter(pk=request.pk).update(status="acceptee")
    request.refresh_from_db()
    admit(
        secretary_actor,
        request,
        D(2025, 2, 1),
        "hebergement_permanent",
        expected_version=request.version,
    )
    kinds = list(
        AdmissionRequestChange.objects.filter(request=request)
        .order_by("at", "pk")
        .values_list("kind", "to_status")
    )
    assert kinds == [("creation", "recue"), ("admission", "admise")]
