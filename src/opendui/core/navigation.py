"""The main navigation: real sections for what the user may do, the rest marked 'à venir'."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from opendui.accounts.access import has_anywhere


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str | None  # None: the section does not exist yet
    active: bool = False


_SECTIONS = [
    (_("Accueil"), "core:home", None),
    (_("Personnes accompagnées"), "persons:list", "person.view_identity"),
    (_("Agenda"), "agenda:mine", "person.view_identity"),
    # The secretariat files and follows requests; chefs de service and directors decide.
    (_("Admissions et séjours"), "stays:waiting_list", ("person.create", "admission.decide")),
    (_("Projets personnalisés"), "accompaniment:home", "person.view_social"),
    (_("Transmissions"), "notes:liaison_home", "person.view_identity"),
    (_("Annuaire"), "directory:list", "directory.view"),
    (_("Identitovigilance"), "persons:merge_list", "identity.merge"),
    (_("Événements indésirables"), "incidents:home", "incident.declare"),
    (_("Pilotage"), "pilotage:home", "pilotage.view"),
    (_("Envois au DMP"), "dmp:failures", "dmp.manage_failures"),
    (_("Projet ESMS Numérique"), "programme:home", "programme.manage"),
    (_("Administration"), "organisations:admin_home", "organisation.manage"),
    (_("Professionnels"), "accounts:user_list", "accounts.manage"),
    (_("Rôles et habilitations"), "accounts:role_list", "roles.manage"),
    # Approvers decide there; administrators follow the requests they made.
    (
        _("Demandes d'habilitation"),
        "accounts:grant_list",
        ("grants.approve", "accounts.manage", "roles.manage"),
    ),
    (_("Journal d'audit"), "audit:search", "audit.search"),
]

COMING_SECTIONS: list = []


def navigation_for(request: HttpRequest) -> list[NavItem]:
    items = []
    for label, url_name, permission in _SECTIONS:
        # A section needs one permission, or any one of several (a tuple).
        wanted = (permission,) if isinstance(permission, str) else (permission or ())
        if wanted and not any(has_anywhere(request.user, code) for code in wanted):
            continue
        url = reverse(url_name)
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append(NavItem(str(label), url, active))
    items.extend(NavItem(str(label), None) for label in COMING_SECTIONS)
    return items
