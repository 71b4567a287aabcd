"""No DMP configured (no OPENDUI_DMP_ENDPOINT): the feed is off.

The hooks of generated documents queue nothing, every share service refuses in French and
writes nothing, and a job queued under an earlier configuration ends with the reason on
its row instead of failing again at each retry. With an endpoint, the same paths queue."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import CURRENT
from opendui.documents.models import Document
from opendui.interop.dmp import config, services
from opendui.interop.dmp.models import DmpShare, DmpSubmission
from opendui.jobs.models import Job
from opendui.jobs.worker import run_pending

from ...documents.generation.conftest import make_person
from .app_support import identity_of, store_pdf, with_rpps

pytestmark = pytest.mark.django_db

DMP_TASKS = "opendui.interop.dmp.tasks."


@pytest.fixture
def person(world):
    return make_person(world.ehpad)


@pytest.fixture
def educator(world):
    return with_rpps(world.user("educateur", facility=world.ehpad), "1000000001", "SOC:51")


@pytest.fixture
def chief(world):
    return with_rpps(world.user("chef-de-service", facility=world.ehpad), "1000000099", "SOC:51")


@pytest.fixture
def no_dmp(settings):
    settings.DMP_ENDPOINT = ""
    return settings


def _share(user, document, world):
    return services.share_document(
        Actor(user), document, professional=identity_of(user, world.ehpad)
    )


def test_is_configured_follows_the_endpoint(settings):
    assert config.is_configured()
    settings.DMP_ENDPOINT = "  "
    assert not config.is_configured()


def test_sharing_is_refused_in_french_and_writes_nothing(no_dmp, world, educator, person):
    document = store_pdf(educator, person, world.ehpad)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        _share(educator, document, world)
    assert refused.value.messages == [config.NOT_CONFIGURED]
    assert refused.value.messages[0].startswith("Le DMP n'est pas configuré pour cet établissement")
    assert not DmpShare.objects.exists() and not DmpSubmission.objects.exists()
    assert not Job.objects.filter(task_path__startswith=DMP_TASKS).exists()
    assert AuditEvent.objects.count() == events


def test_every_share_service_refuses_once_the_endpoint_is_removed(
    settings, world, educator, person
):
    document = store_pdf(educator, person, world.ehpad)
    share = _share(educator, document, world)
    submission = share.submissions.get()
    DmpSubmission.objects.filter(pk=submission.pk).update(status="failed")
    settings.DMP_ENDPOINT = ""
    professional = identity_of(educator, world.ehpad)
    actor = Actor(educator)
    calls = [
        lambda: services.queue_version(actor, document, professional=professional),
        lambda: services.change_visibility(
            actor,
            share,
            visibility={"invisible_to_patient": True},
            professional=professional,
            expected_version=CURRENT,
        ),
        lambda: services.remove_from_dmp(
            actor, share, reason="Demande", professional=professional, expected_version=CURRENT
        ),
        lambda: services.retry(actor, submission),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.messages == [config.NOT_CONFIGURED]
    share.refresh_from_db()
    assert share.stopped_at is None and not share.invisible_to_patient
    assert DmpSubmission.objects.get().status == "failed"


def _validated_pp(person, educator, chief):
    from ...documents.test_project_pdf import validated

    return validated(person, educator, chief)


def test_a_validated_pp_is_stored_but_not_queued_without_a_dmp(no_dmp, world, person, chief):
    educator = world.user("educateur", facility=world.ehpad)
    _validated_pp(person, educator, chief)
    run_pending()
    assert Document.objects.filter(person=person, type_code="PROJET-PERSO").exists()
    assert not DmpShare.objects.exists() and not DmpSubmission.objects.exists()
    assert not Job.objects.filter(task_path__startswith=DMP_TASKS).exists()


def test_a_validated_pp_is_queued_with_a_dmp(world, person, chief):
    educator = world.user("educateur", facility=world.ehpad)
    _validated_pp(person, educator, chief)
    run_pending(limit=1)  # the store job only
    submission = DmpSubmission.objects.get()
    assert submission.status == "to_send"
    assert Job.objects.filter(task_path=DMP_TASKS + "send_submission", status="ready").exists()


def test_jobs_queued_before_the_endpoint_was_removed_end_without_looping(
    settings, world, educator, person
):
    document = store_pdf(educator, person, world.ehpad)
    share = _share(educator, document, world)
    DmpShare.objects.filter(pk=share.pk).update(visibility_status="pending", removal_status="")
    from opendui.interop.dmp.tasks import apply_visibility

    apply_visibility.using(idempotency_key="t").enqueue(share.pk)
    settings.DMP_ENDPOINT = ""
    run_pending()
    jobs = Job.objects.filter(task_path__startswith=DMP_TASKS)
    assert {job.status for job in jobs} == {"succeeded"}
    assert all(job.attempts == 1 for job in jobs)
    submission = DmpSubmission.objects.get()
    assert (submission.status, submission.reason) == ("blocked", config.NOT_CONFIGURED)
    share.refresh_from_db()
    assert (share.visibility_status, share.visibility_error) == ("failed", config.NOT_CONFIGURED)
