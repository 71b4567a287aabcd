"""A throw-away PKI for the loopback simulators, the demo and the tests — never production.

The national services authenticate an installation by its establishment certificate
(IGC-Santé "personne morale"); the simulators need the same shape to exercise the real
code paths: mutual TLS and XML signatures that chain to a trusted authority.
`ensure_test_pki(directory)` writes, as PEM files:

- `ca.pem` / `ca.key`: a test certification authority;
- `server.pem` / `server.key`: the simulators' TLS certificate for `localhost` and 127.0.0.1;
- `establishment.pem` / `establishment.key`: the facility's client certificate, named
  like IGC-Santé organisation certificates: O = the facility's name, OU = its national
  structure identifier ("1" + FINESS), CN = the service name, C = FR.

It is idempotent: existing files are reused while they still chain to the CA and stay
valid for a while, so the demo keeps its certificates across restarts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEMO_FACILITY_NAME = "EHPAD DEMONSTRATION OPENDUI"
DEMO_FINESS = "010000016"
_KEY_BITS = 2048
_LIFETIME = dt.timedelta(days=825)
_RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class TestPki:
    """Paths of the PEM files of a test PKI."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def establishment_name(facility_name: str, finess: str) -> x509.Name:
    """The subject of an establishment certificate (IGC-Santé organisation naming)."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, facility_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"1{finess}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"DMP {finess}"),
        ]
    )


def make_ca(
    name: str = "OpenDUI TEST AC",
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A self-signed test authority (its own key)."""
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OpenDUI TEST"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + _LIFETIME * 2)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def issue(
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    subject: x509.Name,
    *,
    server_names: tuple[str, ...] = (),
    client: bool = True,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """An end-entity certificate signed by the CA: TLS server (with names) or client."""
    key = _new_key()
    now = dt.datetime.now(dt.UTC)
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else [ExtendedKeyUsageOID.SERVER_AUTH]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + _LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=client,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if server_names:
        alt: list[x509.GeneralName] = []
        for name in server_names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def write_pair(directory: Path, stem: str, cert: x509.Certificate, key: rsa.RSAPrivateKey):
    """Write `<stem>.pem` and `<stem>.key` into directory: (cert path, key path)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    _write_cert(cert_path, cert)
    _write_key(key_path, key)
    return cert_path, key_path


def _paths(directory: Path) -> TestPki:
    return TestPki(
        directory=directory,
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca.key",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        client_cert=directory / "establishment.pem",
        client_key=directory / "establishment.key",
    )


def _still_good(pki: TestPki) -> bool:
    """Every file present, each certificate chains to the CA and stays valid a while."""
    files = (pki.ca_cert, pki.ca_key, pki.server_cert, pki.server_key)
    if not all(path.is_file() for path in (*files, pki.client_cert, pki.client_key)):
        return False
    try:
        ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
        limit = dt.datetime.now(dt.UTC) + _RENEW_BEFORE
        for path in (pki.server_cert, pki.client_cert):
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            cert.verify_directly_issued_by(ca)
            if cert.not_valid_after_utc < limit:
                return False
        return ca.not_valid_after_utc >= limit
    except (ValueError, TypeError, InvalidSignature):
        return False


def load_ca(pki: TestPki) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The CA certificate and key of an existing test PKI (to issue more certificates)."""
    cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return cert, key


def ensure_test_pki(
    directory: str | Path,
    *,
    facility_name: str = DEMO_FACILITY_NAME,
    finess: str = DEMO_FINESS,
    server_names: tuple[str, ...] = ("localhost", "127.0.0.1"),
) -> TestPki:
    """The test PKI in `directory`, created when missing or no longer usable."""
    pki = _paths(Path(directory))
    if _still_good(pki):
        return pki
    ca_cert, ca_key = make_ca()
    write_pair(pki.directory, "ca", ca_cert, ca_key)
    server_subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OpenDUI TEST"),
            x509.NameAttribute(NameOID.COMMON_NAME, server_names[0]),
        ]
    )
    cert, key = issue(ca_cert, ca_key, server_subject, server_names=server_names, client=False)
    write_pair(pki.directory, "server", cert, key)
    cert, key = issue(ca_cert, ca_key, establishment_name(facility_name, finess))
    write_pair(pki.directory, "establishment", cert, key)
    return pki
