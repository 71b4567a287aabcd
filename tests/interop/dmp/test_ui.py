"""The DMP in the web UI, against the loopback TLS simulator through the real client:
the documents tab's status and actions, the record's DMP tab, the failures list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.documents.services import replace_document, store_document
from opendui.interop.dmp import xds
from opendui.interop.dmp.models import DmpShare, DmpSubmission
from opendui.interop.dmp.simulator import DmpPatientState
from opendui.jobs.worker import run_pending

from ...documents.conftest import pdf_bytes
from ...documents.generation.conftest import TEST_IDENTITIES, make_person
from .app_support import with_rpps

pytestmark = pytest.mark.django_db

CARE_TYPE = "96163-1"  # Bilan de soins infirmiers (JDV_J07, group "care")


@pytest.fixture
def person(world):
    """An adult with a qualified identity (a national test persona born in 1936)."""
    return make_person(
        world.ehpad, **TEST_IDENTITIES["compound_and_accents"] | {"birth_place_code": "63220"}
    )


@pytest.fixture
def nurse_rpps(world):
    return with_rpps(world.user("infirmier", facility=world.ehpad), "1000000201", "G15:60")


def care_document(user, person, facility, title="Bilan infirmier de juin"):
    return store_document(
        Actor(user),
        person,
        facility=facility,
        data_category="care",
        type_system="J07",
        type_code=CARE_TYPE,
        title=title,
        act_date=timezone.localdate(),
        files=[("bilan.pdf", pdf_bytes())],
    )


def tab(client, person):
    return client.get(reverse("documents:person_documents", args=[person.pk]))


def token_of(response) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', response.content.decode()).group(1)


def share_through_the_tab(client, document, **flags):
    response = tab(client, document.person)
    data = {"form_token": token_of(response), **{name: "1" for name in flags}}
    return client.post(reverse("dmp:share", args=[document.pk]), data)


def entries_of(state, person):
    return [e for e in state.entries.values() if person.ins_matricule in e["patient_id"]]


def test_share_send_replace_hide_and_remove_from_the_documents_tab(
    world, person, nurse_rpps, client, login, dmp_service
):
    document = care_document(nurse_rpps, person, world.ehpad)
    login(nurse_rpps)
    page = tab(client, person).content.decode()
    assert "Non partagé au DMP" in page and "Verser au DMP" in page
    assert "Rendre invisible aux représentants légaux" not in page  # an adult, no measure

    response = share_through_the_tab(client, document)
    assert response.status_code == 302
    assert "À envoyer au DMP" in tab(client, person).content.decode()
    run_pending()
    assert "Envoyé au DMP le" in tab(client, person).content.decode()
    first = DmpSubmission.objects.get()
    assert first.status == "sent" and len(entries_of(dmp_service, person)) == 2  # + signature

    # A double submission of the same form creates nothing more.
    again = client.post(
        reverse("dmp:share", args=[document.pk]), {"form_token": "déjà-utilisé"}, follow=True
    )
    assert "déjà été envoyé" in again.content.decode()
    assert DmpShare.objects.count() == 1

    # A new version: « Verser la nouvelle version » replaces the one in the DMP (RPLC).
    replace_document(
        Actor(nurse_rpps), document, files=[("v2.pdf", pdf_bytes(pages=2))], expected_version=1
    )
    page = tab(client, person).content.decode()
    assert "Verser la nouvelle version au DMP" in page
    share = DmpShare.objects.get()
    client.post(reverse("dmp:queue_version", args=[share.pk]), {"expected_version": share.version})
    run_pending()
    second = DmpSubmission.objects.exclude(pk=first.pk).get()
    assert (second.status, second.replaces_id, second.version_number) == ("sent", first.pk, 2)
    statuses = {e["unique_id"]: e["status"] for e in dmp_service.entries.values()}
    assert statuses[first.unique_id] == xds.DEPRECATED
    assert statuses[second.unique_id] == xds.APPROVED

    # Invisible to the patient: a metadata update job (ITI-57), applied in the DMP.
    stale = share.version
    response = client.post(
        reverse("dmp:visibility", args=[share.pk]),
        {"expected_version": share.version, "invisible_to_patient": "1"},
    )
    assert response.status_code == 302
    run_pending()
    share.refresh_from_db()
    assert share.invisible_to_patient and share.visibility_status == "done", share.visibility_error
    page = tab(client, person).content.decode()
    assert "invisible pour le patient" in page
    approved = [
        e
        for e in dmp_service.entries.values()
        if e["unique_id"] == second.unique_id and e["status"] == xds.APPROVED
    ]
    assert len(approved) == 1 and "INVISIBLE_PATIENT" in approved[0]["metadata"]

    # A stale form changes nothing and says so in French.
    response = client.post(
        reverse("dmp:visibility", args=[share.pk]),
        {"expected_version": stale, "hidden_from_professionals": "1"},
        follow=True,
    )
    share.refresh_from_db()
    assert not share.hidden_from_professionals
    assert "Rechargez la page" in response.content.decode()

    # Removal needs a reason.
    response = client.post(
        reverse("dmp:remove", args=[share.pk]), {"expected_version": share.version}, follow=True
    )
    assert response.status_code == 200 and not DmpShare.objects.get().is_stopped
    client.post(
        reverse("dmp:remove", args=[share.pk]),
        {"expected_version": share.version, "reason": "Document versé par erreur"},
    )
    run_pending()
    share.refresh_from_db()
    assert share.is_stopped and share.removal_status == "done"
    assert "Retiré du DMP le" in tab(client, person).content.decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"dmp.share.create", "dmp.share.visibility", "dmp.share.remove"} <= actions


def test_hostile_or_unknown_ids_and_roles_without_the_write_right(
    world, person, nurse_rpps, client, login, dmp_service
):
    document = care_document(nurse_rpps, person, world.ehpad)
    educator = world.user("educateur", facility=world.ehpad)  # no care right at all
    login(educator)
    page = tab(client, person).content.decode()
    assert "Bilan infirmier" not in page
    assert client.post(reverse("dmp:share", args=[document.pk]), {}).status_code == 403
    login(nurse_rpps)
    for name in ("dmp:queue_version", "dmp:visibility", "dmp:remove", "dmp:retry"):
        assert client.post(reverse(name, args=[999999]), {}).status_code == 404
    assert client.get(reverse("dmp:share", args=[document.pk])).status_code == 405
    assert not DmpShare.objects.exists()


def test_the_tab_costs_the_same_queries_with_many_shared_documents(
    world, person, nurse_rpps, client, login, dmp_service, django_assert_max_num_queries
):
    from opendui.interop.dmp import services

    from .app_support import identity_of

    login(nurse_rpps)
    counts = []
    for total in (1, 12):
        while DmpShare.objects.count() < total:
            document = care_document(nurse_rpps, person, world.ehpad)
            services.share_document(
                Actor(nurse_rpps), document, professional=identity_of(nurse_rpps, world.ehpad)
            )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = tab(client, person)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(22):
        tab(client, person)


def test_the_dmp_tab_authorises_lists_and_opens_a_document(
    world, person, nurse_rpps, client, login, dmp_service
):
    document = care_document(nurse_rpps, person, world.ehpad)
    login(nurse_rpps)
    share_through_the_tab(client, document)
    run_pending()
    record = client.get(reverse("persons:detail", args=[person.pk])).content.decode()
    assert reverse("dmp:person", args=[person.pk]) in record  # the tab, after Documents

    url = reverse("dmp:person", args=[person.pk])
    page = client.get(url).content.decode()
    assert "pas autorisé sur le DMP" in page and "autorisation d’accès" not in page
    assert "La personne (ou son représentant) m" in page  # the consent box, then the button
    response = client.post(reverse("dmp:authorise", args=[person.pk]), {})
    assert "accord de la personne" in client.get(url).content.decode() or response.status_code
    client.post(reverse("dmp:authorise", args=[person.pk]), {"accord": "1"})
    page = client.get(url).content.decode()
    assert "Bilan infirmier de juin" in page and "EHPAD Les Tilleuls" in page

    submission = DmpSubmission.objects.get()
    opened = client.get(reverse("dmp:document", args=[person.pk, submission.unique_id]))
    body = opened.content.decode()
    assert opened.status_code == 200
    assert person.ins_matricule in body and "<ClinicalDocument" not in body
    assert "Test infirmier" in body or "infirmier" in body
    pdf = client.get(reverse("dmp:document_pdf", args=[person.pk, submission.unique_id]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert "sandbox" in pdf["Content-Security-Policy"]
    reads = AuditEvent.objects.filter(action="dmp.read")
    assert reads.count() >= 4
    assert all(person.pk in e.person_ids for e in reads)
    # The refused form (no consent ticked) did not reach the DMP; the second did.
    assert AuditEvent.objects.filter(action="dmp.authorise").count() == 1

    # Unknown or malformed identifiers: a French message, never a 500.
    assert client.get(reverse("dmp:document", args=[person.pk, "2.25.1"])).status_code == 200
    assert client.get(reverse("dmp:document", args=[person.pk, "abc"])).status_code == 404


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (DmpPatientState.NO_DMP, "pas de DMP"),
        (DmpPatientState.OPPOSED, "opposée"),
        (DmpPatientState.ACCESS_REFUSED, "refusé"),
    ],
)
def test_the_dmp_tab_shows_the_national_refusals_in_french(
    world, person, nurse_rpps, client, login, dmp_service, state, message
):
    dmp_service.set_patient(person.ins_matricule, state)
    login(nurse_rpps)
    response = client.get(reverse("dmp:person", args=[person.pk]))
    assert response.status_code == 200 and message in response.content.decode()


def test_the_dmp_tab_when_the_dmp_is_down_or_not_configured(
    world, person, nurse_rpps, client, login, dmp_service, settings
):
    login(nurse_rpps)
    dmp_service.unavailable = True
    response = client.get(reverse("dmp:person", args=[person.pk]))
    assert response.status_code == 200 and "DMP" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    dmp_service.unavailable = False
    settings.DMP_ENDPOINT = ""
    response = client.get(reverse("dmp:person", args=[person.pk]))
    assert "OPENDUI_DMP_ENDPOINT" in response.content.decode()


def test_the_tab_is_not_offered_without_a_qualified_ins(world, nurse_rpps, client, login):
    person = make_person(world.ehpad, qualified=False)
    login(nurse_rpps)
    record = client.get(reverse("persons:detail", args=[person.pk])).content.decode()
    assert reverse("dmp:person", args=[person.pk]) not in record
    page = client.get(reverse("dmp:person", args=[person.pk])).content.decode()
    assert "pas qualifiée" in page


def test_a_profession_reading_nothing_is_refused(world, person, client, login):
    secretary = world.user("accueil", facility=world.ehpad)  # no profession: deny by default
    login(secretary)
    assert client.get(reverse("dmp:person", args=[person.pk])).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_types_the_profession_may_not_read_are_left_out_with_a_line(
    world, person, nurse_rpps, client, login, dmp_service
):
    from opendui.interop.dmp.habilitations import readable_types

    document = care_document(nurse_rpps, person, world.ehpad)
    login(nurse_rpps)
    share_through_the_tab(client, document)
    run_pending()
    # A chief of service of the RPPS+ "encadrement" activity: reads care data in OpenDUI,
    # but the DMP matrix gives GENR12 no care document.
    chief = with_rpps(world.user("chef-de-service", facility=world.ehpad), "1000000202", "")
    chief.activity_role = "GENR12"
    chief.save(update_fields=["activity_role"])
    assert CARE_TYPE not in readable_types("", "GENR12")
    client.logout()
    login(chief)
    client.post(reverse("dmp:authorise", args=[person.pk]), {"accord": "1"})
    page = client.get(reverse("dmp:person", args=[person.pk])).content.decode()
    assert "Bilan infirmier de juin" not in page
    assert "pas accessibles à votre profession" in page
    unique_id = DmpSubmission.objects.get().unique_id
    opened = client.get(reverse("dmp:document", args=[person.pk, unique_id])).content.decode()
    assert "ne vous est pas accessible" in opened


def test_the_failures_list_shows_refusals_and_retries_a_failure(
    world, person, nurse_rpps, client, login, dmp_service
):
    dmp_service.set_patient(person.ins_matricule, DmpPatientState.NO_DMP)
    document = care_document(nurse_rpps, person, world.ehpad)
    login(nurse_rpps)
    share_through_the_tab(client, document)
    run_pending()
    submission = DmpSubmission.objects.get()
    assert submission.status == "refused"
    assert "Refusé par le DMP : La personne n" in tab(client, person).content.decode()
    assert client.get(reverse("dmp:failures")).status_code == 403  # not the nurse's page

    DmpSubmission.objects.filter(pk=submission.pk).update(status="failed", reason="")
    chief = world.user("chef-de-service", facility=world.ehpad)
    client.logout()
    login(chief)
    nav = client.get("/").content.decode()
    assert reverse("dmp:failures") in nav
    page = client.get(reverse("dmp:failures")).content.decode()
    # The chief reads care data but does not write it: the failure shows, not the retry.
    assert "Bilan infirmier de juin" in page and "Réessayer" not in page
    nurse_chief = world.user("chef-de-service", facility=world.ehpad)
    world.assign(nurse_chief, "infirmier", facility=world.ehpad)
    client.logout()
    login(nurse_chief)
    page = client.get(reverse("dmp:failures")).content.decode()
    assert "Bilan infirmier de juin" in page and "Réessayer" in page
    dmp_service.set_patient(person.ins_matricule, DmpPatientState.OPEN)
    response = client.post(reverse("dmp:retry", args=[submission.pk]), {"retour": "echecs"})
    assert response.status_code == 302 and "/dmp/echecs/" in response.url
    submission.refresh_from_db()
    assert submission.status == "to_send"


def test_reading_a_generated_cda_gives_its_header_and_pdf(world, person, nurse_rpps):
    from opendui.interop.dmp import reading
    from opendui.interop.dmp.cda import build_cda
    from opendui.interop.dmp.mapping import dmp_document_for

    from .app_support import identity_of

    document = care_document(nurse_rpps, person, world.ehpad)
    built = dmp_document_for(
        document.current,
        professional=identity_of(nurse_rpps, world.ehpad),
        unique_id="2.25.11",
        set_id="2.25.12",
        version_number=3,
    )
    summary = reading.read_cda(build_cda(built))
    assert summary.title == "Bilan infirmier de juin"
    assert summary.patient_ins == person.ins_matricule
    assert summary.patient_birth_date == dt.date(1936, 6, 21)
    assert summary.organisation == "EHPAD Les Tilleuls" and summary.version == "3"
    assert summary.author_name.endswith("infirmier")
    assert summary.pdf.startswith(b"%PDF-")
    assert reading.read_cda(b"<not-cda/>") is None and reading.read_cda(b"\x00") is None
