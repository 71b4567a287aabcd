"""Filling a professional's account from the Annuaire Santé.

The administrator types an RPPS (or ADELI) number and presses « Chercher dans
l'Annuaire Santé »: the form comes back with the names and profession the Annuaire
gives, for the administrator to check and save (nothing is saved by the lookup). The
filled form carries a signed proof of what the Annuaire said; at saving, the account is
marked verified (`annuaire_checked_at`) only when the saved values still match it. When
the Annuaire is down or the number unknown, the form stays usable and the account is
saved « non vérifié dans l'Annuaire » (`annuaire_checked_at` null).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.http import QueryDict
from django.utils import timezone

from opendui.annuaire.client import AnnuaireError
from opendui.annuaire.config import client_from_settings
from opendui.annuaire.parsing import Practitioner
from opendui.core.identifiers import adeli_problem, normalise_identifier, rpps_problem

from .professions import Profession

SALT = "opendui.accounts.annuaire"
PROOF_MAX_AGE = dt.timedelta(hours=12)  # a form filled in the morning is saved the same day
FILLED = (
    "Informations remplies depuis l'Annuaire Santé : vérifiez-les avant d'enregistrer "
    "(le mot de passe initial est à saisir de nouveau)."
)
NO_NUMBER = "Saisissez un numéro RPPS ou ADELI valide avant de chercher dans l'Annuaire Santé."
NOT_FOUND = (
    "Ce numéro est inconnu de l'Annuaire Santé ou n'y est plus actif : vérifiez-le ; "
    "sinon saisissez les informations, elles seront marquées « non vérifié dans l'Annuaire »."
)
CHECKED_FIELDS = ("first_name", "last_name", "profession", "rpps", "adeli")


def profession_of(code: str) -> str:
    """The account's Profession value of a TRE_G15 code ('' when OpenDUI has none)."""
    value = f"G15:{code}"
    return value if code and value in Profession.values else ""


def idnat_of(data: QueryDict | dict[str, Any]) -> str:
    """The idNat_PS to look up from the typed RPPS (else ADELI); '' when neither is valid."""
    rpps = normalise_identifier(str(data.get("rpps", "") or ""))[:20]
    adeli = normalise_identifier(str(data.get("adeli", "") or ""))[:20]
    if rpps and rpps_problem(rpps) is None:
        return "8" + rpps
    if not rpps and adeli and adeli_problem(adeli) is None:
        return "0" + adeli
    return ""


def _values(practitioner: Practitioner) -> dict[str, str]:
    return {
        "first_name": practitioner.first_name,
        "last_name": practitioner.last_name,
        "profession": profession_of(practitioner.profession_code),
        "rpps": practitioner.rpps,
        "adeli": practitioner.adeli,
    }


def lookup(data: QueryDict) -> tuple[QueryDict | None, str]:
    """(the form data filled from the Annuaire, or None; the French message to show).

    The filled data keep everything typed (e-mail, role, dates…) and replace names,
    profession (when OpenDUI knows it) and identifiers, and carry the signed proof."""
    idnat = idnat_of(data)
    if not idnat:
        return None, NO_NUMBER
    try:
        practitioner = client_from_settings().practitioner_by_idnat(idnat)
    except AnnuaireError as error:
        return None, str(error)
    if practitioner is None or not practitioner.active:
        return None, NOT_FOUND
    values = _values(practitioner)
    filled = data.copy()
    for name, value in values.items():
        if name == "profession" and not value:
            continue  # a profession OpenDUI does not list: the administrator chooses
        filled[name] = value
    filled["annuaire_proof"] = signing.dumps(values, salt=SALT, compress=True)
    return filled, FILLED


def checked_at(proof: str, cleaned: dict[str, Any], *, now: dt.datetime | None = None):
    """The verification time to store: now when `proof` is a recent, genuine lookup and
    the saved values still match it (a name corrected after the lookup is not the
    Annuaire's any more); None otherwise."""
    if not proof:
        return None
    try:
        values = signing.loads(proof, salt=SALT, max_age=PROOF_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(values, dict):
        return None
    for name in CHECKED_FIELDS:
        expected = str(values.get(name, "") or "")
        if name == "profession" and not expected:
            continue
        if str(cleaned.get(name, "") or "").strip() != expected.strip():
            return None
    return now or timezone.now()
