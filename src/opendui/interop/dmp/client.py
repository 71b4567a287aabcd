"""`DmpClient`: the DMPi SOAP services over mutual TLS, one signed VIHF per call.

Each method takes the acting professional and the person: the VIHF says who acts for whom,
so it is built (and signed) for every call. Transport: `requests` with the establishment
certificate as TLS client certificate, the configured CA bundle, connect and read
timeouts. Every failure becomes a `DmpError` (errors.py) with a French message and a
`retryable` flag for the job runner. Logs carry the action, the message id and the
answer's code — never an INS, a name or a title.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass

import requests
from lxml import etree

from . import patients, soap, xds
from .config import DmpConfig
from .credentials import Credentials
from .document import DmpDocument, PatientIdentity, Professional, Visibility
from .errors import BAD_RESPONSE, TIMEOUT, TLS, UNAVAILABLE, DmpConfigurationError, local_error
from .patients import DmpPatientStatus
from .vihf import build_vihf

logger = logging.getLogger(__name__)

ACTION_FIND = "urn:ihe:iti:2007:RegistryStoredQuery"
ACTION_RETRIEVE = "urn:ihe:iti:2007:RetrieveDocumentSet"
ACTION_PUBLISH = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
ACTION_UPDATE = "urn:ihe:iti:2010:UpdateDocumentSet"
SERVICE_PATIENTS = "patients"
SERVICE_HABILITATIONS = "habilitations"
SERVICE_REGISTRY = "registry"
SERVICE_REPOSITORY = "repository"
_MAX_RESPONSE = 50_000_000


@dataclass(frozen=True)
class PublishReceipt:
    entry_uuid: str
    submission_set_unique_id: str
    unique_id: str


@dataclass(frozen=True)
class RetrievedDocument:
    mime_type: str
    content: bytes


def _ssl_cause(exc: BaseException) -> bool:
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return True
        stack.extend([current.__cause__, current.__context__])
        stack.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
        stack.append(getattr(current, "reason", None))
    return False


def _author(professional) -> Professional:
    return Professional(professional.idnat, professional.family_name, professional.given_name)


class DmpClient:
    def __init__(self, config: DmpConfig, *, session: requests.Session | None = None):
        self.config = config
        try:
            self.credentials = Credentials.from_files(config.cert_file, config.key_file)
            self.credentials.certificate  # noqa: B018 - fail now on an unreadable file
            self.credentials.private_key  # noqa: B018
        except (OSError, ValueError) as exc:
            raise DmpConfigurationError(
                "Le certificat d'établissement du DMP (OPENDUI_DMP_CERT_FILE / "
                "OPENDUI_DMP_KEY_FILE) est illisible.",
                "OPENDUI_CONFIGURATION",
            ) from exc
        self.session = session or requests.Session()

    # Transport -------------------------------------------------------------------------
    def _url(self, service: str) -> str:
        return f"{self.config.endpoint}/{service}"

    def _call(
        self,
        service: str,
        action: str,
        body: etree._Element,
        professional,
        patient: PatientIdentity,
        *,
        attachments: dict[str, bytes] | None = None,
    ) -> tuple[etree._Element, dict[str, soap.Part]]:
        """Send one request; (first element of the response Body, MTOM parts)."""
        structure = getattr(professional, "facility_finess", "")
        if not structure:
            raise DmpConfigurationError(
                "Aucun établissement n'est sélectionné : le DMP exige l'identifiant de la "
                "structure pour laquelle le professionnel agit.",
                "OPENDUI_STRUCTURE_ABSENTE",
            )
        vihf = build_vihf(
            professional,
            patient,
            structure_id=f"1{structure}",
            lps=self.config.lps,
            credentials=self.credentials,
        )
        url = self._url(service)
        envelope, message_id = soap.envelope(body, action=action, to=url, vihf=vihf)
        payload = soap.serialize(envelope)
        if attachments is not None:
            multipart = soap.build_mtom(payload, attachments, action=action)
            content_type, data = multipart.content_type, multipart.body
        else:
            content_type, data = soap.soap_content_type(action), payload
        try:
            response = self.session.post(
                url,
                data=data,
                headers={"Content-Type": content_type},
                # Per request: a session-level `verify` loses to REQUESTS_CA_BUNDLE.
                verify=self.config.ca_file or True,
                cert=(self.config.cert_file, self.config.key_file),
                timeout=(self.config.connect_timeout, self.config.read_timeout),
            )
            raw = response.content
        except requests.Timeout as exc:
            logger.warning("DMP %s %s: timeout", action, message_id)
            raise local_error(TIMEOUT) from exc
        except requests.exceptions.SSLError as exc:
            logger.warning("DMP %s %s: TLS refused", action, message_id)
            raise local_error(TLS) from exc
        except (requests.RequestException, OSError) as exc:
            code = TLS if _ssl_cause(exc) else UNAVAILABLE
            if code == UNAVAILABLE and "timed out" in str(exc).lower():
                code = TIMEOUT
            logger.warning("DMP %s %s: %s", action, message_id, code)
            raise local_error(code) from exc
        return self._read(response, raw, action, message_id)

    def _read(self, response, raw: bytes, action: str, message_id: str):
        if len(raw) > _MAX_RESPONSE:
            raise local_error(BAD_RESPONSE)
        content_type = response.headers.get("Content-Type", "")
        parts: dict[str, soap.Part] = {}
        try:
            if content_type.lower().startswith("multipart/"):
                root_part, parts = soap.parse_multipart(content_type, raw)
                raw = root_part.content
            root = soap.parse_xml(raw)
        except (soap.MimeError, etree.XMLSyntaxError) as exc:
            logger.warning(
                "DMP %s %s: HTTP %s unreadable", action, message_id, response.status_code
            )
            if response.status_code >= 500:
                raise local_error(UNAVAILABLE) from exc
            raise local_error(BAD_RESPONSE) from exc
        try:
            body = soap.body_of(root)
        except Exception as exc:
            logger.info("DMP %s %s: refused %s", action, message_id, getattr(exc, "code", ""))
            raise
        if response.status_code >= 400:
            logger.warning("DMP %s %s: HTTP %s", action, message_id, response.status_code)
            raise local_error(UNAVAILABLE if response.status_code >= 500 else BAD_RESPONSE)
        logger.info("DMP %s %s: ok", action, message_id)
        return body, parts

    # Transactions ----------------------------------------------------------------------
    def patient_status(self, professional, patient: PatientIdentity) -> DmpPatientStatus:
        """TEST_EXST: does the person have a DMP, is the professional authorised, is it closed."""
        body, _ = self._call(
            SERVICE_PATIENTS,
            patients.ACTION_TEST_EXISTENCE,
            patients.patient_status_request(patient),
            professional,
            patient,
        )
        status = patients.parse_patient_status(body)
        if status is None:
            raise local_error(BAD_RESPONSE)
        return status

    def authorise(self, professional, patient: PatientIdentity) -> None:
        """Add the professional to the person's authorised list (setAuthorization AJOUT)."""
        body, _ = self._call(
            SERVICE_HABILITATIONS,
            patients.ACTION_SET_AUTHORIZATION,
            patients.authorization_request(),
            professional,
            patient,
        )
        if not patients.authorization_ok(body):
            raise local_error(BAD_RESPONSE)

    def publish(
        self,
        professional,
        patient: PatientIdentity,
        document: DmpDocument,
        cda: bytes,
        replaces: str | None = None,
    ) -> PublishReceipt:
        """ITI-41: deposit the CDA (a new version when `replaces` names the previous entry)."""
        submission = xds.submission_request(
            document,
            cda,
            replaces=replaces,
            credentials=self.credentials,
            source_id=self.config.source_id,
        )
        body, _ = self._call(
            SERVICE_REPOSITORY,
            ACTION_PUBLISH,
            submission.request,
            professional,
            patient,
            attachments=submission.attachments,
        )
        if body.tag != f"{{{xds.NS_RS}}}RegistryResponse":
            raise local_error(BAD_RESPONSE)
        xds.raise_for_status(body)
        return PublishReceipt(
            entry_uuid=submission.entry_uuid,
            submission_set_unique_id=submission.submission_set_unique_id,
            unique_id=document.unique_id,
        )

    def _update(self, professional, patient: PatientIdentity, request: etree._Element) -> None:
        body, _ = self._call(SERVICE_REGISTRY, ACTION_UPDATE, request, professional, patient)
        if body.tag != f"{{{xds.NS_RS}}}RegistryResponse":
            raise local_error(BAD_RESPONSE)
        xds.raise_for_status(body)

    def update_visibility(
        self, professional, patient: PatientIdentity, entry: xds.DmpEntry, visibility: Visibility
    ) -> None:
        """ITI-57: change who sees the document (hidden from professionals, patient, legal
        representatives). `entry` comes from `find_documents` (its metadata is reused)."""
        request = xds.visibility_update_request(
            entry,
            visibility,
            patient=patient,
            author=_author(professional),
            source_id=self.config.source_id,
        )
        self._update(professional, patient, request)

    def delete(self, professional, patient: PatientIdentity, entry: xds.DmpEntry) -> None:
        """ITI-57: mark the document deleted in the DMP."""
        self._set_status(professional, patient, entry, xds.DELETED)

    def archive(self, professional, patient: PatientIdentity, entry: xds.DmpEntry) -> None:
        """ITI-57: mark the document archived in the DMP."""
        self._set_status(professional, patient, entry, xds.ARCHIVED)

    def _set_status(self, professional, patient, entry, status: str) -> None:
        request = xds.status_update_request(
            entry,
            status,
            patient=patient,
            author=_author(professional),
            source_id=self.config.source_id,
        )
        self._update(professional, patient, request)

    def find_documents(
        self,
        professional,
        patient: PatientIdentity,
        statuses: tuple[str, ...] = (xds.APPROVED,),
    ) -> list[xds.DmpEntry]:
        """ITI-18 FindDocuments: the person's documents this professional may see."""
        body, _ = self._call(
            SERVICE_REGISTRY,
            ACTION_FIND,
            xds.find_documents_query(patient, statuses),
            professional,
            patient,
        )
        return [e for e in xds.parse_query_response(body) if not e.is_signature]

    def get_document(
        self, professional, patient: PatientIdentity, unique_id: str
    ) -> xds.DmpEntry | None:
        """ITI-18 GetDocuments: the entry of one uniqueId (None when the DMP has none)."""
        body, _ = self._call(
            SERVICE_REGISTRY,
            ACTION_FIND,
            xds.get_documents_query([unique_id]),
            professional,
            patient,
        )
        entries = xds.parse_query_response(body)
        return entries[0] if entries else None

    def retrieve(
        self, professional, patient: PatientIdentity, entry: xds.DmpEntry
    ) -> RetrievedDocument:
        """ITI-43: the document's bytes (MTOM answer)."""
        body, parts = self._call(
            SERVICE_REPOSITORY,
            ACTION_RETRIEVE,
            xds.retrieve_request(entry.repository_unique_id, entry.unique_id),
            professional,
            patient,
        )
        if body.tag != f"{{{xds.NS_XDSB}}}RetrieveDocumentSetResponse":
            raise local_error(BAD_RESPONSE)
        status = body.find("rs:RegistryResponse", xds.NS)
        if status is None:
            raise local_error(BAD_RESPONSE)
        xds.raise_for_status(status)
        response = body.find("xdsb:DocumentResponse", xds.NS)
        if response is None:
            raise local_error(BAD_RESPONSE)
        holder = response.find("xdsb:Document", xds.NS)
        try:
            contents = soap.resolve_includes(holder, parts) if holder is not None else {}
        except soap.MimeError as exc:
            raise local_error(BAD_RESPONSE) from exc
        if holder is None:
            raise local_error(BAD_RESPONSE)
        if holder in contents:
            content = contents[holder]
        else:  # inline base64 (no MTOM)
            import base64

            content = base64.b64decode(holder.text or "")
        mime_type = (
            response.findtext("xdsb:mimeType", default="", namespaces=xds.NS) or entry.mime_type
        )
        return RetrievedDocument(mime_type=mime_type, content=content)
