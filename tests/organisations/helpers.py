"""Form data builders for the organisation administration tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import valid_finess, valid_siret


def organisation_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Association Les Chemins",
        "finess_ej": valid_finess("13000042"),
        "siret": valid_siret("4200000420001"),
        "legal_status": "association",
        "address": "12 rue de la République",
        "postal_code": "13001",
        "city": "Marseille",
    }
    data.update(overrides)
    return data


def facility_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "MAS Le Verger",
        "finess_et": valid_finess("75000050"),
        "siret": valid_siret("7750000010050"),
        "category": "255",
        "couloir": "",
        "capacity_permanent": "42",
        "capacity_temporary": "2",
        "capacity_day_care": "0",
        "capacity_service": "0",
        "address": "3 allée des Pommiers",
        "postal_code": "75012",
        "city": "Paris",
        "mssante_address": "accueil@mas-verger.mssante.fr",
    }
    data.update(overrides)
    return data


def edit_data(instance: Any, fields: list[str], **overrides: Any) -> dict[str, Any]:
    """The POST an edit form sends back unchanged, plus `overrides`."""
    data: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        value = getattr(instance, field.attname)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else str(value)
    data["expected_version"] = str(instance.version)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


FACILITY_FIELDS = [
    "name",
    "finess_et",
    "siret",
    "category",
    "couloir",
    "capacity_permanent",
    "capacity_temporary",
    "capacity_day_care",
    "capacity_service",
    "address",
    "postal_code",
    "city",
    "mssante_address",
    "is_active",
]
ORGANISATION_FIELDS = [
    "name",
    "finess_ej",
    "siret",
    "legal_status",
    "address",
    "postal_code",
    "city",
]
UNIT_FIELDS = ["name", "is_active"]


def form_token(client: Any, url: str) -> str:
    """Open a creation page and return the one-time token it issued."""
    response = client.get(url)
    assert response.status_code == 200
    return response.context["form_token"]
