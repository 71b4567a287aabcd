"""SOAP 1.2 envelopes of the DMP, MTOM/XOP packaging, and SOAP fault reading.

Requests carry WS-Addressing (`MessageID` urn:uuid, `To`, `Action` mustUnderstand) and a
`wsse:Security` header holding the signed VIHF. ITI-41 requests and ITI-43 responses are
MTOM: a `multipart/related; type="application/xop+xml"` message whose root part is the
envelope and whose other parts are the documents, referenced by `xop:Include href="cid:…"`.
The multipart is built and split here by hand on the exact bytes (no line-ending
rewriting, binary parts kept intact): the `email` package would re-encode them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from lxml import etree

from .errors import BAD_RESPONSE, error_for_code, local_error

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://www.w3.org/2005/08/addressing"
NS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
NS_XOP = "http://www.w3.org/2004/08/xop/include"
SOAP_CONTENT_TYPE = "application/soap+xml"
XOP_CONTENT_TYPE = "application/xop+xml"
NS = {"soap": NS_SOAP, "wsa": NS_WSA, "wsse": NS_WSSE, "xop": NS_XOP}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML without entities nor network (raises etree.XMLSyntaxError)."""
    return etree.fromstring(data, _PARSER)


def envelope(
    body: etree._Element, *, action: str, to: str, vihf: etree._Element | None = None
) -> tuple[etree._Element, str]:
    """(SOAP 1.2 Envelope, its MessageID) around `body` with addressing and security."""
    root = etree.Element(
        f"{{{NS_SOAP}}}Envelope", nsmap={"soap": NS_SOAP, "wsa": NS_WSA, "wsse": NS_WSSE}
    )
    header = etree.SubElement(root, f"{{{NS_SOAP}}}Header")
    message_id = f"urn:uuid:{uuid.uuid4()}"
    etree.SubElement(header, f"{{{NS_WSA}}}MessageID").text = message_id
    etree.SubElement(header, f"{{{NS_WSA}}}To").text = to
    action_element = etree.SubElement(header, f"{{{NS_WSA}}}Action")
    action_element.set(f"{{{NS_SOAP}}}mustUnderstand", "true")
    action_element.text = action
    if vihf is not None:
        security = etree.SubElement(header, f"{{{NS_WSSE}}}Security")
        security.set(f"{{{NS_SOAP}}}mustUnderstand", "true")
        security.append(vihf)
    etree.SubElement(root, f"{{{NS_SOAP}}}Body").append(body)
    return root, message_id


def serialize(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


def soap_content_type(action: str) -> str:
    return f'{SOAP_CONTENT_TYPE}; charset=UTF-8; action="{action}"'


@dataclass(frozen=True)
class Multipart:
    """A MIME multipart/related message: its Content-Type header and its body bytes."""

    content_type: str
    body: bytes


def build_mtom(root_xml: bytes, attachments: dict[str, bytes], *, action: str) -> Multipart:
    """The MTOM message: the XOP root part (`root_xml`) then one binary part per attachment."""
    boundary = f"MIMEBoundary_{uuid.uuid4().hex}"
    root_id = f"root.{uuid.uuid4().hex}@opendui"
    chunks = [
        f"--{boundary}\r\n"
        f'Content-Type: {XOP_CONTENT_TYPE}; charset=UTF-8; type="{SOAP_CONTENT_TYPE}"\r\n'
        "Content-Transfer-Encoding: binary\r\n"
        f"Content-ID: <{root_id}>\r\n\r\n".encode("ascii"),
        root_xml,
        b"\r\n",
    ]
    for cid, content in attachments.items():
        chunks += [
            f"--{boundary}\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: binary\r\n"
            f"Content-ID: <{cid}>\r\n\r\n".encode("ascii"),
            content,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    content_type = (
        f'multipart/related; boundary="{boundary}"; type="{XOP_CONTENT_TYPE}"; '
        f'start="<{root_id}>"; start-info="{SOAP_CONTENT_TYPE}"; action="{action}"'
    )
    return Multipart(content_type, b"".join(chunks))


class MimeError(ValueError):
    """A multipart message that cannot be read (French message)."""


_PARAM = re.compile(r';\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]+)')


def content_type_params(content_type: str) -> tuple[str, dict[str, str]]:
    """('multipart/related', {'boundary': …, 'start': …}) from a Content-Type value."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    params = {}
    for name, value in _PARAM.findall(content_type):
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"')
        params[name.lower()] = value
    return media_type, params


@dataclass(frozen=True)
class Part:
    content_id: str
    content_type: str
    content: bytes


def parse_multipart(content_type: str, body: bytes) -> tuple[Part, dict[str, Part]]:
    """(root part, {content id: part}) of a multipart/related message."""
    media_type, params = content_type_params(content_type)
    boundary = params.get("boundary", "")
    if media_type != "multipart/related" or not boundary:
        raise MimeError("message MIME multipart/related attendu")
    delimiter = b"--" + boundary.encode("latin-1")
    pieces = body.split(delimiter)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise MimeError("message MIME tronqué (délimiteur final absent)")
    parts: list[Part] = []
    for piece in pieces[1:-1]:
        if piece.startswith(b"\r\n"):
            piece = piece[2:]
        elif piece.startswith(b"\n"):
            piece = piece[1:]
        head, separator, content = piece.partition(b"\r\n\r\n")
        if not separator:
            head, separator, content = piece.partition(b"\n\n")
        if not separator:
            raise MimeError("partie MIME sans en-têtes")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        elif content.endswith(b"\n"):
            content = content[:-1]
        headers = {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        encoding = headers.get("content-transfer-encoding", "binary").lower()
        if encoding == "base64":
            import base64

            content = base64.b64decode(content)
        elif encoding not in ("binary", "8bit", "7bit"):
            raise MimeError(f"encodage de transfert non pris en charge : {encoding}")
        cid = headers.get("content-id", "").strip().strip("<>")
        parts.append(Part(cid, headers.get("content-type", ""), content))
    if not parts:
        raise MimeError("message MIME sans partie")
    start = params.get("start", "").strip("<>")
    root = next((p for p in parts if p.content_id == start), parts[0]) if start else parts[0]
    return root, {p.content_id: p for p in parts if p is not root}


def resolve_includes(
    element: etree._Element, parts: dict[str, Part]
) -> dict[etree._Element, bytes]:
    """{element holding an xop:Include: the bytes of the part it points to}."""
    found = {}
    for include in element.iter(f"{{{NS_XOP}}}Include"):
        href = include.get("href", "")
        cid = href.removeprefix("cid:")
        from urllib.parse import unquote

        part = parts.get(cid) or parts.get(unquote(cid))
        if part is None:
            raise MimeError(f"partie MIME {href} référencée mais absente")
        found[include.getparent()] = part.content
    return found


@dataclass(frozen=True)
class SoapFault:
    code: str  # the subcode (or the code) without prefix
    reason: str


def fault_of(root: etree._Element) -> SoapFault | None:
    fault = root.find("soap:Body/soap:Fault", NS)
    if fault is None:
        return None
    values = [v.text or "" for v in fault.iterfind(".//soap:Code//soap:Value", NS)]
    code = (values[-1] if values else "").rpartition(":")[2]
    reason = (fault.findtext("soap:Reason/soap:Text", default="", namespaces=NS) or "").strip()
    return SoapFault(code, reason)


def body_of(root: etree._Element) -> etree._Element:
    """The first element of the Body of a response envelope; raise the mapped DmpError
    for a fault, DmpUnavailable for anything that is not a SOAP 1.2 envelope."""
    if root.tag != f"{{{NS_SOAP}}}Envelope":
        raise local_error(BAD_RESPONSE)
    fault = fault_of(root)
    if fault is not None:
        raise error_for_code(fault.code, fault.reason)
    body = root.find("soap:Body", NS)
    if body is None or len(body) == 0:
        raise local_error(BAD_RESPONSE)
    return body[0]


def build_fault(code: str, reason: str, *, sender: bool = True) -> bytes:
    """A SOAP 1.2 fault with `code` as subcode (the simulator's answers)."""
    root = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap={"soap": NS_SOAP})
    body = etree.SubElement(root, f"{{{NS_SOAP}}}Body")
    fault = etree.SubElement(body, f"{{{NS_SOAP}}}Fault")
    code_element = etree.SubElement(fault, f"{{{NS_SOAP}}}Code")
    etree.SubElement(code_element, f"{{{NS_SOAP}}}Value").text = (
        "soap:Sender" if sender else "soap:Receiver"
    )
    sub = etree.SubElement(code_element, f"{{{NS_SOAP}}}Subcode")
    etree.SubElement(sub, f"{{{NS_SOAP}}}Value").text = f"soap:{code}"
    text = etree.SubElement(etree.SubElement(fault, f"{{{NS_SOAP}}}Reason"), f"{{{NS_SOAP}}}Text")
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    text.text = reason
    return serialize(root)
