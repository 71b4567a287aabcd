"""The interface other apps use to draft PP needs (e.g. from an evaluation).

`services.add_needs(actor, project, suggestions)` takes a list of NeedSuggestion: each
code must be a SERAFIN-PH besoin (J285); an unknown or wrong code refuses the whole
list (nothing saved), so a draft never holds half an evaluation's suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NeedSuggestion:
    code: str  # SERAFIN-PH besoin, value set J285 (e.g. "1.1.1.1")
    description: str  # what was observed, in plain French
    source: str  # where it comes from, e.g. "évaluation n°12 du 03/02/2026"
