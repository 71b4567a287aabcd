from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opendui.core"
    verbose_name = "Socle"

    def ready(self) -> None:
        # Imported for their side effects: deployment checks and custom lookups.
        from . import checks, lookups  # noqa: F401
