"""A local Annuaire Santé: FHIR R4 searches of Practitioner, PractitionerRole and
Organization on loopback, for the demo and the tests, never for production.

It serves `/fhir/v2/<Resource>?…` searchset Bundles built from
`data/simulator_fixture.json` (fictitious professionals and organisations), with the
search parameters OpenDUI's client uses (see client.py), `_count` and `next` links for
paging, `/fhir/v2/metadata`, and the `ESANTE-API-KEY` header required as by the
gateway (401 OperationOutcome without it). `delay` makes every answer late (timeout
tests). It logs nothing.

Usage: `server, thread, url = serve(api_key="…")`; `server.shutdown()` to stop.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .parsing import (
    EMAIL_TYPE_URL,
    FINESS_SYSTEMS,
    IDNPS_SYSTEM,
    MAILBOX_METADATA_URL,
    RPPS_SYSTEM,
    fold,
)

BASE_PATH = "/fhir/v2"
FIXTURE = Path(__file__).resolve().parent / "data" / "simulator_fixture.json"
DEFAULT_API_KEY = "opendui-demo-annuaire"
DEFAULT_COUNT = 20
MAX_COUNT = 50
G15 = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
R38 = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
R256 = "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
R66 = "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement"
J139 = "https://mos.esante.gouv.fr/NOS/JDV_J139-TypeBAL-RASS/FHIR/JDV-J139-TypeBAL-RASS"
V2_0203 = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"


@cache
def load_fixture(path: str = str(FIXTURE)) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# --- fixture → FHIR --------------------------------------------------------------------------


def _telecom(phone: str, mailboxes: list[dict[str, str]]) -> list[dict[str, Any]]:
    telecom: list[dict[str, Any]] = []
    if phone:
        telecom.append({"system": "phone", "value": phone})
    for mailbox in mailboxes:
        metadata = [
            {
                "url": "type",
                "valueCodeableConcept": {"coding": [{"system": J139, "code": mailbox["type"]}]},
            }
        ]
        for name in ("description", "service"):
            if mailbox.get(name):
                metadata.append({"url": name, "valueString": mailbox[name]})
        metadata.append({"url": "listeRouge", "valueBoolean": False})
        telecom.append(
            {
                "extension": [
                    {"url": EMAIL_TYPE_URL, "valueCoding": {"system": R256, "code": "MSSANTE"}},
                    {"url": MAILBOX_METADATA_URL, "extension": metadata},
                ],
                "system": "email",
                "value": mailbox["address"],
            }
        )
    return telecom


def organization(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": row["id"],
        "active": row.get("active", True),
        "identifier": [
            {
                "use": "official",
                "type": {"coding": [{"system": V2_0203, "code": "FINEG"}]},
                "system": FINESS_SYSTEMS[0],
                "value": row["finess"],
            }
        ],
        "type": [{"coding": [{"system": R66, "code": row["category"]}]}]
        if row.get("category")
        else [],
        "name": row["name"],
        "telecom": _telecom(row.get("phone", ""), row.get("mailboxes", [])),
        "address": [
            {"line": [row["address"]], "postalCode": row["postal_code"], "city": row["city"]}
        ],
    }


def practitioner(row: dict[str, Any]) -> dict[str, Any]:
    idnat = "8" + row["rpps"] if row["rpps"] else "0" + row["adeli"]
    identifiers = [
        {
            "use": "official",
            "type": {"coding": [{"system": V2_0203, "code": "IDNPS"}]},
            "system": IDNPS_SYSTEM,
            "value": idnat,
        }
    ]
    if row["rpps"]:
        identifiers.append(
            {
                "use": "official",
                "type": {"coding": [{"system": V2_0203, "code": "RPPS"}]},
                "system": RPPS_SYSTEM,
                "value": row["rpps"],
            }
        )
    if row["adeli"]:
        identifiers.append(
            {
                "use": "official",
                "type": {"coding": [{"system": V2_0203, "code": "ADELI"}]},
                "system": "urn:oid:1.2.250.1.71.4.2.1",
                "value": "0" + row["adeli"],
            }
        )
    civility = row.get("civility", "")
    name: dict[str, Any] = {"use": "official", "family": row["family"], "given": [row["given"]]}
    if civility in {"DR", "PR"}:
        name["suffix"] = [civility]
    elif civility:
        name["prefix"] = [civility]
    qualification = [
        {
            "code": {
                "coding": [
                    {
                        "system": G15,
                        "code": row["profession_code"],
                        "display": row["profession_label"],
                    }
                ]
            }
        }
    ]
    if row.get("specialty_code"):
        qualification.append(
            {
                "code": {
                    "coding": [
                        {
                            "system": R38,
                            "code": row["specialty_code"],
                            "display": row["specialty_label"],
                        }
                    ]
                }
            }
        )
    return {
        "resourceType": "Practitioner",
        "id": row["id"],
        "active": row.get("active", True),
        "identifier": identifiers,
        "name": [name],
        "telecom": _telecom("", row.get("mailboxes", [])),
        "qualification": qualification,
    }


def practitioner_role(row: dict[str, Any]) -> dict[str, Any]:
    role: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": "role-" + row["id"],
        "active": row.get("active", True),
        "practitioner": {"reference": "Practitioner/" + row["id"]},
        "organization": {"reference": "Organization/" + row["organization"]},
        "code": [
            {
                "coding": [
                    {
                        "system": G15,
                        "code": row["profession_code"],
                        "display": row["profession_label"],
                    }
                ]
            }
        ],
    }
    if row.get("phone"):
        role["telecom"] = [{"system": "phone", "value": row["phone"]}]
    return role


# --- search ----------------------------------------------------------------------------------


def _token_match(value: str, codes: list[str]) -> bool:
    """FHIR token search: `code` or `system|code`, several values separated by commas."""
    for wanted in value.split(","):
        _system, _bar, code = wanted.rpartition("|")
        if code in codes:
            return True
    return False


def _string_match(value: str, texts: list[str], modifier: str) -> bool:
    wanted = fold(value)
    keys = [fold(t) for t in texts]
    if modifier == "exact":
        return value in texts
    if modifier == "contains":
        return any(wanted in k for k in keys)
    return any(k.startswith(wanted) for k in keys)


class SearchError(ValueError):
    pass


def _filters(resource_type: str, data: dict[str, Any]):
    """(resources, predicate(resource, parameter, modifier, value) -> bool) of a type."""
    organisations = {row["id"]: row for row in data["organizations"]}
    if resource_type == "Organization":
        rows = data["organizations"]

        def match(row, name, modifier, value):
            mails = [m["address"] for m in row.get("mailboxes", [])]
            if name == "identifier":
                return _token_match(value, [row["finess"]])
            if name == "name":
                return _string_match(value, [row["name"]], modifier)
            if name == "address-city":
                return _string_match(value, [row["city"]], modifier)
            if name == "address-postalcode":
                return _string_match(value, [row["postal_code"]], modifier)
            if name == "mailbox-mss":
                return _string_match(value, mails, modifier)
            if name == "type":
                return _token_match(value, [row.get("category", "")])
            if name == "_id":
                return value == row["id"]
            if name == "active":
                return str(row.get("active", True)).lower() == value
            raise SearchError(name)

        return rows, organization, match

    rows = data["practitioners"]

    def ids(row):
        return [
            v
            for v in (
                "8" + row["rpps"] if row["rpps"] else "",
                row["rpps"],
                "0" + row["adeli"] if row["adeli"] else "",
            )
            if v
        ]

    def match(row, name, modifier, value):
        mails = [m["address"] for m in row.get("mailboxes", [])]
        org = organisations.get(row["organization"], {})
        if name in {"identifier", "practitioner.identifier"}:
            return _token_match(value, ids(row))
        if name == "family":
            return _string_match(value, [row["family"]], modifier)
        if name == "given":
            return _string_match(value, [row["given"]], modifier)
        if name == "name":
            return _string_match(value, [row["family"], row["given"]], modifier)
        if name in {"qualification-code", "role"}:
            return _token_match(value, [row["profession_code"], row.get("specialty_code", "")])
        if name == "mailbox-mss":
            return _string_match(value, mails, modifier)
        if name == "active":
            return str(row.get("active", True)).lower() == value
        if name == "_id":
            return value in {row["id"], "role-" + row["id"]}
        if resource_type == "PractitionerRole":
            if name == "practitioner":
                return value.rsplit("/", 1)[-1] == row["id"]
            if name == "organization":
                return value.rsplit("/", 1)[-1] == row["organization"]
            if name == "organization.address-city":
                return _string_match(value, [org.get("city", "")], modifier)
            if name == "organization.address-postalcode":
                return _string_match(value, [org.get("postal_code", "")], modifier)
            if name == "organization.identifier":
                return _token_match(value, [org.get("finess", "")])
        raise SearchError(name)

    build = practitioner if resource_type == "Practitioner" else practitioner_role
    return rows, build, match


def search(resource_type: str, query: list[tuple[str, str]], base_url: str) -> dict[str, Any]:
    """The searchset Bundle of a search (raises SearchError for an unknown parameter)."""
    data = load_fixture()
    rows, build, match = _filters(resource_type, data)
    count = DEFAULT_COUNT
    offset = 0
    includes: list[str] = []
    for name, value in query:
        if name == "_count":
            count = max(1, min(MAX_COUNT, int(value)))
        elif name == "_offset":
            offset = max(0, int(value))
        elif name in {"_include", "_revinclude"}:
            includes.append(f"{name}={value}")
        elif name.startswith("_") and name not in {"_id"}:
            continue  # _format, _total…: ignored
        else:
            param, _colon, modifier = name.partition(":")
            rows = [row for row in rows if match(row, param, modifier, value)]
    selected = rows[offset : offset + count]
    entries = [
        {
            "fullUrl": f"{base_url}/{resource_type}/{res['id']}",
            "resource": res,
            "search": {"mode": "match"},
        }
        for res in (build(row) for row in selected)
    ]
    organisations = {row["id"]: row for row in data["organizations"]}
    included: list[dict[str, Any]] = []
    if resource_type == "Practitioner" and "_revinclude=PractitionerRole:practitioner" in includes:
        included += [practitioner_role(row) for row in selected]
        if "_include=PractitionerRole:organization" in includes:
            included += [organization(organisations[r["organization"]]) for r in selected]
    if resource_type == "PractitionerRole":
        if "_include=PractitionerRole:practitioner" in includes:
            included += [practitioner(row) for row in selected]
        if "_include=PractitionerRole:organization" in includes:
            included += [organization(organisations[r["organization"]]) for r in selected]
    unique: dict[str, dict[str, Any]] = {}
    for res in included:
        unique.setdefault(f"{res['resourceType']}/{res['id']}", res)
    entries += [
        {"fullUrl": f"{base_url}/{key}", "resource": res, "search": {"mode": "include"}}
        for key, res in unique.items()
    ]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(rows),
        "link": [{"relation": "self", "url": f"{base_url}/{resource_type}?{urlencode(query)}"}],
        "entry": entries,
    }
    if offset + count < len(rows):
        following = [(k, v) for k, v in query if k != "_offset"] + [
            ("_offset", str(offset + count))
        ]
        bundle["link"].append(
            {"relation": "next", "url": f"{base_url}/{resource_type}?{urlencode(following)}"}
        )
    return bundle


CAPABILITY = {
    "resourceType": "CapabilityStatement",
    "status": "active",
    "date": "2026-01-01",
    "kind": "instance",
    "fhirVersion": "4.0.1",
    "format": ["application/fhir+json"],
    "software": {"name": "Simulateur de l'Annuaire Santé (OpenDUI)"},
    "rest": [
        {
            "mode": "server",
            "resource": [
                {"type": t, "interaction": [{"code": "search-type"}]}
                for t in ("Practitioner", "PractitionerRole", "Organization")
            ],
        }
    ],
}


def _outcome(code: str, text: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }


def make_app(api_key: str = DEFAULT_API_KEY, delay: float = 0.0):
    """The WSGI application (requires `ESANTE-API-KEY: api_key`)."""

    def app(environ, start_response):
        if delay:
            time.sleep(delay)

        def answer(status: str, body: dict[str, Any]):
            payload = json.dumps(body, ensure_ascii=False).encode()
            start_response(
                status,
                [
                    ("Content-Type", "application/fhir+json; charset=utf-8"),
                    ("Content-Length", str(len(payload))),
                ],
            )
            return [payload]

        if environ.get("HTTP_ESANTE_API_KEY", "") != api_key:
            return answer("401 Unauthorized", _outcome("login", "Missing or invalid API key"))
        if environ.get("REQUEST_METHOD") != "GET":
            return answer("405 Method Not Allowed", _outcome("not-supported", "GET only"))
        path = environ.get("PATH_INFO", "")
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        base_url = f"http://{host}{BASE_PATH}"
        if not path.startswith(BASE_PATH + "/"):
            return answer("404 Not Found", _outcome("not-found", "Unknown path"))
        resource_type = path[len(BASE_PATH) + 1 :].strip("/")
        if resource_type == "metadata":
            return answer("200 OK", CAPABILITY)
        if resource_type not in {"Practitioner", "PractitionerRole", "Organization"}:
            return answer("404 Not Found", _outcome("not-supported", "Unknown resource type"))
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=False)
        try:
            return answer("200 OK", search(resource_type, query, base_url))
        except SearchError as exc:
            return answer("400 Bad Request", _outcome("invalid", f"Unknown search parameter {exc}"))
        except ValueError:
            return answer("400 Bad Request", _outcome("invalid", "Invalid parameter value"))

    return app


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


def serve(
    host: str = "127.0.0.1", port: int = 0, *, api_key: str = DEFAULT_API_KEY, delay: float = 0.0
):
    """Start the simulator in a daemon thread: (server, thread, base URL `…/fhir/v2`)."""
    server = make_server(
        host,
        port,
        make_app(api_key, delay),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="annuaire-simulator", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return server, thread, f"http://{bound_host}:{bound_port}{BASE_PATH}"
