"""Who may read and write an agenda event.

An event is about its participants (persons accompanied), so the rules are the person
rules of accounts.access, checked for every participant at once, within the event's
facility (one query per permission, whatever the number of participants):

- writing (create, update, status, presence, report) needs `person.view_identity` and
  `person.edit_<category>` on *every* participant, the category being the one chosen for
  the event's report (social by default). Removing a person from an event counts as
  writing about them.
- reading an event needs `person.view_identity` on *at least one* participant: a group
  activity mixing two units is seen by each unit's team, with only the participants the
  reader may see named. The report needs `person.view_<category>` on every participant.
- an event without participants (a team meeting) is read and written by any user whose
  role sees persons (`person.view_identity`) in the facility, i.e. any care or support
  assignment there (facility or one of its units). `facility.view_overview` would leave out
  the educators and nurses who hold most meetings; administrators and the DPO, whose
  roles see no person, stay out.

The category chosen for a new event (or a changed one) must be one the user may write
in the facility (`writable_categories`): the form offers only those and the services
refuse any other, participants or not. A professional who writes no category (a
director) still organises team meetings, in the default category only.

Break-the-glass grants do not reach the agenda: they open one record, not a facility's
planning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied

from opendui.accounts.access import check
from opendui.accounts.permissions import DataCategory
from opendui.organisations.models import Facility
from opendui.persons.selectors import visible_persons

VIEW = "person.view_identity"
DEFAULT_CATEGORY = DataCategory.SOCIAL.value
#: The category offered first: the daily accompaniment before the administrative file.
PREFERRED_ORDER = ("social", "care", "medical", "psychological", "administrative")


def visible_ids(
    user: Any, facility: Facility, person_ids: Iterable[int], code: str = VIEW
) -> set[int]:
    """The ids among `person_ids` the user holds `code` on, within `facility` (one query)."""
    ids = set(person_ids)
    if not ids:
        return set()
    return set(
        visible_persons(user, facility, code).filter(pk__in=ids).values_list("pk", flat=True)
    )


def in_facility(user: Any, facility: Facility) -> bool:
    """A care or support assignment in the facility (see the module docstring)."""
    return bool(check(user, VIEW, facility=facility))


def write_problem(
    user: Any, facility: Facility, person_ids: Iterable[int], category: str
) -> str | None:
    """None when the user may write an event about these persons, else a French message."""
    ids = set(person_ids)
    if not ids:
        if in_facility(user, facility):
            return None
        return f"Vous n'êtes pas affecté(e) à « {facility} »."
    if visible_ids(user, facility, ids) != ids:
        return "Une des personnes de l'événement ne fait pas partie de votre périmètre."
    if visible_ids(user, facility, ids, f"person.edit_{category}") != ids:
        return (
            "Vous n'avez pas le droit de saisir ce type de données "
            "pour toutes les personnes de l'événement."
        )
    return None


def require_write(user: Any, facility: Facility, person_ids: Iterable[int], category: str) -> None:
    problem = write_problem(user, facility, person_ids, category)
    if problem:
        raise PermissionDenied(problem)


def readable_ids(user: Any, facility: Facility, person_ids: Iterable[int]) -> set[int] | None:
    """The participants the user may see, or None when the event is not readable at all."""
    ids = set(person_ids)
    if not ids:
        return set() if in_facility(user, facility) else None
    seen = visible_ids(user, facility, ids)
    return seen or None


def can_read_report(
    user: Any, facility: Facility, person_ids: Iterable[int], category: str
) -> bool:
    ids = set(person_ids)
    if not ids:
        return in_facility(user, facility)
    return visible_ids(user, facility, ids, f"person.view_{category}") == ids


def writable_categories(user: Any, facility: Facility) -> list[str]:
    """The data categories the user may write in the facility, most usual first."""
    return [c for c in PREFERRED_ORDER if check(user, f"person.edit_{c}", facility=facility)]


def category_problem(
    user: Any, facility: Facility, category: str, person_ids: Iterable[int]
) -> str | None:
    """None when the user may give an event this category, else a French message."""
    writable = writable_categories(user, facility)
    if category in writable:
        return None
    if not writable and not set(person_ids) and category == DEFAULT_CATEGORY:
        return None  # a team meeting organised by someone who writes no category
    return (
        "Vous ne pouvez pas choisir cette catégorie de compte rendu : choisissez une "
        "catégorie de données que votre rôle vous permet de saisir."
    )


def require_category(
    user: Any, facility: Facility, category: str, person_ids: Iterable[int]
) -> None:
    problem = category_problem(user, facility, category, person_ids)
    if problem:
        raise PermissionDenied(problem)
