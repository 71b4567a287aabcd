"""The record page's registry (persons.sections): tabs, synthèse blocks, banner, photo."""

from __future__ import annotations

import datetime as dt

import pytest

from opendui.persons import sections
from opendui.persons.sections import (
    Alert,
    BannerPart,
    Block,
    Fact,
    RecordReading,
    age_on,
    banner,
    navigation,
    register_banner,
    register_photo,
    register_synthesis,
    register_tab,
    synthesis_blocks,
    tabs,
)


@pytest.fixture
def empty_registry(monkeypatch):
    """A registry of this test's own (the apps' registrations are restored after)."""
    monkeypatch.setattr(sections, "_TABS", {})
    monkeypatch.setattr(sections, "_SYNTHESIS", [])
    monkeypatch.setattr(sections, "_BANNER", [])
    monkeypatch.setattr(sections, "_PHOTO", [])


def test_the_apps_register_the_record_tabs_in_order():
    keys = [t.key for t in tabs()]
    assert keys[:2] == ["synthesis", "identity"]
    for key in ("entourage", "stays", "project", "evaluations", "agenda", "notes"):
        assert key in keys
    assert keys.index("stays") < keys.index("project") < keys.index("evaluations")
    assert keys.index("evaluations") < keys.index("agenda") < keys.index("notes")
    assert keys[-1] == "access_log"
    labels = {t.key: str(t.label) for t in tabs()}
    assert labels["project"] == "Projet personnalisé" and labels["notes"] == "Transmissions"


def test_the_apps_register_the_synthesis_blocks_in_order():
    names = [name.rsplit(".", 1)[-1] for _, name, _ in sections._SYNTHESIS]
    assert names == [
        "stays_block",
        "project_block",
        "gir_block",
        "events_block",
        "notes_block",
        "export_block",
    ]


def test_register_tab_replaces_a_key_and_rejects_unknown_permissions(empty_registry):
    register_tab("a", "A", order=20, url_name="persons:identity", permission="person.view_identity")
    register_tab("b", "B", order=10, url_name="persons:detail", permission="person.view_identity")
    register_tab("a", "A2", order=5, url_name="persons:identity", permission="person.view_care")
    assert [(t.key, t.label, t.permissions) for t in tabs()] == [
        ("a", "A2", ("person.view_care",)),
        ("b", "B", ("person.view_identity",)),
    ]
    with pytest.raises(LookupError):
        register_tab("c", "C", order=1, url_name="persons:detail", permission="no.such.code")
    with pytest.raises(ValueError):
        register_tab("c", "C", order=1, url_name="persons:detail", permission=())


def test_navigation_shows_the_tabs_the_reader_may_open(world, empty_registry):
    register_tab("s", "S", order=0, url_name="persons:detail", permission="person.view_identity")
    register_tab(
        "e",
        "Éval",
        order=1,
        url_name="evaluations:person",
        permission=("person.view_care", "person.view_social"),
        pages=("evaluations:aggir_new",),
    )
    register_tab("m", "Méd", order=2, url_name="notes:person", permission="person.view_medical")
    educator = world.user("educateur", facility=world.ehpad)
    items = navigation(RecordReading(educator, world.anne), "evaluations:aggir_new")
    assert [(i.key, i.active) for i in items] == [("s", False), ("e", True)]
    assert items[1].url == f"/evaluations/personnes/{world.anne.pk}/"
    items = navigation(RecordReading(educator, world.anne), "persons:identity", active="s")
    assert [i.active for i in items] == [True, False]
    # Outside the reader's scope: no tab at all.
    outsider = world.user("educateur", facility=world.ime)
    assert navigation(RecordReading(outsider, world.anne), "persons:detail") == []


def test_synthesis_asks_every_provider_in_order_and_skips_none(world, empty_registry):
    calls = []

    def second(reading):
        calls.append("second")
        return Block("b", "t.html", 2, (Alert("b", "alerte b"),))

    def hidden(reading):
        calls.append("hidden")
        return None

    def first(reading):
        calls.append("first")
        return Block("a", "t.html", 1)

    register_synthesis(second, order=20)
    register_synthesis(hidden, order=15)
    register_synthesis(first, order=10)
    register_synthesis(first, order=99)  # the same provider again: ignored
    reading = RecordReading(world.user("infirmier", facility=world.ehpad), world.anne)
    assert [b.key for b in synthesis_blocks(reading)] == ["a", "b"]
    assert calls == ["first", "hidden", "second"]

    from opendui.persons.record import person_record

    record = person_record(reading.user, world.anne, reading=reading)
    assert record.a == 1 and record.b == 2 and record.missing is None
    assert [a.message for a in record.alerts] == ["alerte b"]
    assert record.sections == ["identity", "a", "b", "alerts"]


def test_banner_gathers_facts_alerts_and_the_first_photo(world, empty_registry):
    register_banner(lambda r: BannerPart((Fact("X", "1"),), ("alerte",)), order=1)
    register_banner(lambda r: None, order=2)
    register_photo(lambda r: None, order=1)
    register_photo(lambda r: "/photo/1.jpg", order=2)
    reading = RecordReading(world.user("infirmier", facility=world.ehpad), world.anne)
    result = banner(reading)
    assert result.identity and result.facts == [Fact("X", "1")] and result.alerts == ["alerte"]
    assert result.photo_url == "/photo/1.jpg"


def test_banner_of_a_reader_without_identity_shows_the_name_only(world, empty_registry):
    asked = []
    register_banner(lambda r: asked.append(1) or BannerPart((Fact("X", "1"),)))
    result = banner(RecordReading(world.user("dpo"), world.anne))
    assert not result.identity and result.facts == [] and asked == []


def test_reading_shares_computations_and_caches_checks(world, django_assert_num_queries):
    reading = RecordReading(world.user("infirmier", facility=world.ehpad), world.anne)
    computed = []
    assert reading.shared("x", lambda: computed.append(1) or 42) == 42
    assert reading.shared("x", lambda: computed.append(2) or 0) == 42
    assert computed == [1] and reading.has("x") and not reading.has("y")
    assert reading.allowed("person.view_care")
    with django_assert_num_queries(0):
        assert reading.allowed("person.view_care")


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (dt.date(1940, 3, 1), dt.date(2026, 2, 28), 85),
        (dt.date(1940, 3, 1), dt.date(2026, 3, 1), 86),
        (dt.date(1940, 2, 29), dt.date(2026, 2, 28), 85),
        (dt.date(1940, 2, 29), dt.date(2026, 3, 1), 86),
    ],
)
def test_age(born, today, age):
    assert age_on(born, today) == age


def test_system_check_names_a_tab_whose_url_does_not_take_a_pk(empty_registry):
    from opendui.persons.sections import check_tabs

    register_tab("s", "S", order=0, url_name="persons:detail", permission="person.view_identity")
    assert check_tabs() == []
    register_tab("x", "X", order=1, url_name="persons:list", permission="person.view_identity")
    register_tab("y", "Y", order=2, url_name="nowhere:page", permission="person.view_identity")
    assert [e.id for e in check_tabs()] == ["persons.E001", "persons.E001"]
    assert "'x'" in check_tabs()[0].msg


def test_the_registered_tabs_pass_the_system_check():
    from opendui.persons.sections import check_tabs

    assert check_tabs() == []
