from django.apps import AppConfig


class AdministrativeConfig(AppConfig):
    name = "opendui.administrative"
    verbose_name = "Dossier administratif"

    def ready(self) -> None:
        from opendui.core.home import register_panel

        from .home import expiring_rights_panel

        register_panel(expiring_rights_panel, order=15)
