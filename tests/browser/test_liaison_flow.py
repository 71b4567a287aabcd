"""The cahier de liaison in a real browser: groups by shift and unit that open and close
with the keyboard, unread groups first and open, a note for the team written from the
cahier, a misfiled note withdrawn by its author; no Content-Security-Policy violation."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opendui.notes.models import Note
from opendui.notes.rules import shift_of
from tests.browser.conftest import login_with_keyboard
from tests.browser.test_shell import accessibility_problems
from tests.conftest import PASSWORD


def test_groups_keyboard_team_note_and_withdrawal(world, page):
    nurse = world.user("infirmier", facility=world.ehpad, email="ide@test.example")
    world.user("aide-soignant", facility=world.ehpad, email="as@test.example")
    written = timezone.now() - dt.timedelta(minutes=10)
    for person, target in ((world.anne, "Toilette"), (world.bruno, "Goûter")):
        Note.objects.create(
            person=person,
            facility=world.ehpad,
            unit=person.stays.get().unit,
            kind="transmission",
            category="care",
            target=target,
            data="Données",
            author=nurse,
            written_at=written,
        )
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login_with_keyboard(page, "as@test.example", PASSWORD)
    day, _shift = shift_of(written)
    cahier = f"/transmissions/etablissement/{world.ehpad.pk}/?jour={day.isoformat()}"
    page.goto(cahier)
    assert accessibility_problems(page) == []
    groups = page.locator("details.liaison-group")
    assert groups.count() == 2
    assert all(groups.nth(i).get_attribute("open") is not None for i in range(2))
    first = groups.nth(0)
    summary = first.locator("summary")
    assert "1 non lue sur 1" in summary.inner_text()

    # Read the first group: it comes after the unread one, collapsed; the keyboard opens it.
    first.get_by_role("button", name="Marquer comme lu").click()
    page.locator(".message-success").wait_for()
    groups = page.locator("details.liaison-group")
    assert groups.nth(0).get_attribute("open") is not None
    read = groups.nth(1)
    assert read.get_attribute("open") is None
    assert "toutes lues" in read.locator("summary").inner_text()
    assert not read.locator("article").first.is_visible()
    read.locator("summary").focus()
    page.keyboard.press("Enter")
    assert read.get_attribute("open") is not None
    assert read.locator("article").first.is_visible()

    # A note for the team of the whole facility, written from the cahier.
    page.get_by_role("link", name="Écrire une note pour l'équipe").click()
    page.get_by_label("Pour l'équipe de").select_option("etablissement")
    category = page.get_by_label("Catégorie de données")
    if category.evaluate("e => e.tagName") == "SELECT":
        category.select_option("care")
    page.locator("#id_target").fill("Lève-personne en panne")
    page.locator("#id_data").fill("Utiliser celui des Lilas jusqu'à la réparation.")
    page.get_by_role("button", name="Enregistrer").click()
    page.locator(".message-success", has_text="Note pour l'équipe enregistrée").wait_for()
    team_note = Note.objects.get(target="Lève-personne en panne")
    entry = page.locator(f"#n{team_note.pk}").text_content()
    assert entry.startswith("Pour l'équipe") and "non lue" not in entry  # own note: read
    page.locator(f"details:has(#n{team_note.pk}) > summary").click()  # collapsed: read

    # Its author withdraws it: gone from the cahier.
    page.get_by_role("link", name="Retirer cette note").click()
    page.get_by_label("doublon (déjà saisie)").check()
    page.get_by_role("button", name="Retirer la transmission").click()
    page.locator(".message-success", has_text="Transmission retirée").wait_for()
    assert page.locator(f"#n{team_note.pk}").count() == 0
    assert violations == []
