"""An administrator cannot log in as a doctor: no temporary password is offered, and a
new login e-mail takes effect only once the director approves it."""

from __future__ import annotations

from opendui.accounts.models import GrantRequest, Role, User
from tests.browser.conftest import login_with_keyboard
from tests.conftest import PASSWORD


def test_the_director_approves_a_doctors_new_login_email(world, page):
    Role.objects.filter(code__in=["admin", "directeur", "medecin"]).update(requires_totp=False)
    world.user("admin", email="admin@test.example")
    world.user("directeur", facility=world.ehpad, email="dir@test.example")
    doctor = world.user("medecin", facility=world.ehpad, email="docteur@test.example")

    login_with_keyboard(page, "admin@test.example", PASSWORD)
    page.goto(f"/professionnels/{doctor.pk}/mot-de-passe/reinitialiser/")
    assert page.get_by_label("Afficher un mot de passe temporaire").count() == 0
    assert "Pas de mot de passe temporaire pour ce compte" in page.locator("main").inner_text()
    page.goto(f"/professionnels/{doctor.pk}/modifier/")
    page.get_by_label("Adresse e-mail").fill("nouvelle@test.example")
    page.get_by_role("button", name="Enregistrer").click()
    main = page.locator("main").inner_text()
    assert "ne prend effet qu'après approbation" in main
    assert "changement en attente d'approbation" in main
    assert User.objects.get(pk=doctor.pk).email == "docteur@test.example"
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")

    login_with_keyboard(page, "dir@test.example", PASSWORD)
    page.get_by_role("link", name="Demandes d'habilitation").first.click()
    page.get_by_role("link", name="Décider").click()
    main = page.locator("main").inner_text()
    assert "Changement d'adresse de connexion de Test MEDECIN" in main
    assert "Données « Médical » : lecture et écriture" in main
    page.get_by_label("Approuver").check()
    page.get_by_label("Je confirme avoir vérifié auprès du professionnel").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert "Demande approuvée" in page.locator("main").inner_text()
    assert GrantRequest.objects.get().status == "approved"
    assert User.objects.get(pk=doctor.pk).email == "nouvelle@test.example"
