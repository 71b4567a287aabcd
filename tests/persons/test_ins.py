"""Matricule INS and OID checks (opendui.persons.ins) and the `opendui ins` command.

Facts come from shared/reference/services_socles.md §1.2 (structure, key, Corsica,
verified test matricules) and §1.3 (OIDs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.persons.ins import (
    INS_NIA_OID,
    INS_NIR_DEMO_OID,
    INS_NIR_OID,
    INS_NIR_TEST_OID,
    control_key,
    expected_key,
    matricule_problem,
    normalise_matricule,
    oid_problem,
)

# §1.2: national test identities whose keys the reference checked by computation.
REFERENCE_MATRICULES = {
    "ADRTROIS DOMINIQUE (2A)": "297022A02077878",
    "ADRTROIS TOUSSAINT (2B)": "160012B02077713",
    "CORSE ANTHONY (2B)": "180032B02040123",
    "TCHITCHI CATARINA BELLA": "236066322083656",
    "ECETINSI PIERRE-ALAIN": "109076322083489",
    "ADRUN ZOE": "275126322074974",
    "NESSI MICHELANGELO": "110086322083060",
    "PROVISOIRE MATRICULE (NIA)": "109076322088835",
    "PAT-TROIS DOMINIQUE (DMP kit)": "248039263001064",
}


# ---------------------------------------------------------------- examples


@pytest.mark.parametrize("matricule", REFERENCE_MATRICULES.values(), ids=REFERENCE_MATRICULES)
def test_reference_test_matricules_are_valid(matricule):
    assert matricule_problem(matricule) is None
    assert control_key(matricule[:13]) == int(matricule[13:])


def test_cnda_case_with_inconsistent_keys_is_refused():
    """§1.7: TEST_2.08 cas 2 returns keys 60 and 10 where the algorithm gives 76 and 26;
    the DUI must flag such keys, even when INSi sends them."""
    assert matricule_problem("181036322045660") == (
        "La clé de contrôle est 60 alors qu'elle devrait être 76 : vérifiez la saisie."
    )
    assert matricule_problem("281036322045610") == (
        "La clé de contrôle est 10 alors qu'elle devrait être 26 : vérifiez la saisie."
    )


def test_wrong_key_names_both_keys():
    assert matricule_problem("297022A02077812") == (
        "La clé de contrôle est 12 alors qu'elle devrait être 78 : vérifiez la saisie."
    )


def test_expected_key_is_printed_on_two_digits():
    body = next(
        f"1800175123{n:03d}" for n in range(1, 1000) if control_key(f"1800175123{n:03d}") < 10
    )
    key = control_key(body)
    wrong = (key % 97) + 1
    assert matricule_problem(f"{body}{wrong:02d}") == (
        f"La clé de contrôle est {wrong:02d} alors qu'elle devrait être {key:02d} : "
        "vérifiez la saisie."
    )


@pytest.mark.parametrize(
    "value",
    [
        "2 97 02 2A 020 778 78",
        " 297022A02077878 ",
        "2\u00a097\u00a002\u00a02A\u00a0020\u00a0778\u00a078",  # non-breaking spaces
        "2\u202f97\u202f02\u202f2A\u202f020\u202f778\u202f78",  # narrow no-break spaces
        "297022a02077878",
    ],
)
def test_spaces_and_lower_case_corsica_are_tolerated(value):
    assert matricule_problem(value) is None
    assert normalise_matricule(value) == "297022A02077878"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Le matricule INS est vide : il comporte 15 caractères."),
        (
            "29702",
            "Le matricule INS comporte 15 caractères (13 pour le numéro, 2 pour la clé), "
            "espaces non compris ; la saisie en compte 5.",
        ),
        (
            "297022A0207787800",
            "Le matricule INS comporte 15 caractères (13 pour le numéro, 2 pour la clé), "
            "espaces non compris ; la saisie en compte 17.",
        ),
        (
            "2970A2A02077878",
            "La lettre « A » en position 5 n'est pas admise : les lettres n'apparaissent "
            "qu'en positions 6-7, pour la Corse (2A, 2B).",
        ),
        (
            "297022A020778B8",
            "La clé de contrôle (positions 14-15) « B8 » n'est pas un nombre : "
            "elle comporte deux chiffres.",
        ),
        (
            "297022C02077878",
            "Le département de naissance (positions 6-7) « 2C » n'existe pas : "
            "les seules lettres admises sont 2A et 2B (Corse).",
        ),
        (
            "29702A202077878",
            "Le département de naissance (positions 6-7) « A2 » n'existe pas : "
            "les seules lettres admises sont 2A et 2B (Corse).",
        ),
        (
            "29702-A02077878",
            "Le caractère « - » en position 6 n'est pas admis : un matricule INS ne contient "
            "que des chiffres (et 2A ou 2B pour la Corse).",
        ),
        (
            "597022A02077878",
            "Le premier chiffre (sexe) « 5 » n'existe pas : il vaut 1 ou 2 "
            "(3, 4, 7 ou 8 pour un numéro provisoire ou un NIA).",
        ),
        (
            "297132A02077878",
            "Le mois de naissance (positions 4-5) « 13 » n'existe pas : il vaut 01 à 12 "
            "(20 à 42 ou 50 à 99 quand l'état civil était incomplet).",
        ),
        (
            "297020002077878",
            "Le département de naissance (positions 6-7) « 00 » n'existe pas : il vaut 01 à 95, "
            "2A ou 2B (Corse), 96, 97 ou 98 (outre-mer) ou 99 (étranger).",
        ),
        (
            "297022A02000078",
            "Le numéro d'ordre (positions 11-13) « 000 » n'existe pas : il vaut 001 à 999.",
        ),
        (
            "297022A02077898",
            "La clé de contrôle (positions 14-15) « 98 » est impossible : "
            "elle est comprise entre 01 et 97.",
        ),
        (
            "297022A02077800",
            "La clé de contrôle (positions 14-15) « 00 » est impossible : "
            "elle est comprise entre 01 et 97.",
        ),
    ],
)
def test_precise_french_messages(value, message):
    assert matricule_problem(value) == message


@pytest.mark.parametrize("sex", "0569")
def test_sex_digits_outside_the_reference_are_refused(sex):
    assert matricule_problem(sex + "97022A02077878").startswith(
        f"Le premier chiffre (sexe) « {sex} » n'existe pas"
    )


@pytest.mark.parametrize("month", ["00", *(f"{m}" for m in range(13, 20))])
def test_months_that_never_occur_are_refused(month):
    body = f"297{month}2A020778"
    assert matricule_problem(body + "01") == (
        f"Le mois de naissance (positions 4-5) « {month} » n'existe pas : il vaut 01 à 12 "
        "(20 à 42 ou 50 à 99 quand l'état civil était incomplet)."
    )


@pytest.mark.parametrize("month", range(43, 50))
def test_months_43_to_49_are_accepted_as_the_reference_is_silent(month):
    """Documented choice: §1.2 [B] lists 20–42 and 50–99 and says only 13–19 never occur."""
    body = f"297{month}2A020778"
    assert matricule_problem(f"{body}{control_key(body):02d}") is None


def test_corsica_is_not_cross_checked_against_the_birth_year():
    # 1960 birth in 2B is a national test identity (§1.2); 2A in 1950 is accepted likewise.
    body = "150012A020777"
    assert matricule_problem(f"{body}{control_key(body):02d}") is None


def test_control_key_refuses_malformed_bodies():
    for body in ("29702", "297022C020778", "2970A2A020778"):
        with pytest.raises(ValueError):
            control_key(body)


def test_expected_key_needs_a_well_formed_body():
    assert expected_key("297022A02077812") == 78
    assert expected_key("2 97 02 2A 020 778 7X") == 78
    assert expected_key("297132A02077812") is None
    assert expected_key("29702") is None


# ---------------------------------------------------------------- properties

SEX = st.sampled_from("123478")
YEAR = st.integers(0, 99).map("{:02d}".format)
MONTH = st.one_of(st.integers(1, 12), st.integers(20, 42), st.integers(50, 99)).map("{:02d}".format)
THREE_DIGITS = st.integers(0, 999).map("{:03d}".format)
# Department + commune (5 characters): mainland (20 included), Corsica, 96,
# overseas (3-digit department, 2-digit commune), abroad (99 + INSEE country code).
PLACE = st.one_of(
    st.tuples(st.integers(1, 96).map("{:02d}".format), THREE_DIGITS).map("".join),
    st.tuples(st.sampled_from(["2A", "2B"]), THREE_DIGITS).map("".join),
    st.tuples(st.sampled_from(["97", "98"]), THREE_DIGITS).map("".join),
    st.tuples(st.just("99"), THREE_DIGITS).map("".join),
)
ORDER = st.integers(1, 999).map("{:03d}".format)
BODY = st.tuples(SEX, YEAR, MONTH, PLACE, ORDER).map("".join)
CORSICAN_BODY = st.tuples(SEX, YEAR, MONTH, st.sampled_from(["2A", "2B"]), THREE_DIGITS, ORDER).map(
    "".join
)


def with_key(body: str) -> str:
    return f"{body}{control_key(body):02d}"


@given(BODY)
def test_body_plus_computed_key_is_valid(body):
    assert len(body) == 13
    assert matricule_problem(with_key(body)) is None
    assert expected_key(with_key(body)) == control_key(body)


@given(BODY, st.data())
def test_any_single_character_change_is_refused(body, data):
    matricule = with_key(body)
    position = data.draw(st.integers(0, 14), label="position")
    replacement = data.draw(
        st.sampled_from([c for c in "0123456789ABZ" if c != matricule[position]]),
        label="replacement",
    )
    changed = matricule[:position] + replacement + matricule[position + 1 :]
    assert matricule_problem(changed) is not None


@given(CORSICAN_BODY)
def test_key_without_corsican_substitution_is_refused(body):
    """2A→19 and 2B→18 before the modulo: keys computed with 20, or with the letters
    swapped, never match."""
    department = body[5:7]
    wrong_bodies = [
        body[:5] + "20" + body[7:],
        body[:5] + {"2A": "18", "2B": "19"}[department] + body[7:],
    ]
    for wrong in wrong_bodies:
        wrong_key = 97 - int(wrong) % 97
        assert wrong_key != control_key(body)
        problem = matricule_problem(f"{body}{wrong_key:02d}")
        assert problem == (
            f"La clé de contrôle est {wrong_key:02d} alors qu'elle devrait être "
            f"{control_key(body):02d} : vérifiez la saisie."
        )


@given(BODY, st.lists(st.sampled_from([" ", "\u00a0", "\t"]), max_size=3), st.data())
def test_spaces_anywhere_are_ignored(body, spaces, data):
    matricule = with_key(body)
    for space in spaces:
        at = data.draw(st.integers(0, len(matricule)), label="at")
        matricule = matricule[:at] + space + matricule[at:]
    assert matricule_problem(matricule) is None


# ---------------------------------------------------------------- OIDs


def test_oid_constants_are_those_of_fr_core():
    assert INS_NIR_OID == "1.2.250.1.213.1.4.8"
    assert INS_NIA_OID == "1.2.250.1.213.1.4.9"
    assert INS_NIR_TEST_OID == "1.2.250.1.213.1.4.10"
    assert INS_NIR_DEMO_OID == "1.2.250.1.213.1.4.11"


@pytest.mark.parametrize("production", [True, False])
def test_nir_and_nia_oids_are_accepted_everywhere(production):
    assert oid_problem(INS_NIR_OID, production=production) is None
    assert oid_problem(INS_NIA_OID, production=production) is None


def test_fictitious_oids_are_accepted_outside_production_only():
    assert oid_problem(INS_NIR_TEST_OID, production=False) is None
    assert oid_problem(INS_NIR_DEMO_OID, production=False) is None
    assert oid_problem(INS_NIR_TEST_OID, production=True) == (
        "L'OID 1.2.250.1.213.1.4.10 (INS-NIR-TEST) désigne un patient fictif de test : "
        "il est refusé en production."
    )
    assert oid_problem(INS_NIR_DEMO_OID, production=True) == (
        "L'OID 1.2.250.1.213.1.4.11 (INS-NIR-DEMO) désigne un patient fictif de démonstration : "
        "il est refusé en production."
    )


@pytest.mark.parametrize("oid", ["1.2.250.1.213.1.4.5", "1.2.250.1.213.1.4.2", "1.2.3"])
def test_unknown_oids_are_refused(oid):
    """§1.3 warns that .4.5 and .4.2, seen in hobby repositories, are wrong."""
    assert oid_problem(oid, production=True) == (
        f"L'OID « {oid} » n'est pas un OID INS : OID admis "
        "1.2.250.1.213.1.4.8 (INS-NIR), 1.2.250.1.213.1.4.9 (INS-NIA)."
    )
    assert "1.2.250.1.213.1.4.10 (INS-NIR-TEST)" in oid_problem(oid, production=False)


def test_oid_edge_cases():
    assert oid_problem(" 1.2.250.1.213.1.4.8 ", production=True) is None
    assert oid_problem("", production=True) == "L'OID du matricule INS est vide."
    assert oid_problem("urn:oid:1.2.250.1.213.1.4.8", production=True) == (
        "Indiquez l'OID sans le préfixe « urn:oid: » : 1.2.250.1.213.1.4.8."
    )


# ---------------------------------------------------------------- command

CONSOLE_SCRIPT = Path(sys.executable).with_name("opendui")


def run_command(*arguments: str, database_url: str = "sqlite://") -> subprocess.CompletedProcess:
    assert CONSOLE_SCRIPT.exists(), f"console script missing: {CONSOLE_SCRIPT}"
    environment = {**os.environ, "OPENDUI_DATABASE_URL": database_url, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(  # noqa: S603 (our own console script, fixed arguments)
        [str(CONSOLE_SCRIPT), "ins", *arguments],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=120,
        check=False,
    )


def test_command_accepts_a_valid_matricule():
    result = run_command("verifier-matricule", "297022A02077878")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "valide": True,
        "matricule": "297022A02077878",
        "cle_attendue": "78",
    }


def test_command_refuses_an_invalid_matricule():
    result = run_command("verifier-matricule", "2 97 02 2A 020 778 12")
    assert result.returncode == 1, result.stderr
    output = json.loads(result.stdout)
    assert output == {
        "valide": False,
        "raison": "La clé de contrôle est 12 alors qu'elle devrait être 78 : vérifiez la saisie.",
        "matricule": "297022A02077812",
        "cle_attendue": "78",
    }


def test_command_names_a_structural_problem_without_expected_key():
    result = run_command("verifier-matricule", "297132A02077878")
    assert result.returncode == 1
    output = json.loads(result.stdout)
    assert output["valide"] is False
    assert output["raison"].startswith("Le mois de naissance (positions 4-5) « 13 »")
    assert "cle_attendue" not in output


def test_command_does_not_touch_the_database():
    """Nothing listens on port 9: any connection attempt would fail the command."""
    result = run_command(
        "verifier-matricule",
        "160012B02077713",
        database_url="postgres://opendui@127.0.0.1:9/absent",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valide"] is True


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "Argument manquant : indiquez la sous-commande (verifier-matricule)."),
        (
            ("verifier-matricule",),
            "Argument manquant : indiquez le matricule INS à vérifier (15 caractères).",
        ),
        (
            ("verifier", "297022A02077878"),
            "Sous-commande inconnue « verifier » : "
            "la seule sous-commande disponible est verifier-matricule.",
        ),
        (
            ("verifier-matricule", "297022A", "02077878"),
            "Argument en trop : « 02077878 ».",
        ),
    ],
    ids=["no-subcommand", "no-value", "unknown-subcommand", "extra-argument"],
)
def test_command_usage_errors_exit_2_in_french(arguments, message):
    result = run_command(*arguments)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert message in result.stderr
    assert "Usage : opendui ins verifier-matricule MATRICULE" in result.stderr
    assert "error:" not in result.stderr
