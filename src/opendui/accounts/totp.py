"""TOTP second factor (RFC 6238, 30-second steps, 6 digits), with replay protection."""

from __future__ import annotations

import time

import pyotp
import segno

from opendui.core.identifiers import ascii_digits

ISSUER = "OpenDUI"
DIGITS = 6
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI (allowed by the CSP's img-src)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def matching_counter(
    secret: str, code: str, last_counter: int, at: float | None = None
) -> int | None:
    """The time-step counter `code` is valid for (±1 step of drift), or None.

    A counter not greater than `last_counter` is refused so a code cannot be replayed.
    """
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not ascii_digits(code):
        return None
    now = time.time() if at is None else at
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
    current = int(now // STEP)
    for counter in (current - 1, current, current + 1):
        if counter > last_counter and totp.generate_otp(counter) == code:
            return counter
    return None
