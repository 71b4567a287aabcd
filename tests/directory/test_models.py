"""Database rules of the directory: unique national identifiers per organisation, one
current médecin traitant per person, a link names a professional or a structure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from opendui.directory.models import ExternalProfessional, ExternalStructure, PersonProfessional

from .conftest import RPPS


def test_an_rpps_is_unique_within_an_organisation_not_across(world, doctor):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalProfessional.objects.create(
            organisation=world.og, last_name="Autre", profession_label="Médecin", rpps=RPPS
        )
    # Another organisation keeps its own directory.
    ExternalProfessional.objects.create(
        organisation=world.other_og, last_name="Moreau", profession_label="Médecin", rpps=RPPS
    )


def test_blank_identifiers_do_not_collide(world):
    for name in ("Un", "Deux"):
        ExternalProfessional.objects.create(
            organisation=world.og, last_name=name, profession_label="Psychologue"
        )
    assert ExternalProfessional.objects.filter(rpps="").count() == 2


def test_services_of_one_hospital_share_its_finess(world):
    finess = "690000880"  # Luhn-valid
    for service in ("Gériatrie", "Cardiologie"):
        ExternalStructure.objects.create(
            organisation=world.og,
            name="CH Exemple",
            service=service,
            kind="service_hospitalier",
            finess=finess,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalStructure.objects.create(
            organisation=world.og,
            name="CH Exemple bis",
            service="Gériatrie",
            kind="service_hospitalier",
            finess=finess,
        )


def test_one_current_gp_per_person_in_the_database(world, doctor, other_doctor):
    start = dt.date(2024, 1, 1)
    PersonProfessional.objects.create(
        person=world.anne, professional=doctor, role="medecin_traitant", start_date=start
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonProfessional.objects.create(
            person=world.anne, professional=other_doctor, role="medecin_traitant", start_date=start
        )
    # An ended one does not count; another person has their own.
    PersonProfessional.objects.filter(person=world.anne).update(end_date=dt.date(2025, 1, 1))
    PersonProfessional.objects.create(
        person=world.anne, professional=other_doctor, role="medecin_traitant", start_date=start
    )
    PersonProfessional.objects.create(
        person=world.bruno, professional=doctor, role="medecin_traitant", start_date=start
    )


def test_a_link_names_a_professional_or_a_structure_not_both(world, doctor, pharmacy):
    start = dt.date(2024, 1, 1)
    for professional, structure in ((None, None), (doctor, pharmacy)):
        with pytest.raises(IntegrityError), transaction.atomic():
            PersonProfessional.objects.create(
                person=world.anne,
                professional=professional,
                structure=structure,
                role="autre",
                start_date=start,
            )


def test_the_gp_is_a_professional_and_a_link_ends_after_it_starts(world, doctor, pharmacy):
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonProfessional.objects.create(
            person=world.anne,
            structure=pharmacy,
            role="medecin_traitant",
            start_date=dt.date(2024, 1, 1),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonProfessional.objects.create(
            person=world.anne,
            professional=doctor,
            role="specialiste",
            start_date=dt.date(2024, 1, 1),
            end_date=dt.date(2023, 1, 1),
        )


def test_an_inactive_entry_has_its_deactivation_date(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalProfessional.objects.create(
            organisation=world.og, last_name="X", profession_label="Médecin", active=False
        )


def test_search_keys_follow_the_name(world):
    professional = ExternalProfessional.objects.create(
        organisation=world.og,
        last_name="Lefèvre-Dupré",
        first_name="Élodie",
        profession_label="Infirmier",
        city="Saint-Étienne",
    )
    assert professional.name_key == "lefevre dupre elodie"
    assert professional.city_key == "saint etienne"
