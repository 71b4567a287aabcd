from django.apps import AppConfig


class PilotageConfig(AppConfig):
    name = "opendui.pilotage"
    verbose_name = "Pilotage"
