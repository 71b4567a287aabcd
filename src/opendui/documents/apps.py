from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "opendui.documents"
    verbose_name = "Documents et partages"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deployment check
