"""`client_from_settings()`: the InsiClient described by the OPENDUI_INSI_* settings."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

import opendui
from opendui.interop.insi.client import InsiClient

LPS_NAME = "OpenDUI"


def client_from_settings() -> InsiClient:
    """An `InsiClient` for `settings.INSI_ENDPOINT`.

    Raises ImproperlyConfigured (French message) when the endpoint is not set or
    is not an http(s) URL, when an https endpoint has no certificate and key
    outside demo/debug, or when a certificate file cannot be read.
    """
    endpoint = (getattr(settings, "INSI_ENDPOINT", "") or "").strip()
    if not endpoint:
        raise ImproperlyConfigured(
            "Le téléservice INSi n'est pas configuré : renseignez OPENDUI_INSI_ENDPOINT "
            "(URL du service) et, en production, OPENDUI_INSI_CERT_FILE et "
            "OPENDUI_INSI_KEY_FILE (certificat d'établissement)."
        )
    if not endpoint.lower().startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            "OPENDUI_INSI_ENDPOINT doit être une URL http(s) du téléservice INSi."
        )
    cert = getattr(settings, "INSI_CERT_FILE", "") or None
    key = getattr(settings, "INSI_KEY_FILE", "") or None
    if key and not cert:
        raise ImproperlyConfigured(
            "OPENDUI_INSI_KEY_FILE est renseigné sans OPENDUI_INSI_CERT_FILE : "
            "indiquez aussi le certificat d'établissement."
        )
    production = not (getattr(settings, "DEMO", False) or getattr(settings, "DEBUG", False))
    if production and endpoint.lower().startswith("https://") and not (cert and key):
        raise ImproperlyConfigured(
            "Le téléservice INSi exige le certificat d'établissement en production : "
            "renseignez OPENDUI_INSI_CERT_FILE et OPENDUI_INSI_KEY_FILE (fichiers PEM)."
        )
    try:
        return InsiClient(
            endpoint,
            cert=cert,
            key=key,
            cafile=getattr(settings, "INSI_CA_FILE", "") or None,
            timeout=float(getattr(settings, "INSI_TIMEOUT", 10) or 10),
            lps_name=LPS_NAME,
            lps_version=opendui.__version__,
            emitter=getattr(settings, "INSI_EMITTER", "") or "opendui",
            idam=getattr(settings, "INSI_IDAM", "") or "",
        )
    except OSError as exc:  # unreadable certificate, key or CA file
        raise ImproperlyConfigured(
            "Le certificat INSi (OPENDUI_INSI_CERT_FILE, OPENDUI_INSI_KEY_FILE ou "
            f"OPENDUI_INSI_CA_FILE) est illisible : {exc.strerror or type(exc).__name__}."
        ) from exc
