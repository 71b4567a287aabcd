"""The project lead opens the demo grappe, sees the checklist and the funding estimate."""

from __future__ import annotations

from opendui.demo.seed import DEMO_PASSWORD, seed_demo
from opendui.programme.models import Grappe
from tests.browser.conftest import login_with_keyboard


def test_project_lead_checks_eligibility_and_funding(page, transactional_db):
    seed_demo(5, 20, seed=1)
    grappe = Grappe.objects.get()
    login_with_keyboard(page, "direction@demo.opendui.fr", DEMO_PASSWORD)
    page.get_by_role("link", name="Projet ESMS Numérique").click()
    page.get_by_role("link", name=grappe.name).click()
    assert page.locator("h1").inner_text() == grappe.name
    checklist = page.get_by_role(
        "table", name="Conditions d'éligibilité, recalculées à chaque affichage"
    )
    assert checklist.locator("tbody tr").count() == 9
    assert (
        "Le projet remplit toutes les conditions" in page.locator("#eligibilite + p").inner_text()
    )
    page.get_by_role("link", name="Financement").click()
    table = page.get_by_role("table", name="Détail du financement, barème 2022 (en euros)")
    # OpenDUI is not referenced: the 2022 non-referenced software rate (12 000 per ESSMS).
    assert "600\u00a0000 €" in table.locator("tfoot").inner_text()
    page.get_by_role("link", name="Jalons").click()
    assert "1 jalon(s) en retard" in page.locator("main").inner_text()
