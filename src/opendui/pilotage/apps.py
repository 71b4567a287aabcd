from django.apps import AppConfig


class PilotageConfig(AppConfig):
    name = "opendui.pilotage"
    verbose_name = "Pilotage"

    def ready(self) -> None:
        from opendui.audit.services import on_person_change

        from .usage_hook import note_change

        on_person_change(note_change)
