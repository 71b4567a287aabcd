"""Form helpers: concurrent-edit detection and protection against double submission.

Views call `handle_creation` for creation forms and `save_or_refuse` for edit forms,
so that every page answers a replayed, refused or conflicting submission the same way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from . import fields as bounded
from .services import ConcurrentEditError

TOKENS_KEY = "form_tokens"
MAX_TOKENS = 50
CONCURRENT_EDIT = "concurrent_edit"  # code of the form error a ConcurrentEditError becomes

ALREADY_SENT = _(
    "Ce formulaire a déjà été envoyé. Rien n'a été enregistré une seconde fois : "
    "vérifiez la liste avant de recommencer."
)
DUPLICATE = _(
    "Un autre enregistrement vient d'être créé avec ce numéro ou ce nom : "
    "vérifiez la saisie. Rien n'a été enregistré."
)


class VersionedFormMixin(forms.Form):
    """Carries the version of the row the user loaded, checked on save (core.services)."""

    expected_version = bounded.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is not None:
            self.fields["expected_version"].initial = instance.version


# --- one-time tokens -------------------------------------------------------------------------


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


def _is_pending(request: HttpRequest, token: str | None) -> bool:
    """The token was issued to this session and not used yet (it is not consumed here)."""
    return bool(token) and token in request.session.get(TOKENS_KEY, [])


def creation_token(request: HttpRequest) -> str:
    """The token to put in a creation form being shown.

    A rejected submission keeps its own token, so that the corrected form goes
    through; any other display of the form gets a new one.
    """
    token = request.POST.get("form_token") if request.method == "POST" else None
    return token if token and _is_pending(request, token) else issue_form_token(request)


# --- saving ----------------------------------------------------------------------------------


def save_or_refuse[T](
    form: BaseForm, save: Callable[[], T], *, refusals: tuple[type[Exception], ...] = ()
) -> T | None:
    """Run a service; when it refuses, say why on the form and return None.

    A ValidationError's messages go on the fields they name; a ConcurrentEditError
    (someone saved the row since it was loaded) goes at the top with the code
    CONCURRENT_EDIT (see `conflict_status`); an IntegrityError (a row with the same
    unique value was created meanwhile) goes at the top. `refusals` are the other
    exceptions the service uses to refuse: their `message` goes on their `field`.
    Messages aimed at a field the form does not show go at the top.
    """
    try:
        return save()
    except ConcurrentEditError as error:
        form.add_error(None, ValidationError(str(error), code=CONCURRENT_EDIT))
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(_shown(form, field), errors)
        else:
            form.add_error(None, error)
    except IntegrityError:
        form.add_error(None, DUPLICATE)
    except refusals as error:
        message = getattr(error, "message", str(error))
        form.add_error(_shown(form, getattr(error, "field", None)), message)
    return None


def _shown(form: BaseForm, field: str | None) -> str | None:
    return field if field in form.fields else None


def conflict_status(form: BaseForm) -> int:
    """409 (Conflict) when the form was refused because of a concurrent edit, else 200."""
    return 409 if form.has_error(NON_FIELD_ERRORS, CONCURRENT_EDIT) else 200


def handle_creation[T](
    request: HttpRequest,
    form: BaseForm,
    save: Callable[[], T],
    *,
    on_replay_url: str,
    refusals: tuple[type[Exception], ...] = (),
) -> T | HttpResponse | None:
    """The POST side of a creation form protected by a one-time token.

    A double submission (double click, browser "back" then "send" again, a
    replayed request) must never create a duplicate: a request whose token is
    not pending any more saves nothing and redirects to `on_replay_url` with a
    message. An invalid submission keeps its token, so the corrected form still
    goes through (render the form with `creation_token`). The token is consumed
    only once the form is valid, just before the service (`save`) runs; a
    refusal of the service is shown on the form (`save_or_refuse`), and the
    form shown again gets a new token.

    Returns the redirect for a replay, the saved object, or None when the form
    is to be shown (a GET, or a submission with errors on the form).
    """
    if request.method != "POST":
        return None
    token = request.POST.get("form_token")
    if not _is_pending(request, token):
        return _replayed(request, on_replay_url)
    if not form.is_valid():
        return None
    if not consume_form_token(request, token):
        return _replayed(request, on_replay_url)
    return save_or_refuse(form, save, refusals=refusals)


def _replayed(request: HttpRequest, url: str) -> HttpResponse:
    messages.warning(request, ALREADY_SENT)
    return redirect(url)
