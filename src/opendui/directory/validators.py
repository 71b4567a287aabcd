"""Django validators over core.identifiers (the checks themselves are pure functions there)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from opendui.core import identifiers, phones


def _raise(problem: str | None, code: str) -> None:
    if problem:
        raise ValidationError(problem, code=code)


# Plain module-level functions (not built by a factory): migrations refer to them by name.
def validate_rpps(value: str) -> None:
    if value:
        _raise(identifiers.rpps_problem(value), "rpps")


def validate_adeli(value: str) -> None:
    if value:
        _raise(identifiers.adeli_problem(value), "adeli")


def validate_idnat_ps(value: str) -> None:
    if value:
        _raise(identifiers.idnat_ps_problem(value), "idnat_ps")


def validate_finess(value: str) -> None:
    if value:
        _raise(identifiers.finess_problem(value), "finess")


def validate_siret(value: str) -> None:
    if value:
        _raise(identifiers.siret_problem(value), "siret")


def validate_phone(value: str) -> None:
    if value:
        _raise(phones.phone_problem(value), "phone")


def validate_mssante(value: str) -> None:
    if value:
        _raise(identifiers.mssante_address_problem(value), "mssante")


def validate_mssante_list(values: list) -> None:
    """A list of MSSanté addresses (JSON column)."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError("Liste d'adresses MSSanté invalide.", code="mssante")
    for value in values:
        validate_mssante(value)
