"""Periodic jobs: a small schedule in code, enqueued by the worker once per period.

Each entry names a task (dotted path, so this module imports no domain app) and
a local time of day. The period of day D runs from D at that time to D+1 at that
time; the worker enqueues the job with the idempotency key
`periodic:<name>:<D>` as soon as it runs during the period, unless a job with
that key already exists (whatever its state). A worker started at 10:00 thus
runs today's job at once; one started at 01:00 runs yesterday's if it never ran.

`FREQUENT` tasks run every few seconds (the audit sealer): a job row each time
would fill the job table with thousands of rows a day, so the worker calls them
in its own loop instead (`FrequentRunner`). They must be idempotent and safe to
run from several workers at once (the sealer locks its own row).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.tasks import TaskResult
from django.utils import timezone

from .backend import load_task
from .models import Job


@dataclass(frozen=True)
class Daily:
    name: str
    task_path: str
    at: dt.time

    def period(self, now: dt.datetime) -> dt.date:
        """The day whose period contains `now` (local time, so 02:00 is 02:00 in Paris)."""
        local = timezone.localtime(now)
        return local.date() if local.time() >= self.at else local.date() - dt.timedelta(days=1)

    def key(self, now: dt.datetime) -> str:
        return f"periodic:{self.name}:{self.period(now).isoformat()}"


logger = logging.getLogger(__name__)


SCHEDULE: tuple[Daily, ...] = (
    # Write the audit chain's head outside the database (write-once folder or S3).
    Daily("audit.anchor", "opendui.audit.tasks.anchor_audit_trail", dt.time(1, 30)),
    # Re-verify INS retrieved from INSi long ago (settings.INSI_REVERIFY_DAYS).
    Daily("insi.reverify", "opendui.interop.insi.tasks.reverify_due_identities", dt.time(2, 0)),
    # Directory entries that came from the Annuaire Santé: checked again, national data updated.
    Daily(
        "directory.annuaire_refresh",
        "opendui.directory.tasks.refresh_annuaire_entries",
        dt.time(2, 30),
    ),
    # Accounts' national identifiers checked again in the Annuaire Santé (never disabled:
    # a mismatch is a security notice for the administrators).
    Daily(
        "accounts.annuaire_recheck",
        "opendui.accounts.tasks.recheck_account_identifiers",
        dt.time(2, 45),
    ),
    # Keep the usage indicators of the closed months (the dashboard then reads them).
    Daily("pilotage.closed_months", "opendui.pilotage.tasks.keep_closed_months", dt.time(3, 0)),
    # Grant requests left without a decision past OPENDUI_GRANT_APPROVAL_DAYS become expired.
    Daily("grants.expire", "opendui.accounts.tasks.expire_grant_requests", dt.time(1, 0)),
    # Login failures, locks and reset requests past the windows the throttles count.
    Daily(
        "accounts.prune_throttles", "opendui.accounts.tasks.prune_login_throttles", dt.time(1, 15)
    ),
    # Creation-form tokens shown and never sent (core.forms): rows older than a day.
    Daily("core.form_tokens", "opendui.core.tasks.prune_old_form_tokens", dt.time(3, 30)),
)


def enqueue_due(
    now: dt.datetime | None = None, schedule: tuple[Daily, ...] = SCHEDULE
) -> list[TaskResult]:
    """Enqueue the periodic jobs of the current period not enqueued yet."""
    now = now or timezone.now()
    enqueued = []
    for entry in schedule:
        key = entry.key(now)
        if Job.objects.filter(idempotency_key=key).exists():
            continue
        task = load_task(entry.task_path)
        enqueued.append(task.using(idempotency_key=key).enqueue())
    return enqueued


@dataclass(frozen=True)
class Every:
    """A task run in the worker's loop every `seconds` (a number, or a settings name)."""

    name: str
    task_path: str
    seconds: float | str

    def interval(self) -> float:
        if isinstance(self.seconds, str):
            return float(getattr(settings, self.seconds))
        return float(self.seconds)


FREQUENT: tuple[Every, ...] = (
    # Link the events written by requests into the keyed audit chain.
    Every("audit.seal", "opendui.audit.tasks.seal_audit_trail", "AUDIT_SEAL_EVERY"),
    # Delete the record exports not downloaded within their 24 hours (documents app).
    Every("documents.expire_exports", "opendui.documents.record_export.expire_record_exports", 600),
)


@dataclass
class FrequentRunner:
    """Calls each FREQUENT task in-process when its interval has passed."""

    entries: tuple[Every, ...] = FREQUENT
    _next: dict[str, float] = field(default_factory=dict)

    def run_due(self, clock: float | None = None) -> list[str]:
        """Run the entries that are due; the names of those run (failures included).

        An error is logged by class only (messages can carry personal data), and the
        entry is tried again at its next interval."""
        clock = time.monotonic() if clock is None else clock
        ran = []
        for entry in self.entries:
            if clock < self._next.get(entry.name, 0.0):
                continue
            self._next[entry.name] = clock + entry.interval()
            ran.append(entry.name)
            try:
                load_task(entry.task_path).call()
            except Exception as error:  # the worker goes on; the next run tries again
                logger.warning("Periodic %s failed: %s", entry.name, type(error).__name__)
        return ran
