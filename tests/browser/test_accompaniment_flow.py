"""The accompaniment walkthrough in a real browser, on the demo data (issue 4, "Done when").

In the IME, the educator drafts a projet personnalisé from a validated SERAFIN-PH needs
evaluation, adds the person's expectation (and corrects it), a goal and a service, and
records the person's agreement; the educator cannot validate (403). The chief of service
signs for the structure and validates: the PP is "en cours". An event is planned against
the PP's service (the person's agenda and the week planning show it), a transmission is
written (unread in the chief's cahier de liaison). In the EHPAD, the nurse records an
AGGIR grid and reads the GIR; a professional of another facility is refused the PP. The
IME's overdue reviews are listed for the chief.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opendui.accompaniment.models import PersonalisedProject, Service
from opendui.agenda.models import Event
from opendui.demo.seed import DEMO_PASSWORD, seed_demo
from opendui.evaluations.aggir import compute_gir
from opendui.evaluations.models import AggirEvaluation, FilledEvaluation
from opendui.evaluations.needs import needs_from_evaluation
from opendui.notes.models import Note
from opendui.notes.rules import shift_of
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.persons.models_entourage import RelatedPerson
from opendui.stays.models import Stay
from tests.browser.conftest import login_with_keyboard

EDUCATOR = "educateur@demo.opendui.fr"  # IME
CHIEF = "chef-de-service@demo.opendui.fr"  # IME
NURSE = "infirmier@demo.opendui.fr"  # EHPAD
AGGIR_ORDER = ("COH", "ORI", "TOI", "HAB", "ALI", "ELI", "TRA", "DPI", "DPE", "COM")
CODING = "CCBAAAAAAA"  # confused and disoriented, help to wash: the rest done alone


def _main(page) -> str:
    return page.locator("main").inner_text()


def _as(browser, live_server, email: str, opened: list):
    """A page of a new browser context logged in as `email` (closed by the test)."""
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    opened.append(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login_with_keyboard(page, email, DEMO_PASSWORD)
    return page


def _form(page, action_end: str):
    return page.locator(f"form[action$='{action_end}']")


def _post_status(page, url: str) -> int:
    """POST with the page's CSRF token, as a crafted request would (no button shown)."""
    return page.evaluate(
        """async (url) => {
            const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
            const response = await fetch(url, {
                method: 'POST',
                headers: {'X-CSRFToken': token,
                          'Content-Type': 'application/x-www-form-urlencoded'},
                body: 'target=ENCOURS',
            });
            return response.status;
        }""",
        url,
    )


def _evaluation_to_draft_from(ime: Facility) -> FilledEvaluation:
    """A validated needs evaluation of a minor's current IME stay that has no PP yet (the
    demo records two parents as legal representatives of each minor)."""
    candidates = (
        FilledEvaluation.objects.filter(
            status="VALIDE",
            stay__facility=ime,
            stay__end_date__isnull=True,
            stay__projects=None,
            person__related_persons__is_legal_representative=True,
        )
        .select_related("person", "stay")
        .distinct()
        .order_by("pk")
    )
    for evaluation in candidates:
        if needs_from_evaluation(evaluation):
            return evaluation
    raise AssertionError("the demo (seed 1) has a validated IME evaluation without a PP")


def _ehpad_resident(ehpad: Facility) -> Person:
    """A current EHPAD resident without an AGGIR grid in progress."""
    busy = AggirEvaluation.objects.filter(status__in=["ENPREPARATION", "APPROUVE"]).values(
        "person_id"
    )
    stay = (
        Stay.objects.filter(facility=ehpad, end_date__isnull=True)
        .exclude(person_id__in=busy)
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return stay.person


def test_educator_drafts_chief_validates_then_agenda_notes_and_aggir(
    page, browser, live_server, transactional_db
):
    opened: list = []
    try:
        _walkthrough(page, browser, live_server, opened)
    finally:
        for context in opened:
            context.close()


def _walkthrough(page, browser, live_server, opened: list) -> None:
    seed_demo(5, 80, seed=1)
    ime = Facility.objects.get(name="IME Les Sources")
    ehpad = Facility.objects.get(category_id="500")
    evaluation = _evaluation_to_draft_from(ime)
    person = evaluation.person
    suggested = [s.code for s in needs_from_evaluation(evaluation)]
    today = timezone.localdate()

    # --- the educator drafts the PP from the evaluation ---------------------------------
    login_with_keyboard(page, EDUCATOR, DEMO_PASSWORD)
    page.goto(f"/evaluations/grilles/{evaluation.pk}/")
    assert "validée" in _main(page)
    page.get_by_role(
        "button", name="Ajouter ces besoins au projet personnalisé en préparation"
    ).click()
    page.wait_for_url("**/projets/*/")
    project = PersonalisedProject.objects.get(stay=evaluation.stay)
    assert page.url.endswith(f"/projets/{project.pk}/")
    assert f"{len(suggested)} besoin(s) ajouté(s)" in page.locator("body").inner_text()
    needs = page.locator("section[aria-labelledby=needs]").inner_text()
    assert all(code in needs for code in suggested)
    assert "en préparation" in page.locator("dl.identity").inner_text()

    expectation = _form(page, "/ajouter/attente/")
    expectation.get_by_label("Exprimée par").select_option("personne")
    expectation.get_by_label("Attente, dans ses propres mots").fill("Je veux aller à la piscine.")
    expectation.get_by_role("button", name="Ajouter l'attente").click()
    page.get_by_text("Attente ajoutée.").wait_for()
    # Corrected with the edit form of the row (the second wording replaces the first).
    page.get_by_text("Modifier l'attente").click()
    edit = page.locator("form[action*='/modifier/attente/']")
    edit.get_by_label("Attente, dans ses propres mots").fill(
        "Je veux aller à la piscine le mercredi."
    )
    edit.get_by_role("button", name="Enregistrer l'attente").click()
    page.get_by_text("Attente modifiée.").wait_for()
    expectations = page.locator("section[aria-labelledby=expectations]").inner_text()
    assert "« Je veux aller à la piscine le mercredi. »" in expectations

    goal = _form(page, "/ajouter/objectif/")
    goal.get_by_label("Intitulé").fill("Nager en autonomie")
    goal.get_by_role("button", name="Ajouter l'objectif").click()
    page.get_by_text("Objectif ajouté.").wait_for()
    service = _form(page, "/ajouter/prestation/")
    service.get_by_label("Prestation (SERAFIN-PH)").select_option("2.3.1.1")
    service.get_by_label("Objectif concerné").select_option(label="Nager en autonomie")
    service.get_by_label("Fréquence").fill("chaque mercredi")
    service.get_by_role("button", name="Ajouter la prestation").click()
    page.get_by_text("Prestation ajoutée.").wait_for()
    services = page.locator("section[aria-labelledby=services]").inner_text()
    assert "2.3.1.1 – Accompagnements à l'expression du projet personnalisé" in services
    assert "objectif : Nager en autonomie" in services

    agreement = _form(page, "/ajouter/accord/")
    agreement.get_by_label("Accord de").select_option("personne")
    agreement.get_by_label("Signé le").fill(today.isoformat())
    agreement.get_by_role("button", name="Enregistrer l'accord").click()
    page.get_by_text("Accord enregistré.").wait_for()
    # A minor: each parent's agreement is still missing, and the page says so.
    parents = list(RelatedPerson.objects.filter(person=person, is_legal_representative=True))
    assert len(parents) == 2
    actions = page.locator("section[aria-labelledby=actions]").inner_text()
    for parent in parents:
        assert f"Manquant : l'accord de {parent} (représentant légal)" in actions
    for parent in parents:
        agreement = _form(page, "/ajouter/accord/")
        agreement.get_by_label("Accord de").select_option("representant")
        agreement.get_by_label("Représentant").select_option(str(parent.pk))
        agreement.get_by_label("Signé le").fill(today.isoformat())
        agreement.get_by_role("button", name="Enregistrer l'accord").click()
        page.get_by_text("Accord enregistré.").wait_for()
    actions = page.locator("section[aria-labelledby=actions]").inner_text()
    assert all(f"Obtenu : l'accord de {parent}" in actions for parent in parents)
    # The educator has no validation button, and a crafted validation is refused.
    assert page.get_by_role("button", name="Valider le projet").count() == 0
    assert _post_status(page, f"/projets/{project.pk}/statut/") == 403
    project.refresh_from_db()
    assert project.status == "ENPREPARATION"

    # --- the chief of service signs for the structure and validates ---------------------
    chief = _as(browser, live_server, CHIEF, opened)
    chief.goto(f"/projets/{project.pk}/")
    agreement = _form(chief, "/ajouter/accord/")
    agreement.get_by_label("Accord de").select_option("structure")
    agreement.get_by_label("Signé le").fill(today.isoformat())
    agreement.get_by_role("button", name="Enregistrer l'accord").click()
    chief.get_by_text("Accord enregistré.").wait_for()
    chief.get_by_role("button", name="Valider le projet").click()
    chief.locator(".message-success", has_text="Projet validé").wait_for()
    identity = chief.locator("dl.identity").inner_text()
    assert "en cours" in identity and "figée" in identity
    agreements = chief.locator("section[aria-labelledby=agreements]").inner_text()
    assert agreements.count(today.strftime("%d/%m/%Y")) >= 4  # person, parents, structure
    project.refresh_from_db()
    assert project.status == "ENCOURS" and project.frozen
    pp_service = Service.objects.get(project=project)

    # --- an event carries out the PP's service ------------------------------------------
    day = today + dt.timedelta(days=1)
    page.goto(f"/agenda/etablissement/{ime.pk}/nouveau/")
    page.get_by_label("Nature").select_option(index=1)
    page.locator("#id_title").fill("Piscine du mercredi")
    page.locator("#id_start").fill(f"{day.isoformat()}T10:00")
    page.locator("#id_end").fill(f"{day.isoformat()}T11:30")
    # The participants: a searchable list of checkboxes (a few letters of the name).
    page.get_by_label("Rechercher une personne par son nom").fill(person.birth_name[:4].lower())
    page.locator(f"input[name=persons][value='{person.pk}']").check()
    page.get_by_label("Prestation du projet personnalisé").select_option(str(pp_service.pk))
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/agenda/evenement/*/")
    event = Event.objects.get(title="Piscine du mercredi")
    assert event.pp_service_id == pp_service.pk
    page.goto(f"/agenda/personne/{person.pk}/")
    assert "Piscine du mercredi" in _main(page)
    page.goto(f"/agenda/etablissement/{ime.pk}/semaine/?date={day.isoformat()}")
    planning = page.locator("table.planning").inner_text()
    assert "10:00–11:30 Piscine du mercredi" in planning and person.display_name in planning

    # --- a transmission, unread for another professional --------------------------------
    page.goto(f"/transmissions/personne/{person.pk}/nouvelle/")
    category = page.locator("#id_category")
    if category.evaluate("e => e.tagName") == "SELECT":
        category.select_option("social")
    page.locator("#id_target").fill("Appréhension avant la piscine")
    page.locator("#id_data").fill("Inquiet au moment de partir.")
    page.locator("#id_actions").fill("Temps d'échange, rappel du déroulé.")
    page.locator("#id_results").fill("Parti apaisé.")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"**/transmissions/personne/{person.pk}/")
    note = Note.objects.get(target="Appréhension avant la piscine")
    # The care day the note belongs to: from 0 h to 7 h, the night of the day before.
    care_day, _shift = shift_of(timezone.now())
    chief.goto(f"/transmissions/etablissement/{ime.pk}/?jour={care_day.isoformat()}&poste=")
    entry = chief.locator(f"#n{note.pk}").inner_text()
    assert person.display_name in entry and "non lue" in entry
    assert "non lue" in chief.locator("#unread-count").inner_text()

    # --- the IME's overdue reviews, for the chief ---------------------------------------
    overdue = PersonalisedProject.objects.filter(
        stay__facility=ime, status__in=["ENCOURS", "ENPAUSE"], next_review_due__lt=today
    ).select_related("person")
    assert overdue, "the demo (seed 1) has overdue reviews in the IME"
    chief.goto(f"/projets/etablissement/{ime.pk}/")
    listed = chief.locator("main table").inner_text()
    for late in overdue:
        assert late.person.display_name in listed
        assert late.next_review_due.strftime("%d/%m/%Y") in listed
    assert person.display_name not in listed  # just validated: reviewed within a year

    # --- the nurse records an AGGIR grid in the EHPAD -----------------------------------
    resident = _ehpad_resident(ehpad)
    nurse = _as(browser, live_server, NURSE, opened)
    # Another facility's PP is refused to the nurse.
    assert nurse.goto(f"/projets/{project.pk}/").status == 403
    nurse.goto(f"/evaluations/personnes/{resident.pk}/aggir/nouvelle/")
    stay = Stay.objects.get(person=resident, facility=ehpad, end_date__isnull=True)
    stays = nurse.get_by_label("Séjour")
    if stays.is_enabled():
        stays.select_option(str(stay.pk))
    for code, letter in zip(AGGIR_ORDER, CODING, strict=True):
        boxes = nurse.locator(f"input[type=checkbox][name^='a_{code}_']")
        for index in range(boxes.count()):
            box = boxes.nth(index)
            name = box.get_attribute("name")
            wanted = {"A": ("S", "T", "C", "H"), "B": ("S", "C"), "C": ("X",)}[letter]
            if name.rsplit("_", 1)[1] in wanted:
                box.check()
    nurse.get_by_role("button", name="Enregistrer et approuver (grille complète)").click()
    nurse.wait_for_url("**/evaluations/aggir/*/")
    expected = compute_gir(CODING)
    result = nurse.locator("section[aria-labelledby=result]").inner_text()
    assert f"GIR {expected.gir}" in result and f"rang {expected.rang}" in result
    assert "approuvée" in result
    grid = AggirEvaluation.objects.filter(person=resident).latest("pk")
    assert (grid.coding, grid.gir) == (CODING, expected.gir)
