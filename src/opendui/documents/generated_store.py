"""Storing a generated PDF (a validated PP version, a validated AGGIR grid) as a document.

The jobs of project_pdf.py and evaluation_pdf.py lock their source row and check it is
still to be stored; then the storing itself is the same and lives here: the first one of a
stay creates the Document, a later one is a new version of the Document it joins
(`replace_document`), the link row ties the source to that version, and the DMP feed hears
of it through `hooks.version_stored`, acting as the validator.

The records storage or the antivirus down raises the caller's `storage_down` error (a
`JobError`: the job is retried). A failure after the file was written removes the file, and
the caller's transaction takes the rows with it: no orphan file, no half-written rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from opendui.core.actor import Actor
from opendui.core.services import CURRENT
from opendui.jobs.tasks import JobError

from . import hooks, store
from .models import AuthorKind, Document, DocumentVersion, TypeSystem
from .services import replace_document, store_document

#: ValidationError codes of services._store_file: the service, not the content, failed.
UNAVAILABLE = {"storage", "antivirus"}


def store_generated_pdf(
    *,
    job_actor: str,
    source: Any,
    generated: Any,
    filename: str,
    author: Any,
    joins: Document | None,
    link: Callable[[Document, DocumentVersion], Any],
    storage_down: type[JobError],
) -> None:
    """Store `generated` (title, act_date, data_category, type_code, pdf, optionally
    type_system) for `source.person` in `source.stay.facility`; inside the caller's
    transaction. `joins`: the Document this one is a new version of, or None."""
    actor = Actor.system(job_actor)
    files = [(filename, generated.pdf)]
    try:
        if joins is not None:
            document = joins
            version = replace_document(
                actor,
                document,
                files=files,
                expected_version=CURRENT,
                title=generated.title,
                act_date=generated.act_date,
            )
        else:
            document = store_document(
                actor,
                source.person,
                facility=source.stay.facility,
                data_category=generated.data_category,
                type_system=getattr(generated, "type_system", TypeSystem.LOCAL),
                type_code=generated.type_code,
                title=generated.title,
                act_date=generated.act_date,
                files=files,
                author_kind=AuthorKind.PROFESSIONAL,
                author_user=author,
            )
            version = document.current
    except ValidationError as error:
        if getattr(error, "code", None) in UNAVAILABLE:
            raise storage_down(error.messages[0]) from error
        raise
    try:
        link(document, version)
        # The DMP feed (interop.dmp) shares it, acting as the validator.
        hooks.version_stored(document, version, acting_user=author)
    except BaseException:
        store.remove(version.stored_name)
        raise
