"""Who is acting, as the national services (DMP's VIHF token, CDA authors) name professionals.

`acting_professional()` is the one place that builds it, so the DMP client only consumes it:
the national identifier (idNat_PS), the names, the role codes with their code systems
(profession of JDV_J65: TRE_G15 health professions or RPPS+ social professions, plus the
RPPS+ "genre d'activité" GENR08–12), the secteur d'activité (TRE_R02) and the
authentication mode. Pure apart from reading the arguments: no query, no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .professions import ACTIVITY_ROLE_OID, HEALTH_PROFESSION_OID, SOCIAL_PROFESSION_OID
from .psc.session import psc_session

# TRE_R02-SecteurActivite (1.2.250.1.71.4.2.4).
SECTOR_OID = "1.2.250.1.71.4.2.4"
# "Établissement pour personnes âgées" (DLU-EHPAD examples of the ANS), for EHPAD (FINESS 500);
# every other facility of a DUI is "Autre établissement du domaine social ou médico-social".
SECTOR_ELDERLY = "SA17"
SECTOR_OTHER_MEDICO_SOCIAL = "SA41"
_ELDERLY_CATEGORIES = {"500"}

# VIHF Mode_Acces / authentication mode: the professional authenticated to PSC themselves
# (e-CPS), or to the DUI which vouches for them (password + second factor).
DIRECT = "DIRECTE"
INDIRECT_STRONG = "INDIRECTE_RENFORCEE"

_PROFESSION_SYSTEMS = {"G15": HEALTH_PROFESSION_OID, "SOC": SOCIAL_PROFESSION_OID}


@dataclass(frozen=True)
class Code:
    code: str
    system: str  # OID of the code system


@dataclass(frozen=True)
class ProfessionalIdentity:
    idnat: str  # "" when the account holds no national identifier
    family_name: str
    given_name: str
    profession: Code | None
    activity_role: Code | None  # GENR08–12, RPPS+ professionals
    sector: Code
    authentication_mode: str  # DIRECT or INDIRECT_STRONG
    facility_finess: str = ""  # FINESS of the facility acted for, when one is current

    @property
    def roles(self) -> tuple[Code, ...]:
        """The SubjectRole values of the VIHF: profession, then genre d'activité."""
        return tuple(code for code in (self.profession, self.activity_role) if code)


def profession_code(value: str) -> Code | None:
    """'G15:10' → Code('10', TRE_G15 OID); 'SOC:51' → Code('51', social professions OID);
    'AUTRE' (administrative staff without a national profession) → None."""
    prefix, _, code = (value or "").partition(":")
    system = _PROFESSION_SYSTEMS.get(prefix)
    return Code(code, system) if system and code else None


def sector_of_facility(category_code: str) -> Code:
    """Secteur d'activité from the facility's FINESS category (when no PSC exercice says it)."""
    if category_code in _ELDERLY_CATEGORIES:
        return Code(SECTOR_ELDERLY, SECTOR_OID)
    return Code(SECTOR_OTHER_MEDICO_SOCIAL, SECTOR_OID)


def acting_professional(
    user: Any, session: Any = None, facility: Any = None
) -> ProfessionalIdentity:
    """The identity the national services must receive for `user` acting now.

    After a Pro Santé Connect login the session holds the identifier PSC vouched for and the
    chosen work situation: its sector wins, and the mode is DIRECTE. Otherwise the account's
    own identifier, the facility's sector and INDIRECTE_RENFORCEE (OpenDUI's login has a
    second factor where roles require it).
    """
    psc = psc_session(session)
    exercice = (psc or {}).get("exercice") or {}
    category = getattr(getattr(facility, "category", None), "code", "") if facility else ""
    sector = (
        Code(exercice["sector"], SECTOR_OID)
        if exercice.get("sector")
        else sector_of_facility(category)
    )
    activity = getattr(user, "activity_role", "") or ""
    return ProfessionalIdentity(
        idnat=(psc or {}).get("idnat") or user.national_id,
        family_name=user.last_name,
        given_name=user.first_name,
        profession=profession_code(user.profession),
        activity_role=Code(activity, ACTIVITY_ROLE_OID) if activity else None,
        sector=sector,
        authentication_mode=DIRECT if psc else INDIRECT_STRONG,
        facility_finess=getattr(facility, "finess_et", "") or "",
    )


def acting_professional_of(request: Any) -> ProfessionalIdentity:
    """`acting_professional` for the logged-in user of a request, in its current facility."""
    return acting_professional(
        request.user, request.session, getattr(request, "current_facility", None)
    )
