from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "opendui.agenda"
    verbose_name = "Agenda"

    def ready(self) -> None:
        from opendui.core.home import register_panel

        from .home import today_events_panel

        register_panel(today_events_panel, order=40)
