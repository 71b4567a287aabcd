"""Fixtures that point OpenDUI at the Annuaire simulator (imported by the test modules
of the apps that use the Annuaire)."""

from __future__ import annotations

import pytest

from opendui.annuaire.simulator import DEFAULT_API_KEY, serve


@pytest.fixture(scope="session")
def annuaire_server_url():
    server, _thread, url = serve("127.0.0.1", 0)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def annuaire_settings(settings, annuaire_server_url):
    """OPENDUI_ANNUAIRE_* set to the simulator."""
    settings.ANNUAIRE_URL = annuaire_server_url
    settings.ANNUAIRE_API_KEY = DEFAULT_API_KEY
    settings.ANNUAIRE_TIMEOUT = 5
    return settings


@pytest.fixture
def annuaire_down(settings):
    """An Annuaire that refuses connections (a closed loopback port)."""
    server, _thread, url = serve("127.0.0.1", 0)
    server.shutdown()
    server.server_close()
    settings.ANNUAIRE_URL = url
    settings.ANNUAIRE_API_KEY = DEFAULT_API_KEY
    settings.ANNUAIRE_TIMEOUT = 1
    return settings
