"""The facilities a user works in (the facility switcher of every page)."""

from __future__ import annotations

from opendui.accounts.models import User
from opendui.organisations.models import Facility
from opendui.organisations.selectors import facilities_of

from ..conftest import valid_finess


def fresh(user) -> User:
    """The user as a new request loads it: nothing cached."""
    return User.objects.get(pk=user.pk)


def another_facility(world, name: str, finess_body: str, *, is_active: bool = True) -> Facility:
    """A facility of the world's organisation, of the EHPAD's kind."""
    return Facility.objects.create(
        organisation=world.og,
        name=name,
        finess_et=valid_finess(finess_body),
        category=world.ehpad.category,
        couloir=world.ehpad.couloir,
        is_active=is_active,
    )


# By name, accents aside (É among the E), whichever way the facilities were found.
BY_NAME = ["Écoute Familles", "EHPAD Les Tilleuls", "IME Les Sources"]


def test_facility_assignments_give_their_active_facilities_by_name_in_one_query(
    world, django_assert_num_queries
):
    educator = world.user("educateur", facility=world.ime)
    world.assign(educator, "educateur", facility=world.ehpad, unit=world.lilas)
    world.assign(educator, "educateur", facility=world.ime)  # the same facility twice
    closed = another_facility(world, "Accueil de jour fermé", "75000009", is_active=False)
    world.assign(educator, "educateur", facility=closed)
    world.assign(
        educator, "educateur", facility=another_facility(world, "Écoute Familles", "75000010")
    )
    user = fresh(educator)
    with django_assert_num_queries(1):  # the grants, with their facilities
        facilities = facilities_of(user)
    assert [f.name for f in facilities] == BY_NAME
    with django_assert_num_queries(0):  # the category is loaded with the facility
        assert facilities[0].category.code == "500"
        assert facilities_of(user) is facilities


def test_an_organisation_wide_assignment_gives_all_the_organisation_facilities(
    world, director, django_assert_num_queries
):
    user = fresh(director)
    another_facility(world, "Écoute Familles", "75000010")
    with django_assert_num_queries(2):  # the grants, then the organisation's facilities
        facilities = facilities_of(user)
    assert [f.name for f in facilities] == BY_NAME


def test_no_assignment_no_facility(world, django_assert_num_queries):
    user = User.objects.create_user("personne@test.example", "x")
    with django_assert_num_queries(1):
        assert facilities_of(user) == []
