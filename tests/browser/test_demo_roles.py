"""Every demo account logs in with the keyboard and sees exactly its scope."""

from __future__ import annotations

import re

from opendui.accounts.models import User
from opendui.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from opendui.persons.models import Person
from tests.browser.conftest import login_with_keyboard

# What each demo account (by login, the part of its address before @) finds in the
# navigation (besides Accueil).
# The daily sections every professional working with persons has.
_DAILY = {"Personnes accompagnées", "Agenda", "Transmissions", "Événements indésirables"}
_PP = "Projets personnalisés"
# The directory of external professionals: the roles that write records.
_ANNUAIRE = "Annuaire"
_DMP = "Envois au DMP"
NAVIGATION = {
    # The facility's DMP failures: the secretariat, the chief of service, the director.
    "accueil": _DAILY | {"Admissions et séjours", _ANNUAIRE, _DMP},
    "educateur": _DAILY | {_PP, _ANNUAIRE},
    "aide-soignant": _DAILY | {_PP, _ANNUAIRE},
    "infirmier": _DAILY | {_PP, _ANNUAIRE},
    "medecin": _DAILY | {_PP, _ANNUAIRE},
    "psychologue": _DAILY | {_PP, _ANNUAIRE},
    "chef-de-service": _DAILY | {"Admissions et séjours", _PP, "Pilotage", _ANNUAIRE, _DMP},
    # Directors approve grants (their facilities; the whole organisation for "direction")
    # and decide on admissions (admission.decide): the waiting list is theirs too.
    "directeur": _DAILY
    | {"Admissions et séjours", _PP, "Pilotage", "Demandes d'habilitation", _DMP},
    # The same role assigned to the whole organisation: its organisation permissions
    # (identity merges, the programme project) apply.
    "direction": _DAILY
    | {
        "Admissions et séjours",
        _PP,
        "Pilotage",
        "Identitovigilance",
        "Projet ESMS Numérique",
        "Demandes d'habilitation",
        _DMP,
    },
    "identitovigilance": {"Personnes accompagnées", "Agenda", "Transmissions", "Identitovigilance"},
    "admin": {
        "Administration",
        "Professionnels",
        "Rôles et habilitations",
        "Demandes d'habilitation",
        "Projet ESMS Numérique",
    },
    "dpo": {"Journal d'audit"},
}


def expected_person_ids(user: User) -> set[int]:
    """The persons an account should see in its lists, from its assignments, with plain
    queries and the pure rule of stays.archiving: in a facility or unit, those current
    there (a stay or an open request, or one ended within the grace period)."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from opendui.stays.archiving import is_current, placement_end, request_end
    from opendui.stays.models import AdmissionRequest, Stay

    today, grace = timezone.localdate(), settings.ACCESS_AFTER_DISCHARGE_DAYS
    ids: set[int] = set()
    for assignment in user.assignments.all():
        if assignment.facility_id is None:
            ids |= set(
                Person.objects.filter(organisation=assignment.organisation).values_list(
                    "pk", flat=True
                )
            )
            continue
        ends: dict[int, list] = {}
        if assignment.unit_id is not None:
            stays = Stay.objects.filter(unit=assignment.unit)
        else:
            stays = Stay.objects.filter(facility=assignment.facility)
            for person_id, status, written in AdmissionRequest.objects.filter(
                facility=assignment.facility
            ).values_list("person_id", "status", "updated_at"):
                ends.setdefault(person_id, []).append(
                    request_end(status, written.astimezone(dt.UTC).date())
                )
        for person_id, end in stays.values_list("person_id", "end_date"):
            ends.setdefault(person_id, []).append(end)
        ids |= {
            person_id
            for person_id, values in ends.items()
            if is_current(placement_end(values), grace, today)
        }
    return ids


def test_each_demo_account_sees_exactly_its_scope(page, transactional_db):
    seed_demo(5, 80, seed=1)
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(email=account.email)
        login_with_keyboard(page, account.email, DEMO_PASSWORD)
        assert page.locator("h1").inner_text() == f"Bonjour {account.first_name}"

        links = set(page.locator("nav.main-nav a").all_inner_texts()) - {"Accueil"}
        assert links == NAVIGATION[account.email.partition("@")[0]], account.email

        if "Personnes accompagnées" in links:
            expected = expected_person_ids(user)
            card = page.locator("#card-persons + p").inner_text()
            assert int(re.search(r"\d+", card).group()) == len(expected), account.email
            page.goto("/personnes/")
            shown = {
                int(href.rstrip("/").rsplit("/", 1)[1])
                for href in page.locator("tbody a").evaluate_all(
                    "els => els.map(e => e.getAttribute('href'))"
                )
            }
            assert shown and shown <= expected, account.email
        else:
            assert page.goto("/personnes/").status == 403

        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url("**/connexion/")
