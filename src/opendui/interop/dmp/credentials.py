"""The establishment certificate and key that sign the VIHF and the XAdES submission signature."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization


@dataclass(frozen=True)
class Credentials:
    """PEM bytes of the establishment certificate and its private key."""

    cert_pem: bytes
    key_pem: bytes

    @classmethod
    def from_files(cls, cert_file: str | Path, key_file: str | Path) -> Credentials:
        return cls(Path(cert_file).read_bytes(), Path(key_file).read_bytes())

    @cached_property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    @cached_property
    def private_key(self):
        return serialization.load_pem_private_key(self.key_pem, password=None)

    @property
    def subject_dn(self) -> str:
        """The certificate's subject as an RFC 4514 string (the VIHF Issuer)."""
        return self.certificate.subject.rfc4514_string()
