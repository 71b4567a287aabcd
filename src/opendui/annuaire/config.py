"""`client_from_settings()`: the AnnuaireClient described by the OPENDUI_ANNUAIRE_* settings."""

from __future__ import annotations

from django.conf import settings

from .client import AnnuaireClient, AnnuaireError

NOT_CONFIGURED = (
    "L'Annuaire Santé n'est pas configuré (OPENDUI_ANNUAIRE_URL) : saisissez les "
    "informations ; elles seront marquées « non vérifié dans l'Annuaire »."
)


def client_from_settings() -> AnnuaireClient:
    """An `AnnuaireClient` for `settings.ANNUAIRE_URL`; raises AnnuaireError (French
    message, reason "config") when no http(s) URL is set, so that callers handle an
    unconfigured Annuaire exactly like an unreachable one: the forms stay usable."""
    url = (getattr(settings, "ANNUAIRE_URL", "") or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        raise AnnuaireError(NOT_CONFIGURED, "config")
    return AnnuaireClient(
        url,
        getattr(settings, "ANNUAIRE_API_KEY", "") or "",
        timeout=float(getattr(settings, "ANNUAIRE_TIMEOUT", 10) or 10),
        page_size=int(getattr(settings, "ANNUAIRE_PAGE_SIZE", 20) or 20),
        max_pages=int(getattr(settings, "ANNUAIRE_MAX_PAGES", 5) or 5),
    )
