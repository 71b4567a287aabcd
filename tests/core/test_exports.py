"""`person.export` is checked on every export, and every export is audited.

EXPORTS lists each view that hands out a file or a printable document, with the role
that reads the page it is exported from. For each: that role with `person.export`
gets the file and an access event; the same role without it gets a 403 and an
`access.denied` event naming `person.export`, and no export event.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opendui.accounts.models import Role
from opendui.audit.models import AuditEvent
from opendui.core.downloads import attachment
from tests.incidents.helpers import incident_of


def _frozen_pp_of_anne(w) -> int:
    from opendui.accompaniment.models import PersonalisedProject

    now = timezone.now()
    return PersonalisedProject.objects.create(
        stay=w.anne.stays.get(),
        person=w.anne,
        project_type="PP",
        title="Projet d'Anne",
        status="ENCOURS",
        frozen=True,
        validated_at=now,
        validated_on=now.date(),
    ).pk


def _record_export_of_anne(w, *, ready: bool = False) -> dict:
    """A record export of world.anne by the user `_get` has just logged in (the latest)."""
    import uuid

    from opendui.accounts.models import User
    from opendui.documents import store
    from opendui.documents.models import RecordExport

    now = timezone.now()
    export = RecordExport.objects.create(
        public_id=uuid.uuid4(),
        person=w.anne,
        requested_by=User.objects.latest("pk"),
        reason="access_right",
        created_at=now,
        expires_at=now + dt.timedelta(hours=24),
    )
    if ready:
        name = store.write(store.new_name("exports", ".zip"), b"PK\x05\x06" + b"\0" * 18)
        RecordExport.objects.filter(pk=export.pk).update(
            status="ready", stored_name=name, size=22, progress=100
        )
    return {"pk": w.anne.pk, "export_id": export.public_id}


# name: (role reading the page, URL kwargs, query, audit action of the export)
# The action is None for a view that shows no personal data (the export's progress).
EXPORTS = {
    "accompaniment:pdf": ("chef-de-service", lambda w: {"pk": _frozen_pp_of_anne(w)}, {}, "pp.pdf"),
    "incidents:ars_declaration": (
        "chef-de-service",
        lambda w: {"pk": incident_of(w).pk},
        {},
        "incident.ars_export",
    ),
    "incidents:ars_text": (
        "chef-de-service",
        lambda w: {"pk": incident_of(w).pk},
        {},
        "incident.ars_export",
    ),
    "documents:export_request": (
        "chef-de-service",
        lambda w: {"pk": w.anne.pk},
        {},
        "record_export.form",
    ),
    "documents:export_status": (
        "chef-de-service",
        _record_export_of_anne,
        {},
        "record_export.status",
    ),
    "documents:export_progress": ("chef-de-service", _record_export_of_anne, {}, None),
    "documents:export_download": (
        "chef-de-service",
        lambda w: _record_export_of_anne(w, ready=True),
        {},
        "record_export.download",
    ),
    "pilotage:proof_csv": (
        "directeur",
        lambda w: {"facility_pk": w.ehpad.pk},
        {"mois": "2026-01"},
        "pilotage.proof_export",
    ),
    "pilotage:proof_pdf": (
        "directeur",
        lambda w: {"facility_pk": w.ehpad.pk},
        {"mois": "2026-01"},
        "pilotage.proof_export",
    ),
    "pilotage:proof_csv_all": ("directeur", None, {"mois": "2026-01"}, "pilotage.proof_export"),
    "pilotage:proof_pdf_all": ("directeur", None, {"mois": "2026-01"}, "pilotage.proof_export"),
    "pilotage:activity_csv": (
        "chef-de-service",
        lambda w: {"facility_pk": w.ehpad.pk},
        {"annee": "2025"},
        "pilotage.activity_report",
    ),
    "pilotage:activity_pdf": (
        "chef-de-service",
        lambda w: {"facility_pk": w.ehpad.pk},
        {"annee": "2025"},
        "pilotage.activity_report",
    ),
}


def _without_export(code: str) -> str:
    """A copy of the built-in role `code` without person.export."""
    role = Role.objects.get(code=code)
    Role.objects.create(
        code=f"{code}-sans-export",
        name=f"{role.name} (sans export)",
        permissions=[p for p in role.permissions if p != "person.export"],
        data_access=role.data_access,
    )
    return f"{code}-sans-export"


def _get(world, name: str, role: str) -> tuple:
    _, kwargs, query, _ = EXPORTS[name]
    client = Client()
    client.force_login(world.user(role, facility=world.ehpad))
    client.get("/")
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    before = AuditEvent.objects.count()
    response = client.get(url, query)
    return response, AuditEvent.objects.order_by("seq")[before:]


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_an_export_needs_person_export_and_is_audited(world, name):
    role, _, _, action = EXPORTS[name]
    response, events = _get(world, name, role)
    assert response.status_code == 200, response.content[:300]
    assert [e.action for e in events if e.kind == "access"] == ([action] if action else [])


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_an_export_without_person_export_is_refused_and_audited(world, name):
    role, _, _, action = EXPORTS[name]
    response, events = _get(world, name, _without_export(role))
    assert response.status_code == 403
    denied = [e for e in events if e.action == "access.denied"]
    assert [e.details["permission"] for e in denied] == ["person.export"]
    assert not [e for e in events if e.action == action]


EXPORTING_CALLS = {"attachment", "authorize_export"}


def _exporting_functions(module) -> set[str]:
    """Module-level functions of `module` that call, directly or through other functions
    of the module, `attachment` or `authorize_export`."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))
    calls: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            calls[node.name] = {
                call.func.id
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            }
    exporting = {name for name, called in calls.items() if called & EXPORTING_CALLS}
    while True:
        more = {name for name, called in calls.items() if called & exporting} - exporting
        if not more:
            return exporting
        exporting |= more


def test_every_export_view_is_listed_here():
    """A new view that hands out a file (or checks the export right) must be added to
    EXPORTS, and so be tested for the check and the audit."""
    import inspect

    from django.urls import URLPattern, URLResolver, get_resolver

    found = set()

    def visit(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                visit(
                    entry.url_patterns, prefix + (f"{entry.namespace}:" if entry.namespace else "")
                )
            elif isinstance(entry, URLPattern):
                view = inspect.unwrap(entry.callback)
                if view.__name__ in _exporting_functions(inspect.getmodule(view)):
                    found.add(prefix + entry.name)

    visit(get_resolver().url_patterns)
    assert found == set(EXPORTS)


def test_a_download_without_the_export_permit_is_a_programming_error():
    with pytest.raises(TypeError):
        attachment(b"x", "text/csv", "x.csv", permit=None)
    with pytest.raises(TypeError):
        attachment(b"x", "text/csv", "x.csv")


def test_export_links_are_offered_only_with_the_right(world):
    """The PP page shows the PDF link to the chief of service, not to a chief without it."""
    pk = _frozen_pp_of_anne(world)
    for role, shown in (("chef-de-service", True), (_without_export("chef-de-service"), False)):
        client = Client()
        client.force_login(world.user(role, facility=world.ehpad))
        body = client.get(f"/projets/{pk}/").content.decode()
        assert (f"/projets/{pk}/pdf/" in body) is shown


def test_a_break_glass_export_carries_the_flag(world):
    """An export made under break-the-glass is flagged with its reason, like the reading."""
    from opendui.accounts.models import BreakGlassGrant

    pk = _frozen_pp_of_anne(world)
    chief = world.user("chef-de-service", facility=world.ime)
    BreakGlassGrant.objects.create(
        user=chief,
        person=world.anne,
        reason="Remplacement du chef de service de l'EHPAD",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    client = Client()
    client.force_login(chief)
    assert client.get(f"/projets/{pk}/pdf/").status_code == 200
    event = AuditEvent.objects.get(action="pp.pdf")
    assert event.break_glass and event.reason.startswith("Remplacement")
