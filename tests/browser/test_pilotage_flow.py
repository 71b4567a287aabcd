"""The demo director opens Pilotage, reads last month's indicators of a facility with their
charts and definitions, opens the records without événement and downloads the CSV proof."""

from __future__ import annotations

from opendui.demo.seed import DEMO_PASSWORD, seed_demo
from tests.browser.conftest import login_with_keyboard

INDICATORS = [
    "Taux de dossiers actifs",
    "Taux de dossiers actifs avec un projet personnalisé",
    "Taux de dossiers actifs ayant au moins un événement",
    "Utilisation de la MSSanté",
    "Alimentation du DMP",
]


def test_director_reads_indicators_drills_down_and_exports(page, transactional_db):
    seed_demo(5, 80, seed=1)
    login_with_keyboard(page, "direction@demo.opendui.fr", DEMO_PASSWORD)
    page.get_by_role("link", name="Pilotage").click()
    page.wait_for_url("**/pilotage/")
    assert "indicateurs d'usage" in page.locator("h1").inner_text()
    page.locator("table").nth(1).get_by_role("link").first.click()
    page.wait_for_url("**/pilotage/etablissement/**")
    rows = page.locator("table.indicators tbody th").all_inner_texts()
    assert rows == INDICATORS
    # No rate above 100 %; each figure opens its definition from the keyboard; DMP and
    # MSSanté count real sendings only: none yet, and the page says so.
    rates = page.locator("table.indicators tbody td:nth-child(4)").all_inner_texts()
    values = [float(r.split("%")[0].replace(",", ".").strip()) for r in rates if "%" in r]
    assert values and all(0 <= v <= 100 for v in values), rates
    definition = page.locator("#definition-dossiers_actifs")
    definition.locator("summary").focus()
    page.keyboard.press("Enter")
    assert definition.get_attribute("open") is not None
    assert definition.locator("p").inner_text().startswith("Numérateur : dossiers actifs")
    for key in ("mssante", "dmp"):
        assert page.locator(f"#envois-{key}").inner_text().startswith("Pas encore d'envoi")
    assert page.locator("figure.chart svg").count() == 5
    assert page.locator("figure.chart svg polyline").count() >= 5
    page.get_by_role("link", name="Dossiers actifs sans événement sur la période").click()
    page.wait_for_url("**/dossiers/sans-evenement/**")
    assert page.locator("h1").inner_text() == "Dossiers actifs sans événement sur la période"
    page.go_back()
    with page.expect_download() as info:
        page.get_by_role("link", name="mesures mensuelles (CSV)").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as file:
        content = file.read().splitlines()
    assert content[0].startswith("FINESS géographique;Établissement;Mois;Indicateur")
    assert len(content) == 1 + 3 * 5
