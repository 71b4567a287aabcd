from __future__ import annotations

from opendui.audit.models import AuditEvent


def test_educator_sees_only_persons_of_their_facility(world, login):
    educator = world.user("educateur", facility=world.ime)
    client = login(educator)
    response = client.get("/personnes/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "PETIT Chloé" in body
    assert "MARTIN" not in body and "DURAND" not in body


def test_list_display_is_audited_with_the_persons_shown(world, login):
    nurse = world.user("infirmier", facility=world.ehpad)
    client = login(nurse)
    client.get("/personnes/")
    event = AuditEvent.objects.filter(action="person.list").latest("seq")
    assert sorted(event.person_ids) == sorted([world.anne.pk, world.bruno.pk])
    assert event.user_id == nurse.pk


def test_search_is_accent_and_case_insensitive(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    body = client.get("/personnes/", {"q": "lefevre"}).content.decode()
    assert "LEFÈVRE Bruno" in body
    assert "MARTIN" not in body


def test_user_of_several_facilities_lists_all_of_them_until_one_is_chosen(world, login):

    director = world.user("directeur", facility=world.ehpad)
    world.assign(director, "directeur", facility=world.ime)
    client = login(director)
    body = client.get("/personnes/").content.decode()
    assert "MARTIN Anne" in body and "PETIT Chloé" in body and "DURAND" not in body
    client.post("/etablissement/choisir/", {"facility": world.ime.pk})
    body = client.get("/personnes/").content.decode()
    assert "PETIT Chloé" in body and "MARTIN" not in body
    # A facility outside the user's assignments cannot be chosen.
    assert client.post("/etablissement/choisir/", {"facility": world.other.pk}).status_code == 403


def test_prefix_search_finds_exactly_the_names_starting_with_it(world, login):
    """Names chosen around the range bounds: 'z', spaces, digits, accents."""
    names = ["Zola", "Zz Top", "Le Goff", "Legoff", "Le Gall", "Lê", "Mazet", "Mbappé", "Ma"]
    for name in names:
        world.person(world.ehpad, birth_name=name, first_name="Test")
    client = login(world.user("infirmier", facility=world.ehpad))

    def found(query):
        body = client.get("/personnes/", {"q": query}).content.decode()
        return {n for n in names if f"{n.upper()} Test" in body}

    assert found("z") == {"Zola", "Zz Top"}
    assert found("zz") == {"Zz Top"}
    assert found("le g") == {"Le Goff", "Le Gall"}
    assert found("leg") == {"Legoff"}
    assert found("le") == {"Le Goff", "Legoff", "Le Gall", "Lê"}
    assert found("maz") == {"Mazet"}
    assert found("ma") == {"Mazet", "Ma"}
