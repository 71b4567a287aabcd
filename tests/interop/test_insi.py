"""INSi: envelope, client and loopback simulator (no network beyond 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from lxml import etree

from opendui.interop.insi import identities
from opendui.interop.insi.client import InsiClient, InsiUnavailable
from opendui.interop.insi.envelope import (
    ACTION_SEARCH_BY_TRAITS,
    CR_MULTIPLE,
    CR_NONE,
    CR_OK,
    NS_CTXBAM,
    NS_CTXLPS,
    NS_RECSANS,
    NS_SOAP,
    NS_WSA,
    InsiFault,
    InsiInputError,
    SearchTraits,
    build_search_request,
    normalise_name,
    parse_search_response,
)
from opendui.interop.insi.simulator import serve
from opendui.persons.ins import matricule_problem

NS = {"soap": NS_SOAP, "wsa": NS_WSA, "bam": NS_CTXBAM, "lps": NS_CTXLPS, "rs": NS_RECSANS}
MESSAGE_ID = uuid.UUID("b3549edd-4ae9-472a-b26f-fd2fb4ef397f")
NOW = dt.datetime(2026, 3, 4, 10, 30, 15, 123000, tzinfo=dt.UTC)


def traits(name, first, sex, born, place=None):
    return SearchTraits(name, first, sex, dt.date.fromisoformat(born), place)


def build(t: SearchTraits, **kwargs) -> bytes:
    options = {
        "lps_name": "OpenDUI",
        "lps_version": "1.0",
        "emitter": "ehpad-test",
        "message_id": MESSAGE_ID,
        "now": NOW,
        "idam": "ABC123",
    }
    options.update(kwargs)
    return build_search_request(t, **options)


@pytest.fixture(scope="module")
def simulator_url():
    server, thread, url = serve()
    yield url
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def client(simulator_url):
    return InsiClient(simulator_url, timeout=5, idam="ABC123")


# Envelope ----------------------------------------------------------------------
def test_request_has_soap12_headers_and_body():
    root = etree.fromstring(build(traits("Adrtrois", "Dominique", "F", "1997-02-26", "2a020")))
    assert root.tag == f"{{{NS_SOAP}}}Envelope"
    header = root.find("soap:Header", NS)
    bam = header.find("bam:ContexteBAM", NS)
    assert bam.get("Version") == "01_02"
    assert bam.findtext("bam:Temps", namespaces=NS) == "2026-03-04T10:30:15.123Z"
    assert bam.findtext("bam:Emetteur", namespaces=NS) == "ehpad-test"
    assert uuid.UUID(bam.findtext("bam:Id", namespaces=NS))
    assert bam.find("bam:COUVERTURE", NS) is not None
    lps = header.find("lps:ContexteLPS", NS)
    assert (lps.get("Nature"), lps.get("Version")) == ("CTXLPS", "01_00")
    assert lps.find("lps:LPS/lps:IDAM", NS).get("R") == "4"
    assert lps.findtext("lps:LPS/lps:IDAM", namespaces=NS) == "ABC123"
    assert lps.findtext("lps:LPS/lps:Version", namespaces=NS) == "1.0"
    assert uuid.UUID(lps.findtext("lps:LPS/lps:Instance", namespaces=NS))
    assert lps.findtext("lps:LPS/lps:Nom", namespaces=NS) == "urn:lps:OpenDUI:1.0"
    assert header.findtext("wsa:Action", namespaces=NS) == ACTION_SEARCH_BY_TRAITS
    assert header.findtext("wsa:MessageID", namespaces=NS) == f"uuid:{MESSAGE_ID}"
    # Header order of the reference client.
    assert [etree.QName(e).localname for e in header] == [
        "ContexteBAM",
        "ContexteLPS",
        "Action",
        "MessageID",
    ]
    search = root.find("soap:Body/rs:RECSANSVITALE", NS)
    assert [(etree.QName(e).localname, e.text) for e in search] == [
        ("NomNaissance", "ADRTROIS"),
        ("Prenom", "DOMINIQUE"),
        ("Sexe", "F"),
        ("DateNaissance", "1997-02-26"),
        ("LieuNaissance", "2A020"),
    ]
    assert root.find("soap:Header/wsse:Security", {**NS, "wsse": "urn:x"}) is None


def test_request_without_birth_place_omits_the_element():
    root = etree.fromstring(build(traits("ADRUN", "ZOE", "F", "1975-12-31")))
    assert root.find("soap:Body/rs:RECSANSVITALE/rs:LieuNaissance", NS) is None


def test_request_is_deterministic_for_a_message_id():
    t = traits("ADRUN", "ZOE", "F", "1975-12-31")
    assert build(t) == build(t)


def test_accented_names_are_normalised_in_the_request():
    root = etree.fromstring(build(traits("  Lefèvre ", "Héloïse", "f", "1948-03-12")))
    search = root.find("soap:Body/rs:RECSANSVITALE", NS)
    assert search.findtext("rs:NomNaissance", namespaces=NS) == "LEFEVRE"
    assert search.findtext("rs:Prenom", namespaces=NS) == "HELOISE"
    assert search.findtext("rs:Sexe", namespaces=NS) == "F"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Martin--Dupont", "MARTIN--DUPONT"),
        ("martin - dupont", "MARTIN-DUPONT"),
        ("N’Diaye", "N'DIAYE"),
        ("de la  Fontaine", "DE LA FONTAINE"),
        ("Cœur-Joie", "COEUR-JOIE"),
        ("Jean-Baptiste", "JEAN-BAPTISTE"),
        ("Ouédraogo", "OUEDRAOGO"),
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "123", "---"])
def test_unsendable_names_are_refused_in_french(raw):
    with pytest.raises(InsiInputError, match="ne peut pas être transmis"):
        normalise_name(raw)


def test_bad_sex_or_place_is_refused():
    with pytest.raises(InsiInputError, match="« M » ou « F »"):
        build(traits("ADRUN", "ZOE", "X", "1975-12-31"))
    with pytest.raises(InsiInputError, match="code INSEE"):
        build(traits("ADRUN", "ZOE", "F", "1975-12-31", "632"))


def test_parse_real_cr01_and_nia_fixture_shapes():
    cr01 = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="'
        + NS_SOAP.encode()
        + b'"><S:Body xmlns:S="'
        + NS_SOAP.encode()
        + b'"><RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>01</CodeCR>'
        b"<LibelleCR>Aucune identite trouvee</LibelleCR></CR></RESULTAT></S:Body></soap:Envelope>"
    )
    result = parse_search_response(cr01)
    assert (result.code, result.label, result.identity) == (
        CR_NONE,
        "Aucune identite trouvee",
        None,
    )
    # Prenom alongside ListePrenom, single INSHISTO still a list.
    nia = (
        b'<soap:Envelope xmlns:soap="' + NS_SOAP.encode() + b'"><soap:Body>'
        b'<RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>00</CodeCR>'
        b"<LibelleCR>OK</LibelleCR></CR><INDIVIDU><INSACTIF><IdIndividu>"
        b"<NumIdentifiant>1090763220888</NumIdentifiant><Cle>35</Cle></IdIndividu>"
        b"<OID>1.2.250.1.213.1.4.9</OID></INSACTIF><INSHISTO><IdIndividu>"
        b"<NumIdentifiant>2090763220834</NumIdentifiant><Cle>39</Cle></IdIndividu>"
        b"<OID>1.2.250.1.213.1.4.8</OID></INSHISTO><TIQ><NomNaissance>PROVISOIRE"
        b"</NomNaissance><Prenom>MATRICULE</Prenom><ListePrenom>MATRICULE</ListePrenom>"
        b"<Sexe>M</Sexe><DateNaissance>2009-07-01</DateNaissance>"
        b"<LieuNaissance>63220</LieuNaissance></TIQ></INDIVIDU></RESULTAT>"
        b"</soap:Body></soap:Envelope>"
    )
    identity = parse_search_response(nia).identity
    assert identity.matricule == "109076322088835"
    assert identity.oid == "1.2.250.1.213.1.4.9"
    assert identity.first_name == "MATRICULE"
    assert identity.history == (("209076322083439", "1.2.250.1.213.1.4.8"),)


def test_parse_real_fault_shape():
    fault = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="'
        + NS_SOAP.encode()
        + b'"><env:Body xmlns:env="'
        + NS_SOAP.encode()
        + b'"><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode>'
        b"<soap:Value>soap:siram_100</soap:Value></soap:Subcode></soap:Code><soap:Reason>"
        b'<soap:Text xml:lang="fr">Acc\xc3\xa8s refus\xc3\xa9.</soap:Text></soap:Reason>'
        b'<soap:Detail><siram:Erreur code="desir_550" messageID="uuid:x" severite="erreur" '
        b'xmlns:siram="urn:siram">Num\xc3\xa9ro inconnu.</siram:Erreur></soap:Detail>'
        b"</soap:Fault></env:Body></soap:Envelope>"
    )
    with pytest.raises(InsiFault) as caught:
        parse_search_response(fault)
    assert (caught.value.code, caught.value.detail_code) == ("siram_100", "desir_550")
    assert caught.value.message == "Accès refusé."


# Client against the simulator --------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # National test personas.
        (
            traits("ADRTROIS", "DOMINIQUE", "F", "1997-02-26"),
            ("ADRTROIS", ("DOMINIQUE",), "F", "2A020", "297022A02077878", identities.OID_NIR),
        ),
        (
            traits("ECETINSI", "PIERRE-ALAIN", "M", "2009-07-14"),
            (
                "ECETINSI",
                ("PIERRE-ALAIN", "MURIEL", "FLORIANT"),
                "M",
                "63220",
                "109076322083489",
                identities.OID_NIR,
            ),
        ),
        (
            traits("Tchitchi", "Bella", "F", "1936-06-21"),
            (
                "TCHITCHI",
                ("CATARINA", "BELLA"),
                "F",
                "63220",
                "236066322083656",
                identities.OID_NIR,
            ),
        ),
        (
            traits("NESSI", "MICHELANGELO ANTHONY", "M", "2010-08-07"),
            (
                "NESSI",
                ("MICHELANGELO", "ANTHONY"),
                "M",
                "63220",
                "110086322083060",
                identities.OID_NIR,
            ),
        ),
        (
            traits("Adrun", "Zoé", "F", "1975-12-31"),
            ("ADRUN", ("ZOE",), "F", "63220", "275126322074974", identities.OID_NIR),
        ),
        # Synthetic: accents, compound names, born abroad, homonym with birth place.
        (
            traits("Lefèvre", "Héloïse", "F", "1948-03-12"),
            (
                "LEFEVRE",
                ("HELOISE", "MARIE"),
                "F",
                "75056",
                "248037505612373",
                identities.OID_NIR_TEST,
            ),
        ),
        (
            traits("Martin--Dupont", "Jean-Baptiste", "M", "1955-11-02"),
            (
                "MARTIN--DUPONT",
                ("JEAN-BAPTISTE", "LOUIS"),
                "M",
                "69123",
                "155116912304578",
                identities.OID_NIR_TEST,
            ),
        ),
        (
            traits("Ouédraogo", "Aminata", "F", "1962-05-20"),
            ("OUEDRAOGO", ("AMINATA",), "F", "99331", "262059933104508", identities.OID_NIR_TEST),
        ),
        (
            traits("Martin", "Pierre", "M", "1940-01-01", "13055"),
            ("MARTIN", ("PIERRE",), "M", "13055", "140011305508789", identities.OID_NIR_TEST),
        ),
    ],
)
def test_search_one_identity(client, query, expected):
    result = client.search(query)
    assert result.code == CR_OK
    assert result.found
    identity = result.identity
    name, first_names, sex, place, matricule, oid = expected
    assert identity.birth_name == name
    assert identity.first_names == first_names
    assert identity.first_name == first_names[0]
    assert identity.sex == sex
    assert identity.birth_date == query.birth_date
    assert identity.birth_place == place
    assert identity.matricule == matricule
    assert identity.oid == oid
    assert matricule_problem(identity.matricule) is None


def test_search_returns_history(client):
    identity = client.search(traits("ECETINSI", "MURIEL", "M", "2009-07-14")).identity
    assert [m for m, _ in identity.history] == ["209076322083439", "209066322012355"]
    assert all(matricule_problem(m) is None for m, _ in identity.history)


def test_every_simulated_matricule_is_valid():
    for person in identities.IDENTITIES:
        assert matricule_problem(person.matricule) is None, person.birth_name
        assert all(matricule_problem(m) is None for m, _ in person.history)


def test_search_none(client):
    result = client.search(traits("INCONNU", "PERSONNE", "M", "1950-05-05"))
    assert (result.code, result.label, result.identity) == (
        CR_NONE,
        "Aucune identite trouvee",
        None,
    )
    assert not result.found


def test_search_wrong_birth_place_is_none(client):
    assert client.search(traits("ADRUN", "ZOE", "F", "1975-12-31", "75056")).code == CR_NONE


def test_search_homonyms_is_several(client):
    result = client.search(traits("MARTIN", "PIERRE", "M", "1940-01-01"))
    assert (result.code, result.label, result.identity) == (
        CR_MULTIPLE,
        "Plusieurs identites trouvees",
        None,
    )


def test_missing_idam_is_the_real_fault(simulator_url):
    client = InsiClient(simulator_url, timeout=5, idam="")
    with pytest.raises(InsiFault) as caught:
        client.search(traits("ADRUN", "ZOE", "F", "1975-12-31"))
    assert (caught.value.code, caught.value.detail_code) == ("siram_100", "desir_550")
    assert "progiciel" in caught.value.message


def _post(url: str, payload: bytes) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - loopback simulator URL
        url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/soap+xml; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.read()
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
        with exc:
            return exc.read()


@pytest.mark.parametrize(
    "payload",
    [
        b"not xml at all",
        b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"/>',
    ],
)
def test_malformed_request_is_a_fault(simulator_url, payload):
    with pytest.raises(InsiFault) as caught:
        parse_search_response(_post(simulator_url, payload))
    assert caught.value.code == "siram_40"
    assert caught.value.message.startswith("La requête est mal formée")


def test_request_missing_birth_date_is_a_fault(simulator_url):
    root = etree.fromstring(build(traits("ADRUN", "ZOE", "F", "1975-12-31")))
    date = root.find("soap:Body/rs:RECSANSVITALE/rs:DateNaissance", NS)
    date.getparent().remove(date)
    with pytest.raises(InsiFault, match="DateNaissance"):
        parse_search_response(_post(simulator_url, etree.tostring(root)))


def test_wrong_action_is_a_fault(simulator_url):
    root = etree.fromstring(build(traits("ADRUN", "ZOE", "F", "1975-12-31")))
    root.find("soap:Header/wsa:Action", NS).text = "urn:autre"
    with pytest.raises(InsiFault, match="action"):
        parse_search_response(_post(simulator_url, etree.tostring(root)))


def test_unreachable_endpoint_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The port is closed once the socket is released: connection refused.
    client = InsiClient(f"http://127.0.0.1:{port}/lps", timeout=1, idam="ABC123")
    with pytest.raises(InsiUnavailable) as caught:
        client.search(traits("ADRUN", "ZOE", "F", "1975-12-31"))
    assert "injoignable" in caught.value.message


class _Maintenance(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = b"<html>Maintenance</html>"
        self.send_response(503)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def test_non_soap_http_error_is_unavailable():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Maintenance)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = InsiClient(f"http://127.0.0.1:{server.server_port}/lps", timeout=5, idam="A")
        with pytest.raises(InsiUnavailable):
            client.search(traits("ADRUN", "ZOE", "F", "1975-12-31"))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_no_personal_data_in_logs(client, caplog):
    caplog.set_level("DEBUG", logger="opendui.interop.insi")
    client.search(traits("Lefèvre", "Héloïse", "F", "1948-03-12"))
    text = caplog.text.upper()
    assert "LEFEVRE" not in text
    assert "HELOISE" not in text
    assert "248037505612373" not in text
    assert "1948" not in text
