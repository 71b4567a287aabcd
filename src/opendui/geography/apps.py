from django.apps import AppConfig


class GeographyConfig(AppConfig):
    """INSEE reference data (Code officiel géographique): no models, read-only CSV files."""

    name = "opendui.geography"
    verbose_name = "Référentiel géographique INSEE"
