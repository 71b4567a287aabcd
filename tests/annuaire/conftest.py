from __future__ import annotations

import pytest

from opendui.annuaire.client import AnnuaireClient
from opendui.annuaire.simulator import DEFAULT_API_KEY, serve


@pytest.fixture(scope="session")
def annuaire_url():
    """The Annuaire simulator on a free loopback port for the whole session."""
    server, _thread, url = serve("127.0.0.1", 0)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture
def annuaire(annuaire_url) -> AnnuaireClient:
    return AnnuaireClient(annuaire_url, DEFAULT_API_KEY, timeout=5)
