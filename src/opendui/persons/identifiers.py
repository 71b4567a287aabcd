"""The medico-social identifier of a person in a facility: pure functions, no Django import.

The national FHIR guides identify a person accompanied by an ESSMS with the form
`3` + FINESS géographique + `/` + local identifier (for example `3750000028/U0000001`):
the leading `3` says that the issuer is designated by its FINESS number, the FINESS ET
names the facility, and the part after the slash is the identifier the facility's
software gave the person. OpenDUI numbers persons once per managing organisation
(`Person.local_id`), so the same local identifier appears behind the FINESS of every
facility the person stayed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

PREFIX = "3"
SEPARATOR = "/"
LOCAL_ID_MAX_LENGTH = 20  # Person.local_id

# A FINESS is 9 characters: 9 digits, or 2A/2B (Corsica) then 7 digits. The key is not
# checked here: a typed identifier with a wrong FINESS simply finds no facility.
_FINESS = r"(?:[0-9]{2}|2[AB])[0-9]{7}"
# Users sometimes copy the notation literally ("3+FINESS"): the plus sign is tolerated.
_MEDICO_SOCIAL = re.compile(
    rf"^{PREFIX}\+?(?P<finess>{_FINESS}){SEPARATOR}(?P<local_id>[^\s/]{{1,{LOCAL_ID_MAX_LENGTH}}})$"
)


class _HasLocalId(Protocol):
    local_id: str


class _HasFiness(Protocol):
    finess_et: str


@dataclass(frozen=True)
class MedicoSocialId:
    """A parsed `3+FINESS/idLocal` identifier."""

    finess_et: str
    local_id: str

    def __str__(self) -> str:
        return medico_social_identifier(self.finess_et, self.local_id)


def medico_social_identifier(finess_et: str, local_id: str) -> str:
    """`3` + FINESS ET + `/` + local identifier; refuses empty or malformed parts."""
    if not re.fullmatch(_FINESS, finess_et or ""):
        raise ValueError("A FINESS number has 9 characters (digits, or 2A/2B then 7 digits).")
    if not local_id or len(local_id) > LOCAL_ID_MAX_LENGTH or re.search(r"[\s/]", local_id):
        raise ValueError("A local identifier has 1 to 20 characters, without space or slash.")
    return f"{PREFIX}{finess_et}{SEPARATOR}{local_id}"


def person_identifier_in(person: _HasLocalId, facility: _HasFiness) -> str:
    """The medico-social identifier of `person` as accompanied by `facility`.

    Reads only the two attributes (no query): whether the person has a stay in the
    facility is the caller's business (the person page lists their stays).
    """
    return medico_social_identifier(facility.finess_et, person.local_id)


def parse_medico_social_identifier(text: str) -> MedicoSocialId | None:
    """The FINESS ET and local identifier of `3+FINESS/idLocal` (surrounding spaces and
    case of letters ignored), or None when `text` does not have that form."""
    match = _MEDICO_SOCIAL.match((text or "").strip().upper())
    if match is None:
        return None
    return MedicoSocialId(match["finess"], match["local_id"])
