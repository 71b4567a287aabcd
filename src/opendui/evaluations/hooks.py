"""Hooks of the evaluations for the apps above them (documents).

evaluations sits below documents (tests/core/test_layering.py): it cannot import the
document store, yet a validated AGGIR grid must become a stored document of the person
(documents/evaluation_pdf.py), which the DMP feed then shares. So the store plugs in here
from its AppConfig.ready():

- `on_aggir_validated(listener)`: `listener(actor, evaluation)` is called by
  `services.change_aggir_status` inside the validation's transaction, once the grid is
  VALIDE. A listener must be quick (enqueue a job): it runs in the user's request, and an
  exception rolls the validation back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opendui.core.actor import Actor

    from .models import AggirEvaluation

AGGIR_VALIDATED_LISTENERS: list[Callable[..., None]] = []


def on_aggir_validated(listener: Callable[..., None]) -> None:
    """Register `listener(actor, evaluation)`, called when an AGGIR grid is validated."""
    if listener not in AGGIR_VALIDATED_LISTENERS:
        AGGIR_VALIDATED_LISTENERS.append(listener)


def aggir_validated(actor: Actor, evaluation: AggirEvaluation) -> None:
    """Tell every listener that `evaluation` was just validated."""
    for listener in AGGIR_VALIDATED_LISTENERS:
        listener(actor, evaluation)
