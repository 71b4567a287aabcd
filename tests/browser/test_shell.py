"""The shell in a real browser: login, scope, keyboard use, accessibility basics."""

from __future__ import annotations

from tests.browser.conftest import login_with_keyboard
from tests.conftest import PASSWORD


def accessibility_problems(page) -> list[str]:
    """Cheap structural checks every page must pass."""
    return page.evaluate(
        """() => {
        const problems = [];
        if (document.documentElement.lang !== 'fr') problems.push('lang');
        if (document.querySelectorAll('h1').length !== 1) problems.push('h1 count');
        for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
            const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`))
                || el.getAttribute('aria-label') || el.closest('label');
            if (!labelled) problems.push('unlabelled ' + (el.name || el.id));
        }
        for (const img of document.querySelectorAll('img')) {
            if (!img.hasAttribute('alt')) problems.push('img without alt');
        }
        if (!document.querySelector('main')) problems.push('no main');
        return problems;
    }"""
    )


def test_keyboard_login_and_scope(world, page):
    world.user("educateur", facility=world.ime, email="edu@test.example")
    login_with_keyboard(page, "edu@test.example", PASSWORD)
    assert page.locator("h1").inner_text().startswith("Bonjour")
    assert accessibility_problems(page) == []

    page.get_by_role("link", name="Personnes accompagnées").first.click()
    page.wait_for_url("**/personnes/")
    table = page.locator("table").inner_text()
    assert "PETIT Chloé" in table and "MARTIN" not in table
    assert accessibility_problems(page) == []

    page.get_by_label("Nom, date de naissance").fill("pet")
    page.keyboard.press("Enter")
    page.wait_for_url("**/personnes/?q=pet")
    assert "PETIT Chloé" in page.locator("table").inner_text()


def test_focus_is_visible_and_skip_link_works(world, page):
    world.user("infirmier", facility=world.ehpad, email="ide@test.example")
    login_with_keyboard(page, "ide@test.example", PASSWORD)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Aller au contenu"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_facility_switcher_changes_the_list(world, page):

    director = world.user("directeur", facility=world.ehpad, email="dir@test.example")
    world.assign(director, "directeur", facility=world.ime)
    login_with_keyboard(page, "dir@test.example", PASSWORD)
    page.goto("/personnes/")
    everything = page.locator("table").inner_text()
    assert "MARTIN Anne" in everything and "PETIT Chloé" in everything

    page.get_by_label("Établissement").select_option(label="IME Les Sources")
    page.wait_for_load_state("networkidle")
    only_ime = page.locator("table").inner_text()
    assert "PETIT Chloé" in only_ime and "MARTIN" not in only_ime
    assert "IME Les Sources" in page.locator("h1").inner_text()


def test_out_of_scope_record_shows_the_refusal_page(world, page):
    world.user("educateur", facility=world.ime, email="edu2@test.example")
    login_with_keyboard(page, "edu2@test.example", PASSWORD)
    response = page.goto(f"/personnes/{world.anne.pk}/")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "Accès refusé"
