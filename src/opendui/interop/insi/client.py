"""INSi client: posts the SOAP 1.2 envelope and reads the answer (standard library only).

Establishment-certificate mode: the TLS client certificate (CN `INSI-AUTO` or
`INSI-MANU`) authenticates the call, so `cert`/`key` are PEM files given by
configuration. Logs carry the message id, the result code and the fault code,
never a trait nor a matricule.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import ssl
import urllib.error
import urllib.request
import uuid

from opendui.interop.insi.envelope import (
    CONTENT_TYPE_SEARCH,
    InsiFault,
    InsiResponseError,
    SearchResult,
    SearchTraits,
    build_search_request,
    parse_search_response,
)

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = (
    "Le téléservice INSi est injoignable pour le moment ; réessayez plus tard. "
    "L'identité saisie est conservée."
)
_MAX_RESPONSE = 5_000_000


class InsiUnavailable(Exception):
    """The service could not be reached or did not answer in SOAP (French message)."""

    def __init__(self, message: str = UNAVAILABLE_MESSAGE):
        super().__init__(message)
        self.message = message


class InsiClient:
    def __init__(
        self,
        endpoint: str,
        *,
        cert: str | None = None,
        key: str | None = None,
        timeout: float = 10,
        lps_name: str = "OpenDUI",
        lps_version: str = "1.0",
        emitter: str = "opendui",
        idam: str = "",
        instance: str | None = None,
        cafile: str | None = None,
    ):
        if not endpoint.lower().startswith(("http://", "https://")):
            raise ValueError("the INSi endpoint is an http(s) URL")
        self.endpoint = endpoint
        self.timeout = timeout
        self.lps_name = lps_name
        self.lps_version = lps_version
        self.emitter = emitter
        self.idam = idam
        self.instance = instance
        self._ssl_context = None
        if endpoint.lower().startswith("https:"):
            context = ssl.create_default_context(cafile=cafile)
            if cert:
                context.load_cert_chain(cert, key)
            self._ssl_context = context

    def search(
        self,
        traits: SearchTraits,
        *,
        message_id: uuid.UUID | None = None,
        now: dt.datetime | None = None,
    ) -> SearchResult:
        """`rechercherInsAvecTraitsIdentite`. Raises InsiInputError (traits cannot
        be sent), InsiFault (SOAP fault), InsiUnavailable (network, non-SOAP answer)."""
        message_id = message_id or uuid.uuid4()
        payload = build_search_request(
            traits,
            lps_name=self.lps_name,
            lps_version=self.lps_version,
            emitter=self.emitter,
            message_id=message_id,
            now=now or dt.datetime.now(dt.UTC),
            idam=self.idam,
            instance=self.instance,
        )
        body = self._post(payload, CONTENT_TYPE_SEARCH, message_id)
        try:
            result = parse_search_response(body)
        except InsiFault as fault:
            logger.warning(
                "INSi fault %s/%s (message uuid:%s)", fault.code, fault.detail_code, message_id
            )
            raise
        except InsiResponseError as exc:
            logger.warning("INSi unreadable response (message uuid:%s)", message_id)
            raise InsiUnavailable() from exc
        logger.info("INSi search CR=%s (message uuid:%s)", result.code, message_id)
        return result

    def _post(self, payload: bytes, content_type: str, message_id) -> bytes:
        # The scheme is checked in __init__ (http/https only).
        request = urllib.request.Request(  # noqa: S310
            self.endpoint,
            data=payload,
            method="POST",
            headers={"Content-Type": content_type, "Accept": "application/soap+xml"},
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=self.timeout, context=self._ssl_context
            ) as response:
                return response.read(_MAX_RESPONSE)
        except urllib.error.HTTPError as exc:
            # SOAP 1.2 faults come with HTTP 400/500: the body is the fault.
            with exc:
                body = exc.read(_MAX_RESPONSE)
            if "soap+xml" in (exc.headers.get("Content-Type") or "") and body:
                return body
            logger.warning("INSi HTTP %s (message uuid:%s)", exc.code, message_id)
            raise InsiUnavailable() from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            logger.warning("INSi unreachable: %s (message uuid:%s)", type(exc).__name__, message_id)
            raise InsiUnavailable() from exc
