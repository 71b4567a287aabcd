"""Login with Pro Santé Connect against the loopback simulator: the whole flow, account
linking, the work situation, the logout at the provider, and every refusal."""

from __future__ import annotations

import html
import json
import logging
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from opendui.accounts.models import User
from opendui.accounts.psc.client import MESSAGES
from opendui.audit.models import AuditEvent
from opendui.interop.psc.cards import DEMO_NATIONAL_IDS, UNKNOWN_RPPS
from tests.accounts.psc_helpers import authorize_params, pick_card, psc_login
from tests.conftest import use_psc_provider


@pytest.fixture
def doctor(world):
    user = world.user("medecin", facility=world.ehpad, email="medecin@test.example")
    User.objects.filter(pk=user.pk).update(rpps=DEMO_NATIONAL_IDS["medecin"][1])
    user.refresh_from_db()
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def logged_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def failures() -> list[str]:
    return list(
        AuditEvent.objects.filter(action="auth.psc_failure").values_list(
            "details__reason", flat=True
        )
    )


def assert_refused(client, response, reason: str, logins: int = 0) -> None:
    assert response.status_code == 302 and response.url == "/connexion/"
    assert MESSAGES[reason] in messages_of(response)
    assert logged_in_as(client) is None
    assert failures() == [reason]
    assert AuditEvent.objects.filter(action="auth.login").count() == logins


# --------------------------------------------------------------------------- the login page


def test_the_button_is_shown_only_when_an_issuer_is_configured(client, settings, db):
    settings.PSC_ISSUER = ""
    assert "Pro Santé Connect" not in client.get("/connexion/").content.decode()
    response = client.get("/connexion/psc/")
    assert response.status_code == 302 and response.url == "/connexion/"
    assert MESSAGES["not_configured"] in messages_of(response)
    settings.PSC_ISSUER = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"
    page = client.get("/connexion/").content.decode()
    assert "Se connecter avec Pro Santé Connect" in page and 'href="/connexion/psc/"' in page


def test_the_authorization_request_has_pkce_state_nonce_scope_and_acr(client, psc, db):
    endpoint, params = authorize_params(client.get("/connexion/psc/"))
    assert endpoint == psc.metadata()["authorization_endpoint"]
    assert params["response_type"] == "code"
    assert params["client_id"] == psc.client_id
    assert params["scope"] == "openid scope_all"
    assert params["acr_values"] == "eidas1"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert params["redirect_uri"] == "http://testserver/connexion/psc/retour/"
    # The verifier stays on the server, in the session, never in the URL.
    assert "code_verifier" not in params


# --------------------------------------------------------------------------- success


def test_a_doctor_logs_in_without_a_second_factor(client, psc, doctor):
    """Her roles require TOTP and she has one: PSC (e-CPS) stands for it."""
    User.objects.filter(pk=doctor.pk).update(
        totp_secret=pyotp.random_base32(), totp_confirmed_at=timezone.now()
    )
    response = psc_login(client, "medecin")
    assert response.status_code == 302 and response.url == "/"
    assert logged_in_as(client) == doctor.pk
    login = AuditEvent.objects.get(action="auth.login")
    assert login.details == {"method": "psc"} and login.user_id == doctor.pk
    assert client.session["psc"]["idnat"] == "8" + DEMO_NATIONAL_IDS["medecin"][1]
    assert client.session["psc"]["id_token"].count(".") == 2
    home = client.get("/")
    assert home.status_code == 200 and "Connexion" not in home.content.decode()[:200]


def test_the_next_page_is_kept_through_the_provider(client, psc, doctor):
    start = client.get("/connexion/psc/?next=/securite-inexistante/")
    back = client.get(pick_card(start, "medecin"))
    assert back.url == "/securite-inexistante/"
    start = Client().get("/connexion/psc/?next=https://ailleurs.example/")
    assert start.status_code == 302  # an outside next page is dropped at the end (see _safe_next)


def test_an_rpps_plus_professional_is_found_by_the_rpps_plus_column(client, psc, world):
    educator = world.user("educateur", facility=world.ime)
    User.objects.filter(pk=educator.pk).update(rpps_plus=DEMO_NATIONAL_IDS["educateur"][1])
    assert psc_login(client, "educateur").url == "/"
    assert logged_in_as(client) == educator.pk


def test_a_rotated_signing_key_is_fetched_again(client, psc, doctor):
    assert psc_login(client, "medecin").url == "/"
    client.post("/deconnexion/")
    old = {key["kid"] for key in psc.jwks()["keys"]}
    new_kid = psc.rotate_key()
    assert new_kid not in old
    other = Client()
    assert psc_login(other, "medecin").url == "/"
    assert logged_in_as(other) == doctor.pk


def test_any_standard_provider_es256_and_standard_discovery_only(
    client, settings, psc_provider, doctor
):
    provider = psc_provider(algorithm="ES256", psc_discovery=False)
    use_psc_provider(settings, provider, discovery=False)
    assert (
        requests.get(
            provider.issuer + "/.well-known/wallet-openid-configuration", timeout=5
        ).status_code
        == 404
    )
    assert psc_login(client, "medecin").url == "/"
    assert logged_in_as(client) == doctor.pk


def test_a_json_userinfo_is_accepted_too(client, settings, psc_provider, doctor):
    provider = psc_provider(userinfo_format="json")
    use_psc_provider(settings, provider)
    assert psc_login(client, "medecin").url == "/"


def test_a_clock_difference_within_the_leeway_is_accepted(client, settings, psc_provider, doctor):
    provider = psc_provider(clock_offset=60)
    use_psc_provider(settings, provider)
    assert psc_login(client, "medecin").url == "/"


# --------------------------------------------------------------------------- linking


def test_an_unknown_identifier_gets_the_linking_page_and_no_session(client, psc, doctor):
    response = psc_login(client, "inconnu")
    assert response.status_code == 403
    page = response.content.decode()
    assert "n'est pas encore rattaché" in page and "8" + UNKNOWN_RPPS in page
    assert logged_in_as(client) is None
    event = AuditEvent.objects.get(action="auth.psc_unlinked")
    assert event.details == {"idnat": "8" + UNKNOWN_RPPS}
    assert User.objects.count() == 1  # nothing created


def test_an_identifier_held_by_two_accounts_logs_into_neither(client, psc, world, doctor):
    other = world.user("infirmier", facility=world.ehpad)
    User.objects.filter(pk=other.pk).update(rpps_plus=DEMO_NATIONAL_IDS["medecin"][1])
    assert psc_login(client, "medecin").status_code == 403
    assert logged_in_as(client) is None


def test_a_disabled_account_is_refused(client, psc, doctor):
    User.objects.filter(pk=doctor.pk).update(is_active=False)
    assert_refused(client, psc_login(client, "medecin"), "disabled")
    assert AuditEvent.objects.get(action="auth.psc_failure").object_id == str(doctor.pk)


# --------------------------------------------------------------------------- work situation


@pytest.fixture
def psychologist(world):
    user = world.user("psychologue", facility=world.ime)
    User.objects.filter(pk=user.pk).update(rpps=DEMO_NATIONAL_IDS["psychologue"][1])
    return user


def test_several_exercices_ask_for_the_work_situation(client, psc, psychologist):
    response = psc_login(client, "psychologue")
    assert response.status_code == 302 and response.url == "/connexion/psc/situation/"
    assert logged_in_as(client) is None
    page = client.get("/connexion/psc/situation/")
    labels = [label for _index, label in page.context["choices"]]
    assert len(labels) == 2 and all(label.startswith("Psychologue – ") for label in labels)
    refused = client.post("/connexion/psc/situation/", {"exercice": "7"})
    assert refused.status_code == 400 and logged_in_as(client) is None
    done = client.post("/connexion/psc/situation/", {"exercice": "1"})
    assert done.status_code == 302 and done.url == "/"
    assert logged_in_as(client) == psychologist.pk
    assert client.session["psc"]["exercice_label"] == labels[1]
    assert labels[1] in client.get("/").content.decode()  # shown in the header
    assert "psc_pending" not in client.session


def test_the_work_situation_page_needs_a_psc_answer_first(client, psychologist):
    response = client.post("/connexion/psc/situation/", {"exercice": "0"})
    assert response.status_code == 302 and response.url == "/connexion/"
    assert logged_in_as(client) is None


def test_no_other_path_opens_a_psc_session(client, psc, psychologist):
    """Only the callback writes the pending PSC entry; the password login's pending entry,
    whatever its method says, still needs the TOTP code."""
    User.objects.filter(pk=psychologist.pk).update(
        totp_secret=pyotp.random_base32(), totp_confirmed_at=timezone.now()
    )
    session = client.session
    session["auth_pending"] = {"user_id": psychologist.pk, "method": "psc", "at": time.time()}
    session.save()
    assert client.get("/connexion/second-facteur/").status_code == 200  # asks for the code
    assert client.post("/connexion/second-facteur/", {"code": "000000"}).status_code == 200
    assert client.get("/connexion/psc/situation/").url == "/connexion/"
    assert logged_in_as(client) is None
    assert not AuditEvent.objects.filter(action="auth.login").exists()


@pytest.mark.parametrize(
    "path", ["/connexion/psc/", "/connexion/psc/retour/", "/connexion/psc/situation/"]
)
def test_a_logged_in_user_is_sent_home(client, login, doctor, psc, path):
    login(doctor)
    response = client.get(path)
    assert response.status_code == 302 and response.url == "/"
    assert not AuditEvent.objects.filter(action="auth.psc_failure").exists()


# --------------------------------------------------------------------------- logout


def test_logout_ends_the_provider_session_and_comes_back_to_the_login_page(client, psc, doctor):
    psc_login(client, "medecin")
    id_token = client.session["psc"]["id_token"]
    response = client.post("/deconnexion/")
    assert logged_in_as(client) is None
    assert response.status_code == 200
    end_session = response.context["end_session_url"]
    page = response.content.decode()
    assert f'content="0;url={html.escape(end_session)}"' in page
    assert f'href="{html.escape(end_session)}"' in page
    url = urlsplit(end_session)
    assert f"{url.scheme}://{url.netloc}{url.path}" == psc.metadata()["end_session_endpoint"]
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == "http://testserver/connexion/"
    assert params["state"]
    back = requests.get(end_session, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert back.headers["Location"].startswith("http://testserver/connexion/?state=")
    assert AuditEvent.objects.filter(action="auth.logout").count() == 1


def test_a_password_session_logs_out_locally(client, login, doctor, psc):
    login(doctor)
    response = client.post("/deconnexion/")
    assert response.url == "/connexion/"


def test_the_session_limits_still_apply(client, psc, doctor, settings):
    psc_login(client, "medecin")
    session = client.session
    session["login_at"] = 0
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/connexion/")
    assert logged_in_as(client) is None


# --------------------------------------------------------------------------- refusals


def test_the_user_cancels(client, psc, doctor):
    assert_refused(client, psc_login(client, "medecin", action="cancel"), "cancelled")


def test_a_state_that_is_not_this_session_s(client, psc, doctor):
    back = pick_card(client.get("/connexion/psc/"), "medecin")
    stranger = Client()
    assert_refused(stranger, stranger.get(back), "state")


def test_a_forged_state_is_refused(client, psc, doctor):
    back = pick_card(client.get("/connexion/psc/"), "medecin")
    path, query = back.split("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    response = client.get(path, {"code": params["code"], "state": "forged"})
    assert_refused(client, response, "state")


def test_a_replayed_code_is_refused(client, psc, doctor):
    back = pick_card(client.get("/connexion/psc/"), "medecin")
    code = parse_qs(urlsplit(back).query)["code"][0]
    assert client.get(back).url == "/"
    attacker = Client()
    _endpoint, params = authorize_params(attacker.get("/connexion/psc/"))
    response = attacker.get("/connexion/psc/retour/", {"code": code, "state": params["state"]})
    assert_refused(attacker, response, "code", logins=1)


def test_an_acr_below_the_required_level_is_refused(client, settings, psc_provider, doctor):
    provider = psc_provider(acr="eidas0")
    use_psc_provider(settings, provider)
    assert_refused(client, psc_login(client, "medecin"), "acr")


def test_a_clock_difference_beyond_the_leeway_is_refused(client, settings, psc_provider, doctor):
    provider = psc_provider(clock_offset=-1000)
    use_psc_provider(settings, provider)
    assert_refused(client, psc_login(client, "medecin"), "clock")


def test_tokens_signed_with_an_unpublished_key_are_refused(client, psc, doctor, monkeypatch):
    published = psc.jwks()
    psc.rotate_key()
    monkeypatch.setattr(psc, "jwks", lambda: published)
    assert_refused(client, psc_login(client, "medecin"), "token")


def test_an_id_token_for_another_client_is_refused(client, psc, doctor, monkeypatch):
    sign = psc.sign

    def for_someone_else(claims):
        if "nonce" in claims:  # the ID token, not the userinfo
            claims = {**claims, "aud": "un-autre-client"}
        return sign(claims)

    monkeypatch.setattr(psc, "sign", for_someone_else)
    assert_refused(client, psc_login(client, "medecin"), "token")


def test_an_id_token_with_another_nonce_is_refused(client, psc, doctor, monkeypatch):
    sign = psc.sign
    monkeypatch.setattr(
        psc, "sign", lambda c: sign({**c, "nonce": "rejoue"} if "nonce" in c else c)
    )
    assert_refused(client, psc_login(client, "medecin"), "token")


def test_a_provider_that_does_not_answer(client, settings, doctor):
    settings.PSC_ISSUER = "http://127.0.0.1:9"  # discard port: connection refused
    settings.PSC_DISCOVERY_URL = ""
    settings.PSC_CLIENT_ID, settings.PSC_CLIENT_SECRET = "c", "s"
    assert_refused(client, client.get("/connexion/psc/"), "unavailable")


def test_a_provider_that_goes_down_during_the_login(client, settings, psc_provider, doctor):
    provider = psc_provider()
    use_psc_provider(settings, provider)
    back = pick_card(client.get("/connexion/psc/"), "medecin")
    settings.PSC_TIMEOUT = 2
    # Same issuer, but the token endpoint is now unreachable.
    from opendui.accounts.psc import client as psc_client

    for cached in psc_client._METADATA.values():
        cached["token_endpoint"] = "http://127.0.0.1:9/token"
    assert_refused(client, client.get(back), "unavailable")


def test_metadata_naming_another_issuer_is_refused(client, settings, psc, doctor):
    settings.PSC_ISSUER = psc.issuer + "-autre"
    settings.PSC_DISCOVERY_URL = psc.discovery_url
    assert_refused(client, client.get("/connexion/psc/"), "provider")


def test_no_token_code_or_secret_in_the_audit_trail(client, psc, doctor):
    psc_login(client, "medecin")
    client.post("/deconnexion/")
    psc_login(Client(), "medecin", action="cancel")
    stored = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    assert psc.client_secret not in stored
    assert "eyJ" not in stored  # no JWT
    assert "code" not in stored.replace('"cancelled"', "")


def test_no_token_code_or_verifier_in_the_logs(client, psc, doctor, caplog):
    caplog.set_level(logging.DEBUG)
    back = pick_card(client.get("/connexion/psc/"), "medecin")
    code = parse_qs(urlsplit(back).query)["code"][0]
    client.get(back)
    id_token = client.session["psc"]["id_token"]
    logged = caplog.text
    assert code not in logged and id_token not in logged
    assert "code_verifier" not in logged and psc.client_secret not in logged


def test_query_counts_of_the_psc_pages(
    client, psc, doctor, psychologist, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        start = client.get("/connexion/psc/")
    back = pick_card(start, "medecin")
    with django_assert_max_num_queries(QUERIES_CALLBACK):
        assert client.get(back).url == "/"
    other = Client()
    back = pick_card(other.get("/connexion/psc/"), "psychologue")
    other.get(back)
    with django_assert_max_num_queries(4):
        assert other.get("/connexion/psc/situation/").status_code == 200
    with django_assert_max_num_queries(QUERIES_CALLBACK):
        assert other.post("/connexion/psc/situation/", {"exercice": "0"}).url == "/"


# Account lookup, throttle check, login (user, session), lockout pair cleared, audit event
# with its chain; measured, then fixed here so that a new query per login shows.
QUERIES_CALLBACK = 19


def test_the_administrator_links_the_identifier_then_the_login_works(world, psc, login):
    """The linking page's identifier, entered by the administrator on the account (the
    usual, audited account form), is all it takes."""
    from tests.accounts.test_admin_users import edit_data

    doctor = world.user("medecin", facility=world.ehpad)
    first = Client()
    assert psc_login(first, "inconnu").status_code == 403
    admin = world.user("admin", organisation=world.og)
    admin_client = login(admin)
    response = admin_client.post(
        f"/professionnels/{doctor.pk}/modifier/", edit_data(doctor, rpps=UNKNOWN_RPPS)
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="user.update", object_id=str(doctor.pk)).exists()
    again = Client()
    assert psc_login(again, "inconnu").url == "/"
    assert logged_in_as(again) == doctor.pk


def test_an_unreadable_client_certificate_is_a_french_message_not_an_error(
    client, settings, psc, doctor
):
    settings.PSC_CERT_FILE = "/nonexistent/psc.crt"
    settings.PSC_KEY_FILE = "/nonexistent/psc.key"
    assert_refused(client, client.get("/connexion/psc/"), "configuration")
