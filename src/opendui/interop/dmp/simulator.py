"""A loopback DMP: the DMPi SOAP services over mutual TLS, for the demo and the tests.

Never for production. It speaks what `client.py` speaks and checks what the DMP checks:

- TLS with the test PKI (`opendui.interop.testpki`), **client certificate required**;
- the VIHF of every call: signature, certificate chain to the test CA, validity window,
  required attributes (`vihf.verify_vihf`), and its Issuer = the TLS client certificate;
- ITI-41: MTOM structure, XDS metadata (required slots and classifications, patientId =
  the INS of the VIHF resource-id, hash and size of each part, uniqueId not already
  stored), the CDA (well-formed, ClinicalDocument/id = uniqueId, recordTarget INS =
  patientId, and the CDA XSD of the ANS kit when it is present: `OPENDUI_CONFORMANCE_DIR`
  or `<repo>/../shared/conformance/ans-testcontenucda`), the XAdES signature entry
  (signature, manifest digests) and its `signs` association; RPLC deprecates the old entry;
- ITI-57: new metadata versions (visibility codes) and status changes (deleted, archived),
  only by the structure that published the document;
- ITI-18 / ITI-43: only Approved (or asked-for) entries of the VIHF's person, for a
  professional the person authorised; MASQUE_PS entries only for the publishing structure.

What it accepts is kept in memory, or in a directory (`store=`: `state.json` + one file
per document) so that the demo keeps its DMP across restarts.

National errors: `simulator.state.set_patient(ins, DmpPatientState.NO_DMP | OPPOSED |
ACCESS_REFUSED | CLOSED)`, `state.unavailable = True` (HTTP 503 + fault DMP_INDISPONIBLE),
`state.delay = seconds` (slow answers). **Fixed rule the demo relies on**: a matricule
whose order number (characters 11 to 13) is 990 has no DMP, 991 is opposed, 992 refuses
access, 993 has a closed DMP; every other person has an open DMP.

It logs nothing: requests carry personal data.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import socketserver
import ssl
import threading
import time
import uuid
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from lxml import etree

from opendui.interop.testpki import ensure_test_pki

from . import conformance, errors, patients, soap, xds
from .vihf import NS_SAML, VihfError, verify_vihf
from .xades import digest, verify_submission_signature

PATH = "/si-dmp-server/v2/services"
REPOSITORY_ID = "1.2.250.1.213.1.1.9.999.1"  # the simulator's repositoryUniqueId
MAX_REQUEST = 20_000_000
SERVICE_ACTIONS = {
    "patients": {patients.ACTION_TEST_EXISTENCE},
    "habilitations": {patients.ACTION_SET_AUTHORIZATION},
    "registry": {"urn:ihe:iti:2007:RegistryStoredQuery", "urn:ihe:iti:2010:UpdateDocumentSet"},
    "repository": {
        "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
        "urn:ihe:iti:2007:RetrieveDocumentSet",
    },
}
REQUIRED_ENTRY_SLOTS = ("creationTime", "languageCode", "sourcePatientId", "hash", "size")
REQUIRED_ENTRY_CLASSIFICATIONS = {
    xds.DE_AUTHOR: "auteur",
    xds.DE_CLASS: "classCode",
    xds.DE_TYPE: "typeCode",
    xds.DE_FORMAT: "formatCode",
    xds.DE_FACILITY_TYPE: "healthcareFacilityTypeCode",
    xds.DE_PRACTICE_SETTING: "practiceSettingCode",
    xds.DE_CONFIDENTIALITY: "confidentialityCode",
}
NS_CDA = "urn:hl7-org:v3"


class DmpPatientState(enum.Enum):
    OPEN = "open"
    NO_DMP = "no_dmp"
    OPPOSED = "opposed"
    ACCESS_REFUSED = "access_refused"
    CLOSED = "closed"


DEMO_RULE = {
    "990": DmpPatientState.NO_DMP,
    "991": DmpPatientState.OPPOSED,
    "992": DmpPatientState.ACCESS_REFUSED,
    "993": DmpPatientState.CLOSED,
}
_STATE_FAULTS = {
    DmpPatientState.NO_DMP: errors.NO_DMP,
    DmpPatientState.OPPOSED: errors.OPPOSED,
    DmpPatientState.ACCESS_REFUSED: errors.ACCESS_REFUSED,
    DmpPatientState.CLOSED: errors.CLOSED,
}


class Fault(Exception):
    def __init__(self, code: str, reason: str = "", status: int = 400):
        super().__init__(reason or code)
        self.code, self.reason, self.status = code, reason, status


class RegistryFailure(Exception):
    """An XDS error answered in a RegistryResponse (status Failure)."""

    def __init__(self, code: str, context: str):
        super().__init__(context)
        self.code, self.context = code, context


def conformance_xsd() -> Path | None:
    """The CDA XSD of the ANS kit, when the kit is on this machine (`conformance.kit_dir`)."""
    kit = conformance.kit_dir()
    return kit / conformance.XSD if kit is not None else None


_SCHEMA_LOCK = threading.Lock()
_SCHEMAS: dict[Path, etree.XMLSchema] = {}


def _schema(path: Path) -> etree.XMLSchema:
    with _SCHEMA_LOCK:
        if path not in _SCHEMAS:
            _SCHEMAS[path] = etree.XMLSchema(etree.parse(str(path)))
        return _SCHEMAS[path]


class SimulatorState:
    """What the simulated DMP holds; thread-safe; persisted when `directory` is given."""

    def __init__(self, directory: str | Path | None = None):
        self.lock = threading.RLock()
        self.directory = Path(directory) if directory else None
        self.patients: dict[str, DmpPatientState] = {}
        self.authorisations: set[tuple[str, str]] = set()  # (ins, idnat)
        self.entries: dict[str, dict] = {}  # entryUUID -> stored entry
        self.documents: dict[str, bytes] = {}  # uniqueId -> bytes
        self.unavailable = False
        self.delay = 0.0
        self.received: list[dict] = []  # shape of the last requests (no personal data)
        self.check_xsd = True
        if self.directory:
            self._load()

    def set_patient(self, ins: str, state: DmpPatientState) -> None:
        with self.lock:
            self.patients[ins] = state
            self._save()

    def state_of(self, ins: str) -> DmpPatientState:
        with self.lock:
            if ins in self.patients:
                return self.patients[ins]
        return DEMO_RULE.get(ins[10:13], DmpPatientState.OPEN)

    def reset(self) -> None:
        with self.lock:
            self.patients.clear()
            self.authorisations.clear()
            self.entries.clear()
            self.documents.clear()
            self.received.clear()
            self.unavailable, self.delay = False, 0.0
            self._save()

    # Persistence -----------------------------------------------------------------------
    def _load(self) -> None:
        path = self.directory / "state.json"
        if not path.is_file():
            return
        data = json.loads(path.read_text("utf-8"))
        self.patients = {k: DmpPatientState(v) for k, v in data.get("patients", {}).items()}
        self.authorisations = {tuple(pair) for pair in data.get("authorisations", [])}
        self.entries = data.get("entries", {})
        for entry in self.entries.values():
            file = self.directory / "documents" / f"{entry['unique_id']}.bin"
            if file.is_file():
                self.documents[entry["unique_id"]] = file.read_bytes()

    def _save(self) -> None:
        if not self.directory:
            return
        (self.directory / "documents").mkdir(parents=True, exist_ok=True)
        for unique_id, content in self.documents.items():
            file = self.directory / "documents" / f"{unique_id}.bin"
            if not file.exists():
                file.write_bytes(content)
        data = {
            "patients": {k: v.value for k, v in self.patients.items()},
            "authorisations": sorted(self.authorisations),
            "entries": self.entries,
        }
        temporary = self.directory / "state.json.tmp"
        temporary.write_text(json.dumps(data), "utf-8")
        temporary.replace(self.directory / "state.json")


# Request handling --------------------------------------------------------------------------
class Simulator:
    def __init__(self, ca_pem: bytes, state: SimulatorState):
        self.ca_pem = ca_pem
        self.state = state

    def handle(self, service: str, content_type: str, body: bytes, client_cert_der: bytes | None):
        """(HTTP status, content type, body) for one POST."""
        state = self.state
        if state.delay:
            time.sleep(state.delay)
        try:
            if state.unavailable:
                raise Fault(
                    errors.SERVICE_UNAVAILABLE, "Service momentanément indisponible.", status=503
                )
            return self._handle(service, content_type, body, client_cert_der)
        except Fault as fault:
            return (
                fault.status,
                soap.soap_content_type("http://www.w3.org/2005/08/addressing/soap/fault"),
                soap.build_fault(fault.code, fault.reason or fault.code, sender=fault.status < 500),
            )

    def _handle(self, service, content_type, body, client_cert_der):
        media_type, params = soap.content_type_params(content_type)
        parts: dict[str, soap.Part] = {}
        part_shapes = []
        if media_type == "multipart/related":
            if params.get("type", "").lower() != soap.XOP_CONTENT_TYPE:
                raise Fault(
                    errors.REQUEST_INVALID, "message MTOM attendu (type application/xop+xml)"
                )
            try:
                root_part, parts = soap.parse_multipart(content_type, body)
            except soap.MimeError as exc:
                raise Fault(errors.REQUEST_INVALID, str(exc)) from exc
            if not root_part.content_type.lower().startswith(soap.XOP_CONTENT_TYPE):
                raise Fault(errors.REQUEST_INVALID, "partie racine application/xop+xml attendue")
            part_shapes = [(root_part.content_type, len(root_part.content))] + [
                (p.content_type, len(p.content)) for p in parts.values()
            ]
            body = root_part.content
        elif media_type != soap.SOAP_CONTENT_TYPE:
            raise Fault(errors.REQUEST_INVALID, "type de contenu SOAP 1.2 attendu")
        try:
            root = soap.parse_xml(body)
        except etree.XMLSyntaxError as exc:
            raise Fault(errors.REQUEST_INVALID, "le message n'est pas du XML bien formé") from exc
        if root.tag != f"{{{soap.NS_SOAP}}}Envelope":
            raise Fault(errors.REQUEST_INVALID, "enveloppe SOAP 1.2 attendue")
        header = root.find("soap:Header", soap.NS)
        action = (header.findtext("wsa:Action", "", soap.NS) if header is not None else "").strip()
        message_id = header.findtext("wsa:MessageID", "", soap.NS) if header is not None else ""
        if not message_id.startswith("urn:uuid:"):
            raise Fault(errors.REQUEST_INVALID, "wsa:MessageID urn:uuid attendu")
        if action not in SERVICE_ACTIONS.get(service, set()):
            raise Fault(
                errors.REQUEST_INVALID, f"action {action or '(absente)'} inconnue pour ce service"
            )
        with self.state.lock:
            self.state.received.append(
                {
                    "service": service,
                    "action": action,
                    "media_type": media_type,
                    "parts": part_shapes,
                }
            )
            del self.state.received[:-50]
        assertion = header.find(f"wsse:Security/{{{NS_SAML}}}Assertion", soap.NS)
        try:
            claims = verify_vihf(assertion, self.ca_pem)
        except VihfError as exc:
            raise Fault(errors.VIHF_INVALID, exc.message_fr) from exc
        if client_cert_der is not None:
            tls_subject = x509.load_der_x509_certificate(client_cert_der).subject.rfc4514_string()
            if tls_subject != claims.issuer:
                raise Fault(
                    errors.VIHF_INVALID, "le VIHF n'est pas signé par le certificat de la connexion"
                )
        request = root.find("soap:Body", soap.NS)
        if request is None or len(request) == 0:
            raise Fault(errors.REQUEST_INVALID, "corps SOAP vide")
        request = request[0]
        handler = {
            patients.ACTION_TEST_EXISTENCE: self._test_existence,
            patients.ACTION_SET_AUTHORIZATION: self._authorise,
            "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b": self._publish,
            "urn:ihe:iti:2007:RegistryStoredQuery": self._query,
            "urn:ihe:iti:2010:UpdateDocumentSet": self._update,
            "urn:ihe:iti:2007:RetrieveDocumentSet": self._retrieve,
        }[action]
        result = handler(claims, request, parts)
        if isinstance(result, soap.Multipart):
            return 200, result.content_type, result.body
        return 200, soap.soap_content_type(action + "Response"), self._envelope(result, action)

    @staticmethod
    def _envelope(element, action: str) -> bytes:
        root, _ = soap.envelope(element, action=action + "Response", to="")
        return soap.serialize(root)

    # Patient state ---------------------------------------------------------------------
    def _require_open(self, claims) -> None:
        state = self.state.state_of(claims.patient_ins)
        if state is not DmpPatientState.OPEN:
            code = _STATE_FAULTS[state]
            raise Fault(code, errors.FAULT_MESSAGES[code][0])

    def _require_authorised(self, claims) -> None:
        if (claims.patient_ins, claims.idnat) not in self.state.authorisations:
            raise Fault(errors.NOT_AUTHORISED, errors.FAULT_MESSAGES[errors.NOT_AUTHORISED][0])

    def _test_existence(self, claims, request, parts):
        asked = patients.requested_ins(request)
        if asked is None:
            raise Fault(errors.REQUEST_INVALID, "requête TEST_EXST attendue")
        ins, oid = asked
        if ins != claims.patient_ins or oid != claims.patient_oid:
            raise Fault(errors.REQUEST_INVALID, "l'INS demandé n'est pas celui du VIHF")
        state = self.state.state_of(ins)
        status = patients.DmpPatientStatus(
            exists=state is not DmpPatientState.NO_DMP,
            authorised=(ins, claims.idnat) in self.state.authorisations
            and state is not DmpPatientState.ACCESS_REFUSED,
            closed=state is DmpPatientState.CLOSED,
            forbidden=state is DmpPatientState.ACCESS_REFUSED,
            opposed=state is DmpPatientState.OPPOSED,
        )
        return patients.patient_status_response(status, ins, oid)

    def _authorise(self, claims, request, parts):
        if request.tag != f"{{{patients.NS_HAB}}}setAuthorization":
            raise Fault(errors.REQUEST_INVALID, "setAuthorization attendu")
        if request.findtext(f"{{{patients.NS_HAB}}}action", "").strip() != "AJOUT":
            raise Fault(errors.REQUEST_INVALID, "action AJOUT attendue")
        self._require_open(claims)
        with self.state.lock:
            self.state.authorisations.add((claims.patient_ins, claims.idnat))
            self.state._save()
        return patients.authorization_response(True)

    # ITI-41 ----------------------------------------------------------------------------
    def _publish(self, claims, request, parts):
        self._require_open(claims)
        if request.tag != f"{{{xds.NS_XDSB}}}ProvideAndRegisterDocumentSetRequest":
            raise Fault(errors.REQUEST_INVALID, "ProvideAndRegisterDocumentSetRequest attendu")
        try:
            stored = self._check_submission(claims, request, parts)
        except RegistryFailure as failure:
            return _registry_response(failure)
        with self.state.lock:
            for entry_uuid in stored["deprecate"]:
                self.state.entries[entry_uuid]["status"] = xds.DEPRECATED
            for entry, content in stored["entries"]:
                self.state.entries[entry["entry_uuid"]] = entry
                self.state.documents[entry["unique_id"]] = content
            self.state._save()
        return _registry_response(None)

    def _check_submission(self, claims, request, parts) -> dict:
        patient_id = f"{claims.patient_ins}^^^&{claims.patient_oid}&ISO"
        objects = request.find("lcm:SubmitObjectsRequest/rim:RegistryObjectList", xds.NS)
        if objects is None:
            raise RegistryFailure("XDSRegistryMetadataError", "RegistryObjectList absente")
        packages = [
            p
            for p in objects.findall("rim:RegistryPackage", xds.NS)
            if any(
                c.get("classificationNode") == xds.SUBMISSION_SET
                for c in p.findall("rim:Classification", xds.NS)
            )
        ]
        if len(packages) != 1:
            raise RegistryFailure("XDSRegistryMetadataError", "un lot de soumission attendu")
        package = packages[0]
        set_uuid = package.get("id", "")
        set_unique_id = xds.external_id(package, xds.SS_UNIQUE_ID)
        for label, value in (
            ("uniqueId", set_unique_id),
            ("sourceId", xds.external_id(package, xds.SS_SOURCE_ID)),
            ("submissionTime", xds.slot_value(package, "submissionTime")),
        ):
            if not value:
                raise RegistryFailure(
                    "XDSRegistryMetadataError", f"lot de soumission : {label} absent"
                )
        if not xds.classifications(package, xds.SS_AUTHOR) or not xds.classifications(
            package, xds.SS_CONTENT_TYPE
        ):
            raise RegistryFailure(
                "XDSRegistryMetadataError", "lot de soumission : auteur ou contentTypeCode absent"
            )
        if xds.external_id(package, xds.SS_PATIENT_ID) != patient_id:
            raise RegistryFailure(
                "XDSPatientIdDoesNotMatch", "patientId du lot différent de l'INS du VIHF"
            )
        documents = {}
        for holder in request.findall("xdsb:Document", xds.NS):
            try:
                contents = soap.resolve_includes(holder, parts)
            except soap.MimeError as exc:
                raise RegistryFailure("XDSMissingDocument", str(exc)) from exc
            documents[holder.get("id", "")] = (
                contents[holder] if holder in contents else base64.b64decode(holder.text or "")
            )
        entries, cda_entries, signature = [], [], None
        for obj in objects.findall("rim:ExtrinsicObject", xds.NS):
            entry_uuid = obj.get("id", "")
            if entry_uuid not in documents:
                raise RegistryFailure("XDSMissingDocument", f"document absent pour {entry_uuid}")
            content = documents[entry_uuid]
            unique_id = self._check_entry(obj, content, patient_id)
            is_signature = any(
                xds.coded_of(c).code == xds.SIGNATURE_CLASS.code
                for c in xds.classifications(obj, xds.DE_CLASS)
            )
            if is_signature:
                signature = (unique_id, entry_uuid, content)
            else:
                self._check_cda(content, unique_id, claims)
                cda_entries.append((unique_id, content))
            obj.set("status", xds.APPROVED)
            _set_slot(obj, "repositoryUniqueId", REPOSITORY_ID)
            entries.append(
                (
                    {
                        "entry_uuid": entry_uuid,
                        "lid": obj.get("lid") or entry_uuid,
                        "version": 1,
                        "unique_id": unique_id,
                        "patient_id": patient_id,
                        "status": xds.APPROVED,
                        "structure": claims.structure_id,
                        "metadata": etree.tostring(obj).decode("utf-8"),
                    },
                    content,
                )
            )
        if not cda_entries:
            raise RegistryFailure("XDSRegistryMetadataError", "aucun document dans la soumission")
        if signature is None:
            raise Fault(errors.SIGNATURE_INVALID, "entrée de signature du lot absente")
        self._check_signature(signature, set_unique_id, cda_entries)
        associations = objects.findall("rim:Association", xds.NS)
        members = {
            a.get("targetObject")
            for a in associations
            if a.get("associationType") == xds.HAS_MEMBER and a.get("sourceObject") == set_uuid
        }
        missing = {e["entry_uuid"] for e, _ in entries} - members
        if missing:
            raise RegistryFailure("XDSRegistryMetadataError", "association HasMember absente")
        if not any(
            a.get("associationType") == xds.SIGNS
            and a.get("sourceObject") == signature[1]
            and a.get("targetObject") == set_uuid
            for a in associations
        ):
            raise Fault(errors.SIGNATURE_INVALID, "association signs absente")
        deprecate = []
        for association in associations:
            if association.get("associationType") != xds.RPLC:
                continue
            target = self.state.entries.get(association.get("targetObject", ""))
            if (
                target is None
                or target["patient_id"] != patient_id
                or target["status"] != xds.APPROVED
            ):
                raise RegistryFailure(
                    "XDSRegistryMetadataError",
                    "la version remplacée est inconnue ou n'est plus active",
                )
            deprecate.append(target["entry_uuid"])
        return {"entries": entries, "deprecate": deprecate}

    def _check_entry(self, obj, content: bytes, patient_id: str) -> str:
        for name in REQUIRED_ENTRY_SLOTS:
            if not xds.slot_value(obj, name):
                raise RegistryFailure("XDSRegistryMetadataError", f"métadonnée {name} absente")
        for scheme, label in REQUIRED_ENTRY_CLASSIFICATIONS.items():
            if not xds.classifications(obj, scheme):
                raise RegistryFailure("XDSRegistryMetadataError", f"classification {label} absente")
        if not xds.name_of(obj):
            raise RegistryFailure("XDSRegistryMetadataError", "titre du document absent")
        if xds.external_id(obj, xds.DE_PATIENT_ID) != patient_id:
            raise RegistryFailure(
                "XDSPatientIdDoesNotMatch", "patientId différent de l'INS du VIHF"
            )
        unique_id = xds.external_id(obj, xds.DE_UNIQUE_ID)
        if not unique_id:
            raise RegistryFailure("XDSRegistryMetadataError", "uniqueId absent")
        if unique_id in self.state.documents:
            raise RegistryFailure(
                "XDSDuplicateUniqueIdInRegistry", f"uniqueId {unique_id} déjà déposé"
            )
        if xds.slot_value(obj, "hash").lower() != hashlib.sha1(content).hexdigest():  # noqa: S324
            raise RegistryFailure("XDSNonIdenticalHash", "empreinte SHA-1 différente")
        if xds.slot_value(obj, "size") != str(len(content)):
            raise RegistryFailure("XDSNonIdenticalSize", "taille différente")
        return unique_id

    def _check_cda(self, content: bytes, unique_id: str, claims) -> None:
        try:
            cda = soap.parse_xml(content)
        except etree.XMLSyntaxError as exc:
            raise Fault(errors.CDA_INVALID, "le CDA n'est pas du XML bien formé") from exc
        ns = {"cda": NS_CDA}
        if cda.tag != f"{{{NS_CDA}}}ClinicalDocument":
            raise Fault(errors.CDA_INVALID, "élément racine ClinicalDocument attendu")
        doc_id = cda.find("cda:id", ns)
        value = ""
        if doc_id is not None:
            value = doc_id.get("root", "")
            if doc_id.get("extension"):
                value += "^" + doc_id.get("extension")
        if value != unique_id:
            raise Fault(errors.CDA_INVALID, "ClinicalDocument/id différent du uniqueId")
        ids = cda.findall("cda:recordTarget/cda:patientRole/cda:id", ns)
        if not any(
            i.get("root") == claims.patient_oid and i.get("extension") == claims.patient_ins
            for i in ids
        ):
            raise Fault(errors.CDA_INVALID, "recordTarget ne porte pas l'INS de la personne")
        xsd = conformance_xsd() if self.state.check_xsd else None
        if xsd is not None:
            schema = _schema(xsd)
            if not schema.validate(cda):
                first = schema.error_log.filter_from_errors()[0]
                raise Fault(errors.CDA_INVALID, f"schéma CDA, ligne {first.line} : {first.message}")

    def _check_signature(self, signature, set_unique_id: str, cda_entries) -> None:
        _, _, content = signature
        try:
            manifest = verify_submission_signature(content, self.ca_pem)
        except VihfError as exc:
            raise Fault(errors.SIGNATURE_INVALID, exc.message_fr) from exc
        expected = {set_unique_id: digest(set_unique_id.encode("utf-8"))}
        expected.update({unique_id: digest(data) for unique_id, data in cda_entries})
        if manifest.digests != expected:
            raise Fault(
                errors.SIGNATURE_INVALID, "le manifeste ne correspond pas aux documents envoyés"
            )

    # ITI-18 ----------------------------------------------------------------------------
    def _visible(self, entry: dict, claims, statuses: set[str]) -> bool:
        if entry["patient_id"] != f"{claims.patient_ins}^^^&{claims.patient_oid}&ISO":
            return False
        if entry["status"] not in statuses or entry["status"] == xds.DELETED:
            return False
        metadata = soap.parse_xml(entry["metadata"].encode("utf-8"))
        hidden = any(
            xds.coded_of(c).code == xds.MASQUE_PS
            for c in xds.classifications(metadata, xds.DE_CONFIDENTIALITY)
        )
        return not hidden or entry["structure"] == claims.structure_id

    def _query(self, claims, request, parts):
        self._require_open(claims)
        self._require_authorised(claims)
        query = request.find("rim:AdhocQuery", xds.NS)
        if request.tag != f"{{{xds.NS_QUERY}}}AdhocQueryRequest" or query is None:
            raise Fault(errors.REQUEST_INVALID, "AdhocQueryRequest attendue")
        response = etree.Element(f"{{{xds.NS_QUERY}}}AdhocQueryResponse", nsmap=xds.NS)
        objects = etree.SubElement(response, f"{{{xds.NS_RIM}}}RegistryObjectList")
        query_id = query.get("id")
        with self.state.lock:
            entries = list(self.state.entries.values())
        if query_id == xds.FIND_DOCUMENTS:
            patient = _unquote(xds.slot_value(query, "$XDSDocumentEntryPatientId"))
            if patient != [f"{claims.patient_ins}^^^&{claims.patient_oid}&ISO"]:
                return _query_failure("XDSPatientIdDoesNotMatch", "patientId différent du VIHF")
            statuses = set(_unquote(",".join(xds.slot_values(query, "$XDSDocumentEntryStatus"))))
            selected = [e for e in entries if self._visible(e, claims, statuses)]
        elif query_id == xds.GET_DOCUMENTS:
            wanted = set(_unquote(",".join(xds.slot_values(query, "$XDSDocumentEntryUniqueId"))))
            every = {xds.APPROVED, xds.DEPRECATED, xds.ARCHIVED}
            selected = [
                e for e in entries if e["unique_id"] in wanted and self._visible(e, claims, every)
            ]
        else:
            return _query_failure("XDSRegistryError", "requête stockée non prise en charge")
        for entry in selected:
            objects.append(_entry_element(entry))
        response.set("status", xds.RESPONSE_SUCCESS)
        return response

    # ITI-57 ----------------------------------------------------------------------------
    def _update(self, claims, request, parts):
        self._require_open(claims)
        objects = request.find("rim:RegistryObjectList", xds.NS)
        if request.tag != f"{{{xds.NS_LCM}}}SubmitObjectsRequest" or objects is None:
            raise Fault(errors.REQUEST_INVALID, "SubmitObjectsRequest attendue")
        patient_id = f"{claims.patient_ins}^^^&{claims.patient_oid}&ISO"
        try:
            changes = self._check_update(claims, objects, patient_id)
        except RegistryFailure as failure:
            return _registry_response(failure)
        with self.state.lock:
            for kind, value in changes:
                if kind == "status":
                    entry_uuid, status = value
                    self.state.entries[entry_uuid]["status"] = status
                else:
                    old, new = value
                    self.state.entries[old["entry_uuid"]]["status"] = xds.DEPRECATED
                    self.state.entries[new["entry_uuid"]] = new
            self.state._save()
        return _registry_response(None)

    def _owned(self, entry_uuid: str, claims, patient_id: str) -> dict:
        entry = self.state.entries.get(entry_uuid)
        if entry is None or entry["patient_id"] != patient_id:
            raise RegistryFailure(errors.UNKNOWN_DOCUMENT, "document inconnu")
        if entry["structure"] != claims.structure_id:
            raise Fault(
                errors.ACCESS_REFUSED, "seule la structure auteur peut modifier ce document"
            )
        return entry

    def _check_update(self, claims, objects, patient_id) -> list:
        changes = []
        current_by_lid = {
            e["lid"]: e for e in self.state.entries.values() if e["status"] != xds.DEPRECATED
        }
        for association in objects.findall("rim:Association", xds.NS):
            if association.get("associationType") != xds.UPDATE_STATUS:
                continue
            entry = self._owned(association.get("targetObject", ""), claims, patient_id)
            original = xds.slot_value(association, "OriginalStatus")
            new = xds.slot_value(association, "NewStatus")
            if original != entry["status"]:
                raise RegistryFailure("XDSMetadataUpdateError", "statut d'origine différent")
            if new not in (xds.DELETED, xds.ARCHIVED, xds.APPROVED):
                raise RegistryFailure("XDSRegistryMetadataError", "nouveau statut non accepté")
            changes.append(("status", (entry["entry_uuid"], new)))
        for obj in objects.findall("rim:ExtrinsicObject", xds.NS):
            current = current_by_lid.get(obj.get("lid", ""))
            if current is None:
                raise RegistryFailure(errors.UNKNOWN_DOCUMENT, "document inconnu")
            self._owned(current["entry_uuid"], claims, patient_id)
            membership = next(
                (
                    a
                    for a in objects.findall("rim:Association", xds.NS)
                    if a.get("associationType") == xds.HAS_MEMBER
                    and a.get("targetObject") == obj.get("id")
                ),
                None,
            )
            if membership is None or xds.slot_value(membership, "PreviousVersion") != str(
                current["version"]
            ):
                raise RegistryFailure("XDSMetadataVersionError", "version précédente différente")
            if xds.external_id(obj, xds.DE_UNIQUE_ID) != current["unique_id"]:
                raise RegistryFailure("XDSRegistryMetadataError", "le uniqueId ne peut pas changer")
            if not xds.classifications(obj, xds.DE_CONFIDENTIALITY):
                raise RegistryFailure("XDSRegistryMetadataError", "confidentialityCode absent")
            obj.set("status", current["status"])
            _set_slot(obj, "repositoryUniqueId", REPOSITORY_ID)
            new = dict(current)
            new.update(
                entry_uuid=obj.get("id", ""),
                version=current["version"] + 1,
                metadata=etree.tostring(obj).decode("utf-8"),
            )
            changes.append(("version", (current, new)))
        if not changes:
            raise RegistryFailure("XDSRegistryMetadataError", "aucune mise à jour")
        return changes

    # ITI-43 ----------------------------------------------------------------------------
    def _retrieve(self, claims, request, parts):
        self._require_open(claims)
        self._require_authorised(claims)
        item = request.find("xdsb:DocumentRequest", xds.NS)
        if request.tag != f"{{{xds.NS_XDSB}}}RetrieveDocumentSetRequest" or item is None:
            raise Fault(errors.REQUEST_INVALID, "RetrieveDocumentSetRequest attendue")
        repository = item.findtext("xdsb:RepositoryUniqueId", "", xds.NS).strip()
        unique_id = item.findtext("xdsb:DocumentUniqueId", "", xds.NS).strip()
        response = etree.Element(f"{{{xds.NS_XDSB}}}RetrieveDocumentSetResponse", nsmap=xds.NS)
        every = {xds.APPROVED, xds.DEPRECATED, xds.ARCHIVED}
        with self.state.lock:
            entry = next(
                (
                    e
                    for e in self.state.entries.values()
                    if e["unique_id"] == unique_id and self._visible(e, claims, every)
                ),
                None,
            )
            content = self.state.documents.get(unique_id)
        if repository != REPOSITORY_ID:
            failure = RegistryFailure("XDSUnknownRepositoryId", "entrepôt inconnu")
            response.append(_registry_response(failure))
            return response
        if entry is None or content is None:
            failure = RegistryFailure("XDSDocumentUniqueIdError", "document inconnu")
            response.append(_registry_response(failure))
            return response
        response.append(_registry_response(None))
        document = etree.SubElement(response, f"{{{xds.NS_XDSB}}}DocumentResponse")
        etree.SubElement(document, f"{{{xds.NS_XDSB}}}RepositoryUniqueId").text = REPOSITORY_ID
        etree.SubElement(document, f"{{{xds.NS_XDSB}}}DocumentUniqueId").text = unique_id
        mime = soap.parse_xml(entry["metadata"].encode("utf-8")).get("mimeType", "text/xml")
        etree.SubElement(document, f"{{{xds.NS_XDSB}}}mimeType").text = mime
        cid = f"doc.{uuid.uuid4().hex}@dmp"
        holder = etree.SubElement(document, f"{{{xds.NS_XDSB}}}Document")
        etree.SubElement(holder, f"{{{xds.NS_XOP}}}Include", href=f"cid:{cid}")
        action = "urn:ihe:iti:2007:RetrieveDocumentSet"
        return soap.build_mtom(
            self._envelope(response, action), {cid: content}, action=action + "Response"
        )


def _unquote(value: str) -> list[str]:
    """["a", "b"] from "('a','b')" (stored query parameter lists)."""
    value = value.strip()
    if value.startswith("(") and value.endswith(")"):
        value = value[1:-1]
    return [v.strip().strip("'").replace("''", "'") for v in value.split(",") if v.strip()]


def _set_slot(obj, name: str, value: str) -> None:
    for slot in obj.findall("rim:Slot", xds.NS):
        if slot.get("name") == name:
            obj.remove(slot)
    slot = etree.Element(f"{{{xds.NS_RIM}}}Slot", name=name)
    etree.SubElement(
        etree.SubElement(slot, f"{{{xds.NS_RIM}}}ValueList"), f"{{{xds.NS_RIM}}}Value"
    ).text = value
    obj.insert(0, slot)


def _entry_element(entry: dict):
    obj = soap.parse_xml(entry["metadata"].encode("utf-8"))
    obj.set("status", entry["status"])
    obj.set("lid", entry["lid"])
    version = obj.find("rim:VersionInfo", xds.NS)
    if version is None:
        version = etree.SubElement(obj, f"{{{xds.NS_RIM}}}VersionInfo")
    version.set("versionName", str(entry["version"]))
    return obj


def _registry_response(failure: RegistryFailure | None):
    response = etree.Element(f"{{{xds.NS_RS}}}RegistryResponse", nsmap={"rs": xds.NS_RS})
    if failure is None:
        response.set("status", xds.RESPONSE_SUCCESS)
        return response
    response.set("status", xds.RESPONSE_FAILURE)
    error_list = etree.SubElement(response, f"{{{xds.NS_RS}}}RegistryErrorList")
    etree.SubElement(
        error_list,
        f"{{{xds.NS_RS}}}RegistryError",
        errorCode=failure.code,
        codeContext=failure.context,
        severity=xds.ERROR_SEVERITY,
    )
    return response


def _query_failure(code: str, context: str):
    response = etree.Element(f"{{{xds.NS_QUERY}}}AdhocQueryResponse", nsmap=xds.NS)
    response.set("status", xds.RESPONSE_FAILURE)
    error_list = etree.SubElement(response, f"{{{xds.NS_RS}}}RegistryErrorList")
    etree.SubElement(
        error_list,
        f"{{{xds.NS_RS}}}RegistryError",
        errorCode=code,
        codeContext=context,
        severity=xds.ERROR_SEVERITY,
    )
    return response


# WSGI / TLS server -------------------------------------------------------------------------
def _app(simulator: Simulator):
    def app(environ, start_response):
        def answer(status: int, content_type: str, body: bytes):
            reason = {
                200: "OK",
                400: "Bad Request",
                404: "Not Found",
                405: "Method Not Allowed",
                413: "Payload Too Large",
                500: "Internal Server Error",
                503: "Service Unavailable",
            }
            start_response(
                f"{status} {reason.get(status, 'Error')}",
                [("Content-Type", content_type), ("Content-Length", str(len(body)))],
            )
            return [body]

        path = environ.get("PATH_INFO", "")
        service = path.removeprefix(PATH + "/") if path.startswith(PATH + "/") else ""
        if service not in SERVICE_ACTIONS:
            return answer(404, "text/plain", b"unknown service\n")
        if environ.get("REQUEST_METHOD") != "POST":
            return answer(405, "text/plain", b"POST only\n")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_REQUEST:
            fault = soap.build_fault(errors.TOO_LARGE, errors.FAULT_MESSAGES[errors.TOO_LARGE][0])
            return answer(413, soap.soap_content_type(""), fault)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            status, content_type, data = simulator.handle(
                service, environ.get("CONTENT_TYPE", ""), body, environ.get("opendui.client_cert")
            )
        except Exception:  # never a traceback to the client; the simulator's own bug
            fault = soap.build_fault(
                "XDSRegistryError", "Erreur interne du simulateur.", sender=False
            )
            return answer(500, soap.soap_content_type(""), fault)
        return answer(status, content_type, data)

    return app


class _Handler(WSGIRequestHandler):
    def get_environ(self):
        environ = super().get_environ()
        getpeercert = getattr(self.connection, "getpeercert", None)
        environ["opendui.client_cert"] = getpeercert(binary_form=True) if getpeercert else None
        return environ

    def log_message(self, format, *args):
        pass


class _TlsServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    ssl_context: ssl.SSLContext | None = None

    def finish_request(self, request, client_address):
        # The handshake runs in the request's own thread: a slow client blocks nobody.
        request.settimeout(30)
        try:
            request = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            request.close()
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    pki_dir: str | Path,
    store: str | Path | None = None,
    state: SimulatorState | None = None,
):
    """Start the simulator in a daemon thread: (server, thread, base URL of the services).

    `server.simulator.state` is the `SimulatorState` to steer. `server.shutdown()` stops it.
    """
    pki = ensure_test_pki(pki_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(pki.server_cert), str(pki.server_key))
    context.load_verify_locations(cafile=str(pki.ca_cert))
    context.verify_mode = ssl.CERT_REQUIRED
    simulator = Simulator(pki.ca_cert.read_bytes(), state or SimulatorState(store))
    server = make_server(
        host, port, _app(simulator), server_class=_TlsServer, handler_class=_Handler
    )
    server.ssl_context = context
    server.simulator = simulator
    thread = threading.Thread(target=server.serve_forever, name="dmp-simulator", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return server, thread, f"https://{bound_host}:{bound_port}{PATH}"
