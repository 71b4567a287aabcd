from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "opendui.evaluations"
    verbose_name = "Évaluations"

    def ready(self) -> None:
        from opendui.core.home import register_panel
        from opendui.persons.sections import (
            register_banner,
            register_export_section,
            register_synthesis,
            register_tab,
        )

        from .export import evaluations_section
        from .home import gmp_panel
        from .record import gir_banner, gir_block

        register_panel(gmp_panel, order=50)

        register_tab(
            "evaluations",
            _("Évaluations"),
            order=60,
            url_name="evaluations:person",
            permission=("person.view_care", "person.view_social"),
            pages=(
                "evaluations:aggir_new",
                "evaluations:evaluation_start",
                "evaluations:aggir_detail",
                "evaluations:aggir_edit",
                "evaluations:aggir_status",
                "evaluations:evaluation_detail",
                "evaluations:evaluation_answers",
                "evaluations:evaluation_status",
            ),
        )
        register_synthesis(gir_block, order=30)
        register_banner(gir_banner, order=20)
        register_export_section("evaluations", _("Évaluations"), evaluations_section, order=60)
