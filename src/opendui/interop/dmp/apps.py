from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DmpConfig(AppConfig):
    name = "opendui.interop.dmp"
    label = "dmp"
    verbose_name = "DMP (Mon espace santé)"

    def ready(self) -> None:
        from opendui.accounts.permissions import DataCategory
        from opendui.documents.hooks import on_version_stored, register_document_status
        from opendui.persons.sections import register_tab

        from .hooks import share_stored_version
        from .status import document_status
        from .views import tab_shown

        # A generated document (the PP, the AGGIR grid) stored by its job is shared to the
        # DMP (first version) or replaced there (next versions), acting as its validator.
        on_version_stored(share_stored_version)
        # Each document of the documents tab shows its DMP status and actions.
        register_document_status(document_status)
        # The person's DMP, read live when the tab is opened (after Documents, order 90):
        # for a qualified INS and a profession the DMP lets read at least one type.
        register_tab(
            "dmp",
            _("DMP"),
            order=95,
            url_name="dmp:person",
            permission=tuple(f"person.view_{category}" for category in DataCategory),
            pages=("dmp:document",),
            shown=tab_shown,
        )
