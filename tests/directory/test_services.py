"""Services of the directory: permissions, audit, versions, one médecin traitant, and
the Annuaire Santé upsert."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError
from opendui.directory import services
from opendui.directory.models import (
    ExternalProfessional,
    ExternalStructure,
    PersonProfessional,
    Source,
)
from opendui.directory.services import AnnuairePractitioner, upsert_from_annuaire

from .conftest import OTHER_RPPS, RPPS, TODAY, valid_rpps


def changes(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- professionals and structures -------------------------------------------------------------


def test_secretary_creates_a_professional_normalised_and_audited(world, actor):
    professional = services.create_professional(
        actor,
        world.og,
        civility="DR",
        last_name=" Moreau ",
        first_name="Claire",
        profession_code="10",
        rpps=f"{RPPS[:3]} {RPPS[3:]}",
        phone="+33 (0)4 72 00 00 00",
        mssante_addresses=["claire.moreau@Medecin.MSSANTE.fr", "claire.moreau@medecin.mssante.fr"],
    )
    professional.refresh_from_db()
    assert professional.last_name == "Moreau"
    assert professional.profession_label == "Médecin"
    assert professional.rpps == RPPS
    assert professional.idnat_ps == "8" + RPPS
    assert professional.phone == "+33472000000"
    assert professional.mssante_addresses == ["claire.moreau@medecin.mssante.fr"]
    assert professional.source == Source.MANUAL and professional.version == 1
    (event,) = changes("directory.professional_create")
    assert event.organisation_id == world.og.pk
    assert event.details["changes"]["rpps"] == [None, RPPS]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rpps": "12345678901"}, "rpps"),
        ({"adeli": "ABC"}, "adeli"),
        ({"phone": "12"}, "phone"),
        ({"mssante_addresses": ["claire@gmail.com"]}, "mssante_addresses"),
        ({"profession_code": "", "profession_label": ""}, "profession_label"),
        ({"idnat_ps": "8" + OTHER_RPPS, "rpps": RPPS}, "idnat_ps"),
    ],
)
def test_bad_values_are_refused_in_french_and_nothing_is_written(world, actor, fields, field):
    values = {"last_name": "Moreau", "profession_code": "10", **fields}
    with pytest.raises(ValidationError) as error:
        services.create_professional(actor, world.og, **values)
    assert field in error.value.message_dict
    assert not ExternalProfessional.objects.exists()
    assert not changes("directory.professional_create")


def test_a_duplicate_rpps_is_named(world, actor, doctor):
    with pytest.raises(ValidationError) as error:
        services.create_professional(
            actor, world.og, last_name="Autre", profession_code="10", rpps=RPPS
        )
    assert "Docteur MOREAU Claire" in error.value.message_dict["rpps"][0]


def test_permissions_are_denied_by_default(world, educator, doctor):
    for user in (educator, world.user("accueil", organisation=world.other_og)):
        with pytest.raises(PermissionDenied):
            services.create_professional(
                Actor(user=user), world.og, last_name="X", profession_code="10"
            )
        with pytest.raises(PermissionDenied):
            services.update_professional(
                Actor(user=user), doctor, expected_version=1, last_name="Y"
            )
        with pytest.raises(PermissionDenied):
            services.deactivate(Actor(user=user), doctor, reason="Doublon", expected_version=1)
    assert ExternalProfessional.objects.count() == 1


def test_an_update_needs_the_current_version(world, actor, doctor):
    updated = services.update_professional(actor, doctor, expected_version=1, phone="0472000001")
    assert updated.version == 2 and updated.phone == "+33472000001"
    (event,) = changes("directory.professional_update")
    assert event.details["changes"]["phone"] == ["", "+33472000001"]
    stale = ExternalProfessional.objects.get(pk=doctor.pk)
    with pytest.raises(ConcurrentEditError):
        services.update_professional(actor, stale, expected_version=1, phone="0472000002")
    with pytest.raises(ValidationError):
        services.update_professional(actor, stale, expected_version=None, phone="0472000002")
    assert ExternalProfessional.objects.get(pk=doctor.pk).phone == "+33472000001"


def test_an_unchanged_form_saves_nothing(world, actor, doctor):
    with pytest.raises(ValidationError, match="Aucune modification"):
        services.update_professional(actor, doctor, expected_version=1, last_name="Moreau")


def test_a_structure_of_another_organisation_cannot_be_chosen(world, actor, doctor):
    foreign = ExternalStructure.objects.create(
        organisation=world.other_og, name="Ailleurs", kind="cabinet"
    )
    with pytest.raises(ValidationError) as error:
        services.update_professional(actor, doctor, expected_version=1, structure=foreign)
    assert "structure" in error.value.message_dict


def test_deactivation_keeps_the_row_and_its_links(world, actor, doctor):
    services.link_professional(
        actor,
        world.anne,
        professional=doctor,
        role="medecin_traitant",
        start_date=TODAY,
        today=TODAY,
    )
    with pytest.raises(ValidationError):
        services.deactivate(actor, doctor, reason="", expected_version=1)
    services.deactivate(actor, doctor, reason="Départ en retraite", expected_version=1, today=TODAY)
    doctor.refresh_from_db()
    assert not doctor.active and doctor.deactivated_on == TODAY
    assert PersonProfessional.objects.filter(professional=doctor, end_date=None).exists()
    assert changes("directory.professional_deactivate")
    with pytest.raises(ValidationError, match="désactivé"):
        services.update_professional(actor, doctor, expected_version=2, phone="0472000000")
    services.reactivate(actor, doctor, expected_version=2)
    doctor.refresh_from_db()
    assert doctor.active and doctor.deactivated_on is None


def test_structures_are_validated_and_unique(world, actor):
    with pytest.raises(ValidationError) as error:
        services.create_structure(
            actor,
            world.og,
            name="Pharmacie",
            kind="pharmacie",
            finess="123456789",
            mssante_address="contact@pharmacie.fr",
        )
    assert set(error.value.message_dict) == {"finess", "mssante_address"}
    structure = services.create_structure(
        actor,
        world.og,
        name="Pharmacie",
        kind="pharmacie",
        siret="732 829 320 00074",
        mssante_address="officine@pharmacien.mssante.fr",
    )
    assert structure.siret == "73282932000074"
    with pytest.raises(ValidationError) as error:
        services.create_structure(
            actor, world.og, name="Autre", kind="pharmacie", siret="73282932000074"
        )
    assert "siret" in error.value.message_dict


# --- a person's professionals -----------------------------------------------------------------


def test_one_current_gp_with_a_clear_message_and_a_change(world, actor, doctor, other_doctor):
    first = services.link_professional(
        actor,
        world.anne,
        professional=doctor,
        role="medecin_traitant",
        start_date=dt.date(2025, 1, 1),
        today=TODAY,
    )
    with pytest.raises(ValidationError) as error:
        services.link_professional(
            actor,
            world.anne,
            professional=other_doctor,
            role="medecin_traitant",
            start_date=TODAY,
            today=TODAY,
        )
    assert "déjà un médecin traitant : Docteur MOREAU Claire" in error.value.message_dict["role"][0]
    second = services.link_professional(
        actor,
        world.anne,
        professional=other_doctor,
        role="medecin_traitant",
        start_date=TODAY,
        replace_current_gp=True,
        today=TODAY,
    )
    first.refresh_from_db()
    assert first.end_date == TODAY and "Remplacé" in first.end_reason and first.version == 2
    assert services.current_gp_link(world.anne) == second
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="directory.link")] == [
        "directory.link_add",
        "directory.link_end",
        "directory.link_add",
    ]
    events = AuditEvent.objects.filter(action__startswith="directory.link")
    assert all(e.person_ids == [world.anne.pk] for e in events)


def test_gp_rules(world, actor, doctor, pharmacy):
    nurse = ExternalProfessional.objects.create(
        organisation=world.og, last_name="Petit", profession_code="60", profession_label="Infirmier"
    )
    with pytest.raises(ValidationError, match="médecin"):
        services.link_professional(
            actor,
            world.anne,
            professional=nurse,
            role="medecin_traitant",
            start_date=TODAY,
            today=TODAY,
        )
    with pytest.raises(ValidationError, match="pas une structure"):
        services.link_professional(
            actor,
            world.anne,
            structure=pharmacy,
            role="medecin_traitant",
            start_date=TODAY,
            today=TODAY,
        )
    with pytest.raises(ValidationError, match="futur"):
        services.link_professional(
            actor,
            world.anne,
            professional=doctor,
            role="medecin_traitant",
            start_date=TODAY + dt.timedelta(days=1),
            today=TODAY,
        )
    assert not PersonProfessional.objects.exists()


def test_links_need_the_right_and_an_entry_of_the_persons_organisation(
    world, actor, educator, doctor, foreign_doctor
):
    with pytest.raises(PermissionDenied):
        services.link_professional(
            Actor(user=educator),
            world.anne,
            professional=doctor,
            role="autre",
            start_date=TODAY,
            today=TODAY,
        )
    with pytest.raises(PermissionDenied):  # world.chloe is in the IME: out of scope
        services.link_professional(
            actor, world.chloe, professional=doctor, role="autre", start_date=TODAY, today=TODAY
        )
    with pytest.raises(ValidationError, match="pas dans l'annuaire"):
        services.link_professional(
            actor,
            world.anne,
            professional=foreign_doctor,
            role="autre",
            start_date=TODAY,
            today=TODAY,
        )
    assert not PersonProfessional.objects.exists()


def test_ending_a_link(world, actor, doctor):
    link = services.link_professional(
        actor,
        world.anne,
        professional=doctor,
        role="specialiste",
        start_date=dt.date(2025, 1, 1),
        today=TODAY,
    )
    for end_date, reason, field in (
        (TODAY + dt.timedelta(days=1), "Fin du suivi", "end_date"),
        (dt.date(2024, 12, 31), "Fin du suivi", "end_date"),
        (TODAY, "", "end_reason"),
    ):
        with pytest.raises(ValidationError) as error:
            services.end_link(
                actor, link, end_date=end_date, reason=reason, expected_version=1, today=TODAY
            )
        assert field in error.value.message_dict
    with pytest.raises(ConcurrentEditError):
        services.end_link(
            actor, link, end_date=TODAY, reason="Fin du suivi", expected_version=7, today=TODAY
        )
    services.end_link(
        actor, link, end_date=TODAY, reason="Fin du suivi", expected_version=1, today=TODAY
    )
    link.refresh_from_db()
    assert link.end_date == TODAY and link.version == 2
    with pytest.raises(ValidationError, match="déjà pris fin"):
        services.end_link(
            actor, link, end_date=TODAY, reason="Encore", expected_version=2, today=TODAY
        )


def test_professionals_of_checks_the_right_and_writes_nothing(world, actor, educator, doctor):
    from opendui.directory.selectors import professionals_of

    services.link_professional(
        actor,
        world.anne,
        professional=doctor,
        role="medecin_traitant",
        start_date=TODAY,
        today=TODAY,
    )
    before = AuditEvent.objects.count()
    (link,) = professionals_of(educator, world.anne)
    assert link.professional == doctor
    assert AuditEvent.objects.count() == before
    outsider = world.user("educateur", facility=world.ime)
    with pytest.raises(PermissionDenied):
        professionals_of(outsider, world.anne)


# --- the Annuaire Santé -----------------------------------------------------------------------


def record(**extra) -> AnnuairePractitioner:
    values = {
        "idnat_ps": "8" + RPPS,
        "rpps": RPPS,
        "external_id": "003-1234",
        "civility": "DR",
        "last_name": "Moreau",
        "first_name": "Claire",
        "profession_code": "10",
        "profession_label": "Médecin",
        "specialty_label": "Médecine générale",
        "mssante_addresses": ("claire.moreau@medecin.mssante.fr",),
        "phone": "0472000000",
        "city": "Lyon",
        **extra,
    }
    return AnnuairePractitioner(**values)


def test_upsert_creates_then_updates_by_idnat_keeping_local_fields(world, actor, pharmacy):
    when = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
    professional, created = upsert_from_annuaire(world.og, record(), now=when)
    assert created and professional.source == Source.ANNUAIRE and professional.synced_at == when
    assert professional.phone == "+33472000000" and professional.city == "Lyon"
    (event,) = changes("directory.annuaire_create")
    assert event.user_label == "annuaire.sync" and event.user_id is None
    # Local corrections in the directory...
    services.update_professional(
        actor, professional, expected_version=1, phone="0478000000", structure=pharmacy
    )
    # ...survive the next synchronisation, which brings the national data.
    later = when + dt.timedelta(days=1)
    again, created = upsert_from_annuaire(
        world.og,
        record(
            last_name="Moreau-Blanc",
            mssante_addresses=("c.moreau@medecin.mssante.fr",),
            phone="0100000000",
        ),
        now=later,
    )
    assert not created and again.pk == professional.pk
    again.refresh_from_db()
    assert again.last_name == "Moreau-Blanc"
    assert again.mssante_addresses == ["c.moreau@medecin.mssante.fr"]
    assert again.phone == "+33478000000" and again.structure == pharmacy
    assert again.synced_at == later and again.version == 3
    assert ExternalProfessional.objects.count() == 1
    (update,) = changes("directory.annuaire_update")
    assert update.details["changes"]["last_name"] == ["Moreau", "Moreau-Blanc"]


def test_upsert_adopts_a_manual_entry_with_the_same_idnat(world, actor, doctor):
    professional, created = upsert_from_annuaire(world.og, record(), actor=actor)
    assert not created and professional.pk == doctor.pk
    assert professional.source == Source.ANNUAIRE
    assert changes("directory.annuaire_update")[0].user_id == actor.user.pk


def test_upsert_refuses_an_invalid_record_and_writes_nothing(world):
    bad = valid_rpps("1234567890")[:-1] + "0"
    if bad == valid_rpps("1234567890"):
        bad = bad[:-1] + "1"
    with pytest.raises(ValidationError):
        upsert_from_annuaire(world.og, record(rpps=bad, idnat_ps="8" + bad))
    with pytest.raises(ValidationError):
        upsert_from_annuaire(world.og, record(idnat_ps=""))
    assert not ExternalProfessional.objects.exists()
    assert not changes("directory.annuaire_create")


def test_upsert_by_a_user_needs_the_right(world, educator):
    with pytest.raises(PermissionDenied):
        upsert_from_annuaire(world.og, record(), actor=Actor(user=educator))
    assert not ExternalProfessional.objects.exists()


def test_entries_to_refresh_are_the_annuaire_ones_least_recently_checked(world, doctor):
    from opendui.directory.selectors import annuaire_entries_to_refresh

    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    recent = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    first, _ = upsert_from_annuaire(world.og, record(), now=recent)
    second, _ = upsert_from_annuaire(
        world.og,
        record(idnat_ps="8" + OTHER_RPPS, rpps=OTHER_RPPS, external_id="x2", last_name="Bernard"),
        now=old,
    )
    ExternalProfessional.objects.create(
        organisation=world.og, last_name="Manuel", profession_label="Psychologue"
    )
    due = list(annuaire_entries_to_refresh(world.og.pk, checked_before=recent))
    assert due == [second]
    later = recent + dt.timedelta(days=1)
    assert list(annuaire_entries_to_refresh(world.og.pk, checked_before=later)) == [second, first]
    assert list(annuaire_entries_to_refresh(world.other_og.pk, checked_before=later)) == []
