from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "opendui.documents"
    verbose_name = "Documents et partages"

    def ready(self) -> None:
        from opendui.accompaniment.hooks import on_stored_pdf, on_version_validated
        from opendui.accounts.permissions import DataCategory
        from opendui.evaluations.hooks import on_aggir_validated
        from opendui.persons.sections import register_synthesis, register_tab

        from . import checks  # noqa: F401 - registers the deployment check
        from .evaluation_pdf import queue_aggir_pdf
        from .project_pdf import queue_project_pdf, stored_project_url
        from .record import export_block

        # A validated PP version is stored as a document of the person (project_pdf.py).
        on_version_validated(queue_project_pdf)
        on_stored_pdf(stored_project_url)
        # A validated AGGIR grid is stored as a document of the person (evaluation_pdf.py).
        on_aggir_validated(queue_aggir_pdf)

        # The tab shows to whoever may read at least one data category of the person;
        # the list itself keeps to the categories the reader may read.
        register_tab(
            "documents",
            _("Documents"),
            order=90,
            url_name="documents:person_documents",
            permission=tuple(f"person.view_{category}" for category in DataCategory),
            pages=("documents:person_withdrawn", "documents:upload", "documents:generate"),
        )
        # The "Exporter le dossier" action, at the end of the synthèse (person.export).
        register_synthesis(export_block, order=900)
