"""Transmissions linked to a goal of the person's projet personnalisé."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opendui.core.actor import Actor
from opendui.notes.models import Note
from opendui.notes.services import correct_note, write_note


def test_a_transmission_reports_on_a_goal_and_its_correction_keeps_it(world, running, educator):
    goal = running.goals.get()
    note = write_note(
        Actor(educator),
        world.anne,
        kind="transmission",
        category="social",
        target="Jardin",
        data="A planté des tomates.",
        goal=goal,
    )
    assert note.goal == goal and list(goal.notes.all()) == [note]
    fixed = correct_note(
        Actor(educator), note, target="Jardin", data="A planté des tomates et du basilic."
    )
    assert fixed.goal == goal


def test_a_goal_of_someone_else_is_refused(world, running, educator):
    with pytest.raises(ValidationError) as refused:
        write_note(
            Actor(educator),
            world.bruno,
            kind="observation",
            category="social",
            text="Calme.",
            goal=running.goals.get(),
        )
    assert "autre personne" in str(refused.value)
    assert not Note.objects.exists()


def test_the_form_offers_the_open_goals_and_the_timeline_shows_the_link(
    world, running, educator, login
):
    client = login(educator)
    url = f"/transmissions/personne/{world.anne.pk}/nouvelle/"
    page = client.get(url)
    goal = running.goals.get()
    assert page.status_code == 200 and goal.title in html.unescape(page.content.decode())
    response = client.post(
        url,
        {
            "form_token": page.context["token"],
            "kind": "transmission",
            "written_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "category": "social",
            "target": "Jardin",
            "data": "Arrosage fait.",
            "goal": goal.pk,
        },
    )
    assert response.status_code == 302
    assert Note.objects.get().goal == goal
    timeline = html.unescape(
        client.get(f"/transmissions/personne/{world.anne.pk}/").content.decode()
    )
    assert f"objectif : {goal.title}" in timeline
