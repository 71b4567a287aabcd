"""Password strength per the CNIL recommendation (délibération 2022-100).

A password used alone must carry about 80 bits of entropy: 12 characters mixing
upper case, lower case, digits and special characters, or an equivalent mix of
more characters from fewer classes.
"""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Minimum length for each number of character classes used (about 80 bits).
MIN_LENGTH_FOR_CLASSES = {4: 12, 3: 14, 2: 16, 1: 20}


def character_classes(password: str) -> int:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() or c in string.punctuation for c in password),
    ]
    return sum(classes)


def password_problem(password: str) -> str | None:
    """None when strong enough, else the French sentence that says what to add."""
    classes = character_classes(password)
    needed = MIN_LENGTH_FOR_CLASSES[max(classes, 1)]
    if len(password) >= needed:
        return None
    return _(
        "Le mot de passe doit comporter au moins 12 caractères mêlant majuscules, "
        "minuscules, chiffres et caractères spéciaux (ou au moins 14 caractères avec trois "
        "de ces types, 16 avec deux)."
    )


class CnilPasswordValidator:
    def validate(self, password: str, user=None) -> None:
        problem = password_problem(password)
        if problem:
            raise ValidationError(problem, code="password_too_weak")

    def get_help_text(self) -> str:
        return _(
            "Au moins 12 caractères avec majuscules, minuscules, chiffres et caractères spéciaux."
        )
