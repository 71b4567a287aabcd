"""An administrator fills a professional's account from the Annuaire Santé (simulator on
loopback): the lookup fills, never saves; the account is marked verified only when the
saved values are the Annuaire's; the Annuaire down never blocks the form."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.core import signing

from opendui.accounts import annuaire_lookup
from opendui.accounts.models import Role, User

from .test_admin_support import STRONG_PASSWORD, form_token
from .test_admin_users import edit_data

CREATE = "/professionnels/nouveau/"
FONTAINE = "10100001022"  # the demo's infirmière, in the simulator
BERNARD_ADELI = "379100012"  # orthophoniste (ADELI only)


@pytest.fixture
def admin_client(login, world):
    return login(world.user("admin"))


def typed(world, token: str, **overrides) -> dict:
    data = {
        "form_token": token,
        "email": "claire.fontaine@example.org",
        "first_name": "",
        "last_name": "",
        "profession": "AUTRE",
        "activity_role": "",
        "rpps": FONTAINE,
        "adeli": "",
        "rpps_plus": "",
        "password1": "",
        "password2": "",
        "role": Role.objects.get(code="infirmier").pk,
        "facility": world.ehpad.pk,
        "unit": "",
        "start_date": "2026-01-05",
        "end_date": "",
    }
    data.update(overrides)
    return data


def hidden_proof(response) -> str:
    match = re.search(
        r'name="annuaire_proof" value="([^"]*)"', html.unescape(response.content.decode())
    )
    return match.group(1) if match else ""


def test_lookup_fills_the_form_and_saves_nothing(
    world, admin_client, annuaire_settings, django_assert_max_num_queries
):
    token = form_token(admin_client.get(CREATE))
    users = User.objects.count()
    with django_assert_max_num_queries(20):
        response = admin_client.post(CREATE, {**typed(world, token), "annuaire_lookup": "1"})
    assert response.status_code == 200
    assert User.objects.count() == users
    form = response.context["form"]
    assert not form.is_bound  # shown for checking, not validated
    assert (form.initial["first_name"], form.initial["last_name"]) == ("Claire", "FONTAINE")
    assert form.initial["profession"] == "G15:60"
    assert form.initial["email"] == "claire.fontaine@example.org"  # typed values kept
    body = html.unescape(response.content.decode())
    assert "Informations remplies depuis l'Annuaire Santé" in body
    # The creation token was not consumed: the same token saves the checked form.
    assert form_token(response) == token
    proof = hidden_proof(response)
    assert proof
    saved = admin_client.post(
        CREATE,
        typed(
            world,
            token,
            first_name="Claire",
            last_name="FONTAINE",
            profession="G15:60",
            password1=STRONG_PASSWORD,
            password2=STRONG_PASSWORD,
            annuaire_proof=proof,
        ),
    )
    assert saved.status_code == 302
    user = User.objects.get(email="claire.fontaine@example.org")
    assert user.rpps == FONTAINE
    assert user.annuaire_checked_at is not None
    page = html.unescape(admin_client.get(f"/professionnels/{user.pk}/").content.decode())
    assert "vérifié dans l'Annuaire le" in page


def test_names_changed_after_the_lookup_are_not_verified(world, admin_client, annuaire_settings):
    token = form_token(admin_client.get(CREATE))
    proof = hidden_proof(admin_client.post(CREATE, {**typed(world, token), "annuaire_lookup": "1"}))
    admin_client.post(
        CREATE,
        typed(
            world,
            token,
            first_name="Claire",
            last_name="FONTAINE-AUTRE",
            profession="G15:60",
            password1=STRONG_PASSWORD,
            password2=STRONG_PASSWORD,
            annuaire_proof=proof,
        ),
    )
    user = User.objects.get(email="claire.fontaine@example.org")
    assert user.annuaire_checked_at is None
    assert "non vérifié dans l'Annuaire" in html.unescape(
        admin_client.get(f"/professionnels/{user.pk}/").content.decode()
    )


def test_forged_proof_is_not_verified(world, admin_client, annuaire_settings):
    token = form_token(admin_client.get(CREATE))
    forged = signing.dumps(
        {"first_name": "X", "last_name": "Y", "profession": "", "rpps": FONTAINE, "adeli": ""},
        salt="another-salt",
    )
    admin_client.post(
        CREATE,
        typed(
            world,
            token,
            first_name="X",
            last_name="Y",
            password1=STRONG_PASSWORD,
            password2=STRONG_PASSWORD,
            annuaire_proof=forged,
        ),
    )
    assert User.objects.get(email="claire.fontaine@example.org").annuaire_checked_at is None


def test_annuaire_down_keeps_the_form_usable(world, admin_client, annuaire_down):
    token = form_token(admin_client.get(CREATE))
    response = admin_client.post(CREATE, {**typed(world, token), "annuaire_lookup": "1"})
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert (
        "Annuaire Santé injoignable : saisissez les informations ; elles seront marquées "
        "« non vérifié dans l'Annuaire »"
    ) in body
    assert response.context["form"].initial["rpps"] == FONTAINE  # what was typed stays
    saved = admin_client.post(
        CREATE,
        typed(
            world,
            token,
            first_name="Claire",
            last_name="Fontaine",
            password1=STRONG_PASSWORD,
            password2=STRONG_PASSWORD,
        ),
    )
    assert saved.status_code == 302
    assert User.objects.get(email="claire.fontaine@example.org").annuaire_checked_at is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rpps": ""}, "Saisissez un numéro RPPS ou ADELI valide"),
        ({"rpps": FONTAINE[:-1] + "9"}, "Saisissez un numéro RPPS ou ADELI valide"),
        ({"rpps": "10100001139"}, "inconnu de l'Annuaire Santé"),
        ({"rpps": "10100001121"}, "inconnu de l'Annuaire Santé"),  # inactive there
    ],
)
def test_lookup_without_a_known_number_says_so(
    world, admin_client, annuaire_settings, overrides, message
):
    token = form_token(admin_client.get(CREATE))
    response = admin_client.post(
        CREATE, {**typed(world, token, **overrides), "annuaire_lookup": "1"}
    )
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert not User.objects.filter(email="claire.fontaine@example.org").exists()


def test_lookup_by_adeli_leaves_an_unknown_profession_to_choose(
    world, admin_client, annuaire_settings
):
    token = form_token(admin_client.get(CREATE))
    response = admin_client.post(
        CREATE, {**typed(world, token, rpps="", adeli=BERNARD_ADELI), "annuaire_lookup": "1"}
    )
    initial = response.context["form"].initial
    assert (initial["last_name"], initial["adeli"], initial["profession"]) == (
        "BERNARD",
        BERNARD_ADELI,
        "G15:91",
    )


def test_edit_lookup_then_save_marks_verified_and_a_later_change_clears_it(
    world, admin_client, annuaire_settings
):
    nurse = world.user("infirmier", facility=world.ehpad)
    url = f"/professionnels/{nurse.pk}/modifier/"
    response = admin_client.post(url, {**edit_data(nurse, rpps=FONTAINE), "annuaire_lookup": "1"})
    assert response.status_code == 200
    nurse.refresh_from_db()
    assert nurse.rpps == "" and nurse.version == 1  # nothing saved by the lookup
    form = response.context["form"]
    assert (form.initial["last_name"], form.initial["expected_version"]) == ("FONTAINE", "1")
    proof = hidden_proof(response)
    saved = admin_client.post(
        url,
        edit_data(
            nurse,
            rpps=FONTAINE,
            first_name="Claire",
            last_name="FONTAINE",
            profession="G15:60",
            annuaire_proof=proof,
        ),
    )
    assert saved.status_code == 302
    nurse.refresh_from_db()
    assert nurse.annuaire_checked_at is not None
    # An unrelated change keeps the verification; a name typed by hand clears it.
    admin_client.post(url, edit_data(nurse, email="claire.f@example.org"))
    nurse.refresh_from_db()
    assert nurse.annuaire_checked_at is not None
    admin_client.post(url, edit_data(nurse, last_name="Fontaine-Durand"))
    nurse.refresh_from_db()
    assert nurse.annuaire_checked_at is None


def test_proof_expires_and_must_match(monkeypatch):
    values = {"first_name": "A", "last_name": "B", "profession": "G15:10", "rpps": "", "adeli": ""}
    proof = signing.dumps(values, salt=annuaire_lookup.SALT, compress=True)
    now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    assert annuaire_lookup.checked_at(proof, values, now=now) == now
    assert annuaire_lookup.checked_at(proof, {**values, "profession": "AUTRE"}, now=now) is None
    assert annuaire_lookup.checked_at("", values) is None
    assert annuaire_lookup.checked_at("garbage", values) is None
    monkeypatch.setattr(annuaire_lookup, "PROOF_MAX_AGE", dt.timedelta(seconds=-1))
    assert annuaire_lookup.checked_at(proof, values, now=now) is None


@pytest.mark.parametrize(
    ("code", "value"), [("10", "G15:10"), ("60", "G15:60"), ("21", ""), ("", "")]
)
def test_profession_of(code, value):
    assert annuaire_lookup.profession_of(code) == value


def test_annuaire_too_slow_keeps_the_form_usable(world, admin_client, settings):
    from opendui.annuaire.simulator import DEFAULT_API_KEY, serve

    server, _thread, url = serve("127.0.0.1", 0, delay=1.0)
    settings.ANNUAIRE_URL = url
    settings.ANNUAIRE_API_KEY = DEFAULT_API_KEY
    settings.ANNUAIRE_TIMEOUT = 0.2
    try:
        token = form_token(admin_client.get(CREATE))
        response = admin_client.post(CREATE, {**typed(world, token), "annuaire_lookup": "1"})
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 200
    assert "L'Annuaire Santé n'a pas répondu à temps." in html.unescape(response.content.decode())
    assert form_token(response) == token
    saved = admin_client.post(
        CREATE,
        typed(
            world,
            token,
            first_name="Claire",
            last_name="Fontaine",
            password1=STRONG_PASSWORD,
            password2=STRONG_PASSWORD,
        ),
    )
    assert saved.status_code == 302
    assert User.objects.get(email="claire.fontaine@example.org").annuaire_checked_at is None
