"""idNat_PS and MSSanté addresses (core.identifiers), by property and example."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.core.identifiers import (
    idnat_ps_of,
    idnat_ps_problem,
    luhn_check_digit,
    mssante_address_problem,
    normalise_email,
    rpps_problem,
)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


# --- idNat_PS ---------------------------------------------------------------------------------


@given(digits(10))
def test_eight_plus_a_valid_rpps_is_a_valid_idnat(body):
    rpps = body + luhn_check_digit(body)
    assert idnat_ps_of(rpps=rpps) == "8" + rpps
    assert idnat_ps_problem("8" + rpps) is None


@given(digits(10), st.integers(1, 9))
def test_eight_plus_an_rpps_with_a_wrong_key_is_refused(body, shift):
    key = (int(luhn_check_digit(body)) + shift) % 10
    assert rpps_problem(body + str(key)) is not None
    problem = idnat_ps_problem("8" + body + str(key))
    assert problem is not None and "RPPS" in problem


@given(st.sampled_from(["75", "2A", "2B", "01", "97"]), digits(7))
def test_zero_plus_an_adeli_is_valid(department, body):
    adeli = department + body
    assert idnat_ps_of(adeli=adeli) == "0" + adeli
    assert idnat_ps_problem("0" + adeli) is None


def test_rpps_wins_over_adeli_and_nothing_gives_nothing():
    assert idnat_ps_of(rpps="10003461033", adeli="751234567") == "810003461033"
    assert idnat_ps_of() == ""


@pytest.mark.parametrize(
    "value",
    ["", "8123", "81000346103", "0ABCDEFGHI", "075123", "X12345", "3" + "é" * 5, "9" * 31],
)
def test_malformed_idnat_are_refused(value):
    assert idnat_ps_problem(value) is not None


def test_other_prefixes_are_accepted_on_structure():
    assert idnat_ps_problem("3750000018/12345") is None


# --- MSSanté addresses ------------------------------------------------------------------------

LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20)


@given(LABEL, st.lists(LABEL, max_size=2))
def test_addresses_under_mssante_fr_are_accepted(local, subdomains):
    domain = ".".join([*subdomains, "mssante.fr"])
    assert mssante_address_problem(f"{local}@{domain}") is None
    assert mssante_address_problem(f"{local}@{domain.upper()}") is None


@given(LABEL, LABEL, st.sampled_from(["fr", "com", "org"]))
def test_ordinary_mailboxes_are_refused(local, host, tld):
    domain = f"{host}.{tld}"
    if domain == "mssante.fr":
        return
    problem = mssante_address_problem(f"{local}@{domain}")
    assert problem is not None and "mssante.fr" in problem


@pytest.mark.parametrize(
    "value",
    [
        "jean@notmssante.fr",
        "jean@mssante.fr.example.com",
        "jean.mssante.fr",
        "@medecin.mssante.fr",
        "jean dupont@medecin.mssante.fr",
        "jean@medecin..mssante.fr",
        "a" * 250 + "@mssante.fr",
    ],
)
def test_lookalikes_and_malformed_addresses_are_refused(value):
    assert mssante_address_problem(value) is not None


def test_domain_is_lower_cased_local_part_kept():
    assert normalise_email("  Jean.Dupont@Medecin.MSSANTE.fr ") == "Jean.Dupont@medecin.mssante.fr"


@given(st.text(max_size=60))
def test_any_text_gets_an_answer_never_an_exception(value):
    assert mssante_address_problem(value) is None or isinstance(mssante_address_problem(value), str)
