from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdministrativeConfig(AppConfig):
    name = "opendui.administrative"
    verbose_name = "Dossier administratif"

    def ready(self) -> None:
        from opendui.core.home import register_panel
        from opendui.persons.sections import (
            register_banner,
            register_export_section,
            register_photo,
            register_tab,
        )

        from .export import administrative_section
        from .home import expiring_rights_panel
        from .record import banner_photo, rights_banner

        register_panel(expiring_rights_panel, order=15)
        register_tab(
            "administrative",
            _("Administratif"),
            order=20,
            url_name="administrative:page",
            permission="person.view_administrative",
            pages=(
                "administrative:profile_edit",
                "administrative:item_add",
                "administrative:item_edit",
                "administrative:item_end",
                "administrative:photo_consent",
                "administrative:photo_consent_withdraw",
                "administrative:photo_upload",
                "directory:person",
                "directory:person_add",
                "directory:person_end",
            ),
        )
        register_photo(banner_photo, order=10)
        register_banner(rights_banner, order=40)
        register_export_section(
            "administrative", _("Dossier administratif"), administrative_section, order=20
        )
