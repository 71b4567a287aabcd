"""The INSi simulator's identities: fictitious persons only.

Two groups:

- the national test personas of the CNDA/INSi qualification platform, with the
  traits and matricules published in its test fixtures (see
  `shared/reference/services_socles.md` §1.2 and §1.7); like that platform, the
  simulator returns them with the INS-NIR OID `.8` (and `.9` for the NIA);
- OpenDUI's own synthetic persons, built to cover each response case (accents,
  compound names, born abroad, homonyms); they carry the INS-NIR **test** OID
  `.10` so that they can never pass for real persons.

Names are stored as INSi returns them: upper case, without diacritics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

OID_NIR = "1.2.250.1.213.1.4.8"
OID_NIA = "1.2.250.1.213.1.4.9"
OID_NIR_TEST = "1.2.250.1.213.1.4.10"


@dataclass(frozen=True)
class SimulatedIdentity:
    birth_name: str
    first_names: tuple[str, ...]
    sex: str
    birth_date: dt.date
    birth_place: str
    matricule: str
    oid: str
    history: tuple[tuple[str, str], ...] = ()

    @property
    def first_names_list(self) -> str:
        return " ".join(self.first_names)


def _d(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


IDENTITIES: tuple[SimulatedIdentity, ...] = (
    # National test personas (CNDA fixtures).
    SimulatedIdentity(
        "ADRTROIS", ("DOMINIQUE",), "F", _d("1997-02-26"), "2A020", "297022A02077878", OID_NIR
    ),
    SimulatedIdentity(
        "ADRTROIS", ("TOUSSAINT",), "M", _d("1960-01-01"), "2B020", "160012B02077713", OID_NIR
    ),
    SimulatedIdentity(
        "ECETINSI",
        ("PIERRE-ALAIN", "MURIEL", "FLORIANT"),
        "M",
        _d("2009-07-14"),
        "63220",
        "109076322083489",
        OID_NIR,
        history=(("209076322083439", OID_NIR), ("209066322012355", OID_NIR)),
    ),
    SimulatedIdentity(
        "TCHITCHI",
        ("CATARINA", "BELLA"),
        "F",
        _d("1936-06-21"),
        "63220",
        "236066322083656",
        OID_NIR,
    ),
    SimulatedIdentity(
        "NESSI",
        ("MICHELANGELO", "ANTHONY"),
        "M",
        _d("2010-08-07"),
        "63220",
        "110086322083060",
        OID_NIR,
    ),
    SimulatedIdentity(
        "ADRUN", ("ZOE",), "F", _d("1975-12-31"), "63220", "275126322074974", OID_NIR
    ),
    SimulatedIdentity(
        "PROVISOIRE", ("MATRICULE",), "M", _d("2009-07-01"), "63220", "109076322088835", OID_NIA
    ),
    # OpenDUI synthetic persons.
    # Accents in the civil name (Lefèvre Héloïse Marie): returned without diacritics.
    SimulatedIdentity(
        "LEFEVRE",
        ("HELOISE", "MARIE"),
        "F",
        _d("1948-03-12"),
        "75056",
        "248037505612373",
        OID_NIR_TEST,
    ),
    # Compound birth name (double hyphen) and compound first name.
    SimulatedIdentity(
        "MARTIN--DUPONT",
        ("JEAN-BAPTISTE", "LOUIS"),
        "M",
        _d("1955-11-02"),
        "69123",
        "155116912304578",
        OID_NIR_TEST,
    ),
    # Born abroad (Burkina Faso, COG 99331).
    SimulatedIdentity(
        "OUEDRAOGO", ("AMINATA",), "F", _d("1962-05-20"), "99331", "262059933104508", OID_NIR_TEST
    ),
    # Two homonyms: same name, first name, sex and birth date, different birth places.
    SimulatedIdentity(
        "MARTIN", ("PIERRE",), "M", _d("1940-01-01"), "33063", "140013306321059", OID_NIR_TEST
    ),
    SimulatedIdentity(
        "MARTIN", ("PIERRE",), "M", _d("1940-01-01"), "13055", "140011305508789", OID_NIR_TEST
    ),
)


def find(
    birth_name: str,
    first_names: list[str],
    sex: str,
    birth_date: dt.date,
    birth_place: str | None = None,
) -> list[SimulatedIdentity]:
    """Identities matching normalised traits.

    The first name matches when any requested `Prenom` equals one of the birth
    first names or the whole list; no `Prenom` matches any. A stricter match
    than the real service (which also tolerates some spelling variants).
    """
    matches = []
    for identity in IDENTITIES:
        if (identity.birth_name, identity.sex, identity.birth_date) != (
            birth_name,
            sex,
            birth_date,
        ):
            continue
        if birth_place and identity.birth_place != birth_place:
            continue
        if first_names and not any(
            name in identity.first_names or name == identity.first_names_list
            for name in first_names
        ):
            continue
        matches.append(identity)
    return matches
