from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccompanimentConfig(AppConfig):
    name = "opendui.accompaniment"
    verbose_name = "Accompagnement"

    def ready(self) -> None:
        from opendui.persons.sections import (
            register_banner,
            register_export_section,
            register_synthesis,
            register_tab,
        )

        from .base import READ
        from .export import project_section
        from .record import project_banner, project_block

        register_tab(
            "project",
            _("Projet personnalisé"),
            order=50,
            url_name="accompaniment:person",
            permission=READ,
            # Every page of a PP version (its forms render it again on an error).
            pages=(
                "accompaniment:detail",
                "accompaniment:edit",
                "accompaniment:add",
                "accompaniment:item_edit",
                "accompaniment:goal_edit",
                "accompaniment:action_add",
                "accompaniment:item_status",
                "accompaniment:remove",
                "accompaniment:status",
                "accompaniment:new_version",
                "accompaniment:create",
                "accompaniment:from_evaluation",
            ),
        )
        register_synthesis(project_block, order=20)
        register_banner(project_banner, order=30)
        register_export_section("project", _("Projet personnalisé"), project_section, order=50)
