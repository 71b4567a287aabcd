"""INSi configuration: `client_from_settings()` and the simulator of `opendui demo`."""

from __future__ import annotations

import datetime as dt
import io
import urllib.parse

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

import opendui
from opendui.core.management.commands.demo import Command as DemoCommand
from opendui.interop.insi import CR_OK, SearchTraits, client_from_settings
from opendui.interop.insi.identities import IDENTITIES
from opendui.interop.insi.simulator import serve


@pytest.fixture
def simulator_url():
    server, thread, url = serve("127.0.0.1", 0)
    yield url
    server.shutdown()
    server.server_close()
    thread.join()


def _known_identity():
    return next(i for i in IDENTITIES if i.birth_name == "ADRTROIS" and i.sex == "F")


def test_client_from_settings_searches_the_configured_simulator(settings, simulator_url):
    settings.INSI_ENDPOINT = simulator_url
    settings.INSI_IDAM = "ABC123"
    settings.INSI_TIMEOUT = 5
    client = client_from_settings()
    assert client.lps_name == "OpenDUI"
    assert client.lps_version == opendui.__version__
    assert client.timeout == 5
    person = _known_identity()
    result = client.search(
        SearchTraits(
            person.birth_name,
            person.first_names[0],
            person.sex,
            person.birth_date,
            person.birth_place,
        )
    )
    assert result.code == CR_OK
    assert result.identity.matricule == person.matricule


@pytest.mark.parametrize("endpoint", ["", "   "])
def test_unset_endpoint_is_a_french_configuration_error(settings, endpoint):
    settings.INSI_ENDPOINT = endpoint
    with pytest.raises(ImproperlyConfigured, match=r"n'est pas configuré.*OPENDUI_INSI_ENDPOINT"):
        client_from_settings()


def test_non_http_endpoint_is_refused(settings):
    settings.INSI_ENDPOINT = "ftp://insi.example/lps"
    with pytest.raises(ImproperlyConfigured, match="URL http"):
        client_from_settings()


def test_https_endpoint_without_certificate_is_refused_in_production(settings):
    settings.DEMO = False
    settings.DEBUG = False
    settings.INSI_ENDPOINT = "https://insi.example/lps"
    settings.INSI_CERT_FILE = ""
    settings.INSI_KEY_FILE = ""
    with pytest.raises(ImproperlyConfigured, match="OPENDUI_INSI_CERT_FILE"):
        client_from_settings()


def test_demo_starts_the_simulator_and_points_insi_at_it(settings):
    settings.INSI_ENDPOINT = ""
    settings.INSI_IDAM = ""
    command = DemoCommand(stdout=io.StringIO())
    command._start_insi_simulator(0)
    try:
        url = urllib.parse.urlsplit(settings.INSI_ENDPOINT)
        assert url.scheme == "http"
        assert url.hostname == "127.0.0.1"
        assert url.port
        assert settings.INSI_ENDPOINT in command.stdout.getvalue()
        person = _known_identity()
        result = client_from_settings().search(
            SearchTraits(person.birth_name, "DOMINIQUE", "F", dt.date(1997, 2, 26))
        )
        assert result.code == CR_OK
    finally:
        command.insi_server.shutdown()
        command.insi_server.server_close()


def test_demo_keeps_a_configured_endpoint(settings):
    settings.INSI_ENDPOINT = "https://insi.example/lps"
    command = DemoCommand(stdout=io.StringIO())
    command._start_insi_simulator(0)
    assert command.insi_server is None
    assert settings.INSI_ENDPOINT == "https://insi.example/lps"


def test_demo_without_server_does_not_start_the_simulator(db, settings):
    settings.DEMO = True
    settings.INSI_ENDPOINT = ""
    out = io.StringIO()
    call_command("demo", "--no-server", "--facilities", "1", "--persons", "3", stdout=out)
    assert "Comptes de démonstration" in out.getvalue()
    assert "Simulateur INSi" not in out.getvalue()
    assert settings.INSI_ENDPOINT == ""


def test_demo_starts_the_psc_simulator_and_points_psc_at_it(settings):
    import requests

    settings.PSC_ISSUER = ""
    command = DemoCommand(stdout=io.StringIO())
    command._start_psc_simulator(0)
    try:
        assert settings.PSC_ISSUER.startswith("http://127.0.0.1:")
        assert settings.PSC_ISSUER.endswith("/auth/realms/esante-wallet")
        assert settings.PSC_DISCOVERY_URL.endswith("/.well-known/wallet-openid-configuration")
        metadata = requests.get(settings.PSC_DISCOVERY_URL, timeout=5).json()
        assert metadata["issuer"] == settings.PSC_ISSUER
        assert settings.PSC_CLIENT_ID and settings.PSC_CLIENT_SECRET
        assert "810100001014" in command.stdout.getvalue()  # the doctor's test card
    finally:
        command.psc_server.shutdown()
        command.psc_server.server_close()


def test_demo_keeps_a_configured_psc_provider(settings):
    settings.PSC_ISSUER = "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet"
    command = DemoCommand(stdout=io.StringIO())
    command._start_psc_simulator(0)
    assert command.psc_server is None
    assert settings.PSC_ISSUER == "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet"
