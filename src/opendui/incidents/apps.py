from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "opendui.incidents"
    verbose_name = "Événements indésirables"

    def ready(self) -> None:
        from opendui.persons.sections import register_export_section

        from .export import incidents_section

        register_export_section(
            "incidents", _("Événements indésirables"), incidents_section, order=85
        )
