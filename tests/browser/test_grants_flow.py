"""An administrator grants a nurse's role; it takes effect once the director approves it."""

from __future__ import annotations

from opendui.accounts.access import check
from opendui.accounts.models import AssignmentStatus, GrantRequest, Role, User
from opendui.audit.models import AuditEvent
from tests.browser.conftest import login_with_keyboard
from tests.conftest import PASSWORD


def test_the_director_approves_what_the_administrator_asks(world, page):
    Role.objects.filter(code="admin").update(requires_totp=False)  # password only here
    world.user("admin", email="admin@test.example")
    world.user("directeur", facility=world.ehpad, email="dir@test.example")
    carer = world.user("aide-soignant", facility=world.ime, email="carer@test.example")

    login_with_keyboard(page, "admin@test.example", PASSWORD)
    page.goto(f"/professionnels/{carer.pk}/affectations/nouvelle/")
    page.get_by_label("Rôle").select_option(label="Infirmier")
    page.locator("#id_facility").select_option(label="EHPAD Les Tilleuls")
    page.get_by_label("Début").fill("2024-09-01")
    page.get_by_role("button", name="Ajouter l'affectation").click()
    assert "ne prennent effet qu'après approbation" in page.locator("main").inner_text()
    assert "en attente d'approbation" in page.locator("table").inner_text()
    assert not check(User.objects.get(pk=carer.pk), "person.view_medical", person=world.anne)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")

    login_with_keyboard(page, "dir@test.example", PASSWORD)
    assert (
        "1 demande d'habilitation attend votre décision"
        in page.locator("#card-grants + p").inner_text()
    )
    page.get_by_role("link", name="Demandes d'habilitation").first.click()
    page.get_by_role("link", name="Décider").click()
    assert "Données « Médical » : lecture" in page.locator("main").inner_text()
    page.get_by_label("Approuver").check()
    page.get_by_label("Je confirme que ce professionnel").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert "Demande approuvée" in page.locator("main").inner_text()

    request = GrantRequest.objects.get()
    assert request.status == "approved" and request.assignment.status == AssignmentStatus.ACTIVE
    assert check(User.objects.get(pk=carer.pk), "person.view_medical", person=world.anne)
    assert AuditEvent.objects.filter(action="grant.approve").count() == 1
