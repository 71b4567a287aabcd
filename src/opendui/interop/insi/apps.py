from django.apps import AppConfig


class InsiConfig(AppConfig):
    name = "opendui.interop.insi"
    label = "insi"
    verbose_name = "Téléservice INSi"

    def ready(self) -> None:
        # Connects the receiver recording jobs that end in failure on their query.
        from . import tasks  # noqa: F401
