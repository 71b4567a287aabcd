from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "opendui.notes"
    verbose_name = "Transmissions et observations"

    def ready(self) -> None:
        from opendui.core.home import register_panel

        from .home import unread_notes_panel

        register_panel(unread_notes_panel, order=30)
