"""Lower apps never import higher ones (DESIGN.md rule 8, docs/architecture.md): higher
apps plug into lower ones through registries called from AppConfig.ready() (core.home,
persons.sections). Every module of src/opendui is parsed (imports inside functions too);
an import of a higher app fails unless it is one of the exceptions listed below, each
with its reason. Remove an exception when the code stops needing it (the test also fails
on an exception that no longer matches any import, so the list cannot rot)."""

from __future__ import annotations

import ast
from pathlib import Path

import opendui

#: The order of the apps, lowest first: the one place where the test states it.
ORDER = (
    "core",
    "geography",
    # The Annuaire Santé client (no models): accounts and directory both use it.
    "annuaire",
    "nomenclatures",
    "organisations",
    "accounts",
    "audit",
    "persons",
    "stays",
    "directory",
    "administrative",
    "interop",
    "accompaniment",
    "agenda",
    "incidents",
    "evaluations",
    "notes",
    "documents",
    # The DMP feed shares documents of the store: above documents, below pilotage (which
    # reads documents.Sharing only). Other interop packages rank as "interop".
    "interop.dmp",
    "pilotage",
    "programme",
)
RANK = {app: rank for rank, app in enumerate(ORDER)}

_CORE_AUTHZ = (
    "core is the shared shell: its authorisation, audit and actor helpers wrap accounts/audit"
)
_CORE_DEMO = "the demo and seed commands build a whole organisation across apps"
_ACCOUNTS_AUDIT = "accounts writes its changes in the audit trail (audit is just above it)"
_SCOPE = "the access scope follows the person's placements (stays.Placement) and persons"
_AUDIT_PERSONS = "the audit pages and selectors name and filter the persons of the events"
_PERSONS_STAYS = "creation, listing and search of persons read or open admission requests/stays"

#: (module under src/opendui, imported app): reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("core/actor.py", "accounts"): _CORE_AUTHZ,
    ("core/authz.py", "accounts"): _CORE_AUTHZ,
    ("core/authz.py", "audit"): _CORE_AUTHZ,
    ("core/checks.py", "accounts"): "deployment checks inspect the accounts' settings",
    ("core/checks.py", "audit"): "deployment checks inspect the audit trail's settings",
    ("core/exports.py", "accounts"): _CORE_AUTHZ,
    ("core/home.py", "accounts"): _CORE_AUTHZ,
    ("core/navigation.py", "accounts"): "the main navigation shows what the user's grants allow",
    ("core/services.py", "audit"): _CORE_AUTHZ,
    ("core/views.py", "accounts"): "the home page and facility switcher read the user's grants",
    ("core/views.py", "persons"): "the home page's person search",
    ("core/views.py", "stays"): "the home page's facility switcher reads placements",
    ("core/middleware.py", "organisations"): "the current facility of the request",
    ("core/management/commands/demo.py", "annuaire"): _CORE_DEMO,
    ("core/management/commands/demo.py", "audit"): _CORE_DEMO,
    ("core/management/commands/demo.py", "interop"): _CORE_DEMO,
    ("core/management/commands/demo.py", "interop.dmp"): _CORE_DEMO,
    ("core/management/commands/demo.py", "organisations"): _CORE_DEMO,
    ("core/management/commands/seed.py", "organisations"): _CORE_DEMO,
    ("organisations/selectors.py", "accounts"): "facilities listed within the user's scope",
    ("organisations/selectors.py", "stays"): "facility occupancy counts the running stays",
    ("organisations/services.py", "accounts"): "creating a facility checks and grants rights",
    ("organisations/services.py", "audit"): "organisation changes are audited",
    ("accounts/access.py", "persons"): _SCOPE,
    ("accounts/access.py", "stays"): _SCOPE,
    ("accounts/grants.py", "audit"): _ACCOUNTS_AUDIT,
    ("accounts/services.py", "audit"): _ACCOUNTS_AUDIT,
    ("accounts/services_admin.py", "audit"): _ACCOUNTS_AUDIT,
    ("accounts/tasks.py", "audit"): _ACCOUNTS_AUDIT,
    ("accounts/annuaire_recheck.py", "audit"): (
        "the Annuaire re-check records its security notices and reads the last one back"
    ),
    ("accounts/views_admin.py", "audit"): _ACCOUNTS_AUDIT,
    ("accounts/views_grants.py", "audit"): _ACCOUNTS_AUDIT,
    ("accounts/views_psc.py", "audit"): _ACCOUNTS_AUDIT,
    ("audit/selectors.py", "persons"): _AUDIT_PERSONS,
    ("audit/views.py", "persons"): _AUDIT_PERSONS,
    ("persons/forms_create.py", "stays"): _PERSONS_STAYS,
    ("persons/listing.py", "stays"): _PERSONS_STAYS,
    ("persons/selectors.py", "stays"): _PERSONS_STAYS,
    ("persons/services_create.py", "stays"): _PERSONS_STAYS,
    (
        "persons/views_identity.py",
        "interop",
    ): "the INSi search (téléservice) is run from the identity page",
    (
        "accompaniment/from_evaluation.py",
        "evaluations",
    ): "a PP section is drafted from an evaluation's answers",
    (
        "accompaniment/views.py",
        "evaluations",
    ): "a PP section is drafted from an evaluation's answers",
    ("interop/mssante/xdm.py", "interop.dmp"): (
        "the XDM archive reuses the pure XDS metadata builders of the DMP (dmp.xds); the",
        "MSSanté package has no rank of its own until it becomes an app",
    ),
}

SOURCE = Path(opendui.__file__).parent


def imported_apps(path: Path) -> set[str]:
    """The opendui apps a module imports, anywhere in it (absolute imports; relative
    imports stay within the app)."""
    apps = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "opendui" and len(parts) > 1:
                app = app_of(parts[1:])
                if app in RANK:
                    apps.add(app)
    return apps


def app_of(parts: tuple[str, ...] | list[str]) -> str:
    """The app of a module path under opendui: its first part, or `interop.<name>` when
    that sub-package has a rank of its own."""
    if len(parts) > 1 and f"{parts[0]}.{parts[1]}" in RANK:
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


def upward_imports() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        app = app_of(relative.parts)
        if app not in RANK or "migrations" in relative.parts:
            continue
        for imported in imported_apps(path):
            if RANK[imported] > RANK[app]:
                found.add((relative.as_posix(), imported))
    return found


def test_every_app_of_the_source_is_in_the_order():
    apps = {p.name for p in SOURCE.iterdir() if (p / "apps.py").exists()}
    # demo and jobs are above every app (they serve them all): not part of the order.
    assert apps - {"demo", "jobs"} <= set(ORDER), apps - set(ORDER)
    # interop's sub-packages with a rank of their own are Django apps too.
    ranked = {app for app in ORDER if "." in app}
    assert all((SOURCE / app.replace(".", "/") / "apps.py").exists() for app in ranked)


def test_no_app_imports_a_higher_app():
    unexpected = sorted(upward_imports() - set(EXCEPTIONS))
    assert not unexpected, "lower app imports a higher one (use a registry): " + ", ".join(
        f"{module} → {app}" for module, app in unexpected
    )


def test_exceptions_are_still_needed():
    stale = sorted(set(EXCEPTIONS) - upward_imports())
    assert not stale, f"exceptions that no longer match an import, remove them: {stale}"


def test_persons_record_imports_no_higher_app():
    """The record page is assembled through persons.sections (issue 13 §3)."""
    for name in ("record.py", "sections.py", "templatetags/record_header.py"):
        assert imported_apps(SOURCE / "persons" / name) <= set(ORDER[: RANK["persons"] + 1])


def test_the_dmp_feed_ranks_above_documents_and_below_pilotage(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from opendui.interop.dmp.models import DmpShare\nimport opendui.interop.insi\n"
    )
    assert imported_apps(module) == {"interop.dmp", "interop"}
    assert RANK["documents"] < RANK["interop.dmp"] < RANK["pilotage"]


def test_the_parser_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from opendui.notes.models import Note\n    import opendui.stays.rules\n"
    )
    assert imported_apps(module) == {"notes", "stays"}
