from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "opendui.directory"
    verbose_name = "Annuaire des professionnels extérieurs"

    def ready(self) -> None:
        from opendui.persons.sections import register_export_section

        from .export import professionals_section

        register_export_section(
            "professionals", _("Professionnels"), professionals_section, order=25
        )
