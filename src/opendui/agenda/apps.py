from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgendaConfig(AppConfig):
    name = "opendui.agenda"
    verbose_name = "Agenda"

    def ready(self) -> None:
        from opendui.core.home import register_panel
        from opendui.persons.sections import (
            register_export_section,
            register_synthesis,
            register_tab,
        )

        from .export import agenda_section
        from .home import today_events_panel
        from .record import events_block

        register_panel(today_events_panel, order=40)

        register_tab(
            "agenda",
            _("Agenda"),
            order=70,
            url_name="agenda:person",
            permission="person.view_identity",
        )
        register_synthesis(events_block, order=40)
        register_export_section("agenda", _("Agenda"), agenda_section, order=70)
