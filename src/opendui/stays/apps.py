from django.apps import AppConfig


class StaysConfig(AppConfig):
    name = "opendui.stays"
    verbose_name = "Séjours et prises en charge"

    def ready(self) -> None:
        from opendui.core.home import register_panel

        from .home import my_residents_panel, overdue_contracts_panel

        register_panel(overdue_contracts_panel, order=10)
        register_panel(my_residents_panel, order=20)
