from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opendui.core"
    verbose_name = "Socle"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment checks)
