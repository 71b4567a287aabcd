"""Background tasks of the audit trail, run by `opendui worker` (jobs/schedule.py).

`seal_audit_trail` runs every OPENDUI_AUDIT_SEAL_EVERY seconds inside the worker loop;
`anchor_audit_trail` runs nightly, as a job, and writes the chain head outside the
database. A missing key or an anchor that cannot be written raises an error whose
French `public_message` the job keeps, so the failure is visible.
"""

from __future__ import annotations

from typing import Any

from django.tasks import task

from .anchors import write_anchors
from .keys import load_keyring
from .sealing import seal_pending


@task()
def seal_audit_trail() -> dict[str, Any]:
    return {"scelles": seal_pending(keyring=load_keyring())}


@task()
def anchor_audit_trail() -> dict[str, Any]:
    keyring = load_keyring()
    sealed = seal_pending(keyring=keyring)
    anchor, locations = write_anchors(keyring=keyring)
    return {"scelles": sealed, "ancre": anchor.seq, "lieux": len(locations)}
