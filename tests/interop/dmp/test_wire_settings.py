"""OPENDUI_DMP_* settings: the client's configuration and the deployment checks."""

from __future__ import annotations

import pytest

from opendui.core.checks import _dmp_endpoint
from opendui.interop.dmp.config import DmpConfig
from opendui.interop.dmp.errors import DmpConfigurationError

PRODUCTION = "https://lps2.dmp.gouv.fr/si-dmp-server/v2/services"


def ids(settings) -> set[str]:
    return {error.id for error in _dmp_endpoint()}


@pytest.fixture
def dmp_settings(settings):
    settings.DMP_ENDPOINT = PRODUCTION
    settings.DMP_CERT_FILE = "/etc/opendui/dmp.pem"
    settings.DMP_KEY_FILE = "/etc/opendui/dmp.key"
    settings.DMP_LPS_ID = "LPS-1"
    settings.DMP_HOMOLOGATION = "HOMOLOGATION-1"
    return settings


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (PRODUCTION, set()),
        ("", set()),  # not configured: nothing to check
        ("http://lps2.dmp.gouv.fr/si-dmp-server/v2/services", {"opendui.E040"}),
        ("https://127.0.0.1:8095/si-dmp-server/v2/services", {"opendui.E040"}),  # simulator
        ("https://localhost/si-dmp-server/v2/services", {"opendui.E040"}),
    ],
)
def test_deploy_check_refuses_the_simulator_and_plain_http(dmp_settings, endpoint, expected):
    dmp_settings.DMP_ENDPOINT = endpoint
    assert ids(dmp_settings) == expected


def test_deploy_check_wants_the_certificate_and_the_software_identifiers(dmp_settings):
    dmp_settings.DMP_KEY_FILE = ""
    dmp_settings.DMP_HOMOLOGATION = ""
    assert ids(dmp_settings) == {"opendui.E041", "opendui.E042"}


def test_config_from_settings(dmp_settings):
    dmp_settings.DMP_ENDPOINT = PRODUCTION + "/"
    dmp_settings.DMP_READ_TIMEOUT = 12.5
    config = DmpConfig.from_settings()
    assert config.endpoint == PRODUCTION
    assert (config.cert_file, config.key_file) == ("/etc/opendui/dmp.pem", "/etc/opendui/dmp.key")
    assert (config.lps.name, config.lps.lps_id, config.lps.homologation) == (
        "OpenDUI",
        "LPS-1",
        "HOMOLOGATION-1",
    )
    assert config.read_timeout == 12.5
    assert config.source_id.startswith("2.25.")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"DMP_ENDPOINT": ""}, "OPENDUI_DMP_ENDPOINT"),
        ({"DMP_ENDPOINT": "ftp://dmp"}, "URL https"),
        ({"DMP_CERT_FILE": ""}, "OPENDUI_DMP_CERT_FILE"),
    ],
)
def test_config_refuses_an_unusable_configuration(dmp_settings, changes, message):
    for name, value in changes.items():
        setattr(dmp_settings, name, value)
    with pytest.raises(DmpConfigurationError) as refused:
        DmpConfig.from_settings()
    assert message in refused.value.message_fr
