from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "opendui.incidents"
    verbose_name = "Événements indésirables"
