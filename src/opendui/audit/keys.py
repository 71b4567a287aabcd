"""The audit chain's secret keys: read from the environment or a file, never from the database.

The keyed chain (seals, anchors) is an HMAC with a key the database does not hold,
so that a database administrator who rewrites rows cannot recompute the seals.

Where the keys come from, first match wins:

1. `OPENDUI_AUDIT_KEY`: the keys themselves;
2. `OPENDUI_AUDIT_KEY_FILE`: a file holding them (readable by the application only);
3. the demo key file (`var/audit-demo.key`), which `opendui demo` creates on first
   start; `opendui check --deploy` refuses it.

Both hold one or more keys separated by white space or new lines (lines starting with
`#` are comments): the **last** key seals and anchors; the earlier ones are retired
keys, kept only to verify what they sealed (rotation: append a new key, keep the old
lines). A key is at least 32 non-blank characters, e.g.
`python -c "import secrets; print(secrets.token_hex(32))"`. Each key is named in the
chain by its id, a short hash of it, so that rotation needs no other setting.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

MIN_KEY_LENGTH = 32

# Where the key came from.
FROM_ENVIRONMENT = "environment"
FROM_FILE = "file"
FROM_DEMO_FILE = "demo"


class AuditKeyError(Exception):
    """No usable key: the message is a French sentence for the operator."""

    @property
    def public_message(self) -> str:
        """Shown on a failed background job (jobs.tasks.public_message): no personal data."""
        return str(self)


def key_id(key: bytes) -> str:
    """The public name of a key in the chain: 16 hex characters of a hash of it."""
    return hashlib.sha256(b"opendui-audit-key-id:" + key).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]  # key id -> key, every key (current and retired)
    current_id: str
    source: str  # FROM_ENVIRONMENT, FROM_FILE or FROM_DEMO_FILE
    path: str = ""

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]

    def get(self, identifier: str) -> bytes | None:
        return self.keys.get(identifier)


def parse_keys(text: str, source: str, path: str = "") -> Keyring:
    """Keys from the text of OPENDUI_AUDIT_KEY or of a key file (the last one is current)."""
    tokens = [
        token
        for line in text.splitlines()
        if not line.lstrip().startswith("#")
        for token in line.split()
    ]
    if not tokens:
        raise AuditKeyError(f"Aucune clé d'audit dans {_where(source, path)}.")
    short = [t for t in tokens if len(t) < MIN_KEY_LENGTH]
    if short:
        raise AuditKeyError(
            f"Clé d'audit trop courte dans {_where(source, path)} : au moins "
            f"{MIN_KEY_LENGTH} caractères (par exemple 64 caractères hexadécimaux aléatoires)."
        )
    keys = {key_id(t.encode()): t.encode() for t in tokens}
    return Keyring(keys, key_id(tokens[-1].encode()), source, path)


def _where(source: str, path: str) -> str:
    return "OPENDUI_AUDIT_KEY" if source == FROM_ENVIRONMENT else f"le fichier {path}"


def _read(path: str, source: str) -> Keyring:
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise AuditKeyError(
            f"Fichier de clé d'audit illisible : {path} ({error.strerror or error})."
        ) from error
    return parse_keys(text, source, path)


def load_keyring() -> Keyring:
    """The configured keys; AuditKeyError (French) when none is configured or readable."""
    if settings.AUDIT_KEY:
        return parse_keys(settings.AUDIT_KEY, FROM_ENVIRONMENT)
    if settings.AUDIT_KEY_FILE:
        return _read(settings.AUDIT_KEY_FILE, FROM_FILE)
    demo = Path(settings.AUDIT_DEMO_KEY_FILE)
    if demo.exists():
        return _read(str(demo), FROM_DEMO_FILE)
    raise AuditKeyError(
        "Aucune clé d'audit : définissez OPENDUI_AUDIT_KEY ou OPENDUI_AUDIT_KEY_FILE "
        "(clé gardée hors de la base de données)."
    )


def ensure_demo_key() -> Path | None:
    """Create the demo key file when no key is configured; its path when created.

    The demo must work with no setting; its key lives under var/, next to the demo
    database, so anyone who copies the database without the file cannot seal."""
    if settings.AUDIT_KEY or settings.AUDIT_KEY_FILE:
        return None
    path = Path(settings.AUDIT_DEMO_KEY_FILE)
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x") as handle:
        handle.write(
            "# Clé de la démonstration (journal d'audit) : refusée par "
            "`opendui check --deploy`.\n" + secrets.token_hex(32) + "\n"
        )
    path.chmod(0o600)
    return path
