"""A new resident's record, as a secretary fills it in a real browser (issue 13, "done
when"): photo and médecin traitant in the administrative file, the identity card
photographed in two pages with the tablet camera, the contract generated and stored;
the Documents tab shows them; an educator does not see a medical document of the same
person; every step is in "Qui a consulté ce dossier ?"."""

from __future__ import annotations

import datetime as dt

from opendui.audit.labels import action_label
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.directory.models import ExternalProfessional, PersonProfessional
from opendui.documents.models import Document
from opendui.documents.services import store_document
from opendui.stays.models import Contract
from opendui.stays.rules import CONTRACT
from tests.administrative.conftest import image_bytes
from tests.browser.conftest import login_with_keyboard
from tests.browser.test_documents_flow import camera_shot
from tests.conftest import PASSWORD
from tests.directory.conftest import RPPS


def tab(page, name: str):
    return page.get_by_role("navigation", name="Dossier de la personne").get_by_role(
        "link", name=name, exact=True
    )


def test_a_secretary_fills_a_new_residents_record(world, page, browser, live_server):
    anne = world.anne
    stay = anne.stays.get()
    Contract.objects.create(stay=stay, kind=CONTRACT, handed_on=dt.date(2024, 1, 10))
    ExternalProfessional.objects.create(
        organisation=world.og,
        civility="DR",
        last_name="Moreau",
        first_name="Claire",
        profession_code="10",
        profession_label="Médecin",
        rpps=RPPS,
    )
    world.user("accueil", facility=world.ehpad, email="sec@test.example")
    login_with_keyboard(page, "sec@test.example", PASSWORD)
    page.goto(f"/personnes/{anne.pk}/")

    # Administrative file: photo (after the consent) and médecin traitant.
    tab(page, "Administratif").click()
    page.get_by_role("link", name="Enregistrer le consentement à la photo").click()
    page.get_by_label("Exprimé par").select_option(label="La personne")
    page.get_by_label("Forme").select_option(label="Oral")
    page.get_by_role("button", name="Enregistrer le consentement").click()
    page.get_by_role("link", name="Prendre ou ajouter une photo").click()
    page.locator("#record-content input[type=file]").set_input_files(
        {"name": "tablette.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}
    )
    page.get_by_role("button", name="Enregistrer la photo").click()
    page.locator(".person-banner").get_by_role("img", name="Photo de").wait_for()
    page.get_by_role("link", name="Déclarer ou changer le médecin traitant").click()
    page.get_by_label("Nom ou numéro (RPPS, ADELI, FINESS, SIRET)").fill("moreau")
    page.get_by_role("button", name="Rechercher dans l'annuaire").click()
    page.get_by_label("Docteur MOREAU Claire", exact=False).check()
    page.get_by_role("button", name="Enregistrer le lien").click()
    page.wait_for_url(f"**/annuaire/personne/{anne.pk}/")
    assert PersonProfessional.objects.get(person=anne).role == "medecin_traitant"

    # Documents: the identity card in two camera pages, then the generated contract.
    tab(page, "Documents").click()
    page.get_by_role("link", name="Ajouter un document").click()
    page.get_by_label("Type de document").select_option(label="Pièce d'identité")
    page.get_by_label("Titre").fill("Carte nationale d'identité")
    page.get_by_label("Ou photographier les pages").set_input_files(
        [camera_shot((200, 0, 0)), camera_shot((0, 0, 200))]
    )
    page.get_by_role("button", name="Enregistrer le document").click()
    page.locator(".message-success").wait_for()
    tab(page, "Documents").click()
    page.get_by_role("link", name="Générer un document").click()
    page.get_by_label("Document à générer").select_option(label="Contrat de séjour")
    page.get_by_label("Nom du signataire pour l'établissement").fill("Claire BERNARD")
    page.get_by_role("button", name="Générer et classer le document").click()
    page.locator(".message-success").wait_for()
    tab(page, "Documents").click()
    listing = page.locator("#record-content").inner_text()
    assert "Carte nationale d'identité" in listing and "Contrat de séjour" in listing
    card = Document.objects.get(type_code="PIECE-IDENTITE")
    assert card.current.mime_type == "application/pdf"

    # A medical document of the same person: the educator does not see it.
    physician = world.user("medecin", facility=world.ehpad)
    store_document(
        Actor(user=physician),
        anne,
        facility=world.ehpad,
        data_category="medical",
        type_code="CR-MEDICAL",
        title="Compte rendu de consultation cardiologique",
        act_date=dt.date(2026, 11, 2),
        files=[("cr.jpg", image_bytes())],
    )
    world.user("educateur", facility=world.ehpad, email="edu@test.example")
    educator = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    login_with_keyboard(educator, "edu@test.example", PASSWORD)
    educator.goto(f"/documents/personne/{anne.pk}/")
    seen = educator.locator("#record-content").inner_text()
    assert "Carte nationale d'identité" in seen
    assert "cardiologique" not in seen
    educator.context.close()

    # "Qui a consulté ce dossier ?": every step, with its French label.
    world.user("directeur", facility=world.ehpad, email="dir@test.example")
    director = browser.new_context(base_url=live_server.url, locale="fr-FR").new_page()
    login_with_keyboard(director, "dir@test.example", PASSWORD)
    director.goto(f"/audit/personne/{anne.pk}/")
    log = director.locator("main").inner_text()
    director.context.close()
    for step in [
        "Dossier administratif consulté",
        "Photo de la personne affichée",
        "Professionnels extérieurs de la personne consultés",
        "Formulaire d'ajout de document ouvert",
        "Formulaire de génération de document ouvert",
        "Fiche d'un document consultée",
        "Documents de la personne consultés",
    ]:
        assert step in log, step
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert all(action_label(action) != action for action in actions), sorted(
        a for a in actions if action_label(a) == a
    )
