"""Pure mapping of PSC's userinfo (claims.py) and the userinfo JWT verification of the client."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.accounts.psc.claims import (
    ADELI,
    RPPS,
    Exercice,
    NationalId,
    exercices_of,
    identity_of,
    parse_national_id,
)
from opendui.core.identifiers import luhn_check_digit
from opendui.interop.psc.cards import CARDS_BY_KEY, DEMO_NATIONAL_IDS

rpps_numbers = st.integers(0, 10**10 - 1).map(lambda n: f"{n:010d}" + luhn_check_digit(f"{n:010d}"))
adeli_numbers = st.tuples(
    st.sampled_from(["01", "2A", "2B", "75", "97"]), st.integers(0, 10**7 - 1)
).map(lambda parts: f"{parts[0]}{parts[1]:07d}")


@given(rpps_numbers)
def test_8_and_an_rpps_is_an_rpps(number):
    assert parse_national_id("8" + number) == NationalId(RPPS, number)
    assert parse_national_id(f" 8{number} ") == NationalId(RPPS, number)


@given(adeli_numbers)
def test_0_and_an_adeli_is_an_adeli(number):
    parsed = parse_national_id("0" + number)
    assert parsed == NationalId(ADELI, number)
    assert parsed.idnat == "0" + number


@given(rpps_numbers)
def test_a_wrong_rpps_key_is_not_an_identifier(number):
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert parse_national_id("8" + wrong) is None


@given(st.one_of(st.text(max_size=30), st.integers(), st.none(), st.lists(st.text())))
def test_anything_else_is_none_or_a_valid_identifier_never_an_error(value):
    parsed = parse_national_id(value)
    assert parsed is None or parsed.idnat == str(value).strip().upper()


@pytest.mark.parametrize(
    "value",
    ["", "8", "81099900001", "3750000022/12345", "010999000010", "x10999000010", "8109990000100"],
)
def test_structure_identifiers_and_malformed_values_are_none(value):
    assert parse_national_id(value) is None


def test_the_simulator_card_maps_to_the_demo_identifier_and_its_exercices():
    card = CARDS_BY_KEY["psychologue"]
    identity = identity_of(card.userinfo("sub-1"))
    assert identity.national_id == NationalId(RPPS, DEMO_NATIONAL_IDS["psychologue"][1])
    assert (identity.given_name, identity.family_name) == ("Hélène", "Durieux")
    assert [e.profession for e in identity.exercices] == ["93", "93"]
    assert identity.exercices[0].sector == "SA41"
    assert identity.exercices[0].key == "93C"


def test_malformed_exercices_are_skipped_and_names_fall_back_on_the_exercice():
    userinfo = {
        "SubjectNameID": 42,
        "SubjectRefPro": {
            "exercices": [
                "pas un objet",
                {
                    "codeProfession": "60",
                    "nomDexercice": "Fontaine",
                    "prenomDexercice": "Claire",
                    "activities": "pas une liste",
                },
                {"codeProfession": {"x": 1}, "activities": [None]},
            ]
        },
    }
    identity = identity_of(userinfo)
    assert identity.national_id is None and identity.raw_id == "42"
    assert (identity.given_name, identity.family_name) == ("Claire", "Fontaine")
    assert identity.exercices == (
        Exercice(profession="60", family_name="Fontaine", given_name="Claire"),
        Exercice(),
    )
    assert exercices_of({"SubjectRefPro": []}) == ()
    assert Exercice.from_dict(identity.exercices[0].as_dict()) == identity.exercices[0]


# --------------------------------------------------------------------------- userinfo JWT


def _app(settings, provider):
    from opendui.accounts.psc.client import PscApp
    from opendui.accounts.psc.config import psc_config
    from tests.conftest import use_psc_provider

    use_psc_provider(settings, provider)
    return PscApp(psc_config())


def test_a_userinfo_jwt_signed_with_a_rotated_key_is_verified_after_a_refetch(
    settings, psc_provider
):
    provider = psc_provider()
    app = _app(settings, provider)
    claims = {"iss": provider.issuer, "aud": provider.client_id, "sub": "s", "SubjectNameID": "x"}
    assert app.verified_jwt_claims(provider.sign(claims))["SubjectNameID"] == "x"
    cached_kids = {k["kid"] for k in app.server_metadata["jwks"]["keys"]}
    new_kid = provider.rotate_key()
    assert new_kid not in cached_kids
    assert app.verified_jwt_claims(provider.sign(claims))["sub"] == "s"
    assert new_kid in {k["kid"] for k in app.server_metadata["jwks"]["keys"]}


def test_a_userinfo_jwt_for_another_audience_or_issuer_is_refused(settings, psc_provider):
    from joserfc.errors import InvalidClaimError

    provider = psc_provider(algorithm="ES256")
    app = _app(settings, provider)
    with pytest.raises(InvalidClaimError):
        app.verified_jwt_claims(provider.sign({"iss": provider.issuer, "aud": "autre", "sub": "s"}))
    with pytest.raises(InvalidClaimError):
        app.verified_jwt_claims(provider.sign({"iss": "https://ailleurs", "sub": "s"}))


def test_a_userinfo_jwt_signed_with_an_unknown_key_is_refused(settings, psc_provider):
    from joserfc.errors import JoseError

    provider = psc_provider()
    stranger = psc_provider()
    app = _app(settings, provider)
    with pytest.raises(JoseError):
        app.verified_jwt_claims(stranger.sign({"iss": provider.issuer, "sub": "s"}))


def test_every_failure_reason_has_a_message_and_an_audit_label():
    from opendui.accounts.psc.client import MESSAGES
    from opendui.audit.labels import PSC_FAILURE_REASONS, details_summary

    assert set(MESSAGES) == set(PSC_FAILURE_REASONS)
    assert details_summary("auth.psc_failure", "security", {"reason": "acr"}) == (
        "Motif : niveau d'authentification insuffisant (acr)"
    )
    assert details_summary("auth.psc_unlinked", "security", {"idnat": "810999000069"}) == (
        "Identifiant national : 810999000069"
    )


def test_the_client_certificate_is_presented_when_configured(settings, psc_provider):
    provider = psc_provider()
    app = _app(settings, provider)
    assert app._get_session().cert is None
    app.load_server_metadata()  # cached: the files below are never opened here
    settings.PSC_CERT_FILE, settings.PSC_KEY_FILE = "/etc/opendui/psc.crt", "/etc/opendui/psc.key"
    from opendui.accounts.psc.client import PscApp
    from opendui.accounts.psc.config import psc_config

    app = PscApp(psc_config())
    expected = ("/etc/opendui/psc.crt", "/etc/opendui/psc.key")
    assert app._get_session().cert == expected
    assert app._get_oauth_client(**app.load_server_metadata()).cert == expected
