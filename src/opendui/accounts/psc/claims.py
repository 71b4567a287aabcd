"""What the Pro Santé Connect userinfo says about the professional: pure functions.

PSC's claim set (ANS PSC-POC model): `SubjectNameID` is the national identifier
(idNat_PS: `8` + RPPS for RPPS and RPPS+ professionals, `0` + ADELI), `given_name` /
`family_name`, and `SubjectRefPro.exercices[]`, one entry per work situation (profession,
category, names of practice, activities with their sector and site). No Django here, so
the mapping is tested on its own and reused by the account lookup and the VIHF identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opendui.core.identifiers import idnat_ps_problem

RPPS = "rpps"  # `8` + 11 digits: an RPPS or RPPS+ number (same number space)
ADELI = "adeli"  # `0` + 9 characters
# Strings longer than this in a claim are cut: the page and the session never hold more.
_MAX_TEXT = 200


@dataclass(frozen=True)
class NationalId:
    """A national identifier split into its kind and number (without the prefix)."""

    kind: str  # RPPS or ADELI
    number: str

    @property
    def idnat(self) -> str:
        return ("8" if self.kind == RPPS else "0") + self.number


@dataclass(frozen=True)
class Exercice:
    """One work situation of `SubjectRefPro.exercices`, as kept in the session."""

    profession: str = ""  # codeProfession (TRE_G15 or social profession code)
    category: str = ""  # codeCategorieProfessionnelle (C civil, M militaire, E étudiant)
    family_name: str = ""  # nomDexercice
    given_name: str = ""  # prenomDexercice
    sector: str = ""  # codeSecteurDactivite of the first activity (TRE_R02, e.g. SA07)
    role: str = ""  # codeRole of the first activity
    site: str = ""  # raisonSocialeSite of the first activity
    finess: str = ""  # numeroFinessSite of the first activity

    @property
    def key(self) -> str:
        """What PSC's own services call the work situation: profession + category."""
        return f"{self.profession}{self.category}"

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exercice:
        return cls(**{k: _text(data.get(k)) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class PscIdentity:
    """The professional PSC authenticated, as far as OpenDUI uses it."""

    national_id: NationalId | None
    raw_id: str  # SubjectNameID as received (shown to the user when it is not linked)
    family_name: str
    given_name: str
    exercices: tuple[Exercice, ...] = field(default_factory=tuple)


def parse_national_id(value: Any) -> NationalId | None:
    """`8` + RPPS or `0` + ADELI → NationalId; anything else (other prefixes, which OpenDUI
    accounts cannot hold, malformed or non-string values) → None.

    RPPS+ identifiers are RPPS numbers (same `8` prefix, same Luhn key): the account lookup
    tries both columns.
    """
    if not isinstance(value, str):
        return None
    value = value.strip().upper()
    if len(value) not in (10, 12) or idnat_ps_problem(value) is not None:
        return None
    if value[0] == "8":
        return NationalId(RPPS, value[1:])
    if value[0] == "0":
        return NationalId(ADELI, value[1:])
    return None


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()[:_MAX_TEXT]


def _exercice(data: Any) -> Exercice | None:
    if not isinstance(data, dict):
        return None
    activities = data.get("activities")
    first = activities[0] if isinstance(activities, list) and activities else {}
    if not isinstance(first, dict):
        first = {}
    return Exercice(
        profession=_text(data.get("codeProfession")),
        category=_text(data.get("codeCategorieProfessionnelle")),
        family_name=_text(data.get("nomDexercice")),
        given_name=_text(data.get("prenomDexercice")),
        sector=_text(first.get("codeSecteurDactivite")),
        role=_text(first.get("codeRole")),
        site=_text(first.get("raisonSocialeSite") or first.get("enseigneCommercialeSite")),
        finess=_text(first.get("numeroFinessSite")),
    )


def exercices_of(userinfo: dict[str, Any]) -> tuple[Exercice, ...]:
    """The work situations of `SubjectRefPro.exercices`, in the provider's order; entries
    that are not objects are skipped (a malformed claim never fails the login by itself)."""
    ref = userinfo.get("SubjectRefPro")
    items = ref.get("exercices") if isinstance(ref, dict) else None
    if not isinstance(items, list):
        return ()
    return tuple(e for e in (_exercice(item) for item in items) if e is not None)


def identity_of(userinfo: dict[str, Any]) -> PscIdentity:
    """The whole mapping of a userinfo answer."""
    raw = userinfo.get("SubjectNameID")
    exercices = exercices_of(userinfo)
    family = _text(userinfo.get("family_name")) or (exercices[0].family_name if exercices else "")
    given = _text(userinfo.get("given_name")) or (exercices[0].given_name if exercices else "")
    return PscIdentity(
        national_id=parse_national_id(raw),
        raw_id=_text(raw)[:40],
        family_name=family,
        given_name=given,
        exercices=exercices,
    )
