"""The DMP feed end to end: real services, real worker, real client, the TLS simulator.

A projet personnalisé validated through the accompaniment services is stored as a PDF by
its job, handed to the feed, sent by the send job (`run_pending`, the worker's API) with
the client configured by the OPENDUI_DMP_* settings to the loopback simulator over mutual
TLS with the test PKI. Nothing on the way is replaced by a fake.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from lxml import etree

from opendui.core.actor import Actor
from opendui.core.services import CURRENT
from opendui.documents import store
from opendui.documents.models import Sharing
from opendui.interop import testpki
from opendui.interop.dmp import conformance, errors, services, xds
from opendui.interop.dmp.models import DmpSubmission
from opendui.interop.dmp.simulator import DmpPatientState, serve
from opendui.jobs.models import Job
from opendui.jobs.worker import run_pending
from opendui.persons.consents import record_consent
from opendui.pilotage.definitions import DMP, Period
from opendui.pilotage.indicators import compute_facility

from ...documents.generation.conftest import make_person
from ...documents.test_evaluation_pdf import validated_grid
from ...documents.test_project_pdf import validated
from .app_support import identity_of, with_rpps

pytestmark = pytest.mark.django_db

MATRICULE = "297022A02077878"  # national test identity born in Corse-du-Sud
NS = {"h": "urn:hl7-org:v3"}
SEND_JOB = "opendui.interop.dmp.tasks.send_submission"


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return testpki.ensure_test_pki(tmp_path_factory.mktemp("dmp-e2e-pki"))


@pytest.fixture(scope="module")
def simulator(pki):
    server, thread, url = serve(pki_dir=pki.directory)
    yield server, url
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def dmp(simulator, pki, settings, kit):
    """The simulator's state, empty, and the settings pointing at it (the kit is required:
    the simulator checks every CDA against its XSD)."""
    server, url = simulator
    state = server.simulator.state
    state.reset()
    settings.DMP_ENDPOINT = url
    settings.DMP_CERT_FILE = str(pki.client_cert)
    settings.DMP_KEY_FILE = str(pki.client_key)
    settings.DMP_CA_FILE = str(pki.ca_cert)
    settings.DMP_LPS_ID = "LPS-TEST-1"
    settings.DMP_HOMOLOGATION = "HOMOLOGATION-TEST-1"
    settings.DMP_CONNECT_TIMEOUT = 2
    settings.DMP_READ_TIMEOUT = 10
    yield state
    state.reset()


@pytest.fixture
def person(world):
    return make_person(world.ehpad)


@pytest.fixture
def educator(world):
    return world.user("educateur", facility=world.ehpad)


@pytest.fixture
def chief(world):
    return with_rpps(world.user("chef-de-service", facility=world.ehpad), "1000000099", "SOC:51")


def entry_of(state, unique_id: str) -> dict:
    """The simulator's current entry of a document (its last metadata version)."""
    entries = [e for e in state.entries.values() if e["unique_id"] == unique_id]
    return max(entries, key=lambda e: e["version"])


def confidentiality_codes(entry: dict) -> set[str]:
    metadata = etree.fromstring(entry["metadata"].encode("utf-8"))
    return {xds.coded_of(c).code for c in xds.classifications(metadata, xds.DE_CONFIDENTIALITY)}


def dmp_rate(facility):
    today = timezone.localdate()
    results = compute_facility(facility, Period.month(today.year, today.month))
    return next(r for r in results if r.key == DMP)


def later(minutes: int = 10) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_a_validated_pp_goes_to_the_dmp_is_replaced_hidden_and_removed(
    dmp, world, person, educator, chief
):
    before = dmp_rate(world.ehpad)
    first_pp = validated(person, educator, chief)
    run_pending()
    first = DmpSubmission.objects.get()
    assert first.status == "sent", first.reason or first.last_error
    cda = store.read(first.cda_name)
    assert dmp.documents[first.unique_id] == cda  # the simulator holds the exact bytes
    assert conformance.xsd_errors(cda) == []
    root = etree.fromstring(cda)
    assert root.find("h:recordTarget/h:patientRole/h:id", NS).get("extension") == MATRICULE
    entry = entry_of(dmp, first.unique_id)
    assert first.entry_uuid == entry["entry_uuid"] and entry["status"] == xds.APPROVED
    assert entry["patient_id"].startswith(MATRICULE + "^^^")
    sharing = Sharing.objects.get()
    assert (sharing.channel, sharing.person, sharing.external_id) == (
        "DMP",
        person,
        first.unique_id,
    )
    after = dmp_rate(world.ehpad)
    assert after.sent == (before.sent or 0) + 1
    assert after.numerator == before.numerator + 1

    # A new PP version replaces the first one: the simulator deprecates it.
    validated(person, educator, chief, previous=first_pp)
    run_pending()
    second = DmpSubmission.objects.exclude(pk=first.pk).get()
    assert second.status == "sent" and second.replaces == first
    assert entry_of(dmp, first.unique_id)["status"] == xds.DEPRECATED
    assert entry_of(dmp, second.unique_id)["status"] == xds.APPROVED
    assert dmp_rate(world.ehpad).numerator == after.numerator  # one person, counted once

    # Hidden from the person: a metadata update (ITI-57) of the version in the DMP.
    share = second.share
    share = services.change_visibility(
        Actor(chief),
        share,
        visibility={"invisible_to_patient": True},
        professional=identity_of(chief, world.ehpad),
        expected_version=CURRENT,
    )
    run_pending()
    share.refresh_from_db()
    assert share.visibility_status == "done", share.visibility_error
    assert xds.INVISIBLE_PATIENT in confidentiality_codes(entry_of(dmp, second.unique_id))

    # Removed at the person's request: deleted in the DMP.
    services.remove_from_dmp(
        Actor(chief),
        share,
        reason="Demande de la personne",
        professional=identity_of(chief, world.ehpad),
        expected_version=CURRENT,
    )
    run_pending()
    share.refresh_from_db()
    assert share.removal_status == "done", share.removal_error
    assert entry_of(dmp, second.unique_id)["status"] == xds.DELETED
    assert not Job.objects.filter(status__in=["ready", "running", "failed"]).exists()


def test_an_opposition_after_sending_blocks_new_versions_and_keeps_what_was_sent(
    dmp, world, person, educator, chief
):
    first_pp = validated(person, educator, chief)
    run_pending()
    first = DmpSubmission.objects.get()
    assert first.status == "sent"
    record_consent(
        Actor(world.user("accueil", facility=world.ehpad)),
        person,
        scope="alimentation_dmp",
        kind="opposition",
        given_on=timezone.localdate(),
        given_by="personne",
    )
    validated(person, educator, chief, previous=first_pp)
    run_pending()
    second = DmpSubmission.objects.exclude(pk=first.pk).get()
    assert second.status == "blocked" and "opposée" in second.reason
    assert second.unique_id not in dmp.documents
    assert entry_of(dmp, first.unique_id)["status"] == xds.APPROVED  # it stays


def test_an_identity_that_loses_its_qualified_status_is_blocked(
    dmp, world, person, educator, chief
):
    first_pp = validated(person, educator, chief)
    run_pending()
    first = DmpSubmission.objects.get()
    type(person).objects.filter(pk=person.pk).update(
        identity_doubtful=True, identity_document_checked=False
    )
    validated(person, educator, chief, previous=first_pp)
    run_pending()
    second = DmpSubmission.objects.exclude(pk=first.pk).get()
    assert second.status == "blocked" and "qualifiée" in second.reason
    assert entry_of(dmp, first.unique_id)["status"] == xds.APPROVED
    assert len(dmp.documents) == 2  # the first CDA and its signature entry


@pytest.mark.parametrize(
    ("patient_state", "code"),
    [
        (DmpPatientState.NO_DMP, errors.NO_DMP),
        (DmpPatientState.OPPOSED, errors.OPPOSED),
        (DmpPatientState.ACCESS_REFUSED, errors.ACCESS_REFUSED),
    ],
)
def test_national_refusals_are_recorded_with_their_french_reason(
    dmp, world, person, educator, chief, patient_state, code
):
    dmp.set_patient(MATRICULE, patient_state)
    validated(person, educator, chief)
    run_pending()
    submission = DmpSubmission.objects.get()
    assert (submission.status, submission.reason) == ("refused", errors.FAULT_MESSAGES[code][0])
    assert not dmp.documents and not Sharing.objects.exists()
    job = Job.objects.get(task_path=SEND_JOB)
    assert job.status == "succeeded" and job.attempts == 1  # not retried


def test_an_unavailable_dmp_is_retried_then_sent(dmp, world, person, educator, chief):
    dmp.unavailable = True
    validated(person, educator, chief)
    run_pending()
    submission = DmpSubmission.objects.get()
    assert submission.status == "failed"
    assert submission.last_error == errors.FAULT_MESSAGES[errors.SERVICE_UNAVAILABLE][0]
    job = Job.objects.get(task_path=SEND_JOB)
    assert (job.status, job.attempts) == ("ready", 1)
    dmp.unavailable = False
    run_pending(now=later())
    submission.refresh_from_db()
    assert submission.status == "sent" and submission.unique_id in dmp.documents
    assert Sharing.objects.count() == 1


def test_a_job_killed_after_the_dmp_accepted_sends_no_duplicate(
    dmp, world, person, educator, chief
):
    from opendui.interop.dmp.tasks import send_submission

    validated(person, educator, chief)
    run_pending()
    submission = DmpSubmission.objects.get()
    assert submission.status == "sent"
    entries = len(dmp.entries)
    # The worker died after the DMP accepted and before the row was marked sent.
    DmpSubmission.objects.filter(pk=submission.pk).update(status="sending", entry_uuid="")
    Sharing.objects.all().delete()
    send_submission.using(idempotency_key="again").enqueue(submission.pk)
    run_pending()
    submission.refresh_from_db()
    assert submission.status == "sent"
    assert submission.entry_uuid == entry_of(dmp, submission.unique_id)["entry_uuid"]
    assert len(dmp.entries) == entries  # nothing published twice
    assert Sharing.objects.count() == 1


def test_the_exported_cda_is_the_submitted_one_and_conformant(
    dmp, world, person, educator, chief, tmp_path, strucmin
):
    first_pp = validated(person, educator, chief)
    run_pending()
    validated(person, educator, chief, previous=first_pp)
    run_pending()
    latest = DmpSubmission.objects.order_by("-version_number").first()
    assert latest.status == "sent"
    call_command("dmp", "exporter-cda", "--sortie", str(tmp_path))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"{latest.unique_id}.xml"]
    exported = (tmp_path / files[0]).read_bytes()
    assert exported == dmp.documents[latest.unique_id]
    assert conformance.xsd_errors(exported) == []
    assert conformance.schematron_errors(exported, strucmin) == []


def test_a_validated_aggir_grid_goes_to_the_dmp(dmp, world, person):
    nurse = world.user("infirmier", facility=world.ehpad)
    doctor = with_rpps(world.user("medecin", facility=world.ehpad), "1000000088", "G15:10")
    validated_grid(person, nurse, doctor)
    run_pending()
    submission = DmpSubmission.objects.get()
    assert submission.status == "sent", submission.reason or submission.last_error
    assert submission.requested_by == doctor
    cda = dmp.documents[submission.unique_id]
    root = etree.fromstring(cda)
    assert root.find("h:code", NS).get("code") == "34842-5"
    assert conformance.xsd_errors(cda) == []
