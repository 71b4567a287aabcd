"""directory 0003: the directory's phones, stored in the national form until then, are
brought to E.164 (core.phones) and back; a value the rule cannot read is kept as it is."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("directory", "0002_default_permissions")
AFTER = ("directory", "0003_phones_in_international_form")

STORED_BEFORE = {
    "01 23 45 67 89": "+33123456789",
    "06 92 12 34 56": "+262692123456",  # La Réunion: its own country code
    "+3221234567": "+3221234567",  # already international
    "12 34": "12 34",  # unreadable: left as it is
    "": "",
}


def _migrate(target: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state(target).apps


def _phones(apps, name: str) -> dict[str, str]:
    model = apps.get_model("directory", name)
    return dict(
        model.objects.values_list("name" if name == "ExternalStructure" else "last_name", "phone")
    )


def test_the_migration_converts_stored_phones_and_back(transactional_db):
    apps = _migrate(BEFORE)
    try:
        organisation = apps.get_model("organisations", "ManagingOrganisation").objects.create(
            name="Asso", finess_ej="750000010", siret="12345678900010", legal_status="association"
        )
        professional = apps.get_model("directory", "ExternalProfessional")
        structure = apps.get_model("directory", "ExternalStructure")
        for n, phone in enumerate(STORED_BEFORE):
            professional.objects.create(organisation=organisation, last_name=f"P{n}", phone=phone)
            structure.objects.create(
                organisation=organisation, name=f"S{n}", kind="autre", phone=phone
            )
        expected_before = {f"P{n}": p for n, p in enumerate(STORED_BEFORE)}
        expected_after = {f"P{n}": p for n, p in enumerate(STORED_BEFORE.values())}

        apps = _migrate(AFTER)
        assert _phones(apps, "ExternalProfessional") == expected_after
        assert _phones(apps, "ExternalStructure") == {
            f"S{k[1:]}": v for k, v in expected_after.items()
        }

        apps = _migrate(BEFORE)  # back: French numbers in the national form again
        assert _phones(apps, "ExternalProfessional") == expected_before
        assert _phones(apps, "ExternalStructure") == {
            f"S{k[1:]}": v for k, v in expected_before.items()
        }
    finally:
        _migrate(AFTER)
