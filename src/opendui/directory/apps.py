from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "opendui.directory"
    verbose_name = "Annuaire des professionnels extérieurs"

    def ready(self) -> None:
        from opendui.accounts.linked_persons import register_linked_persons
        from opendui.persons.sections import register_export_section

        from .export import professionals_section
        from .linked_persons import followed_persons

        # External professionals' accounts reach the persons they follow (accounts.access).
        register_linked_persons(followed_persons)

        register_export_section(
            "professionals", _("Professionnels"), professionals_section, order=25
        )
