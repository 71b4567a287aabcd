from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonsConfig(AppConfig):
    name = "opendui.persons"
    verbose_name = "Personnes accompagnées"

    def ready(self) -> None:
        from django.core import checks

        from .export import entourage_section, identity_section
        from .record import protection_banner
        from .sections import check_tabs, register_banner, register_export_section, register_tab

        checks.register(check_tabs, checks.Tags.urls)

        register_tab(
            "synthesis",
            _("Synthèse"),
            order=0,
            url_name="persons:detail",
            permission="person.view_identity",
        )
        register_tab(
            "identity",
            _("Identité"),
            order=10,
            url_name="persons:identity",
            permission="person.view_identity",
            pages=("persons:identity_edit", "persons:merge_propose"),
        )
        register_tab(
            "entourage",
            _("Entourage"),
            order=30,
            url_name="persons:entourage",
            permission="person.view_administrative",
            pages=(
                "persons:entourage_related",
                "persons:entourage_related_edit",
                "persons:entourage_related_end",
                "persons:entourage_measure",
                "persons:entourage_consent",
                "persons:entourage_consent_withdraw",
            ),
        )
        # The audit app is below persons: the access log's tab is registered here.
        register_tab(
            "access_log",
            _("Consultations du dossier"),
            order=1000,
            url_name="audit:person_access",
            permission="audit.view_person_access",
        )
        register_banner(protection_banner, order=60)
        register_export_section("identity", _("Identité"), identity_section, order=10)
        register_export_section("entourage", _("Entourage"), entourage_section, order=30)
