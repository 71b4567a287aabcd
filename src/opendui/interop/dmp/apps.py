from django.apps import AppConfig


class DmpConfig(AppConfig):
    name = "opendui.interop.dmp"
    label = "dmp"
    verbose_name = "DMP (Mon espace santé)"

    def ready(self) -> None:
        from opendui.documents.hooks import on_version_stored

        from .hooks import share_stored_version

        # A generated document (the PP, the AGGIR grid) stored by its job is shared to the
        # DMP (first version) or replaced there (next versions), acting as its validator.
        on_version_stored(share_stored_version)
