"""Background jobs of the document store: first-page thumbnails, and the stored PDF of a
validated projet personnalisé version (`store_project_pdf`, project_pdf.py) or of a
validated AGGIR grid (`store_aggir_pdf`, evaluation_pdf.py).

`render_thumbnail` reads a version from the records storage and writes a small PNG of its
first page beside it (`thumbnails/<uuid>.png`): pypdfium2 renders a PDF's first page,
Pillow reduces an image; ODT/DOCX have none (`sans aperçu`). An unreachable storage is
retried (3 attempts); content that cannot be rendered marks the thumbnail `échec`, and
the list keeps its placeholder.
"""

from __future__ import annotations

import io

from django.tasks import task
from PIL import Image, ImageOps

from opendui.jobs.tasks import JobError

from . import content, store
from .evaluation_pdf import AggirPdfStorageDown
from .models import DocumentVersion, ThumbnailStatus
from .project_pdf import ProjectPdfStorageDown

SIZE = (240, 320)


class ThumbnailStorageDown(JobError):
    """The records storage did not answer: retried."""


def render_first_page(data: bytes, mime_type: str) -> bytes | None:
    """PNG bytes of the first page, or None for a type without preview."""
    if mime_type == content.PDF:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            page = pdf[0]
            width, _height = page.get_size()
            image = page.render(scale=min(2.0, SIZE[0] * 2 / max(width, 1))).to_pil()
            page.close()
        finally:
            pdf.close()
    elif mime_type in content.IMAGES:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    else:
        return None
    image.thumbnail(SIZE)
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", optimize=True)
    return out.getvalue()


@task(max_attempts=3, retry_on=(ThumbnailStorageDown,), backoff_seconds=30)
def render_thumbnail(version_id: int) -> str:
    version = DocumentVersion.objects.filter(pk=version_id).first()
    if version is None or version.thumbnail_status != ThumbnailStatus.PENDING:
        return "rien à faire"
    try:
        data = store.read(version.stored_name)
    except store.StorageUnavailable as error:
        raise ThumbnailStorageDown(store.StorageUnavailable.message) from error
    try:
        png = render_first_page(data, version.mime_type)
    except Exception:  # damaged content pypdfium2/Pillow cannot draw: no preview
        DocumentVersion.objects.filter(pk=version.pk).update(
            thumbnail_status=ThumbnailStatus.FAILED
        )
        return "échec"
    if png is None:
        DocumentVersion.objects.filter(pk=version.pk).update(thumbnail_status=ThumbnailStatus.NONE)
        return "sans aperçu"
    try:
        name = store.write(store.new_name(store.THUMBNAILS, ".png"), png)
    except store.StorageUnavailable as error:
        raise ThumbnailStorageDown(store.StorageUnavailable.message) from error
    updated = DocumentVersion.objects.filter(
        pk=version.pk, thumbnail_status=ThumbnailStatus.PENDING
    ).update(thumbnail_name=name, thumbnail_status=ThumbnailStatus.READY)
    if not updated:
        store.remove(name)
    return "prête"


@task(max_attempts=5, retry_on=(ProjectPdfStorageDown,), backoff_seconds=60)
def store_project_pdf(project_id: int) -> str:
    """Store the PDF of a validated PP version (project_pdf.py); retried while the
    records storage or the antivirus is down."""
    from .project_pdf import store_validated_project

    return store_validated_project(project_id)


@task(max_attempts=5, retry_on=(AggirPdfStorageDown,), backoff_seconds=60)
def store_aggir_pdf(evaluation_id: int) -> str:
    """Store the PDF of a validated AGGIR grid (evaluation_pdf.py); retried while the
    records storage or the antivirus is down."""
    from .evaluation_pdf import store_validated_grid

    return store_validated_grid(evaluation_id)
