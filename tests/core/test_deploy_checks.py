from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from opendui.accounts.models import User

PRODUCTION = {
    "DEMO": False,
    "DEBUG": False,
    "SECRET_KEY": "x" * 20 + "a-real-random-secret-key-for-production-use-only-0123",
    "AUDIT_ENABLED": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "EMAIL_URL": "smtp+tls://opendui:secret@smtp.example.org:587",
    "MAILERS": {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "smtp.example.org", "port": 587, "use_tls": True},
        }
    },
    "EMAIL_FROM_SET": True,
    "DEFAULT_FROM_EMAIL": "OpenDUI <ne-pas-repondre@example.org>",
    "AUDIT_KEY": "0123456789abcdef" * 4,
    "AUDIT_KEY_FILE": "",
}


def opendui_errors(capsys) -> str:
    try:
        call_command("check", "--deploy")
    except SystemCheckError as error:
        return str(error)
    return ""


@pytest.fixture
def production(settings):
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    return settings


@pytest.mark.django_db
def test_production_settings_pass(production, capsys):
    assert "opendui.E" not in opendui_errors(capsys)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "value", "error_id"),
    [
        ("DEMO", True, "opendui.E001"),
        (
            "SECRET_KEY",
            "opendui-demo-only-secret-key-never-use-in-production-0123456789",
            "opendui.E002",
        ),
        ("DEBUG", True, "opendui.E003"),
        ("AUDIT_ENABLED", False, "opendui.E004"),
        ("SESSION_COOKIE_SECURE", False, "opendui.E005"),
    ],
)
def test_insecure_settings_fail(production, capsys, setting, value, error_id):
    setattr(production, setting, value)
    assert error_id in opendui_errors(capsys)


@pytest.mark.django_db
def test_active_demo_accounts_fail(production, capsys):
    demo = User.objects.create_user("directeur@demo.opendui.fr", "x", first_name="D", last_name="D")
    assert "opendui.E006" in opendui_errors(capsys)
    demo.is_active = False
    demo.save()
    assert "opendui.E006" not in opendui_errors(capsys)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "refused"),
    [
        ("http://insi.example.fr/lps", True),
        ("https://127.0.0.1:8089/lps", True),
        ("https://localhost/lps", True),
        ("https://insi.example.fr/lps", False),
        ("", False),
    ],
)
def test_insi_endpoint_must_be_a_remote_https_service(production, capsys, endpoint, refused):
    production.INSI_ENDPOINT = endpoint
    assert ("opendui.E007" in opendui_errors(capsys)) is refused


@pytest.mark.django_db
def test_production_refuses_mails_written_to_files(production, capsys):
    from opendui.core.email_url import mailers_setting

    production.EMAIL_URL = ""
    production.MAILERS = mailers_setting("", "/tmp/mails")
    assert "opendui.E008" in opendui_errors(capsys)


@pytest.mark.django_db
def test_production_needs_a_sender_address(production, capsys):
    production.EMAIL_FROM_SET = False
    assert "opendui.E009" in opendui_errors(capsys)


def test_plain_smtp_to_another_machine_is_warned_about(production):
    from opendui.core.checks import _email
    from opendui.core.email_url import mailers_setting

    production.EMAIL_URL = "smtp://relay.example.org"
    production.MAILERS = mailers_setting(production.EMAIL_URL, "")
    assert [m.id for m in _email()] == ["opendui.W010"]
    production.EMAIL_URL = "smtp://127.0.0.1:25"
    production.MAILERS = mailers_setting(production.EMAIL_URL, "")
    assert _email() == []


@pytest.mark.django_db
def test_a_missing_audit_key_fails(production, capsys, tmp_path):
    production.AUDIT_KEY = ""
    production.AUDIT_DEMO_KEY_FILE = str(tmp_path / "absent.key")
    errors = opendui_errors(capsys)
    assert "opendui.E011" in errors and "Aucune clé d'audit" in errors
    production.AUDIT_KEY_FILE = str(tmp_path / "unreadable.key")
    assert "opendui.E011" in opendui_errors(capsys)


@pytest.mark.django_db
def test_the_demo_audit_key_fails(production, capsys, tmp_path):
    from opendui.audit.keys import ensure_demo_key

    production.AUDIT_KEY = ""
    production.AUDIT_DEMO_KEY_FILE = str(tmp_path / "var" / "audit-demo.key")
    created = ensure_demo_key()
    assert created is not None and created.stat().st_mode & 0o777 == 0o600
    assert ensure_demo_key() is None  # created once
    errors = opendui_errors(capsys)
    assert "opendui.E012" in errors and "démonstration" in errors
    key_file = tmp_path / "audit.key"
    key_file.write_text("f" * 64 + "\n")
    production.AUDIT_KEY_FILE = str(key_file)
    assert "opendui.E" not in opendui_errors(capsys)


PSC_PRODUCTION = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("issuer", "discovery", "refused"),
    [
        (PSC_PRODUCTION, PSC_PRODUCTION + "/.well-known/wallet-openid-configuration", False),
        (PSC_PRODUCTION, "", False),
        ("", "", False),
        ("http://auth.esw.esante.gouv.fr/auth/realms/esante-wallet", "", True),
        ("http://127.0.0.1:8091/auth/realms/esante-wallet", "", True),  # the demo's simulator
        ("https://localhost/auth/realms/esante-wallet", "", True),
        (PSC_PRODUCTION, "http://127.0.0.1:8091/.well-known/openid-configuration", True),
    ],
)
def test_psc_issuer_must_be_a_remote_https_provider(production, capsys, issuer, discovery, refused):
    production.PSC_ISSUER = issuer
    production.PSC_DISCOVERY_URL = discovery
    production.PSC_CLIENT_ID = "opendui"
    production.PSC_CLIENT_SECRET = "secret"
    assert ("opendui.E013" in opendui_errors(capsys)) is refused


@pytest.mark.django_db
def test_psc_needs_its_client_credentials_and_a_whole_certificate(production, capsys):
    production.PSC_ISSUER = PSC_PRODUCTION
    production.PSC_CLIENT_ID = production.PSC_CLIENT_SECRET = ""
    assert "opendui.E014" in opendui_errors(capsys)
    production.PSC_CLIENT_ID, production.PSC_CLIENT_SECRET = "opendui", "secret"
    production.PSC_CERT_FILE, production.PSC_KEY_FILE = "/etc/opendui/psc.crt", ""
    errors = opendui_errors(capsys)
    assert "opendui.E014" not in errors and "opendui.E015" in errors
