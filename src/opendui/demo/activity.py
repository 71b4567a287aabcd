"""Demo activity of the accompaniment modules: PPs, evaluations, agenda, notes, incidents.

Called by `seed_demo` inside its transaction, once persons and stays exist. Each module
owns its `demo_data` function; this module only chooses who writes what: the
professionals assigned to each facility, by what their role may write, and for whom.

For whom: every person up to `ACTIVITY_PERSONS`; beyond, an evenly spread sample of that
many (every k-th person in id order, so every facility gets its share). The activity
is about 175 rows a person (agenda events and their participants and changes, usage
days, evaluation answers, transmissions…): 17 million rows for a demo of
100 000 persons, where the persons are there for the scale of the lists and searches.
With the sample the seed of 100 000 persons stays within two minutes; the modules'
pages and the indicators show the sample's activity (the usage indicators' shares are
then those of the sampled persons among all).

No DMP or MSSanté sending is seeded: those rows (documents.Sharing) are written by the
national services' clients only, so the dashboard's DMP and MSSanté figures show real
sendings, none until the clients exist, never invented ones.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable

from opendui.accounts.models import Assignment
from opendui.accounts.permissions import AccessLevel
from opendui.organisations.models import ManagingOrganisation
from opendui.stays.models import Stay

Progress = Callable[[str, int, int], None]

#: Years of agenda history in the demo (the benchmarks load more with bench/agenda.py).
AGENDA_YEARS = 1
#: Persons who get the modules' activity, at most (see the module docstring).
ACTIVITY_PERSONS = 2000
#: Of those, persons whose administrative file and directory links are written through
#: the services (audited one by one, like a secretary would): 150 at most, the others
#: show a file not filled in yet (the seed of every size stays within its time).
ADMINISTRATIVE_PERSONS = 150


def seed_activity(
    rng: random.Random,
    organisation: ManagingOrganisation,
    today: dt.date,
    progress: Progress | None = None,
    persons: int = ACTIVITY_PERSONS,
) -> dict[str, int]:
    """Create the modules' demo data for the organisation, for at most `persons` persons
    (0: all); returns rows created per module."""
    from opendui.accompaniment.demo_data import seed_projects
    from opendui.administrative.demo_data import seed_administrative
    from opendui.agenda.demo_data import seed_events
    from opendui.directory.demo_data import seed_directory, seed_external_access
    from opendui.documents.demo_data import seed_documents
    from opendui.evaluations.demo_data import seed_evaluations
    from opendui.incidents.demo_data import seed_incidents
    from opendui.notes.demo_data import seed_notes
    from opendui.persons.demo_data import seed_legal_representatives
    from opendui.pilotage.demo_data import seed_usage
    from opendui.programme.demo_data import seed_programme

    stays = list(
        Stay.objects.filter(facility__organisation=organisation)
        .select_related("facility", "person")
        .order_by("pk")
    )
    stays = sample(stays, persons)
    current = [
        s for s in stays if s.start_date <= today and (s.end_date is None or s.end_date >= today)
    ]
    staff = _staff(organisation, today)
    facility_ids = sorted({s.facility_id for s in stays})  # usage indicators
    rows = [(s.person_id, s.facility_id, s.start_date, s.end_date) for s in stays]
    counts = {
        # Before the PPs: a minor's PP carries the agreements of their parents.
        "representants_legaux": seed_legal_representatives(
            sorted({s.person_id for s in current}), today
        ),
        "projets_personnalises": seed_projects(current, rng, staff.writers("social"), today),
        "evaluations": seed_evaluations(current, rng, staff.writers("care"), today),
        "transmissions": seed_notes(current, rng, staff.by_category(), today),
        "evenements_agenda": seed_events(
            stays, rng, staff.ids_by_facility(), today, years=AGENDA_YEARS, progress=progress
        ),
        "evenements_indesirables": seed_incidents(
            sorted({s.facility for s in stays}, key=lambda f: f.pk),
            current,
            rng,
            staff.by_facility("incident.declare"),
            staff.by_facility("incident.manage"),
            today,
        ),
        "projet_esms_numerique": seed_programme(organisation, today),
        "activite_dossiers": seed_usage(organisation.pk, facility_ids, rng, today, rows),
    }
    # Written through the services (validation and audit of real use), after the raw rows.
    files = sample(current, ADMINISTRATIVE_PERSONS)
    secretaries = staff.secretaries()
    if files:
        counts["annuaire"] = seed_directory(
            organisation,
            files[0].facility,
            staff.first_with("directory.manage"),
            files,
            secretaries,
            rng,
            today,
        )
        counts["acces_professionnels_exterieurs"] = seed_external_access(
            organisation,
            files,
            secretaries,
            staff.first_with("accounts.manage", organisation_wide=True),
            staff.first_with("grants.approve", organisation_wide=True),
            today,
        )
        counts["dossiers_administratifs"] = seed_administrative(files, secretaries, rng, today)
        counts["documents"] = seed_documents(files, secretaries, rng, today)
    return counts


def sample(stays: list[Stay], persons: int) -> list[Stay]:
    """The stays of at most `persons` persons (0: all): every k-th person in id order."""
    ids = sorted({s.person_id for s in stays})
    if not persons or len(ids) <= persons:
        return stays
    step = -(-len(ids) // persons)  # ceiling
    chosen = set(ids[::step])
    return [s for s in stays if s.person_id in chosen]


class _Staff:
    """The organisation's current assignments, read once, answering 'who may write what'."""

    def __init__(self, assignments: list[Assignment]) -> None:
        self.assignments = assignments

    def writers(self, category: str) -> list:
        return self._unique(
            a.user
            for a in self.assignments
            if a.role.data_access.get(category) == AccessLevel.WRITE.value
        )

    def by_category(self) -> dict[str, list]:
        categories = {c for a in self.assignments for c in a.role.data_access}
        return {c: self.writers(c) for c in sorted(categories)}

    def ids_by_facility(self) -> dict[int, list[int]]:
        result: dict[int, list[int]] = defaultdict(list)
        for a in self.assignments:
            if a.facility_id is not None and a.user_id not in result[a.facility_id]:
                result[a.facility_id].append(a.user_id)
        return dict(result)

    def by_facility(self, permission: str) -> dict[int, list]:
        result: dict[int, list] = defaultdict(list)
        for a in self.assignments:
            if (
                a.facility_id is not None
                and permission in a.role.permissions
                and a.user not in result[a.facility_id]
            ):
                result[a.facility_id].append(a.user)
        return dict(result)

    def secretaries(self) -> dict[int, object]:
        """Per facility, the first user assigned there who writes the administrative file
        and manages the stays (person.create): the secretariat."""
        result: dict[int, object] = {}
        for a in self.assignments:
            if (
                a.facility_id is not None
                and a.facility_id not in result
                and a.role.data_access.get("administrative") == AccessLevel.WRITE.value
                and "person.create" in a.role.permissions
            ):
                result[a.facility_id] = a.user
        return result

    def first_with(self, permission: str, *, organisation_wide: bool = False):
        """The first user whose role holds `permission` (in an assignment without facility
        when `organisation_wide`), or None."""
        return next(
            (
                a.user
                for a in self.assignments
                if permission in a.role.permissions
                and not (organisation_wide and a.facility_id is not None)
            ),
            None,
        )

    @staticmethod
    def _unique(users) -> list:
        seen, result = set(), []
        for user in users:
            if user.pk not in seen:
                seen.add(user.pk)
                result.append(user)
        return result


def _staff(organisation: ManagingOrganisation, today: dt.date) -> _Staff:
    assignments = (
        Assignment.objects.active_on(today)
        .filter(organisation=organisation)
        .select_related("user", "role")
        .order_by("pk")
    )
    return _Staff(list(assignments))
