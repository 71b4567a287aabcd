"""The DMP in a real browser, against the loopback DMP simulator over TLS (real client):
a nurse sees the resident's validated PP « envoyé au DMP », then its new version replace it
(RPLC); she files her own nursing report, makes it invisible to the patient, opens the DMP
tab, records the resident's consent and reads the PP from the DMP. Keyboard only, French
labels, no server error.

The nurse may not validate a PP (`pp.validate` is the chief of service's and the
director's) nor change the DMP visibility of a social document (the write right on its
category): the PP versions are validated by the chief of service, through the services,
and the visibility is changed on the nurse's own care document."""

from __future__ import annotations

from django.utils import timezone

from opendui.core.actor import Actor
from opendui.documents.services import store_document
from opendui.interop.dmp import xds
from opendui.interop.dmp.models import DmpShare, DmpSubmission
from tests.browser.conftest import login_with_keyboard, run_jobs, run_jobs_while_away
from tests.conftest import PASSWORD
from tests.documents.conftest import pdf_bytes
from tests.documents.generation.conftest import TEST_IDENTITIES, make_person
from tests.documents.test_project_pdf import validated
from tests.interop.dmp.app_support import with_rpps


def drain(page=None) -> None:
    """Run the jobs until none is left (PDF storing, then the DMP sends and updates); with a
    page, away from the application and back (see `run_jobs_while_away`)."""
    if page is not None:
        run_jobs_while_away(page)
    else:
        run_jobs(4)


def open_details(page, summary: str) -> None:
    """Open a <details> with the keyboard."""
    page.locator("summary", has_text=summary).first.focus()
    page.keyboard.press("Enter")


def test_a_nurse_follows_the_dmp_of_a_resident(world, page, dmp_service):
    person = make_person(
        world.ehpad, **(TEST_IDENTITIES["compound_and_accents"] | {"birth_place_code": "63220"})
    )
    nurse = world.user("infirmier", facility=world.ehpad, email="infirmiere@test.example")
    with_rpps(nurse, "1000000301", "G15:60")
    educator = world.user("educateur", facility=world.ehpad)
    chief = with_rpps(world.user("chef-de-service", facility=world.ehpad), "1000000302", "SOC:51")
    first = validated(person, educator, chief)
    drain()
    assert DmpSubmission.objects.get().status == "sent"

    errors: list[str] = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 500 else None)
    login_with_keyboard(page, "infirmiere@test.example", PASSWORD)
    page.goto(f"/documents/personne/{person.pk}/")
    pp_row = page.locator("tr", has_text="Projet personnalisé")
    assert "Envoyé au DMP le" in pp_row.inner_text()
    assert pp_row.locator("summary", has_text="Visibilité").count() == 0  # social: not hers

    # A new version of the PP, validated by the chief: it replaces the first in the DMP.
    validated(person, educator, chief, previous=first)
    drain(page)
    assert "Envoyé au DMP le" in page.locator("tr", has_text="Projet personnalisé").inner_text()
    second = DmpSubmission.objects.order_by("-version_number").first()
    assert second.version_number == 2 and second.replaces.status == "sent"
    statuses = {e["unique_id"]: e["status"] for e in dmp_service.entries.values()}
    assert statuses[second.replaces.unique_id] == xds.DEPRECATED
    assert statuses[second.unique_id] == xds.APPROVED

    # Her nursing report: « Verser au DMP », then invisible to the patient.
    store_document(
        Actor(nurse),
        person,
        facility=world.ehpad,
        data_category="care",
        type_system="J07",
        type_code="96163-1",
        title="Bilan infirmier de juin",
        act_date=timezone.localdate(),
        files=[("bilan.pdf", pdf_bytes())],
    )
    page.reload()
    open_details(page, "Verser au DMP")
    button = page.get_by_role("button", name="Verser « Bilan infirmier de juin » au DMP")
    button.focus()
    page.keyboard.press("Enter")
    page.locator(".message-success").wait_for()
    drain(page)
    report = page.locator("tr", has_text="Bilan infirmier de juin")
    assert "Envoyé au DMP le" in report.inner_text()
    open_details(page, "Visibilité dans le DMP")
    invisible = page.get_by_label("Rendre invisible au patient")
    invisible.focus()
    page.keyboard.press("Space")
    assert invisible.is_checked()
    page.get_by_role("button", name="Enregistrer la visibilité").focus()
    page.keyboard.press("Enter")
    page.locator(".message-success").wait_for()
    drain(page)
    assert (
        "invisible pour le patient" in page.locator("tr", has_text="Bilan infirmier").inner_text()
    )
    share = DmpShare.objects.get(document__title="Bilan infirmier de juin")
    assert share.invisible_to_patient and share.visibility_status == "done"

    # The DMP tab of the record: consent, then the list, then the PP read from the DMP.
    tab = page.get_by_role("link", name="DMP", exact=True)
    tab.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/dmp/personne/{person.pk}/")
    consent = page.get_by_label("m'autorise à accéder à son DMP")
    consent.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Enregistrer l'autorisation d'accès au DMP").focus()
    page.keyboard.press("Enter")
    page.locator(".message-success").wait_for()
    table = page.get_by_role("table", name="Documents du DMP de la personne")
    assert "Bilan infirmier de juin" in table.inner_text()
    assert "invisible pour le patient" in table.inner_text()
    pp_title = second.document_version.document.title
    link = table.get_by_role("link", name=pp_title)
    assert link.count() == 1  # the replaced version is no longer listed
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/dmp/personne/*/documents/*/")
    facts = page.locator("dl.facts").inner_text()
    assert person.ins_matricule in facts and "Auteur" in facts
    assert "<ClinicalDocument" not in page.content()
    frame_src = page.locator("iframe.document-viewer").get_attribute("src")
    pdf = page.request.get(frame_src)
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF-")
    assert errors == []
