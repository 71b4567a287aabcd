"""Security mails through a real SMTP server (aiosmtpd) on loopback, configured the way
production is: OPENDUI_EMAIL_URL read by core.email_url into Django's MAILERS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from opendui.core.email_url import mailers_setting
from opendui.jobs.worker import run_pending

USER, PASSWORD = "opendui@example.org", "s3cret:/@"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (USER, PASSWORD)
    return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 (fixed arguments)
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def serve(inbox, **kwargs) -> Controller:
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        **kwargs,
    )
    controller.start()
    return controller


def reset_link_through(url, settings, world, monkeypatch, certificate=None):
    from django.test import Client

    if certificate is not None:
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # trust the test certificate
    settings.MAILERS = mailers_setting(url, "/nonexistent")
    settings.DEFAULT_FROM_EMAIL = "OpenDUI <ne-pas-repondre@example.org>"
    user = world.user("educateur", facility=world.ime)
    Client().post("/mot-de-passe-oublie/", {"email": user.email})
    assert run_pending() == 1
    return user


def check_delivered(inbox, user):
    ((recipients, message),) = inbox.messages
    assert recipients == [user.email]
    assert message["From"] == "OpenDUI <ne-pas-repondre@example.org>"
    body = message.get_payload(decode=True).decode()
    assert "/mot-de-passe-oublie/" in body


def test_submission_with_starttls(world, settings, monkeypatch, certificate):
    cert, context = certificate
    inbox = Inbox()
    controller = serve(inbox, tls_context=context, require_starttls=True)
    try:
        url = f"smtp+tls://opendui%40example.org:s3cret%3A%2F%40@localhost:{controller.port}"
        user = reset_link_through(url, settings, world, monkeypatch, cert)
    finally:
        controller.stop()
    check_delivered(inbox, user)


def test_implicit_tls(world, settings, monkeypatch, certificate):
    cert, context = certificate
    inbox = Inbox()
    # aiosmtpd offers AUTH over implicit TLS only with this flag (it checks STARTTLS only);
    # the whole session is encrypted anyway.
    controller = serve(inbox, ssl_context=context, auth_require_tls=False)
    try:
        url = f"smtps://opendui%40example.org:s3cret%3A%2F%40@localhost:{controller.port}"
        user = reset_link_through(url, settings, world, monkeypatch, cert)
    finally:
        controller.stop()
    check_delivered(inbox, user)


def test_an_unreachable_server_is_retried(world, settings, monkeypatch):
    from opendui.jobs.models import Job

    port = free_port()  # nothing listens there
    reset_link_through(f"smtp://127.0.0.1:{port}?timeout=2", settings, world, monkeypatch)
    job = Job.objects.get()
    assert (job.status, job.attempts) == ("ready", 1)  # waiting for its next attempt
    assert "serveur de messagerie" in job.last_error
