"""Identity vigilance in a real browser: creation past a duplicate warning, INSi, document."""

from __future__ import annotations

import datetime as dt

from opendui.interop.insi.simulator import serve
from opendui.jobs.worker import run_pending
from tests.browser.conftest import login_with_keyboard
from tests.conftest import PASSWORD

# A national test persona known to the simulator (interop/insi/identities.py).
ADRTROIS_MATRICULE = "297022A02077878"


def main_text(page) -> str:
    return page.locator("main").inner_text()


def test_secretary_creates_and_qualifies_an_identity(world, page, settings):
    server, thread, address = serve(port=0)
    try:
        settings.INSI_ENDPOINT = address
        settings.INSI_IDAM = "TEST"  # the simulator refuses an empty software authorisation
        settings.INSI_TIMEOUT = 5
        # A sound-alike record, same first name and birth date: a likely duplicate.
        world.person(
            world.ehpad,
            birth_name="ADRTROY",
            first_name="Dominique",
            birth_date=dt.date(1997, 2, 26),
        )
        world.user("accueil", facility=world.ehpad, email="sec@test.example")
        login_with_keyboard(page, "sec@test.example", PASSWORD)

        page.goto("/personnes/nouveau/")
        assert page.locator("h1").inner_text() == "Nouveau dossier"
        page.get_by_label("Établissement d'accueil").select_option(label="EHPAD Les Tilleuls")
        page.get_by_label("Nom de naissance").fill("ADRTROIS")
        page.get_by_label("Prénoms de naissance").fill("DOMINIQUE")
        page.get_by_label("Date de naissance").fill("1997-02-26")
        page.get_by_label("Sexe").select_option("F")
        # The national test identity is born in "2A020", a code the COG does not know
        # (the test set is fictitious): the birth place is left empty and INSi gives it.
        page.get_by_role("button", name="Créer le dossier").click()

        page.get_by_role("heading", name="Doublons possibles").wait_for()
        candidates = page.locator("section.duplicate-candidates").inner_text()
        assert "ADRTROY" in candidates and "26/02/1997" in candidates
        assert "cochez la confirmation" in main_text(page)
        page.get_by_label("Je confirme qu'il ne s'agit d'aucune de ces personnes").check()
        page.get_by_role("button", name="Créer le dossier").click()

        page.wait_for_url(lambda url: "/personnes/nouveau/" not in url)
        assert "est créé" in page.locator("body").inner_text()
        assert "ADRTROIS" in page.locator("h1").inner_text()
        assert "Identité provisoire" in main_text(page)

        page.get_by_role("link", name="Identité et vigilance (INS)").click()
        page.get_by_role("heading", name="Statut de l'identité").wait_for()
        assert page.locator("h1").inner_text().startswith("Identité et vigilance")
        assert ADRTROIS_MATRICULE not in main_text(page)

        page.get_by_role("button", name="Interroger l'INSi").click()
        # The search is a background job: the page says so and polls its state (app.js).
        # The test thread plays the worker (it shares the live server's database), so the
        # page is seen before and after the job deterministically.
        page.get_by_text("Recherche en cours…").wait_for()
        assert page.get_by_role("status").filter(has_text="Recherche en cours").count() == 1
        assert run_pending() == 1
        page.get_by_role("heading", name="Identité renvoyée par l'INSi").wait_for()
        comparison = page.locator("table.insi-comparison").inner_text()
        assert "ADRTROIS" in comparison and "DOMINIQUE" in comparison
        assert "2A020" in comparison and "26/02/1997" in comparison
        assert "L'INSi a renvoyé une identité" in page.locator("body").inner_text()

        page.get_by_role("button", name="Accepter l'identité INSi").click()
        page.get_by_text("Identité INSi acceptée").wait_for()
        assert "Identité récupérée" in page.locator("p.identity-status").inner_text()

        page.get_by_label("Pièce d'identité contrôlée").select_option(
            label="Carte nationale d'identité"
        )
        page.get_by_role("button", name="Enregistrer le contrôle").click()
        page.get_by_text("Contrôle de la pièce enregistré").wait_for()

        assert page.locator("p.identity-status").inner_text() == "Identité qualifiée"
        assert page.locator("dd.ins-matricule").inner_text() == ADRTROIS_MATRICULE
        assert "oui (Carte nationale d'identité)" in main_text(page)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
