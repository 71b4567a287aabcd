"""The secretary's walkthrough in a real browser, from a new record to a signed contract.

Creation past a duplicate warning (the person enters the waiting list), INSi
qualification with a document check, a legal representative and a consent, admission
from the waiting list, the contract handed and signed; an educator of another facility
cannot see the person; every step is in the audit.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from opendui.audit.models import AuditEvent, AuditEventPerson
from opendui.interop.insi.simulator import serve
from opendui.persons.models import Person
from opendui.stays.models import AdmissionRequest, Contract, Stay
from tests.browser.conftest import login_with_keyboard, run_jobs
from tests.conftest import PASSWORD

# A national test persona known to the simulator (interop/insi/identities.py).
ADRTROIS_MATRICULE = "297022A02077878"


def main_text(page) -> str:
    return page.locator("main").inner_text()


def test_secretary_walkthrough_from_new_record_to_signed_contract(
    world, page, browser, live_server, settings
):
    server, thread, address = serve(port=0)
    try:
        settings.INSI_ENDPOINT = address
        settings.INSI_IDAM = "TEST"  # the simulator refuses an empty software authorisation
        settings.INSI_TIMEOUT = 5
        # A sound-alike record, same first name and birth date: a likely duplicate.
        world.person(
            world.ehpad,
            birth_name="ADRTROY",
            first_name="Dominique",
            birth_date=dt.date(1997, 2, 26),
        )
        world.user("accueil", facility=world.ehpad, email="sec@test.example")
        login_with_keyboard(page, "sec@test.example", PASSWORD)

        page.goto("/personnes/nouveau/")
        assert page.locator("h1").inner_text() == "Nouveau dossier"
        page.get_by_label("Établissement d'accueil").select_option(label="EHPAD Les Tilleuls")
        page.get_by_label("Nom de naissance").fill("ADRTROIS")
        page.get_by_label("Prénoms de naissance").fill("DOMINIQUE")
        page.get_by_label("Date de naissance").fill("1997-02-26")
        page.get_by_label("Sexe").select_option("F")
        # The national test identity is born in "2A020", a code the COG does not know
        # (the test set is fictitious): the birth place is left empty and INSi gives it.
        page.get_by_role("button", name="Créer le dossier").click()

        page.get_by_role("heading", name="Doublons possibles").wait_for()
        candidates = page.locator("section.duplicate-candidates").inner_text()
        assert "ADRTROY" in candidates and "26/02/1997" in candidates
        assert "cochez la confirmation" in main_text(page)
        page.get_by_label("Je confirme qu'il ne s'agit d'aucune de ces personnes").check()
        page.get_by_role("button", name="Créer le dossier").click()

        page.wait_for_url(lambda url: "/personnes/nouveau/" not in url)
        assert "est créé" in page.locator("body").inner_text()
        assert "ADRTROIS" in page.locator("h1").inner_text()
        assert "Identité provisoire" in main_text(page)

        page.get_by_role("link", name="Identité et vigilance (INS)").click()
        page.get_by_role("heading", name="Statut de l'identité").wait_for()
        assert page.locator("h1").inner_text().startswith("Identité et vigilance")
        assert ADRTROIS_MATRICULE not in main_text(page)

        page.get_by_role("button", name="Interroger l'INSi").click()
        # The search is a background job: the page says so and polls its state (app.js).
        # The test thread plays the worker (it shares the live server's database), so the
        # page is seen before and after the job deterministically.
        page.get_by_text("Recherche en cours…").wait_for()
        assert page.get_by_role("status").filter(has_text="Recherche en cours").count() == 1
        assert run_jobs() == 1
        page.get_by_role("heading", name="Identité renvoyée par l'INSi").wait_for()
        comparison = page.locator("table.insi-comparison").inner_text()
        assert "ADRTROIS" in comparison and "DOMINIQUE" in comparison
        assert "2A020" in comparison and "26/02/1997" in comparison
        assert "L'INSi a renvoyé une identité" in page.locator("body").inner_text()

        page.get_by_role("button", name="Accepter les traits INSi").click()
        page.get_by_text("Traits INSi acceptés").wait_for()
        assert "Identité récupérée" in page.locator("p.identity-status").inner_text()

        page.get_by_label("Pièce d'identité contrôlée").select_option(
            label="Carte nationale d'identité"
        )
        page.get_by_role("button", name="Enregistrer le contrôle").click()
        page.get_by_text("Contrôle de la pièce enregistré").wait_for()

        assert page.locator("p.identity-status").inner_text() == "Identité qualifiée"
        assert page.locator("dd.ins-matricule").inner_text() == ADRTROIS_MATRICULE
        assert "oui (Carte nationale d'identité)" in main_text(page)
        person = Person.objects.get(birth_name="ADRTROIS")

        add_representative_and_consent(page, person)
        admit_from_waiting_list(page, browser, live_server, world, person)
        record_signed_contract(page, person)
        assert_outsider_cannot_see(browser, live_server, world, person)
        assert_every_step_is_audited(person)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_correction_and_acceptance_of_insi_traits(world, page, live_server, settings):
    """A record typed with one first name and a typo is corrected on "Modifier l'identité"
    (the refused character is named), INSi's fuller traits are accepted once checked and
    replace every strict trait, and the qualified identity's strict traits are then
    read-only until the qualification is withdrawn with a reason."""
    server, thread, address = serve(port=0)
    try:
        settings.INSI_ENDPOINT = address
        settings.INSI_IDAM = "TEST"
        settings.INSI_TIMEOUT = 5
        person = world.person(
            world.ehpad,
            birth_name="LEFEBVRE",
            first_name="HELOISE",
            birth_first_names="HELOISE",
            birth_date=dt.date(1948, 3, 12),
        )
        world.user("accueil", facility=world.ehpad, email="sec@test.example")
        login_with_keyboard(page, "sec@test.example", PASSWORD)

        page.goto(f"/personnes/{person.pk}/identite/")
        page.get_by_role("link", name="Modifier l'identité").click()
        page.get_by_role("heading", name=re.compile("^Modifier l'identité")).wait_for()
        page.get_by_label("Nom de naissance").fill("Lefèvre3")
        page.get_by_role("button", name="Enregistrer l'identité").click()
        error = page.locator(".field-error").first.inner_text()
        assert "Caractère non autorisé dans le nom de naissance : « 3 » (chiffre)" in error
        page.get_by_label("Nom de naissance").fill("Lefèvre")
        page.get_by_role("button", name="Enregistrer l'identité").click()
        page.get_by_text("Identité corrigée.").wait_for()
        strict = page.locator("section[aria-labelledby=strict-traits]").inner_text()
        assert "LEFEVRE" in strict and "Lefèvre" not in strict

        page.get_by_role("button", name="Interroger l'INSi").click()
        page.get_by_text("Recherche en cours…").wait_for()
        assert run_jobs() == 1
        page.get_by_role("heading", name="Identité renvoyée par l'INSi").wait_for()
        comparison = page.locator("table.insi-comparison").inner_text()
        assert "HELOISE MARIE" in comparison
        page.get_by_role("button", name="Accepter les traits INSi").click()
        page.get_by_text("cochez la confirmation").wait_for()
        page.get_by_label(re.compile("J'ai vérifié sur la pièce d'identité")).check()
        page.get_by_role("button", name="Accepter les traits INSi").click()
        page.get_by_text("Traits INSi acceptés").wait_for()
        strict = page.locator("section[aria-labelledby=strict-traits]").inner_text()
        assert "HELOISE MARIE" in strict and "75056" in strict
        assert "Identité récupérée" in page.locator("p.identity-status").inner_text()

        page.get_by_label("Pièce d'identité contrôlée").select_option(
            label="Carte nationale d'identité"
        )
        page.get_by_role("button", name="Enregistrer le contrôle").click()
        page.get_by_text("Contrôle de la pièce enregistré").wait_for()
        page.get_by_role("link", name="Modifier l'identité").click()
        assert page.get_by_label("Nom de naissance").is_disabled()
        assert page.get_by_label("Nom utilisé", exact=True).is_enabled()
        page.get_by_label("Motif du retrait de la qualification").fill(
            "Date de naissance mal lue sur la carte"
        )
        page.get_by_role("button", name="Retirer la qualification").click()
        page.get_by_text("Qualification retirée").wait_for()
        assert page.get_by_label("Nom de naissance").is_enabled()
        person.refresh_from_db()
        assert (person.birth_name, person.first_name, person.birth_first_names) == (
            "LEFEVRE",
            "HELOISE",
            "HELOISE MARIE",
        )
        assert person.identity_status.value == "PROV" and person.ins_matricule == ""
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def add_representative_and_consent(page, person) -> None:
    page.goto(f"/personnes/{person.pk}/entourage/")
    related = page.locator("section[aria-labelledby=add-related]")
    related.get_by_label(re.compile(r"^Nom\b")).fill("ADRTROIS")
    related.get_by_label(re.compile(r"^Prénom\b")).fill("Paul")
    related.get_by_label("Lien").select_option(label="Frère ou sœur")
    related.get_by_label("Représentant légal").check()
    related.get_by_role("button", name="Ajouter").click()
    page.get_by_role("heading", name="Entourage", exact=True).wait_for()

    measure = page.locator("section[aria-labelledby=add-measure]")
    measure.get_by_label("Mesure").select_option(label="Tutelle")
    measure.get_by_label("Date de début").fill("2025-06-01")
    measure.get_by_label("Représentant ou mandataire").select_option(index=1)
    measure.get_by_role("button", name="Enregistrer la mesure").click()
    page.get_by_role("heading", name="Qui consent ?").wait_for()
    assert (
        "représentant légal : ADRTROIS Paul"
        in page.locator("section[aria-labelledby=who-consents]").inner_text()
    )

    consent = page.locator("section[aria-labelledby=add-consent]")
    consent.get_by_label("Objet").select_option(label="Droit à l'image")
    consent.get_by_label("Nature").select_option(label="Consentement")
    consent.get_by_label("Date du recueil").fill(timezone.localdate().isoformat())
    consent.get_by_label("Exprimé par").select_option(label="Son représentant")
    consent.get_by_label(re.compile(r"^Représentant\b")).select_option(index=1)
    consent.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("heading", name="Consentements et oppositions").wait_for()
    assert "Droit à l'image" in page.locator("section[aria-labelledby=consents]").inner_text()
    assert person.consents.get().given_by == "representant"


def admit_from_waiting_list(page, browser, live_server, world, person) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Admissions et séjours"
    ).click()
    page.get_by_role("heading", name="Liste d'attente et demandes d'admission").wait_for()
    page.get_by_role("link", name="ADRTROIS").first.click()
    page.get_by_role("button", name="Passer à « en étude »").click()
    page.get_by_role("heading", name="Changer le statut").wait_for()
    # The secretariat files and follows the request; accepting it is a decision.
    assert page.get_by_role("button", name="Passer à « acceptée »").count() == 0
    accept_as_head_of_service(browser, live_server, world, person)
    page.reload()
    admit = page.locator("section[aria-labelledby=admit]")
    admit.get_by_label("Date d'admission").fill(timezone.localdate().isoformat())
    admit.get_by_label("Mode d'accueil").select_option(label="hébergement permanent")
    admit.get_by_role("button", name="Admettre").click()
    page.wait_for_url(lambda url: "/sejours/personne/" in url or "/demandes/" in url)
    request = AdmissionRequest.objects.get(person=person)
    assert request.status == "admise" and request.stay is not None


def accept_as_head_of_service(browser, live_server, world, person) -> None:
    """The chef de service, in their own browser, accepts the request."""
    world.user("chef-de-service", facility=world.ehpad, email="chef@test.example")
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    try:
        chef = context.new_page()
        login_with_keyboard(chef, "chef@test.example", PASSWORD)
        chef.goto(f"/sejours/demande/{AdmissionRequest.objects.get(person=person).pk}/")
        chef.get_by_role("button", name="Passer à « acceptée »").click()
        chef.get_by_text("La demande est maintenant au statut « acceptée »").wait_for()
    finally:
        context.close()


def record_signed_contract(page, person) -> None:
    page.goto(f"/sejours/personne/{person.pk}/")
    page.get_by_text("Enregistrer les étapes du contrat").click()
    today = timezone.localdate().isoformat()
    page.get_by_label("Remis le", exact=True).fill(today)
    page.get_by_label("Signé le", exact=True).fill(today)
    page.get_by_role("button", name="Enregistrer le contrat").click()
    page.get_by_role("heading", name="Admissions et séjours – ", exact=False).wait_for()
    contract = Contract.objects.get(stay__person=person)
    assert contract.handed_on == contract.signed_on == timezone.localdate()
    assert Stay.objects.get(person=person).facility.name == "EHPAD Les Tilleuls"


def assert_outsider_cannot_see(browser, live_server, world, person) -> None:
    world.user("educateur", facility=world.ime, email="edu@test.example")
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    try:
        other = context.new_page()
        login_with_keyboard(other, "edu@test.example", PASSWORD)
        other.goto("/personnes/?q=ADRTROIS")
        assert "Aucun dossier ne correspond à « ADRTROIS »" in other.locator("main").inner_text()
        assert other.locator("main table").count() == 0
        response = other.goto(f"/personnes/{person.pk}/")
        assert response.status == 403
    finally:
        context.close()


def assert_every_step_is_audited(person) -> None:
    events = AuditEventPerson.objects.filter(person_id=person.pk).values("event_id")
    actions = set(AuditEvent.objects.filter(pk__in=events).values_list("action", flat=True))
    expected = {
        "person.create",  # creation
        "admission.create",  # on the waiting list
        "person.insi_search",  # INSi query (written when the job ends)
        "identity.insi_retrieval",  # INSi identity accepted
        "identity.document_check",  # → qualifiée
        "entourage.add",  # the brother, legal representative
        "legal_protection.add",  # the tutelle
        "consent.record",  # given by the representative
        "admission.status",  # en étude, acceptée, admise
        "stay.admit",
        "contract.create",  # handed and signed
        "person.view",  # every page read is there too
        "access.denied",  # the educator of the IME
    }
    assert expected <= actions, expected - actions
