"""The document store in a real browser: a secretary photographs the two sides of an
identity card with the tablet camera (a fake camera file per page), the pages become one
PDF, the document appears in the Documents tab; no Content-Security-Policy violation."""

from __future__ import annotations

import io

from PIL import Image

from opendui.documents.models import Document
from tests.browser.conftest import login_with_keyboard, run_jobs_while_away
from tests.browser.test_shell import accessibility_problems
from tests.conftest import PASSWORD


def camera_shot(color) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), color).save(out, "JPEG")
    return {"name": "camera.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def test_identity_card_photographed_in_two_pages(world, page):
    world.user("accueil", facility=world.ehpad, email="secretariat@test.example")
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login_with_keyboard(page, "secretariat@test.example", PASSWORD)
    page.goto(f"/documents/personne/{world.anne.pk}/")
    page.get_by_role("link", name="Ajouter un document").click()
    page.wait_for_url("**/ajouter/")
    assert accessibility_problems(page) == []
    camera = page.get_by_label("Ou photographier les pages")
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept") == "image/*"
    page.get_by_label("Type de document").select_option(label="Pièce d'identité")
    page.get_by_label("Titre").fill("Carte nationale d'identité")
    camera.set_input_files([camera_shot((200, 0, 0)), camera_shot((0, 0, 200))])
    page.get_by_role("button", name="Enregistrer le document").click()
    page.wait_for_url(lambda url: "/ajouter/" not in url, timeout=20_000)
    page.locator(".message-success").wait_for()
    document = Document.objects.get()
    assert document.current.mime_type == "application/pdf"
    assert document.data_category == "administrative"
    run_jobs_while_away(page)  # the thumbnail job
    page.get_by_role("link", name="Retour aux documents de").click()
    page.wait_for_url(f"**/documents/personne/{world.anne.pk}/")
    row = page.get_by_role("row", name="Carte nationale d'identité")
    assert row.count() == 1
    assert row.locator("img").count() == 1  # the thumbnail, ready
    assert violations == []
