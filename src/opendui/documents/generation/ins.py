"""The INS block printed on generated health documents: pure functions and a dataclass.

Sources: shared/reference/services_socles.md §1.1 (item 4: "print the INS block + INS
Datamatrix on generated health documents"), §1.3 (OIDs), §1.4 (the strict traits as
INSi returns them) and §1.5 (only a *qualifiée* identity carries the matricule and its
OID; never a douteuse or fictive one: `persons.rniv.may_transmit_ins`).

The block holds the matricule, its OID and the OID's label (INS-NIR, INS-NIA, …) and the
five strict traits: birth name, the whole list of birth first names (as INSi gives them,
space-separated), sex, birth date and birth place (INSEE code, optional). Names are
printed in their INS form (`persons.traits.normalise_name`: capitals, no diacritics),
which is how every stored name is kept already; normalising again is idempotent and
keeps a record typed before that rule from printing « Lefèvre » beside « LEFEVRE ».

`ins_block` answers None when the identity is not qualified: the document then carries
no matricule at all (the template says so). When the identity is qualified but a trait
the block needs is missing or malformed, `IncompleteInsError` (a French sentence) is
raised instead of printing a partial block: a qualified identity with no matricule or an
"indéterminé" sex is a record to fix, not something to print.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from opendui.persons import rniv
from opendui.persons.ins import INS_OIDS, matricule_problem, normalise_matricule
from opendui.persons.traits import TraitError, normalise_name

#: §1.4 [A]: `LieuNaissance` is 5 letters or digits (`[A-Za-z0-9]{5}`); INSi's test
#: identities carry codes the COG does not list, so only the format is checked here.
BIRTH_PLACE_FORMAT = re.compile(r"^[A-Z0-9]{5}$")
#: The INS knows two sexes (§1.4: `Sexe` M/F).
INS_SEXES = {"F": "Féminin", "M": "Masculin"}


class IncompleteInsError(ValueError):
    """A qualified identity whose INS block cannot be printed; `message` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class InsBlock:
    """The INS of a qualified identity, ready to print and to encode in the datamatrix."""

    matricule: str
    oid: str
    birth_name: str
    birth_first_names: str
    sex: str
    birth_date: dt.date
    birth_place_code: str = ""

    @property
    def oid_label(self) -> str:
        """INS-NIR, INS-NIA, INS-NIR-TEST or INS-NIR-DEMO (§1.3)."""
        return INS_OIDS[self.oid]

    @property
    def is_nia(self) -> bool:
        """An identifiant d'attente (NIA) rather than a NIR."""
        return self.oid_label == "INS-NIA"

    @property
    def first_name_list(self) -> tuple[str, ...]:
        return tuple(self.birth_first_names.split(" "))

    @property
    def sex_label(self) -> str:
        return INS_SEXES[self.sex]


def build_ins_block(
    *,
    qualified: bool,
    matricule: str,
    oid: str,
    birth_name: str,
    birth_first_names: str,
    first_name: str = "",
    sex: str,
    birth_date: dt.date,
    birth_place_code: str = "",
) -> InsBlock | None:
    """The INS block for these traits, or None when `qualified` is False.

    `birth_first_names` is the list INSi gave; when a record only has its first birth
    first name, that one stands for the list. Raises IncompleteInsError (French) when
    the identity is qualified but a trait is missing or malformed.
    """
    if not qualified:
        return None
    matricule = normalise_matricule(matricule)
    if not matricule:
        raise IncompleteInsError("L'identité est qualifiée mais le matricule INS est absent.")
    problem = matricule_problem(matricule)
    if problem:
        raise IncompleteInsError(f"Matricule INS invalide : {problem}")
    if oid not in INS_OIDS:
        raise IncompleteInsError(
            f"L'OID « {oid} » du matricule INS n'est pas un OID de l'INS (NIR ou NIA)."
        )
    if sex not in INS_SEXES:
        raise IncompleteInsError(
            "Le sexe doit être Féminin ou Masculin pour imprimer l'INS "
            "(l'INS ne connaît pas « indéterminé »)."
        )
    if not isinstance(birth_date, dt.date):
        raise IncompleteInsError("La date de naissance est absente.")
    place = (birth_place_code or "").strip().upper()
    if place and not BIRTH_PLACE_FORMAT.match(place):
        raise IncompleteInsError(
            f"Le code du lieu de naissance « {place} » n'a pas 5 lettres ou chiffres."
        )
    try:
        name = normalise_name(birth_name, "birth_name")
        first_names = normalise_name(
            birth_first_names or first_name, "birth_first_names", required=True
        )
    except TraitError as error:
        raise IncompleteInsError(error.message) from error
    return InsBlock(
        matricule=matricule,
        oid=oid,
        birth_name=name,
        birth_first_names=first_names,
        sex=sex,
        birth_date=birth_date,
        birth_place_code=place,
    )


def ins_block(person) -> InsBlock | None:
    """The INS block of a `persons.Person`, or None unless its identity is qualified
    (and neither douteuse nor fictive). No query: reads the person's own columns."""
    return build_ins_block(
        qualified=rniv.may_transmit_ins(person.identity_state),
        matricule=person.ins_matricule,
        oid=person.ins_oid,
        birth_name=person.birth_name,
        birth_first_names=person.birth_first_names,
        first_name=person.first_name,
        sex=person.sex,
        birth_date=person.birth_date,
        birth_place_code=person.birth_place_code,
    )
