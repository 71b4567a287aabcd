"""The event form's participants in a real browser: a search box filters the checkbox
list (accents and case ignored, checked names kept), with the keyboard only, and says
how many are shown; the CSP lets the static script run."""

from __future__ import annotations

import datetime as dt

from opendui.agenda.models import Event, EventParticipant
from tests.browser.conftest import login_with_keyboard
from tests.conftest import PASSWORD


def test_search_filters_the_residents_and_the_keyboard_picks_one(page, world, transactional_db):
    for n in range(30):
        world.person(world.ehpad, world.lilas, birth_name=f"RESIDENT{n:02d}", first_name="Luc")
    helene = world.person(world.ehpad, world.glycines, birth_name="Gérard", first_name="Hélène")
    educator = world.user("educateur", facility=world.ehpad, email="educ@test.example")
    errors: list[str] = []  # script exceptions and CSP refusals
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login_with_keyboard(page, educator.email, PASSWORD)
    page.goto(f"/agenda/etablissement/{world.ehpad.pk}/nouveau/")

    search = page.get_by_label("Rechercher une personne par son nom")
    status = page.locator(".picker-status")
    assert status.inner_text() == "33 sur 33 affichées, 0 cochée."
    search.focus()
    page.keyboard.type("GERARD hel")  # no accent, other case
    visible = page.locator(".picker-list li:visible")
    assert visible.count() == 1
    assert "GÉRARD Hélène" in visible.inner_text()
    assert status.inner_text() == "1 sur 33 affichée, 0 cochée."
    page.keyboard.press("Enter")  # does not send the form
    assert "/nouveau/" in page.url
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == str(helene.pk)
    page.keyboard.press("Space")
    assert status.inner_text() == "1 sur 33 affichée, 1 cochée."
    search.fill("resident0")
    assert page.locator(".picker-list li:visible").count() == 11  # 10 matches + the checked one
    assert errors == []

    page.get_by_label("Nature").select_option("activite")
    page.locator("#id_title").fill("Atelier chant")
    day = dt.date.today() + dt.timedelta(days=1)
    page.locator("#id_start").fill(f"{day.isoformat()}T10:00")
    page.locator("#id_end").fill(f"{day.isoformat()}T11:00")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/agenda/evenement/*/")
    event = Event.objects.get(title="Atelier chant")
    assert list(
        EventParticipant.objects.filter(event=event).values_list("person_id", flat=True)
    ) == [helene.pk]
    assert event.category == "social"
