"""The `opendui financement` contract: JSON keys and amounts, French errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONSOLE_SCRIPT = Path(sys.executable).with_name("opendui")
KEYS = [
    "eligible",
    "motifs",
    "usages",
    "logiciel",
    "materiel",
    "amoa_projet",
    "amoa_marche",
    "total",
    "sons_editeur",
    "notes",
]


def run(arguments: str) -> subprocess.CompletedProcess:
    assert CONSOLE_SCRIPT.exists(), f"console script missing: {CONSOLE_SCRIPT}"
    environment = {**os.environ, "OPENDUI_DATABASE_URL": "sqlite://", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(  # noqa: S603 (our own console script, fixed arguments)
        [str(CONSOLE_SCRIPT), "financement", *arguments.split()],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=120,
        check=False,
    )


def ok(arguments: str) -> dict:
    result = run(arguments)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert list(data) == KEYS
    return data


def test_2022_acquisition_of_a_small_og_in_a_grappe_of_15():
    data = ok("--bareme 2022 --projet acquisition --segur oui --essms 15 --petit-og")
    assert data["eligible"] is True and data["motifs"] == []
    amounts = {k: data[k] for k in KEYS[2:9]}
    assert amounts == {
        "usages": 105_000,
        "logiciel": 217_500,
        "materiel": 300_000,
        "amoa_projet": 100_000,
        "amoa_marche": 15_000,
        "total": 737_500,
        "sons_editeur": 0,
    }
    assert all(isinstance(data[k], int) for k in KEYS[2:9])


def test_part_of_a_national_grappe_and_2025_cliff_note():
    data = ok("--bareme 2022 --projet acquisition --segur oui --essms 10 --grappe 60")
    assert (data["usages"], data["logiciel"], data["total"]) == (20_000, 30_000, 50_000)
    assert any("national" in note for note in data["notes"])
    data = ok("--bareme 2025 --projet acquisition --segur oui --essms 51")
    assert data["total"] == 51 * 5_000
    assert any("taux réduit" in note for note in data["notes"])


def test_upgrade_not_eligible_but_sons_for_the_editor():
    data = ok("--bareme 2022 --projet montee-de-version --segur oui --essms 5")
    assert data["eligible"] is False
    assert "écartée d'office" in data["motifs"][0]
    assert (data["total"], data["sons_editeur"]) == (0, 5 * 2_190)
    data = ok("--bareme 2025 --projet montee-de-version --segur non --essms 20")
    assert data["eligible"] is False and data["total"] == 0 and data["sons_editeur"] == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("--bareme 2023 --projet acquisition --segur oui --essms 15", "Barème inconnu « 2023 »"),
        ("--bareme 2022 --projet renovation --segur oui --essms 15", "Type de projet inconnu"),
        ("--bareme 2022 --projet acquisition --segur peut-etre --essms 15", "--segur inconnue"),
        (
            "--bareme 2022 --projet acquisition --segur oui --essms 0",
            "entier supérieur ou égal à 1",
        ),
        ("--bareme 2022 --projet acquisition --segur oui --essms -3", "--essms « -3 »"),
        ("--bareme 2022 --projet acquisition --segur oui --essms 2.5", "--essms « 2.5 »"),
        ("--bareme 2022 --projet acquisition --segur oui --essms 20 --grappe 15", "moins d'ESSMS"),
        ("--bareme 2022 --projet acquisition --segur oui --essms 5 --grappe x", "--grappe « x »"),
        ("--bareme 2022 --projet acquisition --segur oui", "Argument manquant"),
        ("--bareme 2022 --projet acquisition --segur oui --essms 5 --zut", "Argument inconnu"),
    ],
)
def test_bad_input_is_refused_in_french_with_exit_2(arguments, message):
    result = run(arguments)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Usage : opendui financement" in result.stderr
