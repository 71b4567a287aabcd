from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaysConfig(AppConfig):
    name = "opendui.stays"
    verbose_name = "Séjours et prises en charge"

    def ready(self) -> None:
        from opendui.core.home import register_panel
        from opendui.persons.sections import (
            register_banner,
            register_export_section,
            register_synthesis,
            register_tab,
        )

        from .export import stays_section
        from .home import my_residents_panel, overdue_contracts_panel
        from .record import stays_banner, stays_block

        register_panel(overdue_contracts_panel, order=10)
        register_panel(my_residents_panel, order=20)

        register_tab(
            "stays",
            _("Séjours"),
            order=40,
            url_name="stays:person_stays",
            permission="person.view_administrative",
            # The stay's forms render the stays page again on an error.
            pages=(
                "stays:request_create",
                "stays:request_detail",
                "stays:contract_record",
                "stays:absence_add",
                "stays:discharge",
                "stays:transfer",
            ),
        )
        register_synthesis(stays_block, order=10)
        register_export_section("stays", _("Séjours"), stays_section, order=40)
        register_banner(stays_banner, order=10)
