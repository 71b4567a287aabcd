"""A secretary fills a resident's administrative file in a real browser: an address, a
phone, the health insurance, a right ending soon, the photo consent and a photo."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opendui.administrative.models import Address, Coverage, Phone, Photo, Right
from opendui.audit.models import AuditEvent
from tests.administrative.conftest import image_bytes
from tests.browser.conftest import login_with_keyboard
from tests.conftest import PASSWORD


def test_secretary_fills_the_administrative_file(world, page):
    world.user("accueil", facility=world.ehpad, email="sec@test.example")
    login_with_keyboard(page, "sec@test.example", PASSWORD)
    page.goto(f"/administratif/personne/{world.anne.pk}/")
    assert page.locator("h1").inner_text().startswith("Dossier administratif")

    page.get_by_role("link", name="Ajouter une adresse").click()
    page.get_by_label("Type d'adresse").select_option(label="Domicile")
    page.get_by_label("Adresse (numéro et voie)").fill("8 rue des Tilleuls")
    page.get_by_label("Code postal").fill("69001")
    page.get_by_label("Code INSEE de la commune").fill("69381")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("heading", name="Coordonnées").wait_for()
    assert "8 rue des Tilleuls" in page.locator("main").inner_text()

    page.get_by_role("link", name="Ajouter un téléphone").click()
    page.get_by_label("Type de téléphone").select_option(label="Portable")
    page.get_by_label("Numéro").fill("06 12 34 56 78")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("heading", name="Coordonnées").wait_for()
    assert "06 12 34 56 78" in page.locator("main").inner_text()

    page.get_by_role("link", name="Ajouter une couverture d'assurance maladie").click()
    page.get_by_label("Régime").select_option("01")
    page.get_by_label("Code organisme").fill("011751234")
    page.get_by_label("Droits ouverts du").fill("2024-01-01")
    # A mistake first: the form says what is wrong, in French, next to the field.
    page.get_by_label("Code organisme").fill("0117")
    page.get_by_role("button", name="Enregistrer").click()
    assert "9 chiffres" in page.locator("main").inner_text()
    page.get_by_label("Code organisme").fill("011751234")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("heading", name="Couverture sociale").wait_for()

    end = timezone.localdate() + dt.timedelta(days=30)
    page.get_by_role("link", name="Ajouter un droit ou une prestation").click()
    page.get_by_label("Droit ou prestation").select_option(label="APA en établissement")
    page.get_by_label("Département").fill("69")
    page.get_by_label("Valable du").fill("2024-01-01")
    page.get_by_label("Valable jusqu'au").fill(end.isoformat())
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("heading", name="Droits et prestations").wait_for()
    assert "droit à renouveler" in page.locator("main").inner_text()

    page.get_by_role("link", name="Enregistrer le consentement à la photo").click()
    page.get_by_label("Exprimé par").select_option(label="La personne")
    page.get_by_label("Forme").select_option(label="Oral")
    page.get_by_role("button", name="Enregistrer le consentement").click()
    page.get_by_role("link", name="Prendre ou ajouter une photo").click()
    photo_input = page.locator("#record-content input[type=file]")
    assert photo_input.get_attribute("capture") == "user"
    photo_input.set_input_files(
        {"name": "tablette.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}
    )
    page.get_by_role("button", name="Enregistrer la photo").click()
    # The photo shows in the page and in the record banner.
    page.locator("#record-content").get_by_role("img", name="Photo de").wait_for()
    page.locator(".person-banner").get_by_role("img").wait_for()
    # The image is served by the audited view and decodes in the browser (480 px wide).
    page.wait_for_function(
        "() => { const img = document.querySelector('img[alt^=\"Photo de\"]');"
        " return img && img.complete && img.naturalWidth === 480; }"
    )

    assert Address.objects.get().city.startswith("Lyon")
    assert Phone.objects.get().number == "+33612345678"
    assert Coverage.objects.get().organisation_code == "011751234"
    assert Right.objects.get().end_date == end
    assert Photo.objects.get().width == 480
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "administrative.address.add",
        "administrative.phone.add",
        "administrative.coverage.add",
        "administrative.right.add",
        "administrative.photo_consent.add",
        "administrative.photo.add",
        "administrative.photo_view",
        "administrative.view",
    } <= actions
