"""Session limits (review finding A9): the maximum age counts from the login, however
active the session; inactivity still ends it sooner."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from tests.conftest import PASSWORD


class Clock:
    """time.time() under the test's control (sessions and middleware read it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(time, "time", clock)
    return clock


def test_an_active_session_still_ends_at_its_maximum_age(world, settings, clock):
    """OPENDUI_SESSION_MAX_AGE=90, a page every 20 s: valid until 80 s, over at 100 s
    (the review saw such a session still valid at 240 s)."""
    settings.SESSION_MAX_AGE = 90
    settings.SESSION_COOKIE_AGE = 90
    settings.SESSION_IDLE_TIMEOUT = 60
    user = world.user("educateur", facility=world.ime)
    client = Client()
    assert (
        client.post("/connexion/", {"email": user.email, "password": PASSWORD}).status_code == 302
    )
    start = clock.now
    for elapsed in range(20, 81, 20):
        clock.now = start + elapsed
        assert client.get("/").status_code == 200, elapsed
    clock.now = start + 100
    response = client.get("/personnes/")
    assert response.status_code == 302 and response.url.startswith("/connexion/")
    assert client.get("/").status_code == 302
    from opendui.audit.models import AuditEvent

    logout = AuditEvent.objects.filter(action="auth.logout").latest("seq")
    assert logout.details == {"reason": "durée maximale"}


def test_inactivity_ends_the_session_before_its_maximum_age(world, settings, clock):
    settings.SESSION_MAX_AGE = 3600
    settings.SESSION_IDLE_TIMEOUT = 60
    user = world.user("educateur", facility=world.ime)
    client = Client()
    client.post("/connexion/", {"email": user.email, "password": PASSWORD})
    clock.now += 61
    assert client.get("/").status_code == 302


def test_a_session_without_login_time_is_not_accepted(world, login):
    client = login(world.user("educateur", facility=world.ime))
    session = client.session
    del session["login_at"]
    session.save()
    assert client.get("/").status_code == 302
