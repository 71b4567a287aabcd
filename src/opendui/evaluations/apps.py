from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "opendui.evaluations"
    verbose_name = "Évaluations"

    def ready(self) -> None:
        from opendui.core.home import register_panel

        from .home import gmp_panel

        register_panel(gmp_panel, order=50)
