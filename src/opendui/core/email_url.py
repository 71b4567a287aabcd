"""OPENDUI_EMAIL_URL → Django's e-mail settings (pure: no Django import).

Django's SMTP backend speaks the protocol; only the URL is read here. The schemes follow
RFC 8314, which the URL parsers published for Django do not (dj-email-url and
django-environ read `smtps://` as STARTTLS on port 25):

- `smtp://host[:25]`: plain SMTP (a relay on this machine or the local network);
- `smtp+tls://user:password@host[:587]`: submission, STARTTLS required;
- `smtps://user:password@host[:465]`: implicit TLS.

User and password are percent-decoded (`%40` for `@`). Query parameters: `timeout`
(seconds, default 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

SCHEMES = {"smtp": (25, False, False), "smtp+tls": (587, True, False), "smtps": (465, False, True)}


@dataclass(frozen=True)
class EmailConfig:
    host: str
    port: int
    user: str = ""
    password: str = ""
    use_tls: bool = False  # STARTTLS
    use_ssl: bool = False  # implicit TLS
    timeout: float = 10.0

    @property
    def encrypted(self) -> bool:
        return self.use_tls or self.use_ssl


def parse_email_url(url: str) -> EmailConfig:
    """Read an SMTP URL; raise ValueError with an explanation when it is not one."""
    parts = urlsplit((url or "").strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(
            f"OPENDUI_EMAIL_URL: scheme {scheme or '(none)'!r} unknown "
            "(smtp://, smtp+tls:// or smtps://)"
        )
    default_port, use_tls, use_ssl = SCHEMES[scheme]
    host = parts.hostname or ""
    if not host:
        raise ValueError("OPENDUI_EMAIL_URL: the SMTP server's host is missing")
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError(
            "OPENDUI_EMAIL_URL: the port is not a number between 0 and 65535"
        ) from None
    query = parse_qs(parts.query)
    timeout = 10.0
    if "timeout" in query:
        try:
            timeout = float(query["timeout"][-1])
        except ValueError:
            raise ValueError("OPENDUI_EMAIL_URL: timeout must be a number of seconds") from None
        if timeout <= 0:
            raise ValueError("OPENDUI_EMAIL_URL: timeout must be positive")
    return EmailConfig(
        host=host,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        timeout=timeout,
    )


def mailers_setting(url: str, file_path: str) -> dict[str, dict]:
    """Django's MAILERS for OPENDUI_EMAIL_URL; without a URL, files in `file_path`."""
    if not url:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "OPTIONS": {"file_path": file_path},
            }
        }
    config = parse_email_url(url)
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": config.host,
                "port": config.port,
                "username": config.user,
                "password": config.password,
                "use_tls": config.use_tls,
                "use_ssl": config.use_ssl,
                "timeout": config.timeout,
            },
        }
    }
