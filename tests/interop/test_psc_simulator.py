"""The Pro Santé Connect simulator keeps the provider's side of the contract: what it refuses
at the token endpoint is what a real provider refuses, so the client's tests mean something."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from opendui.interop.psc.simulator import Provider, serve

VERIFIER = "v" * 50


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture
def provider():
    server, thread, provider = serve(port=0, provider=Provider())
    yield provider
    server.shutdown()
    server.server_close()
    thread.join()


def authorize(provider, **overrides) -> requests.Response:
    params = {
        "client_id": provider.client_id,
        "redirect_uri": "http://rp.example/retour/",
        "response_type": "code",
        "scope": "openid scope_all",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": challenge(VERIFIER),
        "code_challenge_method": "S256",
        "acr_values": "eidas1",
        "card": "medecin",
        "action": "login",
    } | overrides
    return requests.post(
        provider.metadata()["authorization_endpoint"], data=params, allow_redirects=False, timeout=5
    )


def code_of(response) -> str:
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def token(provider, code, **overrides) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://rp.example/retour/",
        "code_verifier": VERIFIER,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
    } | overrides
    return requests.post(provider.metadata()["token_endpoint"], data=data, timeout=5)


def test_discovery_at_psc_s_path_and_the_standard_one(provider):
    for path in ("/.well-known/wallet-openid-configuration", "/.well-known/openid-configuration"):
        metadata = requests.get(provider.issuer + path, timeout=5).json()
        assert metadata["issuer"] == provider.issuer
        assert metadata["code_challenge_methods_supported"] == ["S256"]


def test_the_authorization_page_lists_the_test_cards_in_french(provider):
    page = requests.get(
        provider.metadata()["authorization_endpoint"],
        params={
            "client_id": provider.client_id,
            "redirect_uri": "http://rp.example/retour/",
            "response_type": "code",
            "scope": "openid",
            "state": "s",
            "nonce": "n",
            "code_challenge": challenge(VERIFIER),
            "code_challenge_method": "S256",
        },
        timeout=5,
    )
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "Cartes e-CPS de test" in page.text and "Philippe MOREAU" in page.text


@pytest.mark.parametrize(
    "overrides",
    [{"code_challenge_method": "plain"}, {"client_id": "inconnu"}, {"nonce": ""}, {"scope": "x"}],
)
def test_the_authorization_request_must_be_complete(provider, overrides):
    response = authorize(provider, **overrides)
    assert response.status_code == 400 and "Location" not in response.headers


def test_a_code_is_exchanged_once_with_its_verifier_redirect_uri_and_secret(provider):
    assert token(provider, code_of(authorize(provider)), client_secret="faux").status_code == 401
    assert token(provider, code_of(authorize(provider)), code_verifier="w" * 50).json() == {
        "error": "invalid_grant",
        "error_description": "PKCE",
    }
    wrong_uri = token(provider, code_of(authorize(provider)), redirect_uri="http://x/")
    assert wrong_uri.json()["error"] == "invalid_grant"
    code = code_of(authorize(provider))
    first = token(provider, code)
    assert first.status_code == 200 and first.json()["id_token"].count(".") == 2
    assert token(provider, code).json()["error"] == "invalid_grant"


def test_userinfo_is_a_signed_jwt_with_psc_claims(provider):
    from joserfc import jwt
    from joserfc.jwk import KeySet

    access = token(provider, code_of(authorize(provider))).json()["access_token"]
    answer = requests.get(
        provider.metadata()["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {access}"},
        timeout=5,
    )
    assert answer.headers["Content-Type"] == "application/jwt"
    keys = KeySet.import_key_set(requests.get(provider.metadata()["jwks_uri"], timeout=5).json())
    claims = jwt.decode(answer.text, keys, algorithms=["RS256"]).claims
    assert claims["SubjectNameID"] == "810100001014"
    assert claims["SubjectRefPro"]["exercices"][0]["codeProfession"] == "10"
    assert claims["Palier_Authentification"].startswith("APPPRIP3")
    refused = requests.get(
        provider.metadata()["userinfo_endpoint"],
        headers={"Authorization": "Bearer faux"},
        timeout=5,
    )
    assert refused.status_code == 401


def test_cancel_and_end_session_go_back_with_the_state(provider):
    cancelled = authorize(provider, action="cancel")
    assert cancelled.headers["Location"] == "http://rp.example/retour/?error=access_denied&state=s1"
    logout = requests.get(
        provider.metadata()["end_session_endpoint"],
        params={"post_logout_redirect_uri": "http://rp.example/connexion/", "state": "z"},
        allow_redirects=False,
        timeout=5,
    )
    assert logout.headers["Location"] == "http://rp.example/connexion/?state=z"
