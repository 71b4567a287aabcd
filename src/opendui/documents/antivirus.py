"""Optional antivirus scan through clamd (OPENDUI_CLAMD_URL), with its INSTREAM command.

Why our own client: the `clamd` package on PyPI has had no release since 2014; the
protocol needed is four lines (docs: clamd(8), "INSTREAM"): send `zINSTREAM\\0`, then the
content in chunks each preceded by its length (4 bytes, network order), then a zero
length; clamd answers `stream: OK`, `stream: <name> FOUND` or `… ERROR`.

Without OPENDUI_CLAMD_URL no scan is made (the version records "non analysé"). With it,
an unreachable or failing clamd refuses the upload (fail closed): a file is never stored
as scanned when it was not.
"""

from __future__ import annotations

import socket
import struct
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

CHUNK = 64 * 1024


class AntivirusUnavailable(Exception):
    """clamd could not be asked (French message)."""

    message = (
        "L'analyse antivirus est indisponible pour le moment : rien n'a été enregistré. "
        "Réessayez dans quelques minutes ou prévenez l'administrateur."
    )


def configured() -> bool:
    return bool(settings.CLAMD_URL)


def _connect(url: str, timeout: float) -> socket.socket:
    if url.startswith("tcp://"):
        parts = urlsplit(url)
        if not parts.hostname or not parts.port:
            raise AntivirusUnavailable(AntivirusUnavailable.message)
        return socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    path = url.removeprefix("unix://")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(path)
    return sock


def instream(data: bytes, url: str, timeout: float = 30) -> str:
    """clamd's answer for `data`, without the `stream: ` prefix (e.g. "OK")."""
    try:
        with _connect(url, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK):
                chunk = data[start : start + CHUNK]
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            answer = b""
            while not answer.endswith(b"\0"):
                received = sock.recv(4096)
                if not received:
                    break
                answer += received
    except (OSError, ValueError) as error:
        raise AntivirusUnavailable(AntivirusUnavailable.message) from error
    text = answer.rstrip(b"\0").decode("utf-8", "replace").strip()
    return text.removeprefix("stream:").strip()


def scan(data: bytes) -> bool:
    """True when scanned and clean, False when no antivirus is configured; a
    ValidationError (French) when a virus is found, AntivirusUnavailable on failure."""
    if not configured():
        return False
    answer = instream(data, settings.CLAMD_URL, settings.CLAMD_TIMEOUT)
    if answer == "OK":
        return True
    if answer.endswith("FOUND"):
        name = answer.removesuffix("FOUND").strip()
        raise ValidationError(
            f"L'antivirus a détecté un contenu malveillant ({name}) : le fichier est refusé.",
            code="virus",
        )
    raise AntivirusUnavailable(AntivirusUnavailable.message)
