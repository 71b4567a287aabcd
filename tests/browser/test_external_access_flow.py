"""The demo's médecin traitant works in OpenDUI as an external professional: the
secretariat records her as Anne's médecin traitant, the administrator opens her access to
the records of the persons she follows, the directeur général approves it, and she logs
in with Pro Santé Connect (the simulator's "medecin-traitant" e-CPS) to find Anne, and
Anne only; her access ends with its end date."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from opendui.accounts.models import LinkedPersonsAssignment, Role, User
from opendui.accounts.psc_only import PSC_ONLY_MESSAGE
from opendui.audit.models import AuditEvent
from opendui.directory.models import PersonProfessional
from opendui.interop.psc.cards import EXTERNAL_GP_RPPS
from tests.browser.conftest import login_with_keyboard
from tests.conftest import PASSWORD
from tests.factories_external import external_entry

GP_EMAIL = "helene.lemaire@cabinet.example"


def _log_out(page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/connexion/"))


def _psc_login(page, live_server) -> None:
    page.goto("/connexion/")
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    page.wait_for_url(re.compile(r"/protocol/openid-connect/auth\?"))
    page.get_by_label(re.compile("Hélène LEMAIRE")).check()
    page.get_by_role("button", name="Se connecter avec cette e-CPS").click()
    page.wait_for_url(live_server.url + "/")


def _main(page) -> str:
    return page.locator("main").inner_text()


def test_the_gp_reaches_the_person_she_follows_and_no_one_else(world, page, live_server, psc):
    Role.objects.filter(code="admin").update(requires_totp=False)  # password only here
    today = timezone.localdate()
    world.user("accueil", facility=world.ehpad, email="accueil@test.example")
    world.user("admin", email="admin@test.example")
    world.user("directeur", email="dir@test.example")  # organisation-wide: the DG
    gp = external_entry(
        world,
        EXTERNAL_GP_RPPS,
        civility="DR",
        last_name="LEMAIRE",
        first_name="Hélène",
        profession_label="Médecin",
        specialty_label="Médecine générale",
    )

    # The secretariat records Dr LEMAIRE as Anne's médecin traitant.
    login_with_keyboard(page, "accueil@test.example", PASSWORD)
    page.goto(f"/annuaire/personne/{world.anne.pk}/ajouter/?q=LEMAIRE")
    page.get_by_label(re.compile("LEMAIRE")).check()
    page.get_by_label("Rôle auprès de la personne").select_option(label="Médecin traitant")
    page.get_by_label("Depuis le").fill((today - dt.timedelta(days=30)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer le lien").click()
    assert "LEMAIRE" in _main(page)
    link = PersonProfessional.objects.get(professional=gp)
    assert (link.person, link.role, link.end_date) == (world.anne, "medecin_traitant", None)
    _log_out(page)

    # The administrator opens her access, with an end date; nothing opens before approval.
    login_with_keyboard(page, "admin@test.example", PASSWORD)
    page.goto("/annuaire/acces-dossiers/")
    page.get_by_role("link", name=re.compile("Accès aux dossiers de .*LEMAIRE")).click()
    page.get_by_label("Adresse e-mail du compte à créer").fill(GP_EMAIL)
    page.get_by_label("Rôle").select_option(label="Médecin extérieur (médecin traitant)")
    page.get_by_label("Début").fill(today.isoformat())
    end = today + dt.timedelta(days=90)
    page.get_by_label("Fin").fill(end.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Ouvrir l'accès aux personnes suivies").click()
    assert "en attente d'approbation par le directeur général" in _main(page)
    assert "en attente d'approbation" in page.locator("table").inner_text()
    account = User.objects.get(email=GP_EMAIL)
    assert account.national_id == "8" + EXTERNAL_GP_RPPS and not account.has_usable_password()
    _log_out(page)

    # The directeur général approves it.
    login_with_keyboard(page, "dir@test.example", PASSWORD)
    page.get_by_role("link", name="Demandes d'habilitation").first.click()
    page.get_by_role("link", name="Décider").click()
    page.get_by_label("Approuver").check()
    page.get_by_label("Je confirme que ce professionnel").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la décision").click()
    assert "Demande approuvée" in _main(page)
    assert LinkedPersonsAssignment.objects.get(user=account).status == "active"
    _log_out(page)

    # She logs in with her e-CPS: her home page, no second factor.
    _psc_login(page, live_server)
    assert page.locator("h1").inner_text() == "Bonjour Hélène"
    login = AuditEvent.objects.filter(action="auth.login", user_id=account.pk).get()
    assert login.details == {"method": "psc"}

    # Her list shows Anne only, and Anne's record opens.
    page.goto("/personnes/")
    listing = _main(page)
    assert "MARTIN" in listing
    for other in ("LEFÈVRE", "PETIT", "DURAND"):
        assert other not in listing.upper()
    page.get_by_role("link", name=re.compile("MARTIN")).first.click()
    page.wait_for_url(re.compile(rf"/personnes/{world.anne.pk}/"))
    assert "MARTIN" in page.locator("h1").inner_text()
    reads = AuditEvent.objects.filter(kind="access", user_id=account.pk, action="person.view")
    assert any(world.anne.pk in event.person_ids for event in reads)

    # Another resident's record by its address: a French refusal, not a server error.
    response = page.goto(f"/personnes/{world.bruno.pk}/")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "Accès refusé"
    assert "hors de votre périmètre" in _main(page)
    denied = AuditEvent.objects.filter(action="access.denied", user_id=account.pk)
    assert denied.latest("seq").details["path"] == f"/personnes/{world.bruno.pk}/"
    _log_out(page)

    # A password, even one set behind the administrator's back, does not open her account.
    account.set_password(PASSWORD)
    account.save(update_fields=["password"])
    page.goto("/connexion/")
    page.fill("#id_email", GP_EMAIL)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter", exact=True).click()
    assert "/connexion/" in page.url
    assert PSC_ONLY_MESSAGE in _main(page)
    page.goto("/")
    assert "/connexion/" in page.url

    # The day after the access's end date (the dates moved back as time would pass):
    # she still logs in, and reaches nobody.
    shift = end - today + dt.timedelta(days=1)
    assignment = LinkedPersonsAssignment.objects.get(user=account)
    LinkedPersonsAssignment.objects.filter(pk=assignment.pk).update(
        start_date=assignment.start_date - shift, end_date=assignment.end_date - shift
    )
    _psc_login(page, live_server)
    page.goto("/personnes/")
    assert "MARTIN" not in _main(page)
    response = page.goto(f"/personnes/{world.anne.pk}/")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "Accès refusé"
    assert PersonProfessional.objects.get(professional=gp).end_date is None  # the link stays
