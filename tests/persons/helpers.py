"""Helpers shared by the person tests."""

from __future__ import annotations

SEARCH_URL = "/personnes/acces-exceptionnel/"
OPEN_URL = "/personnes/acces-exceptionnel/ouvrir/"


def break_glass_form(client, person, *, birth_name=None, birth_date=None) -> dict:
    """The values of the grant form the search page shows for `person` (search + token)."""
    page = client.get(
        SEARCH_URL,
        {
            "birth_name": birth_name or person.birth_name,
            "birth_date": (birth_date or person.birth_date).isoformat(),
        },
    )
    assert page.status_code == 200
    forms = [form for found, form in page.context["results"] if found.pk == person.pk]
    assert forms, f"{person} not found by the break-the-glass search"
    return dict(forms[0].initial)


def open_break_glass(client, person, reason: str):
    """Search `person` by exact birth name and birth date, then open the access."""
    return client.post(OPEN_URL, {**break_glass_form(client, person), "reason": reason})
