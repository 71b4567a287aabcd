from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "opendui.notes"
    verbose_name = "Transmissions et observations"
