"""The pure rules of the DMP feed (rules.py) and the access matrix (habilitations.py), as tables."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.interop.dmp import habilitations, rules

OK = rules.Candidate(
    identity_qualified=True,
    identity_status_label="qualifiée",
    opposed=False,
    j07_code="80788-3",
    type_label="Projet personnalisé",
    facility_finess="750000028",
    withdrawn=False,
    mime_type="application/pdf",
    size=1000,
    max_bytes=20 * 1024 * 1024,
    professional_idnat="810000000015",
)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, None),
        (
            {"identity_qualified": False, "identity_status_label": "provisoire"},
            "statut : provisoire",
        ),
        ({"opposed": True}, "opposée"),
        ({"j07_code": None}, "JDV_J07"),
        ({"facility_finess": ""}, "FINESS"),
        ({"withdrawn": True}, "retiré"),
        ({"mime_type": "image/jpeg"}, "image"),
        ({"mime_type": "application/vnd.oasis.opendocument.text"}, "Seul un document PDF"),
        ({"size": 21 * 1024 * 1024}, "taille"),
        ({"professional_idnat": ""}, "identifiant national"),
    ],
)
def test_each_rule(change, expected):
    found = rules.refusal(replace(OK, **change))
    if expected is None:
        assert found is None
    else:
        assert expected in found


@given(
    qualified=st.booleans(),
    opposed=st.booleans(),
    typed=st.booleans(),
    finess=st.booleans(),
    withdrawn=st.booleans(),
    pdf=st.booleans(),
    idnat=st.booleans(),
)
def test_a_document_goes_only_when_every_rule_holds(
    qualified, opposed, typed, finess, withdrawn, pdf, idnat
):
    candidate = replace(
        OK,
        identity_qualified=qualified,
        opposed=opposed,
        j07_code="80788-3" if typed else None,
        facility_finess="750000028" if finess else "",
        withdrawn=withdrawn,
        mime_type="application/pdf" if pdf else "image/png",
        professional_idnat="810000000015" if idnat else "",
    )
    broken = [not qualified, opposed, not typed, not finess, withdrawn, not pdf, not idnat]
    assert len(rules.refusals(candidate)) == sum(broken)
    assert (rules.refusal(candidate) is None) == (not any(broken))


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        ("J07", "60591-5", "60591-5"),
        ("LOCAL", "PROJET-PERSO", "80788-3"),
        ("LOCAL", "ATTEST-PRESENCE", None),
        ("LOCAL", "INCONNU", None),
    ],
)
def test_national_type(system, code, expected):
    equivalents = {"PROJET-PERSO": "80788-3", "ATTEST-PRESENCE": ""}
    assert rules.national_type(system, code, equivalents) == expected


@pytest.mark.parametrize(
    ("minor", "represented", "legal_flag_offered"),
    [(False, False, False), (True, False, True), (False, True, True), (True, True, True)],
)
def test_visibility_options(minor, represented, legal_flag_offered):
    offered = rules.visibility_options(minor=minor, represented=represented)
    assert {rules.HIDDEN_FROM_PROFESSIONALS, rules.INVISIBLE_TO_PATIENT} <= offered
    assert (rules.INVISIBLE_TO_LEGAL_REPRESENTATIVES in offered) is legal_flag_offered
    refusal = rules.visibility_refusal(
        {rules.INVISIBLE_TO_LEGAL_REPRESENTATIVES: True}, minor=minor, represented=represented
    )
    assert (refusal is None) is legal_flag_offered
    assert rules.visibility_refusal({"secret": True}, minor=minor, represented=represented)


# The rows of the matrix as encoded (nomenclatures/data/dmp_habilitations.csv).
MATRIX = [
    ("G15:10", "", "11488-4", True),  # médecin: CR de consultation
    ("G15:10", "", "83901-9", True),
    ("G15:60", "", "60591-5", True),  # infirmier: synthèse médicale
    ("G15:35", "", "29274-8", True),  # aide-soignant: signes vitaux
    ("G15:35", "", "11488-4", False),  # aide-soignant: pas de CR de consultation
    ("G15:93", "", "83901-9", True),  # psychologue: bilan psychologique
    ("G15:70", "", "83901-9", False),
    ("G15:70", "", "47420-5", True),  # kinésithérapeute: bilan fonctionnel
    ("SOC:51", "GENR10", "80788-3", True),  # éducateur: projet personnalisé
    ("SOC:51", "GENR10", "74207-2", False),  # ni DLU
    ("SOC:51", "GENR10", "60591-5", False),  # ni synthèse médicale
    ("SOC:51", "", "80788-3", False),  # un professionnel social sans genre d'activité: rien
    ("SOC:47", "GENR11", "29274-8", True),  # AMP, accompagnement au soin: signes vitaux
    ("SOC:47", "GENR11", "11488-4", False),
    ("AUTRE", "GENR12", "74207-2", True),  # encadrement: DLU
    ("AUTRE", "GENR12", "EXPPAT_3", True),  # directives anticipées
    ("AUTRE", "GENR09", "51851-4", True),  # fonctions administratives: document administratif
    ("AUTRE", "GENR09", "80788-3", False),
    ("AUTRE", "GENR08", "34842-5", True),  # coordination: grille d'évaluation
    ("AUTRE", "", "51851-4", False),
    ("G15:10", "", "INCONNU", True),  # le médecin lit tous les types
    ("G15:35", "", "INCONNU", False),  # deny by default
]


@pytest.mark.parametrize(("profession", "role", "type_code", "allowed"), MATRIX)
def test_matrix(profession, role, type_code, allowed):
    assert habilitations.may_read(profession, role, type_code) is allowed


def test_every_group_and_type_of_the_matrix_is_known():
    from opendui.documents.codes import document_types

    j07 = {code for (system, code) in document_types() if system == "J07"}
    assert set(habilitations.type_groups()) <= j07
    assert habilitations.readable_types("G15:10", "") is None
    assert "80788-3" in habilitations.readable_types("SOC:51", "GENR10")
    assert habilitations.readable_types("AUTRE", "") == frozenset()
