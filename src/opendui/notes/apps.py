from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotesConfig(AppConfig):
    name = "opendui.notes"
    verbose_name = "Transmissions et observations"

    def ready(self) -> None:
        from opendui.core.home import register_panel
        from opendui.persons.sections import (
            register_export_section,
            register_synthesis,
            register_tab,
        )

        from .export import notes_section
        from .home import unread_notes_panel
        from .record import notes_block

        register_panel(unread_notes_panel, order=30)

        register_tab(
            "notes",
            _("Transmissions"),
            order=80,
            url_name="notes:person",
            permission="person.view_identity",
            pages=("notes:create", "notes:edit", "notes:correct", "notes:withdraw"),
        )
        register_synthesis(notes_block, order=50)
        register_export_section("notes", _("Transmissions"), notes_section, order=80)
