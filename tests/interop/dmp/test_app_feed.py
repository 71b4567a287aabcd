"""The DMP feed, Django side: services (rights, rules, rows, audit, jobs enqueued), the
send job's states with a fake DMP passed in, the PP hook, and the indicator rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import CURRENT, ConcurrentEditError
from opendui.documents import store
from opendui.documents.models import Sharing
from opendui.documents.services import replace_document, withdraw_document
from opendui.interop.dmp import selectors, sending, services
from opendui.interop.dmp.models import DmpShare, DmpSubmission
from opendui.jobs.models import Job
from opendui.persons.consents import record_consent

from ...documents.generation.conftest import make_person
from .app_support import (
    PDF,
    FakeDmp,
    FakeDmpError,
    fake_cda,
    hand_made_document,
    identity_of,
    store_pdf,
    with_rpps,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(world):
    return make_person(world.ehpad)


@pytest.fixture
def educator(world):
    return with_rpps(world.user("educateur", facility=world.ehpad), "1000000001", "SOC:51")


@pytest.fixture
def document(educator, person, world):
    return store_pdf(educator, person, world.ehpad)


def share(user, document, world, **visibility):
    return services.share_document(
        Actor(user), document, visibility=visibility, professional=identity_of(user, world.ehpad)
    )


def send(submission, dmp, **kwargs):
    return sending.send(
        submission.pk, client=dmp, build_cda=fake_cda, make_document=hand_made_document, **kwargs
    )


def test_sharing_queues_the_current_version_with_its_job_and_audit(educator, document, world):
    shared = share(educator, document, world)
    submission = DmpSubmission.objects.get()
    assert submission.share == shared and submission.document_version == document.current
    assert (submission.status, submission.version_number, submission.replaces) == (
        "to_send",
        1,
        None,
    )
    assert submission.unique_id.startswith("2.25.") and submission.set_id == shared.set_id
    assert submission.unique_id != shared.set_id
    assert submission.professional["idnat"] == educator.national_id
    job = Job.objects.get(task_path="opendui.interop.dmp.tasks.send_submission")
    assert job.idempotency_key == f"dmp.submission:{submission.pk}" and job.args == [submission.pk]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"dmp.share.create", "dmp.submission.create"} <= actions


def test_a_role_without_the_category_is_refused_and_nothing_is_written(world, person, educator):
    medical = store_pdf(
        with_rpps(world.user("medecin", facility=world.ehpad), "1000000002", "G15:10"),
        person,
        world.ehpad,
        type_code="CR-MEDICAL",
        category="medical",
    )
    with pytest.raises(PermissionDenied):
        share(educator, medical, world)
    assert (
        not DmpShare.objects.exists() and not Job.objects.filter(task_path__contains="dmp").exists()
    )


def test_another_facility_or_organisation_is_refused(world, document):
    outsiders = (
        world.user("educateur", facility=world.ime),
        world.user("educateur", facility=world.other),
    )
    # The RPPS body is numbered by position: ids are not small on PostgreSQL (sequences run on).
    for number, user in enumerate(outsiders, start=10):
        with pytest.raises(PermissionDenied):
            share(with_rpps(user, f"10000000{number}"), document, world)
    assert not DmpShare.objects.exists()


def test_rules_refuse_in_french_and_write_nothing(world, educator):
    provisional = make_person(world.ehpad, qualified=False)
    with pytest.raises(ValidationError, match="n'est pas qualifiée"):
        share(educator, store_pdf(educator, provisional, world.ehpad), world)
    # A local type without national equivalent.
    qualified = make_person(world.ehpad)
    presence = store_pdf(
        educator, qualified, world.ehpad, type_code="ATTEST-PRESENCE", category="social"
    )
    with pytest.raises(ValidationError, match="JDV_J07"):
        share(educator, presence, world)
    # Legal representatives' flag for an adult without representation.
    with pytest.raises(ValidationError, match="représentants légaux"):
        share(
            educator,
            store_pdf(educator, qualified, world.ehpad),
            world,
            invisible_to_legal_representatives=True,
        )
    assert not DmpShare.objects.exists() and not DmpSubmission.objects.exists()


def test_an_opposition_refuses_the_share(world, educator, person, document):
    secretary = world.user("accueil", facility=world.ehpad)
    record_consent(
        Actor(secretary),
        person,
        scope="alimentation_dmp",
        kind="opposition",
        given_on=person.stays.get().start_date,
        given_by="personne",
    )
    with pytest.raises(ValidationError, match="opposée"):
        share(educator, document, world)


def test_send_success_marks_sent_and_writes_the_indicator_row(educator, document, world):
    share(educator, document, world)
    submission = DmpSubmission.objects.get()
    dmp = FakeDmp()
    assert send(submission, dmp) == "versé"
    submission.refresh_from_db()
    assert submission.status == "sent" and submission.entry_uuid == "urn:uuid:entry-1"
    assert submission.sent_at is not None and submission.attempts == 1
    assert store.read(submission.cda_name) == dmp.published[0][2]
    sharing = Sharing.objects.get()
    assert (sharing.channel, sharing.status, sharing.external_id) == (
        "DMP",
        "sent",
        submission.unique_id,
    )
    assert sharing.person_id == document.person_id
    assert send(submission, dmp) == "rien à faire" and len(dmp.published) == 1


def test_unavailable_then_success_keeps_the_same_bytes_and_one_sharing(educator, document, world):
    share(educator, document, world)
    submission = DmpSubmission.objects.get()
    dmp = FakeDmp(errors=[FakeDmpError("Le DMP ne répond pas.", "timeout", retryable=True)])
    with pytest.raises(sending.DmpRetry):
        send(submission, dmp)
    submission.refresh_from_db()
    assert submission.status == "failed" and submission.last_error == "Le DMP ne répond pas."
    assert submission.attempts == 1 and submission.next_attempt_at is not None
    assert not Sharing.objects.exists()
    first_cda = store.read(submission.cda_name)
    assert send(submission, dmp) == "versé"
    submission.refresh_from_db()
    assert submission.status == "sent" and submission.attempts == 2
    assert dmp.published[0][2] == first_cda and Sharing.objects.count() == 1


def test_refused_keeps_the_reason_and_is_not_retried_nor_counted(educator, document, world):
    share(educator, document, world)
    submission = DmpSubmission.objects.get()
    dmp = FakeDmp(errors=[FakeDmpError("Le patient n'a pas de DMP.", "DMPPatientNotFound")])
    assert send(submission, dmp) == "refusé"
    submission.refresh_from_db()
    assert (submission.status, submission.reason) == ("refused", "Le patient n'a pas de DMP.")
    assert not Sharing.objects.exists()
    with pytest.raises(ValidationError):
        services.retry(Actor(educator), submission)


def test_a_job_killed_after_the_dmp_accepted_sends_no_duplicate(educator, document, world):
    share(educator, document, world)
    submission = DmpSubmission.objects.get()
    dmp = FakeDmp(die_after_publish=True)
    with pytest.raises(KeyboardInterrupt):
        send(submission, dmp)
    submission.refresh_from_db()
    assert submission.status == "sending"
    assert send(submission, dmp) == "déjà versé"
    submission.refresh_from_db()
    assert submission.status == "sent" and submission.entry_uuid == "urn:uuid:entry-1"
    assert len(dmp.published) == 1 and Sharing.objects.count() == 1


def test_the_same_version_is_never_queued_twice(educator, document, world):
    shared = share(educator, document, world)
    with pytest.raises(ValidationError, match="déjà"):
        services.queue_version(
            Actor(educator), document, professional=identity_of(educator, world.ehpad)
        )
    with pytest.raises(ValidationError, match="déjà partagé"):
        share(educator, document, world)
    assert shared.submissions.count() == 1


def test_a_new_version_replaces_the_last_sent_one(educator, document, world):
    share(educator, document, world)
    first = DmpSubmission.objects.get()
    dmp = FakeDmp()
    send(first, dmp)
    replace_document(Actor(educator), document, files=[("v2.pdf", PDF)], expected_version=CURRENT)
    second = services.queue_version(
        Actor(educator), document, professional=identity_of(educator, world.ehpad)
    )
    assert (second.version_number, second.replaces, second.set_id) == (2, first, first.set_id)
    assert send(second, dmp) == "versé"
    first.refresh_from_db()
    assert dmp.published[1][1] == first.entry_uuid  # RPLC to the previous entry


def test_a_new_version_is_refused_to_a_stale_share_version(educator, document, world):
    shared = share(educator, document, world)
    replace_document(Actor(educator), document, files=[("v2.pdf", PDF)], expected_version=CURRENT)
    with pytest.raises(ConcurrentEditError):
        services.queue_version(
            Actor(educator),
            document,
            professional=identity_of(educator, world.ehpad),
            expected_version=shared.version + 1,
        )
    assert shared.submissions.count() == 1


def test_a_replacement_waits_for_the_version_it_replaces(educator, document, world):
    share(educator, document, world)
    replace_document(Actor(educator), document, files=[("v2.pdf", PDF)], expected_version=CURRENT)
    second = services.queue_version(
        Actor(educator), document, professional=identity_of(educator, world.ehpad)
    )
    with pytest.raises(sending.DmpRetry):
        send(second, FakeDmp())
    second.refresh_from_db()
    assert second.status == "to_send" and "précédente" in second.last_error


def test_an_opposition_or_a_withdrawal_after_queueing_blocks_at_send_time(
    world, educator, person, document
):
    share(educator, document, world)
    submission = DmpSubmission.objects.get()
    withdraw_document(
        Actor(educator), document, reason="Erreur de personne", expected_version=CURRENT
    )
    dmp = FakeDmp()
    assert send(submission, dmp) == "bloqué"
    submission.refresh_from_db()
    assert submission.status == "blocked" and "retiré" in submission.reason
    assert not dmp.published and not Sharing.objects.exists()


def test_an_identity_no_longer_qualified_blocks_and_sent_documents_stay(
    world, educator, person, document
):
    share(educator, document, world)
    first = DmpSubmission.objects.get()
    dmp = FakeDmp()
    send(first, dmp)
    replace_document(Actor(educator), document, files=[("v2.pdf", PDF)], expected_version=CURRENT)
    second = services.queue_version(
        Actor(educator), document, professional=identity_of(educator, world.ehpad)
    )
    type(person).objects.filter(pk=person.pk).update(
        identity_doubtful=True, identity_document_checked=False
    )
    assert send(second, dmp) == "bloqué"
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == "blocked" and "qualifiée" in second.reason
    assert first.status == "sent" and not dmp.deleted  # what was sent stays


def test_retry_of_a_failed_send_requeues_it(educator, document, world):
    share(educator, document, world)
    submission = DmpSubmission.objects.get()
    with pytest.raises(sending.DmpRetry):
        send(submission, FakeDmp(errors=[FakeDmpError("Indisponible.", retryable=True)]))
    submission.refresh_from_db()
    retried = services.retry(Actor(educator), submission)
    assert retried.status == "to_send"
    assert AuditEvent.objects.filter(action="dmp.submission.retry").exists()


def test_visibility_change_and_removal_go_through_their_jobs(educator, document, world):
    shared = share(educator, document, world)
    dmp = FakeDmp()
    send(DmpSubmission.objects.get(), dmp)
    professional = identity_of(educator, world.ehpad)
    changed = services.change_visibility(
        Actor(educator),
        shared,
        visibility={"invisible_to_patient": True},
        professional=professional,
        expected_version=shared.version,
    )
    assert changed.visibility_status == "pending" and changed.invisible_to_patient
    assert Job.objects.filter(task_path="opendui.interop.dmp.tasks.apply_visibility").exists()
    assert sending.apply_visibility(changed.pk, client=dmp) == "appliqué"
    assert dmp.updates[0][0].entry_uuid == "urn:uuid:entry-1"
    assert dmp.updates[0][1].invisible_to_patient
    removed = services.remove_from_dmp(
        Actor(educator),
        changed,
        reason="Demande de la personne",
        professional=professional,
        expected_version=changed.version + 0,
    )
    assert removed.is_stopped and removed.removal_status == "pending"
    assert sending.remove(removed.pk, client=dmp) == "appliqué"
    assert [entry.entry_uuid for entry in dmp.deleted] == ["urn:uuid:entry-1"]
    with pytest.raises(ValidationError, match="retiré du DMP"):
        services.queue_version(Actor(educator), document, professional=professional)


def test_selectors_keep_to_readable_categories(world, educator, document, person):
    share(educator, document, world)
    submission = DmpSubmission.objects.get()
    send(submission, FakeDmp(errors=[FakeDmpError("Refusé.", "X")]))
    assert selectors.submissions_of_person(educator, person) == [submission]
    assert selectors.facility_failures(educator, world.ehpad) == [submission]
    stranger = world.user("educateur", facility=world.ime)
    assert selectors.facility_failures(stranger, world.ehpad) == []
    assert selectors.submissions_of_person(stranger, person) == []


def test_a_validated_pp_is_shared_then_replaced_as_its_validator(world, person):
    from opendui.jobs.worker import run_pending

    from ...documents.test_project_pdf import validated

    educator = world.user("educateur", facility=world.ehpad)
    chief = with_rpps(world.user("chef-de-service", facility=world.ehpad), "1000000099", "SOC:51")
    first = validated(person, educator, chief)
    run_pending(limit=1)  # stores the PDF; the hook queues the DMP submission (not run)
    submission = DmpSubmission.objects.get()
    assert submission.status == "to_send" and submission.requested_by == chief
    assert submission.professional["idnat"] == chief.national_id
    assert submission.share.document.type_code == "PROJET-PERSO"
    dmp = FakeDmp()
    send(submission, dmp)
    validated(person, educator, chief, previous=first)
    run_pending()
    second = DmpSubmission.objects.exclude(pk=submission.pk).get()
    assert (second.version_number, second.replaces_id, second.share_id) == (
        2,
        submission.pk,
        submission.share_id,
    )


def test_a_pp_of_a_person_not_qualified_is_recorded_as_blocked(world):
    from opendui.jobs.worker import run_pending

    from ...documents.test_project_pdf import validated

    person = make_person(world.ehpad, qualified=False)
    educator = world.user("educateur", facility=world.ehpad)
    chief = with_rpps(world.user("chef-de-service", facility=world.ehpad), "1000000098", "SOC:51")
    validated(person, educator, chief)
    run_pending()
    submission = DmpSubmission.objects.get()
    assert submission.status == "blocked" and "qualifiée" in submission.reason
    assert not Job.objects.filter(task_path="opendui.interop.dmp.tasks.send_submission").exists()


def test_the_real_mapping_and_cda_generator_build_what_is_sent(educator, world):
    from lxml import etree

    from opendui.interop.dmp.cda import build_cda

    from ...documents.generation.conftest import TEST_IDENTITIES

    traits = TEST_IDENTITIES["several_first_names"]
    document = store_pdf(educator, make_person(world.ehpad, **traits), world.ehpad)
    share(educator, document, world)
    submission = DmpSubmission.objects.get()
    dmp = FakeDmp()
    assert sending.send(submission.pk, client=dmp, build_cda=build_cda) == "versé"
    submission.refresh_from_db()
    root = etree.fromstring(store.read(submission.cda_name))
    ns = {"h": "urn:hl7-org:v3"}
    assert root.find("h:id", ns).get("root") == submission.unique_id
    assert root.find("h:setId", ns).get("root") == submission.set_id
    assert root.find("h:code", ns).get("code") == "28653-4"  # CR-SOCIAL's J07 equivalent
    patient_id = root.find("h:recordTarget/h:patientRole/h:id", ns)
    assert patient_id.get("extension") == document.person.ins_matricule
