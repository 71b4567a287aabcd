"""`opendui dmp exporter-cda --sortie DIR`: the contract used by outside checks."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opendui.core.actor import Actor
from opendui.core.services import CURRENT
from opendui.documents import store
from opendui.documents.services import replace_document
from opendui.interop.dmp import sending, services
from opendui.interop.dmp.models import DmpSubmission

from ...documents.generation.conftest import make_person
from .app_support import (
    PDF,
    FakeDmp,
    fake_cda,
    hand_made_document,
    identity_of,
    store_pdf,
    with_rpps,
)

pytestmark = pytest.mark.django_db


def send(submission, dmp):
    return sending.send(
        submission.pk, client=dmp, build_cda=fake_cda, make_document=hand_made_document
    )


def test_writes_the_latest_sent_version_of_each_document_as_submitted(world, tmp_path):
    educator = with_rpps(world.user("educateur", facility=world.ehpad), "1000000011", "SOC:51")
    person = make_person(world.ehpad)
    document = store_pdf(educator, person, world.ehpad)
    other = store_pdf(educator, person, world.ehpad)
    professional = identity_of(educator, world.ehpad)
    dmp = FakeDmp()
    services.share_document(Actor(educator), document, professional=professional)
    services.share_document(Actor(educator), other, professional=professional)
    for submission in DmpSubmission.objects.all():
        send(submission, dmp)
    replace_document(Actor(educator), document, files=[("v2.pdf", PDF)], expected_version=CURRENT)
    latest = services.queue_version(Actor(educator), document, professional=professional)
    send(latest, dmp)
    unsent = store_pdf(educator, person, world.ehpad)
    services.share_document(Actor(educator), unsent, professional=professional)

    out = tmp_path / "cda"
    call_command("dmp", "exporter-cda", "--sortie", str(out))
    expected = {
        s.unique_id: store.read(s.cda_name)
        for s in DmpSubmission.objects.filter(status="sent").exclude(pk=latest.replaces_id)
    }
    written = {path.stem: path.read_bytes() for path in out.iterdir()}
    assert written == expected and latest.unique_id in written and len(written) == 2


@pytest.mark.parametrize("arguments", [["exporter-cda"], ["exporter-cda", "--sortie", ""], []])
def test_bad_arguments_exit_2_in_french(arguments):
    with pytest.raises(CommandError) as raised:
        call_command("dmp", *arguments)
    assert raised.value.returncode == 2 and (
        "sortie" in str(raised.value) or "Sous-commande" in str(raised.value)
    )


def test_a_file_or_an_unwritable_folder_exit_2(tmp_path, db):
    a_file = tmp_path / "fichier"
    a_file.write_text("x")
    with pytest.raises(CommandError, match="est un fichier") as raised:
        call_command("dmp", "exporter-cda", "--sortie", str(a_file))
    assert raised.value.returncode == 2
    # A folder that cannot be created (its parent is a file).
    with pytest.raises(CommandError, match="ne peut pas être créé") as raised:
        call_command("dmp", "exporter-cda", "--sortie", str(a_file / "sous-dossier"))
    assert raised.value.returncode == 2


def test_the_console_script_exits_2_with_a_french_message(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "opendui.cli", "dmp", "exporter-cda"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "OPENDUI_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"},
    )
    assert result.returncode == 2 and "Indiquez le dossier de sortie" in result.stderr
