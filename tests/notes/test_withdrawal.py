"""Withdrawing a note written in the wrong record: a status with reason, who and when;
hidden from the record and the cahier; kept for the author, the chef de service, the
audit trail (the DPO)."""

from __future__ import annotations

import datetime as dt
import importlib
from html import unescape

import pytest
from django.apps import apps as global_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from opendui.accounts.models import Role
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError
from opendui.notes.models import Note, NoteRead, NoteStatus
from opendui.notes.rules import shift_of
from opendui.notes.selectors import liaison_groups, liaison_notes, person_timeline
from opendui.notes.services import correct_note, edit_note, mark_read, withdraw_note
from opendui.persons.record import person_record


@pytest.fixture
def chief(world):
    return world.user("chef-de-service", facility=world.ehpad)


@pytest.fixture
def misfiled(world, team, note_of):
    """An educator's note about Bruno, written in Anne's record."""
    return note_of(team["educateur"], world.anne, target="Visite de son fils", data="Bruno ravi.")


def _withdraw(user, note, reason="erreur_dossier", comment="concerne Bruno", **kw):
    note.refresh_from_db()
    return withdraw_note(
        Actor(user), note, reason=reason, comment=comment, expected_version=note.version, **kw
    )


def _day():
    return shift_of(timezone.now() - dt.timedelta(minutes=5))[0]


def test_the_author_withdraws_a_note_it_is_kept_with_reason_who_and_when(world, team, misfiled):
    before = Note.objects.count()
    _withdraw(team["educateur"], misfiled)
    misfiled.refresh_from_db()
    assert misfiled.status == NoteStatus.WITHDRAWN
    assert misfiled.withdrawn_by == team["educateur"]
    assert misfiled.withdrawal_reason == "erreur_dossier"
    assert misfiled.withdrawal_comment == "concerne Bruno"
    assert timezone.now() - misfiled.withdrawn_at < dt.timedelta(minutes=1)
    assert misfiled.data == "Bruno ravi." and Note.objects.count() == before
    event = AuditEvent.objects.get(action="note.withdraw")
    assert list(event.person_ids) == [world.anne.pk]
    assert event.details["changes"]["status"] == ["active", "retiree"]


def test_a_withdrawn_note_leaves_the_record_the_cahier_and_the_unread_counts(
    world, team, misfiled, note_of
):
    reader = team["aide-soignant"]
    kept = note_of(team["educateur"], world.anne, target="Repas")
    _withdraw(team["educateur"], misfiled)
    assert list(person_timeline(world.anne, ["social"])) == [kept]
    record = person_record(reader, world.anne)
    assert [n.pk for n in record.notes.notes] == [kept.pk]
    day = _day()
    assert [n.pk for n in liaison_notes(reader, world.ehpad, day)] == [kept.pk]
    assert sum(g.unread for g in liaison_groups(reader, world.ehpad, day)) == 1
    assert mark_read(reader, [misfiled.pk, kept.pk]) == 1
    assert not NoteRead.objects.filter(note=misfiled).exists()


def test_only_its_author_and_the_chief_see_it_marked_withdrawn(
    world, team, misfiled, chief, login, client
):
    _withdraw(team["educateur"], misfiled)
    colleague = world.user("educateur", facility=world.ehpad)
    for user, sees in ((team["educateur"], True), (chief, True), (colleague, False)):
        login(user)
        html = unescape(client.get(f"/transmissions/personne/{world.anne.pk}/").content.decode())
        assert ("Visite de son fils" in html) is sees, user
        if sees:
            assert "Retirée</strong> le" in html and "motif : erreur de dossier" in html
            assert "(concerne Bruno)" in html
            assert f"/transmissions/note/{misfiled.pk}/retirer/" not in html
        client.logout()


def test_the_chief_withdraws_another_professionals_note_a_colleague_cannot(
    world, team, misfiled, chief
):
    colleague = world.user("educateur", facility=world.ehpad)
    with pytest.raises(PermissionDenied):
        _withdraw(colleague, misfiled)
    misfiled.refresh_from_db()
    assert misfiled.status == NoteStatus.ACTIVE
    _withdraw(chief, misfiled, reason="doublon", comment="")
    misfiled.refresh_from_db()
    assert (misfiled.status, misfiled.withdrawn_by) == (NoteStatus.WITHDRAWN, chief)


def test_the_chief_needs_to_read_the_notes_category(world, team, note_of, chief):
    """note.withdraw does not open the categories the chief may not read (psychological)."""
    note = note_of(team["psychologue"], world.anne, "psychological", target="Angoisses")
    with pytest.raises(PermissionDenied):
        _withdraw(chief, note)


def test_the_author_withdraws_at_any_time(world, team, misfiled, settings):
    Note.objects.filter(pk=misfiled.pk).update(created_at=timezone.now() - dt.timedelta(days=200))
    _withdraw(team["educateur"], misfiled)
    assert Note.objects.get(pk=misfiled.pk).status == NoteStatus.WITHDRAWN


@pytest.mark.parametrize(
    ("reason", "comment", "field"),
    [("", "", "reason"), ("efface", "", "reason"), ("autre", "  ", "comment")],
)
def test_a_bad_reason_is_refused_in_french_and_nothing_changes(
    world, team, misfiled, reason, comment, field
):
    with pytest.raises(ValidationError) as error:
        _withdraw(team["educateur"], misfiled, reason=reason, comment=comment)
    assert field in error.value.error_dict
    assert Note.objects.get(pk=misfiled.pk).status == NoteStatus.ACTIVE
    assert not AuditEvent.objects.filter(action="note.withdraw").exists()


def test_withdrawn_or_corrected_notes_are_refused(world, team, misfiled):
    Note.objects.filter(pk=misfiled.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    misfiled.refresh_from_db()
    correction = correct_note(
        Actor(team["educateur"]), misfiled, target="Visite", data="Bruno ravi (corrigé)."
    )
    with pytest.raises(ValidationError, match="dernière version"):
        _withdraw(team["educateur"], misfiled)
    _withdraw(team["educateur"], correction)
    with pytest.raises(ValidationError, match="déjà été retirée"):
        _withdraw(team["educateur"], correction)
    correction.refresh_from_db()
    with pytest.raises(ValidationError, match="retirée"):
        correct_note(Actor(team["educateur"]), correction, target="x", data="y")
    with pytest.raises(PermissionDenied):
        edit_note(
            Actor(team["educateur"]),
            correction,
            expected_version=correction.version,
            category="social",
            target="x",
            data="y",
        )


def test_a_stale_page_is_refused(world, team, misfiled):
    misfiled.refresh_from_db()
    loaded = misfiled.version
    Note.objects.filter(pk=misfiled.pk).update(version=loaded + 1)
    with pytest.raises(ConcurrentEditError):
        withdraw_note(
            Actor(team["educateur"]),
            misfiled,
            reason="doublon",
            expected_version=loaded,
        )
    assert Note.objects.get(pk=misfiled.pk).status == NoteStatus.ACTIVE


def _post(client, note, **data):
    return client.post(f"/transmissions/note/{note.pk}/retirer/", data)


def test_withdrawal_page(world, team, misfiled, login, client):
    login(team["educateur"])
    timeline = client.get(f"/transmissions/personne/{world.anne.pk}/").content.decode()
    assert f"/transmissions/note/{misfiled.pk}/retirer/" in timeline
    form = client.get(f"/transmissions/note/{misfiled.pk}/retirer/")
    assert form.status_code == 200
    assert form.context["form"].fields["expected_version"].required
    # Without the version loaded: refused, nothing changes.
    response = _post(client, misfiled, reason="doublon")
    assert response.status_code == 409  # said at the top like a concurrent edit (core.forms)
    assert Note.objects.get(pk=misfiled.pk).status == NoteStatus.ACTIVE
    response = _post(client, misfiled, reason="autre", comment="", expected_version=1)
    assert "Précisez le motif du retrait." in unescape(response.content.decode())
    response = _post(client, misfiled, reason="doublon", expected_version=0)
    assert response.status_code == 409
    response = _post(client, misfiled, reason="erreur_dossier", comment="", expected_version=1)
    assert (
        response.status_code == 302 and response.url == f"/transmissions/personne/{world.anne.pk}/"
    )
    assert Note.objects.get(pk=misfiled.pk).status == NoteStatus.WITHDRAWN
    # Already withdrawn: said, not done twice.
    response = _post(client, misfiled, reason="doublon", expected_version=2)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="note.withdraw").count() == 1


def test_a_colleague_gets_403_and_an_audit_row(world, misfiled, login, client):
    login(world.user("educateur", facility=world.ehpad))
    assert client.get(f"/transmissions/note/{misfiled.pk}/retirer/").status_code == 403
    assert _post(client, misfiled, reason="doublon", expected_version=1).status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied").last()
    assert denied.details["permission"] == "note.withdraw"
    assert list(denied.person_ids) == [world.anne.pk]
    assert Note.objects.get(pk=misfiled.pk).status == NoteStatus.ACTIVE


def test_the_dpo_reads_the_withdrawal_in_the_audit_trail(world, team, misfiled, login, client):
    _withdraw(team["educateur"], misfiled)
    login(world.user("dpo"))
    page = client.get("/audit/", {"action": "note.withdraw"})
    assert page.status_code == 200
    html = unescape(page.content.decode())
    assert "Transmission retirée du dossier" in html
    assert "MARTIN Anne" in html and "Champs modifiés" in html
    # The DPO has no access to the record itself (no data category).
    assert client.get(f"/transmissions/personne/{world.anne.pk}/").status_code == 403


def test_roles_migration_gives_the_chief_the_new_permissions(world):
    role = Role.objects.get(code="chef-de-service")
    role.permissions = [p for p in role.permissions if not p.startswith("note.")]
    role.save()
    module = importlib.import_module("opendui.accounts.migrations.0007_note_withdrawal_permissions")
    (upgrade,) = module.Migration.operations  # accounts.role_upgrades
    upgrade.code(global_apps, None)
    role.refresh_from_db()
    assert {"note.withdraw", "note.view_withdrawn"} <= set(role.permissions)
    others = Role.objects.exclude(code="chef-de-service")
    assert not any(p.startswith("note.") for r in others for p in r.permissions)
