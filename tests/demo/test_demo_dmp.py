"""The demo's DMP history: the seed only qualifies identities and queues the PPs' storing;
the worker stores them, the feed shares them and the real client sends them to the
simulator. No DMP row is seeded."""

from __future__ import annotations

import pytest

from opendui.demo.dmp import DIRECTOR_RPPS_PLUS, DMP_PERSONS, demo_ins
from opendui.documents.models import Channel, Sharing
from opendui.interop.dmp.models import DmpShare, DmpSubmission
from opendui.jobs.models import Job
from opendui.persons.models import Person


def qualified():
    return [p for p in Person.objects.exclude(ins_matricule="") if p.transmittable_ins]


def test_demo_ins_are_keyed_nir_shapes():
    ins = demo_ins("F", 1936, 6, "401")
    assert len(ins) == 15 and ins[:10] == "2360637261" and ins[10:13] == "401"
    assert 97 - int(ins[:13]) % 97 == int(ins[13:])


def test_the_seed_queues_the_pps_and_writes_no_dmp_row(seeded):
    assert seeded.counts()["dmp_projets"] == DMP_PERSONS
    assert not DmpShare.objects.exists() and not DmpSubmission.objects.exists()
    assert not Sharing.objects.filter(channel=Channel.DMP).exists()
    persons = qualified()
    assert len(persons) == DMP_PERSONS
    assert sum(p.ins_matricule[10:13] == "990" for p in persons) == 1
    jobs = Job.objects.filter(task_path="opendui.documents.tasks.store_project_pdf")
    assert jobs.count() == DMP_PERSONS


@pytest.mark.django_db
def test_the_worker_sends_the_demo_pps_to_the_simulator(seeded, dmp_service):
    from opendui.jobs.worker import run_pending

    run_pending()  # PDFs stored, shares and sends queued
    run_pending()  # sends
    submissions = list(DmpSubmission.objects.select_related("person"))
    assert len(submissions) == DMP_PERSONS
    statuses = sorted(s.status for s in submissions)
    assert statuses.count("sent") == DMP_PERSONS - 1, [(s.status, s.reason) for s in submissions]
    refused = next(s for s in submissions if s.status != "sent")
    assert refused.status == "refused" and "pas de DMP" in refused.reason
    assert all(s.professional["idnat"] == "8" + DIRECTOR_RPPS_PLUS for s in submissions)
    assert Sharing.objects.filter(channel=Channel.DMP).count() == DMP_PERSONS - 1


@pytest.mark.django_db
def test_the_demo_command_starts_the_simulator_unless_a_dmp_is_configured(settings, tmp_path):
    import io

    from opendui.core.checks import _dmp_endpoint
    from opendui.core.management.commands.demo import Command

    settings.PROJECT_DIR = tmp_path
    settings.DMP_ENDPOINT = ""
    settings.DMP_LPS_ID = ""
    command = Command(stdout=io.StringIO())
    command._start_dmp_simulator(0)
    try:
        assert settings.DMP_ENDPOINT.startswith("https://127.0.0.1:")
        assert (tmp_path / "var" / "pki").is_dir() and settings.DMP_LPS_ID == "OPENDUI-DEMO"
        assert "Simulateur du DMP" in command.stdout.getvalue()
        # `opendui check --deploy` refuses the simulator's endpoint.
        assert "opendui.E040" in {error.id for error in _dmp_endpoint()}
    finally:
        command.dmp_server.shutdown()
        command.dmp_server.server_close()
    settings.DMP_ENDPOINT = "https://dmp.example/si-dmp-server/v2/services"
    other = Command(stdout=io.StringIO())
    other._start_dmp_simulator(0)
    assert other.dmp_server is None and "dmp.example" in other.stdout.getvalue()
