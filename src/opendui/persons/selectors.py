"""Reads of persons, always filtered by the reader's scope."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from opendui.accounts.access import scope_for
from opendui.core.text import prefix_range, search_key
from opendui.organisations.models import Facility
from opendui.stays.models import Stay

from .identifiers import MedicoSocialId, parse_medico_social_identifier
from .models import Person
from .name_words import NameWordStarts

_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


def visible_persons(
    user: Any,
    facility: Facility | None = None,
    permission: str = "person.view_identity",
    *,
    archived: bool = False,
) -> QuerySet[Person]:
    """Persons the user may see with `permission`, optionally within one facility.

    Current persons only, unless `archived`: then also the records archived where the
    user holds person.view_archived (accounts.access.Scope).

    Records merged into another (persons.merge) are left out: the kept record is the
    one to work on, and the merged one is reached only through the kept one's history.
    """
    scope = scope_for(user, permission)
    if scope.is_empty:
        return Person.objects.none()
    if facility is not None and not scope.covers_facility(facility):
        return Person.objects.none()
    return Person.objects.filter(
        scope.persons_filter(facility, archived=archived), merged_into__isnull=True
    )


def count_visible_persons(user: Any, facility: Facility | None = None) -> int:
    return visible_persons(user, facility).count()


def parse_search(query: str) -> tuple[str, dt.date | None]:
    """Split a search box into a name part and an optional birth date (JJ/MM/AAAA).

    The simple form the DPO's audit search uses; the person list reads `parse_query`.
    """
    name_words, birth_date = [], None
    for word in query.split():
        match = _DATE.match(word)
        if match:
            day, month, year = (int(x) for x in match.groups())
            try:
                birth_date = dt.date(year, month, day)
            except ValueError:
                continue
        else:
            name_words.append(word)
    return search_key(" ".join(name_words)), birth_date


# --- person search -------------------------------------------------------------------------

# An INS matricule as typed: 15 characters once spaces are removed (sex, year, month,
# department or 2A/2B, commune, order, key). The key is not checked: a wrong one just
# finds nobody, since the match is exact.
_INS = re.compile(r"^[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}$")
MAX_QUERY_LENGTH = 100  # the search form's max_length
MAX_WORDS = 5  # each word adds conditions to the query; more words add nothing useful
INFIX_MIN_LENGTH = 3  # shorter words match the start of a name only (pg_trgm needs 3)
LOCAL_ID_MAX_LENGTH = 20  # Person.local_id
NAME_ORDER = ("birth_name_key", "first_name", "id")  # served by the person_name_order index
NAME_KEYS = ("birth_name_key", "used_name_key")  # accent- and case-free birth and used names
# The birth-name key as an expression no index provides, for ordering the matches of
# several short words on PostgreSQL (same values, same collation, same order). Offered
# the name index's order, PostgreSQL walks it and tests every person on the way, believing
# the matches spread along the alphabet; they cluster ('l m': the names in 'l'), and the
# walk tested tens of thousands of persons (226 ms at 100 000) where the words' own index
# finds the 3 568 matches, sorted in 8 ms (persons.name_words).
_UNWALKED_NAME = Func(
    F(NAME_ORDER[0]), template="(%(expressions)s || '')", output_field=CharField()
)


@dataclass(frozen=True)
class SearchTerms:
    """What a search box asks for; every part given must match (AND).

    - `words`: accent- and case-free name words, in typed order;
    - `birth_date`: a JJ/MM/AAAA word;
    - `ins`: an INS matricule (the whole box, spaces removed);
    - `medico_social`: a `3+FINESS/idLocal` word;
    - `local_id`: the box's single word, upper-cased, tried as a local identifier.
    """

    words: tuple[str, ...] = ()
    birth_date: dt.date | None = None
    ins: str = ""
    medico_social: MedicoSocialId | None = None
    local_id: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.birth_date or self.ins or self.medico_social)

    @property
    def has_infix(self) -> bool:
        """Whether some word may match inside a name (then prefix matches are ranked first)."""
        return any(len(word) >= INFIX_MIN_LENGTH for word in self.words)


def parse_query(query: str) -> SearchTerms:
    """Read a search box: INS matricule, or words that are dates, `3+FINESS/idLocal`
    identifiers, or names (and, alone, maybe a local identifier). Never raises."""
    text = (query or "")[:MAX_QUERY_LENGTH].strip()
    compact = re.sub(r"\s+", "", text).upper()
    if _INS.match(compact):
        return SearchTerms(ins=compact)
    birth_date, medico_social, others = None, None, []
    for token in text.split():
        date = _date_of(token)
        if date is not None:
            birth_date = date
            continue
        # A date that does not exist (31/02/1950) stays a word: it matches nobody,
        # rather than being dropped and widening the search.
        parsed = parse_medico_social_identifier(token)
        if parsed is not None:
            medico_social = parsed
            continue
        others.append(token)
    words = tuple(search_key(" ".join(others)).split())[:MAX_WORDS]
    local_id = ""
    if len(others) == 1 and len(others[0]) <= LOCAL_ID_MAX_LENGTH:
        local_id = others[0].upper()
    return SearchTerms(words, birth_date, "", medico_social, local_id)


def _date_of(token: str) -> dt.date | None:
    match = _DATE.match(token)
    if match is None:
        return None
    day, month, year = (int(x) for x in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def search_persons(
    user: Any, query: str, facility: Facility | None = None, *, archived: bool = False
) -> QuerySet[Person]:
    """Persons in the reader's scope matching a search box (see `parse_query`).

    Names (birth or used, accent- and case-free) match by prefix, and inside the name
    for words of 3 characters or more; with several words, each must be found in a name
    or a first name, and at least one in a name (that one is served by an index: the
    B-tree range for prefixes, pg_trgm's GIN index for infixes on PostgreSQL). When
    infixes are possible, persons whose name starts with a typed word come first.
    `archived`: see `visible_persons`.
    """
    persons = visible_persons(user, facility, archived=archived)
    terms = parse_query(query)
    if terms.is_empty:
        return persons.order_by(*NAME_ORDER)
    persons = persons.filter(search_condition(terms))
    if not terms.has_infix:
        if len(terms.words) > 1 and connection.vendor == "postgresql":
            return persons.order_by(_UNWALKED_NAME, *NAME_ORDER[1:])
        # A prefix alone keeps the plain name order: the list can then walk the
        # person_name_order index and stop after one page.
        return persons.order_by(*NAME_ORDER)
    starts = _starts_any(terms.words)
    if terms.local_id:
        starts |= Q(local_id=terms.local_id)
    rank = Case(When(starts, then=Value(0)), default=Value(1), output_field=IntegerField())
    return persons.annotate(search_rank=rank).order_by("search_rank", *NAME_ORDER)


def search_branches(
    user: Any, query: str, facility: Facility | None = None, *, archived: bool = False
) -> list[QuerySet]:
    """`search_persons` as querysets whose union, in NAME_ORDER, is the same list.

    For a name prefix alone (one word shorter than INFIX_MIN_LENGTH) the birth-name,
    used-name and local-identifier tests become one queryset each. As one OR they make
    PostgreSQL read every person whose birth or used name starts with the prefix and
    sort them all (9 400 rows for 'le' at 100 000 persons, 28 ms); apart, the birth-name
    branch walks the person_name_order index in order and stops after a page, and the
    used-name branch sorts only the few used names (4 ms). Any other search is one
    queryset, `search_persons` itself. The person list unions them (persons.listing).
    """
    terms = parse_query(query)
    simple_prefix = (
        len(terms.words) == 1
        and len(terms.words[0]) < INFIX_MIN_LENGTH
        and terms.birth_date is None
        and terms.medico_social is None
        and not terms.ins
    )
    if not simple_prefix:
        return [search_persons(user, query, facility, archived=archived)]
    persons = visible_persons(user, facility, archived=archived)
    prefix = terms.words[0]
    branches = [persons.filter(_starts_with(field, prefix)) for field in NAME_KEYS]
    if terms.local_id:
        branches.append(persons.filter(local_id=terms.local_id))
    return [branch.order_by(*NAME_ORDER) for branch in branches]


def search_condition(terms: SearchTerms) -> Q:
    """The WHERE clause of a search, without the reader's scope."""
    if terms.ins:
        # A matricule is matched whatever the identity status: the list never shows it
        # (display rule: Person.transmittable_ins), and the user typed it.
        return Q(ins_matricule=terms.ins) | Q(local_id=terms.ins)
    condition = Q()
    if terms.birth_date is not None:
        condition &= Q(birth_date=terms.birth_date)
    if terms.medico_social is not None:
        condition &= Q(local_id=terms.medico_social.local_id) & Exists(
            Stay.objects.filter(
                person=OuterRef("pk"), facility__finess_et=terms.medico_social.finess_et
            )
        )
    if terms.words:
        names = _names_condition(terms.words)
        if terms.local_id:
            names |= Q(local_id=terms.local_id)
        condition &= names
    return condition


def _names_condition(words: tuple[str, ...]) -> Q:
    """One word: a name matches it. Several: every word is found in a name or a first name,
    and one at least in a name ('dup mar' finds DUPONT Marie; 'le g' finds LE GOFF, each
    word starting the name or a word of it). Each word's test reads the three key columns
    that pg_trgm indexes, so PostgreSQL can AND the words' index scans and read only the
    rows holding all of them; on PostgreSQL the words too short for pg_trgm are tested
    together by one indexed expression (persons.name_words)."""
    if len(words) == 1:
        return _in_name(words[0])
    short = tuple(word for word in words if len(word) < INFIX_MIN_LENGTH)
    long_words = tuple(word for word in words if len(word) >= INFIX_MIN_LENGTH)
    if short and connection.vendor == "postgresql":
        if not long_words:  # the whole test is one tsquery
            return Q(NameWordStarts(short, one_starts_a_name=True))
        every_word = Q(NameWordStarts(short, one_starts_a_name=False))
    else:
        every_word, long_words = Q(), words
    any_in_name = Q()
    for word in words:
        any_in_name |= _in_name(word)
    for word in long_words:
        every_word &= _in_name(word) | _in_name_word(word) | _in_first_name(word)
    return every_word & any_in_name


def _in_name(word: str) -> Q:
    """Birth or used name starting with `word`, or containing it when 3 characters or more."""
    if len(word) >= INFIX_MIN_LENGTH:
        return Q(birth_name_key__contains=word) | Q(used_name_key__contains=word)
    return _starts_name(word)


def _starts_name(prefix: str) -> Q:
    return _starts_with(NAME_KEYS[0], prefix) | _starts_with(NAME_KEYS[1], prefix)


def _starts_any(words: tuple[str, ...]) -> Q:
    condition = Q()
    for word in words:
        condition |= Q(birth_name_key__startswith=word) | Q(used_name_key__startswith=word)
    return condition


def _in_name_word(word: str) -> Q:
    """A later word of a compound name starting with `word` ('g' in 'le goff')."""
    return Q(birth_name_key__contains=f" {word}") | Q(used_name_key__contains=f" {word}")


def _in_first_name(word: str) -> Q:
    """A first name containing `word` (3 characters or more), or a first name or a word of
    one starting with it ('m' in 'jean marc')."""
    if len(word) >= INFIX_MIN_LENGTH:
        return Q(first_name_key__contains=word)
    return _starts_with("first_name_key", word) | Q(first_name_key__contains=f" {word}")


def _starts_with(field: str, prefix: str) -> Q:
    """Prefix test as an index range plus the exact test (see core.text.prefix_range)."""
    low, high = prefix_range(prefix)
    condition = Q(**{f"{field}__gte": low, f"{field}__keyprefix": prefix})
    if high is not None:
        condition &= Q(**{f"{field}__lt": high})
    return condition
