"""The client against the simulator on loopback: every search parameter, paging,
API key, timeout, unreachable server."""

from __future__ import annotations

import json
import urllib.request

import pytest

from opendui.annuaire.client import AnnuaireClient, AnnuaireError
from opendui.annuaire.simulator import DEFAULT_API_KEY, load_fixture, serve

MOREAU = "10100001014"


def names(result):
    return sorted(f"{p.last_name} {p.first_name}" for p in result.practitioners)


def test_search_by_rpps(annuaire):
    [record] = annuaire.search_practitioners(rpps=MOREAU).practitioners
    assert (record.last_name, record.first_name, record.civility) == ("MOREAU", "Philippe", "DR")
    assert (record.profession_code, record.specialty_label) == ("10", "Gériatrie")
    assert record.mssante_addresses == ("philippe.moreau@medecin.mssante.fr",)
    assert (record.city, record.structure_finess) == ("Chinon", "370100034")


def test_search_by_adeli(annuaire):
    [record] = annuaire.search_practitioners(adeli="37 9100012").practitioners
    assert (record.idnat_ps, record.adeli, record.profession_code) == (
        "0379100012",
        "379100012",
        "91",
    )


def test_search_by_names(annuaire):
    assert names(annuaire.search_practitioners(family="martin")) == [
        "MARTIN Jacques",
        "MARTIN Léa",
        "MARTIN Paul",
        "MARTIN Sophie",
    ]
    assert names(annuaire.search_practitioners(family="martin", given="lea")) == ["MARTIN Léa"]
    assert names(annuaire.search_practitioners(name="élodie")) == ["ROUSSEAU Élodie"]


def test_search_by_profession(annuaire):
    assert names(annuaire.search_practitioners(profession="70")) == [
        "DUBOIS Marc",
        "LAMBERT Yann",
        "MARTIN Paul",
    ]
    assert names(annuaire.search_practitioners(profession="21")) == ["PETIT Julien"]


def test_search_by_city_postal_code_and_finess(annuaire):
    assert names(annuaire.search_practitioners(city="Chinon")) == [
        "BERNARD Hugo",
        "DUBOIS Marc",
        "FONTAINE Claire",
        "MOREAU Philippe",
    ]
    assert names(annuaire.search_practitioners(postal_code="41000")) == [
        "GARNIER Nathalie",
        "MARTIN Léa",
    ]
    assert names(annuaire.search_practitioners(city="tours", family="martin", profession="10")) == [
        "MARTIN Jacques",
        "MARTIN Sophie",
    ]
    assert names(annuaire.search_practitioners(finess="370100026")) == ["PETIT Julien"]


def test_search_by_mailbox(annuaire):
    [record] = annuaire.search_practitioners(mailbox="n.garnier@ssiad-blois").practitioners
    assert record.last_name == "GARNIER"
    assert [(m.address, m.kind) for m in record.mailboxes] == [
        ("nathalie.garnier@infirmier.mssante.fr", "PER"),
        ("n.garnier@ssiad-blois.mssante.fr", "PER"),
    ]
    [organisation] = annuaire.search_organisations(mailbox="geriatrie@").organisations
    assert organisation.name == "Centre hospitalier fictif de Tours"
    assert [(m.kind, m.service) for m in organisation.mailboxes] == [("ORG", "Gériatrie")]


def test_search_organisations(annuaire):
    [pharmacy] = annuaire.search_organisations(finess="370 100 026").organisations
    assert (pharmacy.name, pharmacy.city, pharmacy.postal_code) == (
        "Pharmacie de la Loire",
        "Amboise",
        "37400",
    )
    assert [o.name for o in annuaire.search_organisations(city="blois").organisations] == [
        "SSIAD du Blésois"
    ]
    assert len(annuaire.search_organisations(postal_code="37").organisations) == 7
    assert [o.finess for o in annuaire.search_organisations(name="maison").organisations] == [
        "370100034"
    ]


def test_inactive_professional_only_by_identifier(annuaire):
    assert annuaire.search_practitioners(family="ancien").practitioners == []
    record = annuaire.practitioner_by_idnat("810100001121")
    assert record is not None and record.active is False
    assert annuaire.practitioner_by_idnat("810100001139") is None


def test_paging_follows_next_links_across_three_pages(annuaire_url, monkeypatch):
    from opendui.annuaire import simulator

    served = []
    original = simulator.search

    def counting(resource_type, query, base_url):
        served.append(dict(query).get("_offset", "0"))
        return original(resource_type, query, base_url)

    monkeypatch.setattr(simulator, "search", counting)
    client = AnnuaireClient(annuaire_url, DEFAULT_API_KEY, page_size=5)
    result = client.search_practitioners(profession="10")
    # 13 active médecins: pages of 5, 5 and 3.
    assert served == ["0", "5", "10"]
    assert len(result.practitioners) == 13
    assert result.total == 13
    assert result.truncated is False
    assert len({p.idnat_ps for p in result.practitioners}) == 13
    # Roles and organisations included on each page complete their own practitioners.
    assert all(p.city for p in result.practitioners)


def test_page_cap_marks_the_result_truncated(annuaire_url):
    client = AnnuaireClient(annuaire_url, DEFAULT_API_KEY, page_size=2, max_pages=2)
    result = client.search_practitioners(profession="10")
    assert len(result.practitioners) == 4
    assert result.total == 13
    assert result.truncated is True


def test_missing_or_wrong_api_key_is_a_french_error(annuaire_url):
    for key in ("", "mauvaise-clé"):
        with pytest.raises(AnnuaireError) as caught:
            AnnuaireClient(annuaire_url, key).search_practitioners(rpps=MOREAU)
        assert caught.value.reason == "refused"
        assert "clé d'API" in str(caught.value)
        assert "non vérifié dans l'Annuaire" in str(caught.value)


def test_simulator_answers_401_without_the_header(annuaire_url):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{annuaire_url}/Practitioner?family=x", timeout=5)  # noqa: S310
    assert caught.value.code == 401
    assert json.loads(caught.value.read())["resourceType"] == "OperationOutcome"


def test_metadata(annuaire):
    assert annuaire.metadata() is True


def test_timeout_is_a_french_error():
    server, _thread, url = serve("127.0.0.1", 0, delay=1.0)
    try:
        with pytest.raises(AnnuaireError) as caught:
            AnnuaireClient(url, DEFAULT_API_KEY, timeout=0.2).search_practitioners(rpps=MOREAU)
    finally:
        server.shutdown()
        server.server_close()
    assert caught.value.reason == "timeout"
    assert str(caught.value).startswith("L'Annuaire Santé n'a pas répondu à temps.")


def test_unreachable_server_is_a_french_error():
    server, _thread, url = serve("127.0.0.1", 0)
    server.shutdown()
    server.server_close()
    with pytest.raises(AnnuaireError) as caught:
        AnnuaireClient(url, DEFAULT_API_KEY, timeout=1).search_practitioners(rpps=MOREAU)
    assert caught.value.reason == "unreachable"
    assert str(caught.value).startswith("Annuaire Santé injoignable")


def test_no_criterion_is_refused_before_any_request(annuaire):
    with pytest.raises(AnnuaireError, match="au moins un critère"):
        annuaire.search_practitioners(name="  ")


def test_next_link_to_another_host_is_not_followed(annuaire_url, monkeypatch):
    client = AnnuaireClient(annuaire_url, DEFAULT_API_KEY, page_size=2)
    from opendui.annuaire import simulator

    original = simulator.search

    def hostile(*args, **kwargs):
        bundle = original(*args, **kwargs)
        for link in bundle["link"]:
            if link["relation"] == "next":
                link["url"] = "http://attacker.example/fhir/v2/Practitioner?x=1"
        return bundle

    monkeypatch.setattr(simulator, "search", hostile)
    with pytest.raises(AnnuaireError, match="autre serveur"):
        client.search_practitioners(profession="10")


def test_the_demo_directory_is_in_the_annuaire(annuaire):
    """The external professionals of the demo (directory/demo_data.py) can be checked and
    refreshed against the simulator: same RPPS, names and MSSanté addresses."""
    from opendui.core.identifiers import luhn_check_digit

    body = "1099000003"  # demo_data._rpps(3): Dr NGUYEN Thi Mai
    [record] = annuaire.search_practitioners(rpps=body + luhn_check_digit(body)).practitioners
    assert (record.last_name, record.first_name) == ("NGUYEN", "Thi Mai")
    assert record.mssante_addresses == ("thi-mai.nguyen@opendui-demo.mssante.fr",)
    [pharmacy] = annuaire.search_organisations(finess="370900011").organisations
    assert pharmacy.name == "Pharmacie du Marché (démonstration)"


def test_fixture_identifiers_are_valid():
    from opendui.core.identifiers import adeli_problem, finess_problem, rpps_problem

    data = load_fixture()
    for row in data["practitioners"]:
        assert (rpps_problem(row["rpps"]) if row["rpps"] else adeli_problem(row["adeli"])) is None
    for row in data["organizations"]:
        assert finess_problem(row["finess"]) is None
