"""`opendui rapport-activite`: JSON and CSV output, French refusals with exit status 2."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.stays.models import Stay

CONSOLE_SCRIPT = Path(sys.executable).with_name("opendui")
COMMAND = "rapport-activite"


def run(*arguments: str) -> tuple[int, str, str]:
    """call_command with captured output; SystemExit(2) gives the exit status."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command(COMMAND, *arguments, stdout=stdout, stderr=stderr)
    except SystemExit as exit_:
        return int(exit_.code), stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


def console(*arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "OPENDUI_DATABASE_URL": "sqlite://", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(  # noqa: S603 (our own console script, fixed arguments)
        [str(CONSOLE_SCRIPT), COMMAND, *arguments],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=120,
        check=False,
    )


def test_django_finds_the_hyphenated_command():
    assert get_commands()[COMMAND] == "opendui.pilotage"
    result = console("--help")
    assert result.returncode == 0
    assert "--finess" in result.stdout and "--annee" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "Argument manquant : indiquez --finess"),
        (("--finess", "750000028"), "Argument manquant"),
        (
            ("--finess", "750000028", "--annee", "2024", "--format", "xml"),
            "Format inconnu : « xml »",
        ),
        (("--finess", "750000028", "--annee", "2024", "--mois", "3"), "Option inconnue"),
    ],
)
def test_usage_errors_from_the_console(arguments, message):
    result = console(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.django_db
def test_json_report(world):
    Stay.objects.filter(facility=world.ehpad).update(mode="hebergement_permanent")
    code, out, err = run("--finess", world.ehpad.finess_et, "--annee", "2024")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["finess"] == world.ehpad.finess_et
    assert (data["annee"], data["du"], data["au"], data["en_cours"]) == (
        2024,
        "2024-01-01",
        "2024-12-31",
        False,
    )
    assert data["file_active"] == 2
    permanent = data["modes"][0]
    assert permanent["mode"] == "hebergement_permanent"
    assert (permanent["capacite"], permanent["journees_sejour"]) == (80, 732)
    assert permanent["taux_occupation"] == 2.5
    assert data["gmp"] is None
    assert set(data["evenements_indesirables"]["par_categorie"]) == {str(i) for i in range(1, 12)}
    event = AuditEvent.objects.get(action="pilotage.activity_report")
    assert event.details == {"annee": 2024, "format": "json"}
    assert event.user_id is None


@pytest.mark.django_db
def test_csv_report(world):
    code, out, _ = run("--finess", world.ehpad.finess_et, "--annee", "2024", "--format", "csv")
    assert code == 0
    assert not out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out), delimiter=";"))
    assert rows[0][:3] == ["FINESS géographique", "Année", "Rubrique"]
    assert ["File active", "Total", "Personnes", "2"] in [r[2:] for r in rows]


@pytest.mark.django_db
def test_the_year_in_progress_is_allowed(world):
    year = str(timezone.localdate().year)
    code, out, _ = run("--finess", world.ehpad.finess_et, "--annee", year)
    assert code == 0
    assert json.loads(out)["en_cours"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("finess", "year", "message"),
    [
        ("123456789", "2024", "FINESS géographique inconnu : « 123456789 »"),
        (None, "24", "Année invalide : « 24 »"),
        (None, "2024-01", "Année invalide"),
        (None, str(timezone.localdate().year + 1), "n'a pas commencé"),
    ],
)
def test_refusals_exit_2_with_nothing_on_stdout(world, finess, year, message):
    code, out, err = run("--finess", finess or world.ehpad.finess_et, "--annee", year)
    assert code == 2
    assert out == ""
    assert message in err
    assert not AuditEvent.objects.filter(action="pilotage.activity_report").exists()
