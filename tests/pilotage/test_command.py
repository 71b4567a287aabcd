"""`opendui indicateurs`: the JSON contract and its refusals (exit status 2)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from opendui.agenda.models import EventChange
from opendui.documents.models import Sharing
from opendui.pilotage.models import ProjectChange, RecordActivity

KEYS = ["dossiers_actifs", "dossiers_actifs_pp", "dossiers_actifs_evenement", "mssante", "dmp"]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("indicateurs", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def march(world):
    """Anne and Bruno accompanied in the EHPAD (since 2024); in March 2026 Anne's record is
    updated by a professional, with an agenda event and a running PP, Bruno's by a job only;
    two MSSanté messages and one DMP document sent."""
    day = dt.date(2026, 3, 10)
    RecordActivity.objects.create(person_id=world.anne.pk, day=day)
    RecordActivity.objects.create(person_id=world.bruno.pk, day=day, by_job=True)
    EventChange.objects.create(
        person_id=world.anne.pk,
        facility_id=world.ehpad.pk,
        event_id=1,
        changed_at=noon(day),
        kind="create",
    )
    ProjectChange.objects.create(
        project_id=1,
        person_id=world.anne.pk,
        facility_id=world.ehpad.pk,
        changed_at=noon(dt.date(2026, 1, 5)),
        status="ENCOURS",
        by_job=False,
    )
    for person in (None, world.anne):
        Sharing.objects.create(
            channel="MSSANTE", facility=world.ehpad, person=person, sent_at=noon(day)
        )
    Sharing.objects.create(
        channel="DMP", facility=world.ehpad, person=world.anne, sent_at=noon(day)
    )
    return world


@pytest.mark.django_db
def test_json_contract(march):
    code, out, err = run("--finess", march.ehpad.finess_et, "--mois", "2026-03")
    assert code == 0, err
    result = json.loads(out)
    assert list(result) == KEYS
    assert result["dossiers_actifs"] | {} == {
        "numerateur": 1,
        "denominateur": 2,
        "taux": 50.0,
        "cible": 90,
        "variante": "personnes_accompagnees",
        "libelle": "Taux de dossiers actifs",
    }
    assert result["dossiers_actifs_pp"]["taux"] == 100.0
    assert result["dossiers_actifs_evenement"]["numerateur"] == 1
    # Two messages, one about Anne (active, with a PP), one about nobody: Anne counts once,
    # the messages are given apart (was 2 over 1: 200 %).
    assert (result["mssante"]["numerateur"], result["mssante"]["denominateur"]) == (1, 1)
    assert result["mssante"]["taux"] == 100.0 and result["mssante"]["cible"] == 70
    assert result["mssante"]["envois"] == 2 and result["dmp"]["envois"] == 1
    assert result["dmp"]["taux"] == 100.0
    assert "envois" not in result["dossiers_actifs"]


@pytest.mark.django_db
def test_empty_month_gives_null_rates_and_variants_apply(march):
    code, out, _ = run("--finess", march.ime.finess_et, "--mois", "2025-01", "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["dossiers_actifs_pp"]["taux"] is None
    code, out, _ = run(
        "--finess",
        march.ehpad.finess_et,
        "--mois",
        "2026-03",
        "--variante",
        "mssante=personnes_pouvant_beneficier_pp",
    )
    assert json.loads(out)["mssante"]["denominateur"] == 2
    code, out, _ = run("--finess", march.ehpad.finess_et, "--mois", "2026-03", "--premiere-mesure")
    assert json.loads(out)["dossiers_actifs"]["numerateur"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--finess", "123456789", "--mois", "2026-03"], "FINESS géographique inconnu"),
        (["--finess", "EHPAD", "--mois", "2026-3"], "Mois invalide"),
        (["--finess", "EHPAD", "--mois", "2026-13"], "Mois invalide"),
        (["--finess", "EHPAD", "--mois", "2999-01"], "dans le futur"),
        (["--finess", "EHPAD", "--variante", "mssante=x"], "Variante inconnue"),
    ],
)
def test_refusals(world, args, message):
    args = [world.ehpad.finess_et if a == "EHPAD" else a for a in args]
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert message in err


def test_usage_errors_exit_2_from_the_command_line():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "opendui.cli", "indicateurs", "--mois", "2026-03"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Argument manquant" in done.stderr and done.stdout == ""
