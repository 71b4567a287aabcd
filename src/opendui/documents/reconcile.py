"""Storage writes and rows reconciled: files without a row, rows without a file.

The store service deletes the file it wrote when its rows fail, and writes no row when the
file failed. What can still be left: a file whose delete itself failed (storage down at
that moment), a file written by a request killed between the write and the commit, or an
outer transaction rolled back after the service returned. `opendui documents reconcile`
lists them, and with `--supprimer` deletes the files with no row older than
`--minutes` (default 60: an upload in progress has its file before its row). A row whose
file is missing is only reported: it needs a person to look (restore from backup).

Record exports (`exports/`) count too: only a ready export keeps its zip; the zip of a
downloaded, expired or failed one whose delete failed is an orphan like any other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from . import store
from .models import DocumentVersion, ExportStatus, RecordExport


@dataclass
class Report:
    orphan_files: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    young_files: list[str] = field(default_factory=list)
    missing_files: list[tuple[int, str]] = field(default_factory=list)


def _known() -> set[str]:
    names: set[str] = set()
    for stored, thumb in DocumentVersion.objects.values_list("stored_name", "thumbnail_name"):
        names.add(stored)
        if thumb:
            names.add(thumb)
    names.update(
        RecordExport.objects.filter(status=ExportStatus.READY)
        .exclude(stored_name="")
        .values_list("stored_name", flat=True)
    )
    return names


def reconcile(*, older_than: dt.timedelta, delete: bool = False) -> Report:
    report = Report()
    storage = store.records()
    known = _known()
    limit = timezone.now() - older_than
    present: set[str] = set()
    for folder in (store.DOCUMENTS, store.THUMBNAILS, "exports"):
        for name in store.listing(folder):
            present.add(name)
            if name in known:
                continue
            if storage.get_modified_time(name) > limit:
                report.young_files.append(name)
                continue
            report.orphan_files.append(name)
            if delete and store.remove(name):
                report.removed.append(name)
    for pk, stored in DocumentVersion.objects.values_list("pk", "stored_name").order_by("pk"):
        if stored not in present:
            report.missing_files.append((pk, stored))
    return report
