"""Who must agree to a person's PP, read from the person's entourage and protection measures.

The decision itself is the pure `rules.agreements_needed`; this module only gathers its
facts the way `persons.entourage.who_consents` reads them (minority on the day, measures
with representation relative to the person in force, active relatives recorded as legal
representatives), in at most two queries.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from opendui.persons.entourage import current_measures, is_minor
from opendui.persons.models import Person
from opendui.persons.models_entourage import REPRESENTATION_MEASURES, RelatedPerson

from .rules import AgreementsNeeded, Signatory, agreements_needed

LEGAL_REPRESENTATIVE = "représentant légal"


def _signatory(related: RelatedPerson, why: str) -> Signatory:
    return Signatory(related.pk, str(related), why)


def agreements_needed_for(person: Person, on: dt.date) -> AgreementsNeeded:
    """Whose agreement the PP of `person` needs on `on` (see rules.agreements_needed)."""
    minor = is_minor(person, on)
    measures = [
        m
        for m in current_measures(person, on)
        if m.measure in REPRESENTATION_MEASURES
        and (m.representative is None or m.representative.is_active)
    ]
    if not minor and not measures:
        return agreements_needed(minor=False, measures=[], legal_representatives=[])
    relatives: list[Signatory] = []
    if minor or any(m.representative is None for m in measures):
        relatives = [
            _signatory(r, LEGAL_REPRESENTATIVE)
            for r in RelatedPerson.objects.filter(
                person=person, is_active=True, is_legal_representative=True
            ).order_by("id")
        ]
    return agreements_needed(
        minor=minor,
        measures=[
            (
                m.get_measure_display().lower(),
                _signatory(m.representative, m.get_measure_display().lower())
                if m.representative is not None
                else None,
            )
            for m in measures
        ],
        legal_representatives=relatives,
    )


def eligible_representatives(person: Person, on: dt.date) -> QuerySet[RelatedPerson]:
    """Relatives who may sign as the person's representative: the active ones recorded as
    legal representative, and those a measure with representation in force names."""
    named = current_measures(person, on).filter(measure__in=REPRESENTATION_MEASURES)
    return (
        RelatedPerson.objects.filter(person=person, is_active=True)
        .filter(
            Q(is_legal_representative=True)
            | Q(pk__in=named.exclude(representative=None).values("representative_id"))
        )
        .order_by("last_name", "first_name", "id")
    )
