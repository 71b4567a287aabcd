"""The record's banner and tabs in a real browser: moving through the tabs with the
keyboard only, at 1024×768 and on an 800 px wide screen (a 10-inch tablet upright)."""

from __future__ import annotations

from tests.browser.conftest import login_with_keyboard
from tests.browser.test_shell import accessibility_problems
from tests.conftest import PASSWORD


def tab_until(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never received the focus")


def current_tab(page) -> str:
    return page.locator('.record-tabs a[aria-current="page"]').get_attribute("data-tab")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_tabs_with_the_keyboard(world, page):
    world.user("infirmier", facility=world.ehpad, email="ide@test.example")
    page.set_viewport_size({"width": 1024, "height": 768})
    login_with_keyboard(page, "ide@test.example", PASSWORD)
    page.goto(f"/personnes/{world.anne.pk}/")
    banner = page.locator(".person-banner")
    assert "MARTIN Anne" in banner.inner_text() and "Identité provisoire" in banner.inner_text()
    assert current_tab(page) == "synthesis"
    assert page.locator(".record-nav-toggle").is_hidden()  # wide screen: tabs shown
    assert accessibility_problems(page) == []
    assert no_horizontal_scroll(page)

    # The record's skip link jumps over the banner and the tabs.
    tab_until(page, 'a[href="#record-content"]')
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "record-content"

    # From the top of the page, Tab reaches the tabs; Enter opens one.
    for key, path in [
        ("identity", "/identite/"),
        ("project", "/projets/personne/"),
        ("notes", "/transmissions/personne/"),
    ]:
        page.keyboard.press("Control+Home")
        page.evaluate("document.activeElement.blur()")
        tab_until(page, f'.record-tabs a[data-tab="{key}"]')
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert current_tab(page) == key
        assert path.split("/")[1] in page.url
        assert "MARTIN Anne" in page.locator(".person-banner").inner_text()
        assert accessibility_problems(page) == [], key
        assert no_horizontal_scroll(page), key


def test_narrow_screen_menu_with_the_keyboard(world, page):
    world.user("educateur", facility=world.ehpad, email="edu@test.example")
    page.set_viewport_size({"width": 800, "height": 1000})
    login_with_keyboard(page, "edu@test.example", PASSWORD)
    page.goto(f"/personnes/{world.anne.pk}/identite/")
    toggle = page.locator(".record-nav-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert "Identité" in toggle.inner_text()
    assert page.locator(".record-tabs").is_hidden()
    assert no_horizontal_scroll(page)

    tab_until(page, ".record-nav-toggle")
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator(".record-tabs").is_visible()
    # The educator reads no care data: no GIR in the banner; the menu has their tabs.
    assert "GIR" not in page.locator(".person-banner").inner_text()
    tab_until(page, '.record-tabs a[data-tab="agenda"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/agenda/personne/{world.anne.pk}/")
    assert current_tab(page) == "agenda"
    assert no_horizontal_scroll(page)
