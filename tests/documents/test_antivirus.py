"""The clamd hook against a fake clamd speaking the INSTREAM protocol on loopback."""

from __future__ import annotations

import datetime as dt
import socket
import socketserver
import struct
import threading

import pytest
from django.core.exceptions import ValidationError

from opendui.core.actor import Actor
from opendui.documents.models import AntivirusStatus, Document
from opendui.documents.services import store_document

from .conftest import pdf_bytes, stored_names

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd(socketserver.BaseRequestHandler):
    def handle(self):
        command = b""
        while not command.endswith(b"\0"):
            command += self.request.recv(1)
        assert command == b"zINSTREAM\0"
        data = b""
        while True:
            (length,) = struct.unpack("!L", self._exactly(4))
            if not length:
                break
            data += self._exactly(length)
        answer = b"stream: Eicar-Test-Signature FOUND\0" if EICAR in data else b"stream: OK\0"
        self.request.sendall(answer)

    def _exactly(self, size):
        data = b""
        while len(data) < size:
            data += self.request.recv(size - len(data))
        return data


@pytest.fixture
def clamd(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeClamd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CLAMD_URL = f"tcp://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def store(world, user, data):
    return store_document(
        Actor(user=user),
        world.anne,
        facility=world.ehpad,
        data_category="administrative",
        type_code="COURRIER",
        title="Courrier",
        act_date=dt.date(2026, 11, 2),
        files=[("courrier.pdf", data)],
    )


@pytest.mark.django_db
def test_a_clean_file_is_marked_scanned(world, clamd):
    user = world.user("accueil", facility=world.ehpad)
    document = store(world, user, pdf_bytes())
    assert document.current.antivirus_status == AntivirusStatus.CLEAN


@pytest.mark.django_db
def test_eicar_is_refused_in_french_and_nothing_is_stored(world, clamd):
    user = world.user("accueil", facility=world.ehpad)
    infected = pdf_bytes().replace(b"%%EOF", EICAR + b"\n%%EOF")
    with pytest.raises(ValidationError) as refused:
        store(world, user, infected)
    assert "contenu malveillant (Eicar-Test-Signature)" in refused.value.messages[0]
    assert not Document.objects.exists() and stored_names() == []


@pytest.mark.django_db
def test_an_unreachable_clamd_refuses_the_upload(world, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CLAMD_URL = f"tcp://127.0.0.1:{port}"
    user = world.user("accueil", facility=world.ehpad)
    with pytest.raises(ValidationError) as refused:
        store(world, user, pdf_bytes())
    assert "analyse antivirus est indisponible" in refused.value.messages[0]
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_without_clamd_the_version_says_not_scanned(world, settings):
    settings.CLAMD_URL = ""
    user = world.user("accueil", facility=world.ehpad)
    assert store(world, user, pdf_bytes()).current.antivirus_status == "not_scanned"
