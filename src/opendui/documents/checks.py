"""Deployment checks of the document store (`opendui check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def records_storage(app_configs, **kwargs) -> list[CheckMessage]:
    """A local records folder is not wrong, but it holds the only copy of every scanned
    document: say it must be backed up with the database (they are restored together)."""
    backend = settings.STORAGES.get("records", {}).get("BACKEND", "")
    if backend.endswith("FileSystemStorage"):
        location = settings.STORAGES["records"].get("OPTIONS", {}).get("location", "")
        return [
            Warning(
                f"Les documents des dossiers sont dans un dossier local ({location}).",
                hint=(
                    "Sauvegardez ce dossier avec la base de données (restaurés ensemble), ou "
                    "utilisez un stockage objet (OPENDUI_STORAGE_URL=s3://…). Après une "
                    "restauration : opendui documents reconcile."
                ),
                id="opendui.W101",
            )
        ]
    return []
