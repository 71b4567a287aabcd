"""Hash chain of the audit trail: pure functions, no Django import.

Each event's hash covers its content and the previous event's hash, so that
changing, inserting or removing a row breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(content: Mapping[str, Any]) -> bytes:
    """Stable byte form of an event's content (sorted keys, no spaces)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"|" + canonical(content)).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


def verify_chain(
    rows: Iterable[tuple[int, str, str, Mapping[str, Any]]],
    head: tuple[int, str] | None,
) -> list[ChainProblem]:
    """Check rows given as (seq, prev_hash, hash, content), in seq order.

    `head` is the (seq, hash) the writer recorded last; it catches the removal
    of the newest rows, which the chain alone cannot see.
    """
    problems: list[ChainProblem] = []
    expected_seq = 1
    previous_hash = GENESIS
    for seq, prev_hash, stored_hash, content in rows:
        if seq != expected_seq:
            if seq > expected_seq:
                missing = (
                    f"{expected_seq}"
                    if seq == expected_seq + 1
                    else (f"{expected_seq} à {seq - 1}")
                )
                problems.append(ChainProblem(seq, f"événement(s) n° {missing} supprimé(s)"))
            else:
                problems.append(ChainProblem(seq, "numéro d'événement en double ou désordonné"))
        if prev_hash != previous_hash:
            problems.append(
                ChainProblem(seq, "le lien vers l'événement précédent est rompu (ligne insérée ?)")
            )
        if event_hash(prev_hash, content) != stored_hash:
            problems.append(
                ChainProblem(seq, "le contenu ne correspond plus à son empreinte (ligne modifiée)")
            )
        previous_hash = stored_hash
        expected_seq = seq + 1
    last_seq = expected_seq - 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq > last_seq:
            problems.append(
                ChainProblem(
                    head_seq,
                    f"événement(s) n° {last_seq + 1} à {head_seq} supprimé(s) en fin de journal",
                )
            )
        elif head_seq == last_seq and head_hash != previous_hash:
            problems.append(
                ChainProblem(head_seq, "le dernier événement ne correspond pas à la tête de chaîne")
            )
        elif head_seq < last_seq:
            problems.append(ChainProblem(head_seq + 1, "événements ajoutés hors du journal"))
    return problems
