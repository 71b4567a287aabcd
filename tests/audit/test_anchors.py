"""Anchors of the keyed chain outside the database: written once, signed, and checked by
`opendui audit verify` by default; what they catch that the chain alone cannot."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from opendui.audit.anchors import (
    AnchorError,
    FolderStore,
    configured_stores,
    make_anchor,
    write_anchors,
)
from opendui.audit.keys import load_keyring
from opendui.audit.models import AuditSeal, AuditSealHead
from opendui.audit.sealing import legacy_head_hash

from .conftest import run_verify, sql, tampering

pytestmark = pytest.mark.django_db


def anchor_now() -> list[str]:
    out = io.StringIO()
    call_command("audit", "anchor", stdout=out)
    return out.getvalue().strip().splitlines()


def remove_newest(events: list, count: int) -> None:
    """Remove the newest events and their seals, and put the sealer's head back: a consistent
    truncation, invisible to the chain."""
    with tampering():
        for event in events[-count:]:
            sql("DELETE FROM audit_auditseal WHERE event_id = %s", [event.pk])
            sql("DELETE FROM audit_auditeventperson WHERE event_id = %s", [event.pk])
            sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
        newest = AuditSeal.objects.order_by("-seq").first()
        AuditSealHead.objects.filter(pk=1).update(seq=newest.seq, hash=newest.hash)


def test_anchor_command_seals_then_writes_a_read_only_file(trail, settings):
    trail(3, sealed=False)
    lines = anchor_now()
    assert lines[0] == "Tête de chaîne ancrée : scellement n° 3."
    path = lines[1].strip()
    assert os.path.dirname(path) == settings.AUDIT_ANCHOR_DIR
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    data = json.loads(open(path).read())  # noqa: SIM115
    newest = AuditSeal.objects.get(seq=3)
    assert (data["seq"], data["hash"], data["key_id"]) == (3, newest.hash, newest.key_id)
    assert data["format"] == "opendui-audit-anchor/1" and len(data["mac"]) == 64


def test_an_anchor_file_is_never_overwritten(tmp_path, trail):
    trail(1)
    store = FolderStore(tmp_path / "anchors")
    anchor = make_anchor(1, "a" * 64, load_keyring(), timezone.now())
    store.write(anchor)
    with pytest.raises(AnchorError, match="Ancre non écrite"):
        store.write(anchor)  # same name: O_EXCL refuses it


def test_before_any_seal_the_anchor_is_the_legacy_head(legacy_trail):
    legacy_trail(2)
    anchor, _ = write_anchors()
    assert (anchor.seq, anchor.hash) == (0, legacy_head_hash())


def test_verify_checks_the_latest_anchors_by_default(trail):
    trail(4)
    anchor_now()
    result = run_verify()
    assert result.code == 0, result.out
    assert "Ancres vérifiées : 1 (la plus récente atteste le scellement n° 4)." in result.lines


def test_truncated_newest_rows_are_caught_by_the_latest_anchor(trail):
    """The newest events and their seals removed, the head put back: the chain alone is
    consistent; the anchor written outside the database says there was more."""
    events = trail(6)
    anchor_now()
    remove_newest(events, 2)
    assert run_verify("--no-anchors").code == 0  # the limit of a chain without anchors
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith(
        "Scellements n° 5 à 6 : supprimés en fin de journal (l'ancre du "
    )
    assert "le dernier présent est le n° 4" in result.findings[0]


def test_an_anchor_older_than_the_removed_rows_still_catches_a_rewrite(trail):
    """Events sealed after the anchor are removed and others written and sealed in their place:
    the chain is consistent and longer than the anchor, but the anchored seal changed."""
    events = trail(4)
    anchor_now()
    remove_newest(events, 2)
    trail(3)  # new seals n° 3 to 5
    result = run_verify()
    assert result.code == 1
    assert result.findings[0].startswith(
        "Scellement n° 4 : son empreinte ne correspond plus à l'ancre du "
    )


def test_a_forged_anchor_is_refused(trail, settings):
    trail(2)
    anchor_now()
    forged = make_anchor(9, "f" * 64, load_keyring(), timezone.now() + dt.timedelta(seconds=1))
    data = json.loads(forged.to_json())
    data["mac"] = "0" * 64
    path = os.path.join(settings.AUDIT_ANCHOR_DIR, forged.name)
    with open(path, "w") as handle:
        json.dump(data, handle)
    result = run_verify()
    assert result.code == 1
    assert result.findings[0] == (
        f"Ancre {path} : signature invalide (ancre falsifiée, ou ancienne clé retirée de la "
        "configuration)."
    )


def test_no_anchors_option_warns(trail):
    trail(2)
    result = run_verify("--no-anchors")
    assert result.code == 0
    assert result.lines[0].startswith("Avertissement : ancres non vérifiées (--no-anchors)")


def test_an_empty_anchor_folder_is_a_warning(trail):
    trail(2)
    result = run_verify()
    assert result.code == 0
    assert result.lines[0].startswith("Avertissement : aucune ancre dans le dossier ")


def test_an_old_anchor_is_a_warning(trail, settings):
    trail(2)
    anchor_now()
    settings.AUDIT_ANCHOR_MAX_AGE = 0
    result = run_verify()
    assert result.code == 0
    assert any(
        "la tâche d'ancrage (opendui worker) ne tourne plus" in line for line in result.lines
    )


def test_anchoring_refuses_a_head_that_does_not_match_its_key(trail):
    trail(2)
    with tampering():
        sql("UPDATE audit_auditseal SET hash = %s WHERE seq = 2", ["e" * 64])
    with pytest.raises(CommandError, match="ne correspond pas à sa clé"):
        anchor_now()


def test_only_the_folder_by_default(settings):
    assert [type(s).__name__ for s in configured_stores()] == ["FolderStore"]
    settings.AUDIT_ANCHOR_DIR = ""
    with pytest.raises(AnchorError, match="Aucun lieu d'ancrage"):
        write_anchors()


def test_the_nightly_job_fails_visibly_without_a_key(trail, settings):
    from opendui.audit.tasks import anchor_audit_trail
    from opendui.jobs.models import Job, JobStatus
    from opendui.jobs.worker import run_pending

    settings.AUDIT_KEY = ""
    anchor_audit_trail.enqueue()
    run_pending()
    job = Job.objects.get(task_path="opendui.audit.tasks.anchor_audit_trail")
    assert job.status == JobStatus.FAILED
    assert job.last_error.startswith("Aucune clé d'audit : définissez OPENDUI_AUDIT_KEY")
