"""A local INSi: the `rechercherInsAvecTraitsIdentite` SOAP 1.2 contract on loopback.

For the demo and the tests, never for production. It reads the request
envelope the way the real service would (action, software context, body),
looks the traits up in `identities.IDENTITIES` and answers with the real
RESULTAT structure (CR 00 with INDIVIDU/INSACTIF/INSHISTO/TIQ, 01, 02) or a
SOAP 1.2 fault.

Usage: `server, thread, url = serve()`; `server.shutdown()` to stop. It logs
nothing (requests carry personal data).
"""

from __future__ import annotations

import datetime as dt
import socketserver
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lxml import etree

from opendui.interop.insi import identities
from opendui.interop.insi.envelope import (
    ACTION_SEARCH_BY_TRAITS,
    CR_LABELS,
    CR_MULTIPLE,
    CR_NONE,
    CR_OK,
    NAME_PATTERN,
    NS_CTXLPS,
    NS_RECSANS,
    NS_RESULTAT,
    NS_SIRAM,
    NS_SOAP,
    NS_WSA,
    PLACE_PATTERN,
)

PATH = "/lps"
_NS = {"soap": NS_SOAP, "wsa": NS_WSA, "ctxlps": NS_CTXLPS, "rs": NS_RECSANS}
_MAX_BODY = 1_000_000

# Fault used by the real service for an unknown software authorisation number
# (padoa/tlsi-ins fixture siram_100-desir_500-fake-idam).
FAULT_UNKNOWN_IDAM = (
    "siram_100",
    "L'accès par ce progiciel au service n'est pas autorisé. Contactez l'éditeur du "
    "progiciel ou votre responsable informatique.",
    "desir_550",
    "Numéro d'autorisation du logiciel inconnu.",
)
# Malformed request: code chosen by OpenDUI (`siram_40` is one of the subcodes
# the service uses; the exact code it returns for a malformed body is not public).
MALFORMED_SUBCODE = "siram_40"


class MalformedRequest(Exception):
    pass


# Response building -------------------------------------------------------------
def _sub(parent, tag: str, text: str | None = None, ns: str = NS_RESULTAT, **attrib):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def _envelope():
    envelope = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap={"soap": NS_SOAP})
    return envelope, _sub(envelope, "Body", ns=NS_SOAP)


def _id_individu(parent, matricule: str, oid: str) -> None:
    ident = _sub(parent, "IdIndividu")
    _sub(ident, "NumIdentifiant", matricule[:13])
    _sub(ident, "Cle", matricule[13:])
    _sub(parent, "OID", oid)


def build_search_response(matches: list[identities.SimulatedIdentity]) -> bytes:
    envelope, body = _envelope()
    result = etree.SubElement(
        body,
        f"{{{NS_RESULTAT}}}RESULTAT",
        nsmap={None: NS_RESULTAT, "ns2": NS_RECSANS},
    )
    code = CR_OK if len(matches) == 1 else CR_NONE if not matches else CR_MULTIPLE
    cr = _sub(result, "CR")
    _sub(cr, "CodeCR", code)
    _sub(cr, "LibelleCR", CR_LABELS[code])
    if code == CR_OK:
        person = matches[0]
        individual = _sub(result, "INDIVIDU")
        _id_individu(_sub(individual, "INSACTIF"), person.matricule, person.oid)
        for matricule, oid in person.history:
            _id_individu(_sub(individual, "INSHISTO"), matricule, oid)
        tiq = _sub(individual, "TIQ")
        _sub(tiq, "NomNaissance", person.birth_name)
        _sub(tiq, "ListePrenom", person.first_names_list)
        _sub(tiq, "Sexe", person.sex)
        _sub(tiq, "DateNaissance", person.birth_date.isoformat())
        _sub(tiq, "LieuNaissance", person.birth_place)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def build_fault(
    subcode: str, reason: str, detail_code: str = "", detail: str = "", message_id: str = ""
) -> bytes:
    envelope, body = _envelope()
    fault = _sub(body, "Fault", ns=NS_SOAP)
    code = _sub(fault, "Code", ns=NS_SOAP)
    _sub(code, "Value", "soap:Sender", ns=NS_SOAP)
    _sub(_sub(code, "Subcode", ns=NS_SOAP), "Value", f"soap:{subcode}", ns=NS_SOAP)
    text = _sub(_sub(fault, "Reason", ns=NS_SOAP), "Text", reason, ns=NS_SOAP)
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    if detail_code:
        detail_element = _sub(fault, "Detail", ns=NS_SOAP)
        error = etree.SubElement(detail_element, f"{{{NS_SIRAM}}}Erreur", nsmap={"siram": NS_SIRAM})
        error.set("code", detail_code)
        error.set("messageID", message_id)
        error.set("severite", "erreur")
        error.text = detail
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


# Request reading ---------------------------------------------------------------
def _required(parent, path: str, label: str) -> str:
    element = parent.find(path, _NS)
    value = (element.text or "").strip() if element is not None else ""
    if not value:
        raise MalformedRequest(f"élément {label} absent ou vide")
    return value


def handle_soap(request: bytes) -> tuple[int, bytes]:
    """(HTTP status, response body) for one request envelope."""
    message_id = ""
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            root = etree.fromstring(request, parser)
        except etree.XMLSyntaxError as exc:
            raise MalformedRequest("le document n'est pas du XML bien formé") from exc
        if root.tag != f"{{{NS_SOAP}}}Envelope":
            raise MalformedRequest("l'élément racine n'est pas une enveloppe SOAP 1.2")
        header = root.find("soap:Header", _NS)
        if header is None:
            raise MalformedRequest("en-tête SOAP absent")
        message_id = _required(header, "wsa:MessageID", "wsa:MessageID")
        action = _required(header, "wsa:Action", "wsa:Action")
        if action != ACTION_SEARCH_BY_TRAITS:
            raise MalformedRequest(f"action « {action} » non prise en charge")
        lps = header.find("ctxlps:ContexteLPS/ctxlps:LPS", _NS)
        if lps is None:
            raise MalformedRequest("contexte LPS absent")
        idam = lps.find("ctxlps:IDAM", _NS)
        if idam is None or not (idam.text or "").strip():
            subcode, reason, detail_code, detail = FAULT_UNKNOWN_IDAM
            return 400, build_fault(subcode, reason, detail_code, detail, message_id)
        search = root.find("soap:Body/rs:RECSANSVITALE", _NS)
        if search is None:
            raise MalformedRequest("corps RECSANSVITALE absent")
        birth_name = _required(search, "rs:NomNaissance", "NomNaissance")
        first_names = [(e.text or "").strip() for e in search.findall("rs:Prenom", _NS)]
        sex = _required(search, "rs:Sexe", "Sexe")
        birth_date_text = _required(search, "rs:DateNaissance", "DateNaissance")
        place_element = search.find("rs:LieuNaissance", _NS)
        birth_place = (place_element.text or "").strip() if place_element is not None else ""
        for name in [birth_name, *first_names]:
            if not NAME_PATTERN.match(name):
                raise MalformedRequest("nom ou prénom hors du jeu de caractères autorisé")
        if sex not in ("M", "F"):
            raise MalformedRequest("sexe différent de M ou F")
        try:
            birth_date = dt.date.fromisoformat(birth_date_text)
        except ValueError as exc:
            raise MalformedRequest("date de naissance invalide") from exc
        if birth_place and not PLACE_PATTERN.match(birth_place):
            raise MalformedRequest("lieu de naissance invalide")
    except MalformedRequest as exc:
        reason = f"La requête est mal formée : {exc}."
        return 400, build_fault(MALFORMED_SUBCODE, reason, "", "", message_id)
    matches = identities.find(birth_name, first_names, sex, birth_date, birth_place or None)
    return 200, build_search_response(matches)


# WSGI / server -----------------------------------------------------------------
_REASONS = {200: "200 OK", 400: "400 Bad Request", 405: "405 Method Not Allowed"}
_SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"


def app(environ, start_response):
    if environ.get("REQUEST_METHOD") != "POST":
        start_response(_REASONS[405], [("Content-Type", "text/plain"), ("Allow", "POST")])
        return [b"POST only\n"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    request = environ["wsgi.input"].read(min(length, _MAX_BODY)) if length > 0 else b""
    if not environ.get("CONTENT_TYPE", "").startswith("application/soap+xml"):
        status, body = (
            400,
            build_fault(
                MALFORMED_SUBCODE, "La requête est mal formée : type de contenu SOAP 1.2 attendu."
            ),
        )
    else:
        status, body = handle_soap(request)
    start_response(
        _REASONS[status],
        [("Content-Type", _SOAP_CONTENT_TYPE), ("Content-Length", str(len(body)))],
    )
    return [body]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(host: str = "127.0.0.1", port: int = 0):
    """Start the simulator in a daemon thread: (server, thread, url of the service)."""
    server = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="insi-simulator", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return server, thread, f"http://{bound_host}:{bound_port}{PATH}"
