"""Form helpers: concurrent-edit detection and protection against double submission."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.http import HttpRequest

TOKENS_KEY = "form_tokens"
MAX_TOKENS = 50


class VersionedFormMixin(forms.Form):
    """Carries the version of the row the user loaded, checked on save (core.services)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is not None:
            self.fields["expected_version"].initial = instance.version


def issue_form_token(request: HttpRequest) -> str:
    """A one-time token for a creation form, kept in the session until used."""
    token = secrets.token_urlsafe(16)
    tokens = request.session.get(TOKENS_KEY, [])[-MAX_TOKENS + 1 :]
    request.session[TOKENS_KEY] = [*tokens, token]
    return token


def consume_form_token(request: HttpRequest, token: str | None) -> bool:
    """True the first time a token is presented; False for a replay (double submission)."""
    tokens = request.session.get(TOKENS_KEY, [])
    if not token or token not in tokens:
        return False
    tokens.remove(token)
    request.session[TOKENS_KEY] = tokens
    return True
