"""Password strength per the CNIL recommendation (délibération 2022-100).

A password used alone must carry about 80 bits of entropy: 12 characters mixing
upper case, lower case, digits and special characters, or an equivalent mix of
more characters from fewer classes.
"""

from __future__ import annotations

import secrets
import string

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import password_rules

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


class CommonPasswordVariantsValidator(CommonPasswordValidator):
    """Django's list of common passwords, also matched once the usual decoration is taken
    off (case, accents, digits and signs around the word, letter-for-digit swaps): see
    password_rules."""

    def validate(self, password: str, user=None) -> None:
        if password_rules.is_common(password, self.passwords):
            raise ValidationError(
                _(
                    "Ce mot de passe est trop courant (il figure, à quelques chiffres, "
                    "majuscules ou signes près, parmi les mots de passe les plus utilisés)."
                ),
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return _("Pas un mot de passe courant, même décoré de chiffres ou de signes.")


class PersonalDataPasswordValidator:
    """No password containing the user's name, first name or the words of their e-mail."""

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        values = [
            getattr(user, "first_name", ""),
            getattr(user, "last_name", ""),
            getattr(user, "email", ""),
        ]
        if password_rules.personal_words_in(password, values):
            raise ValidationError(
                _(
                    "Le mot de passe ne doit contenir ni votre nom, ni votre prénom, "
                    "ni votre adresse e-mail."
                ),
                code="password_personal_data",
            )

    def get_help_text(self) -> str:
        return _("Ni votre nom, ni votre prénom, ni votre adresse e-mail.")


# No look-alike characters (0/O, 1/l/I): the password is read off a screen and typed.
_TEMPORARY_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password(user=None) -> str:
    """A random password an administrator hands over (four groups of five characters,
    about 110 bits), checked against every validator like any other."""
    from django.contrib.auth.password_validation import validate_password

    while True:
        groups = ["".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(5)) for _ in range(4)]
        candidate = "-".join(groups)
        try:
            validate_password(candidate, user)
        except ValidationError:
            continue  # e.g. no digit drawn: draw again
        return candidate
