"""`DmpConfig`: where the DMP is and how OpenDUI authenticates to it (OPENDUI_DMP_* settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .vihf import LpsIdentity

LPS_NAME = "OpenDUI"
# sourceId of the submission sets when none is configured: an OID of the 2.25 (UUID) arc
# fixed for OpenDUI, so every installation's submissions name the same software.
DEFAULT_SOURCE_ID = "2.25.161318376403117357004958066546412394613"


@dataclass(frozen=True)
class DmpConfig:
    endpoint: str  # base URL of the services: …/si-dmp-server/v2/services
    cert_file: str  # establishment certificate (PEM): TLS client and signatures
    key_file: str
    ca_file: str = ""  # authorities that sign the DMP's server certificate ("" = system)
    lps: LpsIdentity = field(default_factory=lambda: LpsIdentity(LPS_NAME, "", "", ""))
    source_id: str = DEFAULT_SOURCE_ID
    connect_timeout: float = 5.0
    read_timeout: float = 30.0

    @classmethod
    def from_settings(cls) -> DmpConfig:
        """The configuration of `settings.DMP_*`; DmpConfigurationError when not usable."""
        from django.conf import settings

        import opendui

        from .errors import DmpConfigurationError

        endpoint = (getattr(settings, "DMP_ENDPOINT", "") or "").strip().rstrip("/")
        if not endpoint:
            raise DmpConfigurationError(
                "Le DMP n'est pas configuré : renseignez OPENDUI_DMP_ENDPOINT, "
                "OPENDUI_DMP_CERT_FILE et OPENDUI_DMP_KEY_FILE.",
                "OPENDUI_CONFIGURATION",
            )
        if not endpoint.lower().startswith(("https://", "http://")):
            raise DmpConfigurationError(
                "OPENDUI_DMP_ENDPOINT doit être une URL https du DMP.", "OPENDUI_CONFIGURATION"
            )
        cert = (getattr(settings, "DMP_CERT_FILE", "") or "").strip()
        key = (getattr(settings, "DMP_KEY_FILE", "") or "").strip()
        if not (cert and key):
            raise DmpConfigurationError(
                "Le DMP exige le certificat d'établissement : renseignez OPENDUI_DMP_CERT_FILE "
                "et OPENDUI_DMP_KEY_FILE (fichiers PEM).",
                "OPENDUI_CONFIGURATION",
            )
        return cls(
            endpoint=endpoint,
            cert_file=cert,
            key_file=key,
            ca_file=(getattr(settings, "DMP_CA_FILE", "") or "").strip(),
            lps=LpsIdentity(
                name=LPS_NAME,
                version=opendui.__version__,
                lps_id=(getattr(settings, "DMP_LPS_ID", "") or "").strip(),
                homologation=(getattr(settings, "DMP_HOMOLOGATION", "") or "").strip(),
            ),
            source_id=(getattr(settings, "DMP_SOURCE_ID", "") or "").strip() or DEFAULT_SOURCE_ID,
            connect_timeout=float(getattr(settings, "DMP_CONNECT_TIMEOUT", 5) or 5),
            read_timeout=float(getattr(settings, "DMP_READ_TIMEOUT", 30) or 30),
        )
