from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "opendui.agenda"
    verbose_name = "Agenda"
