"""A doctor of the demo logs in with Pro Santé Connect (the simulator's test e-CPS), reaches
her home page without a second factor, and logs out through the provider."""

from __future__ import annotations

import re

from opendui.audit.models import AuditEvent
from opendui.demo.seed import seed_demo


def test_the_demo_doctor_logs_in_and_out_through_psc(page, live_server, transactional_db, psc):
    seed_demo(3, 10, seed=1)
    page.goto("/connexion/")
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    page.wait_for_url(re.compile(r"/protocol/openid-connect/auth\?"))
    assert page.locator("legend").inner_text() == "Cartes e-CPS de test"
    page.get_by_label(re.compile("Philippe MOREAU")).check()
    page.get_by_role("button", name="Se connecter avec cette e-CPS").click()

    page.wait_for_url(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Bonjour Philippe"
    login = AuditEvent.objects.get(action="auth.login")
    assert login.details == {"method": "psc"} and login.user_label.startswith("medecin@")

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/connexion/\?state="))
    assert page.locator("h1").inner_text() == "Connexion"
    page.goto("/")
    assert "/connexion/" in page.url  # the session is over here too


def test_an_unknown_e_cps_gets_the_linking_page(page, transactional_db, psc):
    page.goto("/connexion/psc/")
    page.get_by_label(re.compile("Lucie GARNIER")).check()
    page.keyboard.press("Enter")  # submits the form from the focused radio button
    page.wait_for_url(re.compile(r"/connexion/psc/retour/"))
    assert "n'est pas encore rattaché" in page.locator("h1").inner_text()
    assert page.locator("#psc-idnat").inner_text() == "810999000069"
