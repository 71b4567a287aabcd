"""Demo entourage: the two parents of every minor, recorded as legal representatives.

A minor's projet personnalisé needs the agreement of the holders of parental authority
(accompaniment.rules.agreements_needed): without them in the demo, no PP of a child could
be validated. Deterministic without drawing from the seeder's random generator, so the
other modules' demo data stay the same for a given seed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .entourage import is_minor
from .models import Person
from .models_entourage import RelatedPerson, RelationType

BATCH_SIZE = 1000
PARENTS = (
    ("Nathalie", "Stéphane"),
    ("Sandrine", "Christophe"),
    ("Céline", "Julien"),
    ("Aurélie", "Nicolas"),
    ("Émilie", "Sébastien"),
    ("Karima", "Mehdi"),
)


def seed_legal_representatives(person_ids: Iterable[int], today: dt.date) -> int:
    """Two parents for each minor among `person_ids`; returns the number created."""
    born_after = dt.date(today.year - 19, 1, 1)  # a superset: is_minor decides
    rows = []
    for person in Person.objects.filter(pk__in=list(person_ids), birth_date__gte=born_after):
        if not is_minor(person, today):
            continue
        mother, father = PARENTS[person.pk % len(PARENTS)]
        for first_name in (mother, father):
            rows.append(
                RelatedPerson(
                    person=person,
                    last_name=person.birth_name,
                    first_name=first_name,
                    relation=RelationType.PARENT,
                    is_legal_representative=True,
                    is_emergency_contact=first_name == mother,
                )
            )
    RelatedPerson.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)
