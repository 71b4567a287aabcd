"""The directory in a real browser without JavaScript, on a 10-inch tablet: a secretary
adds the médecin traitant to the directory (French error on a wrong RPPS key, tied to
its field), then links him to a resident through the search picker."""

from __future__ import annotations

from opendui.audit.models import AuditEvent
from opendui.directory.models import ExternalProfessional, PersonProfessional
from tests.browser.conftest import login_with_keyboard
from tests.conftest import PASSWORD
from tests.directory.conftest import RPPS


def test_secretary_adds_and_links_the_gp_without_javascript(
    browser, live_server, world, transactional_db
):
    secretary = world.user("accueil", facility=world.ehpad, email="secretariat@test.example")
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        java_script_enabled=False,
        viewport={"width": 800, "height": 1280},  # 10-inch tablet, portrait
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login_with_keyboard(page, secretary.email, PASSWORD)
        page.get_by_role("link", name="Annuaire").click()
        page.get_by_role("link", name="Ajouter un professionnel").click()
        page.get_by_label("Civilité").select_option("DR")
        page.locator("#id_last_name").fill("Moreau")
        page.get_by_label("Prénom").fill("Claire")
        page.locator("#id_profession_code").select_option("10")
        wrong = RPPS[:-1] + str((int(RPPS[-1]) + 1) % 10)
        page.get_by_label("Numéro RPPS").fill(wrong)
        page.get_by_label("Adresses MSSanté").fill("claire.moreau@medecin.mssante.fr")
        page.get_by_role("button", name="Enregistrer").click()
        rpps = page.get_by_label("Numéro RPPS")
        described = rpps.get_attribute("aria-describedby") or ""
        error_id = next(part for part in described.split() if part.endswith("_error"))
        assert "contrôle de Luhn" in page.locator(f"#{error_id}").inner_text()
        assert not ExternalProfessional.objects.exists()
        rpps.fill(RPPS)
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url("**/annuaire/")
        assert "Docteur MOREAU Claire" in page.locator("table").inner_text()

        page.goto(f"/annuaire/personne/{world.anne.pk}/")
        page.get_by_role("link", name="Déclarer ou changer le médecin traitant").click()
        page.get_by_label("Nom ou numéro (RPPS, ADELI, FINESS, SIRET)").fill("moreau")
        page.get_by_role("button", name="Rechercher dans l'annuaire").click()
        page.get_by_label("Docteur MOREAU Claire", exact=False).check()
        assert page.get_by_label("Rôle auprès de la personne").input_value() == "medecin_traitant"
        page.get_by_role("button", name="Enregistrer le lien").click()
        page.wait_for_url(f"**/annuaire/personne/{world.anne.pk}/")
        table = page.locator("section table").inner_text()
        assert "Médecin traitant" in table and "Docteur MOREAU Claire" in table
        link = PersonProfessional.objects.get(person=world.anne)
        assert link.role == "medecin_traitant" and link.end_date is None
        assert AuditEvent.objects.filter(
            action="directory.link_add", person_ids=[world.anne.pk]
        ).exists()
        assert AuditEvent.objects.filter(action="person.professionals_view").exists()
    finally:
        context.close()
