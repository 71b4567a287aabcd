"""The generated PDFs: they open, carry the names, the legal mentions and the signature
blocks; the INS block and its datamatrix only on a health document of a qualified identity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from opendui.accounts.permissions import DataCategory
from opendui.documents.generation import (
    DocumentKind,
    GeneratedDocument,
    GenerationError,
    Prestation,
    generate,
)
from opendui.documents.generation.datamatrix import parse_payload
from opendui.persons.models_entourage import (
    LegalProtection,
    MeasureType,
    RelatedPerson,
    RelationType,
)
from opendui.stays.models import Absence, AbsenceKind, Contract, StayMode
from opendui.stays.rules import CONTRACT, DIPC

from .conftest import TEST_IDENTITIES, decode_datamatrix, make_person, pdf_images, pdf_text

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    """PDF text with its line breaks and repeated spaces folded."""
    return " ".join(text.split())


@pytest.fixture
def contract(world):
    stay = world.anne.stays.get()
    stay.mode = StayMode.PERMANENT
    stay.unit = world.glycines
    stay.save()
    return Contract.objects.create(stay=stay, kind=CONTRACT, handed_on=dt.date(2024, 1, 10))


def test_contrat_de_sejour_in_an_ehpad(world, contract):
    document = generate(
        "CONTRAT-SEJOUR",
        contract=contract,
        director_name="Claire BERNARD",
        prestations=[
            Prestation("Hébergement", Decimal("72.50"), "par jour"),
            Prestation("Animation"),
        ],
        act_date=dt.date(2024, 1, 10),
    )
    assert isinstance(document, GeneratedDocument)
    assert document.type_code == "CONTRAT-SEJOUR"
    assert document.title == "Contrat de séjour"
    assert document.data_category is DataCategory.ADMINISTRATIVE
    assert document.act_date == dt.date(2024, 1, 10)
    assert document.pdf.startswith(b"%PDF")
    text = flat(pdf_text(document.pdf))
    for expected in (
        "Contrat de séjour",
        "MARTIN",
        "Anne",
        "17/05/1940",
        "EHPAD Les Tilleuls",
        "Association Test",
        "L311-4",
        "D311",
        "L311-4-1",  # EHPAD: right of withdrawal
        "quinze jours",
        "charte des droits et libertés",
        "Les Glycines",
        "hébergement permanent",
        "01/01/2024",
        "au plus tard le 16/01/2024",  # handover deadline
        "au plus tard le 01/07/2024",  # objectives avenant deadline
        "Hébergement",
        "72,50 € par jour",
        "compris dans le tarif",
        "La personne accompagnée",
        "Le directeur ou son représentant",
        "Claire BERNARD",
        "Lu et approuvé",
    ):
        assert expected in text, expected
    assert not document.carries_ins
    assert "Matricule INS" not in text
    assert pdf_images(document.pdf) == []


def test_dipc_for_a_minor_with_a_legal_representative(world):
    chloe = world.chloe
    mother = RelatedPerson.objects.create(
        person=chloe,
        last_name="Petit",
        first_name="Sophie",
        relation=RelationType.PARENT,
        is_legal_representative=True,
    )
    contract = Contract.objects.create(stay=chloe.stays.get(), kind=DIPC)
    document = generate("DIPC", contract=contract, act_date=dt.date(2024, 2, 1))
    text = flat(pdf_text(document.pdf))
    assert document.type_code == "DIPC"
    assert "Document individuel de prise en charge" in text
    assert "IME Les Sources" in text and "PETIT" in text
    assert "avis de la personne mineure" in text
    assert "Le représentant légal" in text and "PETIT Sophie" in text
    assert "L311-4-1" not in text  # not an EHPAD
    assert "annexe tarifaire" in text  # no prestations given
    assert mother.is_legal_representative


def test_represented_person_without_recorded_representative_gets_an_empty_block(world, contract):
    LegalProtection.objects.create(
        person=world.anne, measure=MeasureType.TUTELLE, start_date=dt.date(2020, 1, 1)
    )
    text = flat(pdf_text(generate("CONTRAT-SEJOUR", contract=contract).pdf))
    assert "La personne accompagnée" in text
    assert "Le représentant légal" in text
    assert "représentée par son représentant légal : ……" in text


def test_contract_kind_must_match(contract):
    with pytest.raises(GenerationError) as error:
        generate("DIPC", contract=contract)
    assert "ne correspond pas" in error.value.message


def test_avenant(contract):
    contract.signed_on = dt.date(2024, 1, 20)
    document = generate(
        "AVENANT",
        contract=contract,
        number=1,
        changes="Objectif : maintenir la marche.\nAtelier mémoire chaque semaine.",
        prestations=[Prestation("Kinésithérapie")],
        effective_on=dt.date(2024, 6, 1),
        act_date=dt.date(2024, 5, 20),
    )
    text = flat(pdf_text(document.pdf))
    assert document.type_code == "AVENANT"
    assert document.title == "Avenant n° 1 au contrat de séjour"
    for expected in (
        "maintenir la marche",
        "Atelier mémoire",
        "Kinésithérapie",
        "01/06/2024",
        "signé le 20/01/2024",
        "D311",
        "La personne accompagnée",
        "Le directeur ou son représentant",
    ):
        assert expected in text, expected


def test_avenant_needs_a_subject(contract):
    with pytest.raises(GenerationError):
        generate("AVENANT", contract=contract, changes="   ")


def test_attestation_de_presence_lists_the_dates_and_absences(world):
    stay = world.bruno.stays.get()
    Absence.objects.create(
        stay=stay,
        kind=AbsenceKind.HOSPITALISATION,
        start_date=dt.date(2024, 3, 2),
        end_date=dt.date(2024, 3, 9),
    )
    document = generate("ATTEST-PRESENCE", stay=stay, act_date=dt.date(2024, 4, 1))
    text = flat(pdf_text(document.pdf))
    assert document.type_code == "ATTEST-PRESENCE"
    assert document.data_category is DataCategory.ADMINISTRATIVE
    assert "LEFÈVRE" in text or "LEFEVRE" in text
    assert "depuis le 01/01/2024" in text and "01/04/2024" in text
    assert "du 02/03/2024 au 09/03/2024" in text
    assert "Le directeur ou son représentant" in text


def test_attestation_of_an_ended_stay(world):
    stay = world.bruno.stays.get()
    stay.end_date = dt.date(2024, 2, 29)
    stay.save()
    text = flat(pdf_text(generate("ATTEST-PRESENCE", stay=stay).pdf))
    assert "du 01/01/2024 au 29/02/2024" in text


def test_no_attestation_before_the_stay(world):
    with pytest.raises(GenerationError):
        generate("ATTEST-PRESENCE", stay=world.bruno.stays.get(), act_date=dt.date(2023, 1, 1))


def test_certificat_d_admission(world):
    document = generate(
        "CERTIF-ADMISSION", stay=world.anne.stays.get(), director_name="Claire BERNARD"
    )
    text = flat(pdf_text(document.pdf))
    assert document.type_code == "CERTIF-ADMISSION"
    assert "Certificat d'admission" in text
    assert "a été admise dans l'établissement le 01/01/2024" in text
    assert "Claire BERNARD" in text and "EHPAD Les Tilleuls" in text


def letter(person, facility, **extra):
    return generate(
        "COURRIER",
        person=person,
        facility=facility,
        recipient_name="Dr Jeanne ROUX",
        recipient_address="12 rue des Lilas\n63000 Clermont-Ferrand",
        subject="Suivi de la marche",
        body="Chère consœur,\n\nJe vous adresse Mme pour un bilan.",
        author_name="Paul IDE",
        author_title="Infirmier coordinateur",
        **extra,
    )


def test_an_administrative_letter_carries_no_ins(world, qualified_person):
    document = letter(qualified_person, world.ehpad)
    text = flat(pdf_text(document.pdf))
    assert document.type_code == "COURRIER"
    assert document.title == "Suivi de la marche"
    assert "Dr Jeanne ROUX" in text and "Clermont-Ferrand" in text
    assert "bilan" in text and "Infirmier coordinateur" in text
    assert not document.carries_ins and "297022A02077878" not in text
    assert pdf_images(document.pdf) == []


@pytest.mark.parametrize("case", ["corse_2a", "nia", "compound_and_accents"])
def test_a_health_letter_of_a_qualified_identity_carries_the_ins(world, case):
    person = make_person(world.ehpad, **TEST_IDENTITIES[case])
    document = letter(person, world.ehpad, data_category=DataCategory.MEDICAL)
    text = flat(pdf_text(document.pdf))
    assert document.data_category is DataCategory.MEDICAL
    assert document.carries_ins
    assert person.ins_matricule in text
    assert "INS à scanner" in text
    assert ("INS-NIA" if case == "nia" else "INS-NIR") in text
    # The PNG given to the template decodes to the payload...
    assert decode_datamatrix(document.datamatrix_png) == document.ins_payload
    # ...and so does the image found in the PDF itself.
    images = pdf_images(document.pdf)
    assert len(images) == 1
    decoded = parse_payload(decode_datamatrix(images[0]))
    assert decoded == parse_payload(document.ins_payload)
    assert decoded["S1"] == person.ins_matricule
    assert decoded["S6"] == person.birth_date.strftime("%d-%m-%Y")


def test_a_health_letter_of_an_identity_not_qualified_says_it_has_no_ins(world, provisional_person):
    document = letter(provisional_person, world.ehpad, data_category="care")
    text = flat(pdf_text(document.pdf))
    assert not document.carries_ins and document.datamatrix_png == b""
    assert "Identité non qualifiée" in text and "Identité provisoire" in text
    assert "297022A02077878" not in text
    assert pdf_images(document.pdf) == []


def test_a_doubtful_identity_prints_no_ins(world):
    person = make_person(world.ehpad, qualified=False)
    person.identity_retrieved_from_insi = True
    person.identity_doubtful = True
    person.save()
    document = letter(person, world.ehpad, data_category=DataCategory.PSYCHOLOGICAL)
    assert not document.carries_ins


@pytest.mark.parametrize(
    ("kind", "objects", "message"),
    [
        ("FACTURE", {}, "Type de document inconnu"),
        ("CONTRAT-SEJOUR", {}, "Il manque : contract"),
        ("ATTEST-PRESENCE", {"stay": "1"}, "n'est pas un objet"),
        ("CERTIF-ADMISSION", {"stay": None}, "Il manque"),
    ],
)
def test_generate_refuses_bad_arguments(kind, objects, message):
    with pytest.raises(GenerationError) as error:
        generate(kind, **objects)
    assert message in error.value.message


def test_generate_refuses_unexpected_arguments(world):
    with pytest.raises(GenerationError) as error:
        generate("CERTIF-ADMISSION", stay=world.anne.stays.get(), body="x")
    assert "inattendu" in error.value.message


def test_letter_input_is_checked(world):
    with pytest.raises(GenerationError):
        letter(world.anne, world.ehpad, data_category="financial")
    with pytest.raises(GenerationError):
        generate("COURRIER", person=world.anne, facility=world.ehpad, recipient_name=" ", body="x")
    with pytest.raises(GenerationError):
        letter(world.denis, world.ehpad)


def test_every_kind_has_a_code():
    assert {k.value for k in DocumentKind} == {
        "CONTRAT-SEJOUR",
        "DIPC",
        "AVENANT",
        "ATTEST-PRESENCE",
        "CERTIF-ADMISSION",
        "COURRIER",
        "PROJET-PERSO",
    }


def test_free_texts_are_bounded(world):
    with pytest.raises(GenerationError) as error:
        generate(
            "COURRIER",
            person=world.anne,
            facility=world.ehpad,
            recipient_name="Dr ROUX",
            body="x" * 20_001,
        )
    assert "20000 caractères" in error.value.message


def test_a_contract_costs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    stay = world.anne.stays.get()
    contract_id = Contract.objects.create(stay=stay, kind=CONTRACT).pk
    fresh = Contract.objects.select_related(
        "stay__person", "stay__facility__organisation", "stay__unit"
    ).get(pk=contract_id)
    # The representative's lookup (protection measures, legal representative) only.
    with django_assert_max_num_queries(2):
        generate("CONTRAT-SEJOUR", contract=fresh)
