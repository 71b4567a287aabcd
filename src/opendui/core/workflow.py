"""The refusal of a status change along a transition table, as a French sentence.

Pure (no Django import): each module keeps its statuses, labels and table in its own
`rules.py` and asks this one function why a change is refused, so every workflow
explains itself the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from enum import StrEnum


def transition_problem(
    statuses: type[StrEnum],
    label: Callable[[StrEnum], str],
    transitions: Mapping[StrEnum, Collection[StrEnum]],
    current: str,
    target: str,
    *,
    subject: str,
    unknown: str,
    final_note: str = "",
) -> str | None:
    """None when `current` → `target` is in `transitions`, else why not.

    `subject` names the object as a sentence subject ("la demande"); `unknown` is the
    message for a status outside `statuses`, which may use `{bad}`; `final_note` is added
    when the current status allows no change at all.
    """
    try:
        cur, tgt = statuses(current), statuses(target)
    except ValueError:
        bad = target if current in statuses._value2member_map_ else current
        return unknown.format(bad=bad)
    subject_cap = subject[:1].upper() + subject[1:]
    if cur == tgt:
        return f"{subject_cap} est déjà au statut « {label(cur)} »."
    allowed = transitions[cur]
    if not allowed:
        return f"{subject_cap} est au statut « {label(cur)} », qui est définitif{final_note}."
    if tgt not in allowed:
        options = [s for s in statuses if s in allowed]
        heading = "Statut possible" if len(options) == 1 else "Statuts possibles"
        listed = ", ".join(f"« {label(s)} »" for s in options)
        return (
            f"Impossible de passer {subject} de « {label(cur)} » à « {label(tgt)} ». "
            f"{heading} : {listed}."
        )
    return None
