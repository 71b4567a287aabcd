"""Configuration: client from settings, `opendui demo` starting the simulator,
`check --deploy` refusing it."""

from __future__ import annotations

import io
import urllib.parse

import pytest

from opendui.annuaire.client import AnnuaireError
from opendui.annuaire.config import client_from_settings
from opendui.core.management.commands.demo import Command as DemoCommand
from tests.core.test_deploy_checks import PRODUCTION, opendui_errors


@pytest.mark.parametrize("url", ["", "ftp://annuaire.example/fhir/v2", "annuaire.example"])
def test_unconfigured_annuaire_is_an_annuaire_error(settings, url):
    settings.ANNUAIRE_URL = url
    with pytest.raises(AnnuaireError) as caught:
        client_from_settings()
    assert caught.value.reason == "config"
    assert "OPENDUI_ANNUAIRE_URL" in str(caught.value)


def test_client_from_settings(settings):
    settings.ANNUAIRE_URL = "https://gateway.api.esante.gouv.fr/fhir/v2/"
    settings.ANNUAIRE_API_KEY = "k"
    settings.ANNUAIRE_TIMEOUT = 3
    settings.ANNUAIRE_MAX_PAGES = 7
    client = client_from_settings()
    assert client.base_url == "https://gateway.api.esante.gouv.fr/fhir/v2"
    assert (client.api_key, client.timeout, client.max_pages) == ("k", 3.0, 7)


def test_demo_starts_the_simulator_and_points_the_client_at_it(settings):
    settings.ANNUAIRE_URL = ""
    settings.ANNUAIRE_API_KEY = ""
    command = DemoCommand(stdout=io.StringIO())
    command._start_annuaire_simulator(0)
    try:
        url = urllib.parse.urlsplit(settings.ANNUAIRE_URL)
        assert (url.scheme, url.hostname, url.path) == ("http", "127.0.0.1", "/fhir/v2")
        assert settings.ANNUAIRE_URL in command.stdout.getvalue()
        [record] = client_from_settings().search_practitioners(rpps="10100001022").practitioners
        assert (record.last_name, record.first_name, record.profession_code) == (
            "FONTAINE",
            "Claire",
            "60",
        )
    finally:
        command.annuaire_server.shutdown()
        command.annuaire_server.server_close()


def test_demo_keeps_a_configured_annuaire(settings):
    settings.ANNUAIRE_URL = "https://gateway.api.esante.gouv.fr/fhir/v2"
    command = DemoCommand(stdout=io.StringIO())
    command._start_annuaire_simulator(0)
    assert command.annuaire_server is None
    assert settings.ANNUAIRE_URL == "https://gateway.api.esante.gouv.fr/fhir/v2"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "key", "error"),
    [
        ("http://gateway.api.esante.gouv.fr/fhir/v2", "k", "opendui.E030"),
        ("https://127.0.0.1:8090/fhir/v2", "k", "opendui.E030"),
        ("http://127.0.0.1:8090/fhir/v2", "k", "opendui.E030"),
        ("https://localhost/fhir/v2", "k", "opendui.E030"),
        ("https://gateway.api.esante.gouv.fr/fhir/v2", "", "opendui.E031"),
        ("https://gateway.api.esante.gouv.fr/fhir/v2", "k", None),
        ("", "", None),
    ],
)
def test_deploy_check_refuses_the_simulator_and_http(settings, capsys, url, key, error):
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    settings.ANNUAIRE_URL = url
    settings.ANNUAIRE_API_KEY = key
    errors = opendui_errors(capsys)
    for code in ("opendui.E030", "opendui.E031"):
        assert (code in errors) is (code == error)
