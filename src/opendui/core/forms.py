"""Form helpers: concurrent-edit detection and protection against double submission.

Views call `handle_creation` for creation forms and `save_or_refuse` for edit forms,
so that every page answers a replayed, refused or conflicting submission the same way.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import fields as bounded
from .models import FormToken
from .services import ConcurrentEditError, MissingVersionError

TOKENS_KEY = "form_tokens"
MAX_TOKENS = 50
TOKEN_LIFETIME = dt.timedelta(days=1)
PENDING_ATTR = "_form_tokens_to_store"  # tokens issued by the view, stored after it
CONCURRENT_EDIT = "concurrent_edit"  # code of the form error a ConcurrentEditError becomes

MISSING_VERSION = MissingVersionError.message

ALREADY_SENT = _(
    "Ce formulaire a déjà été envoyé. Rien n'a été enregistré une seconde fois : "
    "vérifiez la liste avant de recommencer."
)
DUPLICATE = _(
    "Un autre enregistrement vient d'être créé avec ce numéro ou ce nom : "
    "vérifiez la saisie. Rien n'a été enregistré."
)


class VersionedFormMixin(forms.Form):
    """Carries the version of the row the user loaded, checked on save (core.services).

    A submission that edits an existing row must carry it: left out, the
    concurrency check could not be made (someone's changes would be overwritten
    unseen), so the form is refused at the top with MISSING_VERSION and the code
    CONCURRENT_EDIT (409, see `conflict_status`). A form edits an existing row
    when its `instance` is saved, or always when the class sets `edits = True`
    (forms of an action on a row: status, decision, withdrawal...). Creation
    forms (no instance, or an unsaved one) do not need it. The services check
    again (core.services.check_version), whatever the form.
    """

    expected_version = bounded.IntegerField(widget=forms.HiddenInput, required=False)
    edits: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is not None:
            self.fields["expected_version"].initial = instance.version

    def edits_existing(self) -> bool:
        """Whether this form changes a stored row (its version is then required)."""
        instance = getattr(self, "instance", None)
        return self.edits or (instance is not None and instance.pk is not None)

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        if self.edits_existing() and self.cleaned_data.get("expected_version") is None:
            self.errors.pop("expected_version", None)  # a hidden field: said at the top
            self.add_error(None, ValidationError(MISSING_VERSION, code=CONCURRENT_EDIT))


class RowActionFormMixin(VersionedFormMixin):
    """A form of an action on a stored row (a decision, a correction, an end): the
    version the user saw is always required, a missing one being refused at the top
    (409). One named base so that such forms need not each restate `edits = True`."""

    edits = True


# --- one-time tokens -------------------------------------------------------------------------
#
# A token is issued with a row (core.models.FormToken) and listed in the session. The
# session list only spares a query for tokens that are obviously not pending (a replay
# after success, a token of another session); what decides is the DELETE of the row, in
# the transaction that creates the object (`handle_creation`): of parallel submissions
# of the same token, exactly one deletes the row, the others (waiting for its commit on
# PostgreSQL) delete nothing and are replays. A refusal of the service rolls the DELETE
# back, so the corrected form can still be sent with the same token.


def _owner(request: HttpRequest) -> str:
    """Who a token is bound to: the user, or the session for a form shown before login."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if request.session.session_key is None:
        request.session.save()
    return f"session:{request.session.session_key}"


def issue_form_token(request: HttpRequest) -> str:
    """A one-time token for a creation form, stored until used (or pruned).

    Its row is written once the view has answered, with the other tokens of the
    page in one INSERT (`store_issued_tokens`, FormTokenMiddleware): a page
    listing one form per row would otherwise cost a query per row.
    """
    token = secrets.token_urlsafe(16)
    request.__dict__.setdefault(PENDING_ATTR, []).append(token)
    tokens = request.session.get(TOKENS_KEY, [])[-MAX_TOKENS + 1 :]
    request.session[TOKENS_KEY] = [*tokens, token]
    return token


def store_issued_tokens(request: HttpRequest) -> None:
    """Write the rows of the tokens issued while answering `request` (one INSERT)."""
    pending = request.__dict__.pop(PENDING_ATTR, None)
    if pending:
        owner = _owner(request)
        FormToken.objects.bulk_create([FormToken(token=token, owner=owner) for token in pending])


class FormTokenMiddleware:
    """Stores the form tokens a view issued, once it has answered (store_issued_tokens)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        store_issued_tokens(request)
        return response


def consume_form_token(request: HttpRequest, token: str | None) -> bool:
    """True the first time a token is presented; False for a replay (double submission).

    One `DELETE` of the row bound to the requester: its row count decides, so
    that parallel requests cannot all see the token pending. Call it inside the
    transaction that creates the object (`handle_creation` does), so that a
    failed creation gives the token back.
    """
    if not token:
        return False
    store_issued_tokens(request)
    owner = _owner(request)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {FormToken._meta.db_table} WHERE token = %s AND owner = %s",  # noqa: S608
            [token, owner],
        )
        deleted = cursor.rowcount
    _forget(request, token)
    return deleted == 1


def _forget(request: HttpRequest, token: str) -> None:
    tokens = request.session.get(TOKENS_KEY, [])
    if token in tokens:
        tokens.remove(token)
        request.session[TOKENS_KEY] = tokens


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


def prune_form_tokens(*, older_than: dt.timedelta = TOKEN_LIFETIME) -> int:
    """Delete the tokens issued more than `older_than` ago (forms never sent); their number.

    Sessions last at most settings.SESSION_MAX_AGE (10 h by default), so a day
    old token can no longer be sent anyway. One indexed DELETE (created_at).
    """
    deleted, _rows = FormToken.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


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
    _refused, saved = _run(form, save, refusals)
    return saved


def _run[T](
    form: BaseForm, save: Callable[[], T], refusals: tuple[type[Exception], ...]
) -> tuple[bool, T | None]:
    """(refused, result) of the service: refused when its refusal was put on the form."""
    try:
        return False, save()
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
    return True, None


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
    only once the form is valid, in the same transaction as the service
    (`save`): a success leaves it consumed for good; a refusal of the service is
    shown on the form (`save_or_refuse`) and gives the token back, so the
    corrected form goes through with the same token.

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
    failure: Exception | None = None
    with transaction.atomic():
        if not consume_form_token(request, token):
            return _replayed(request, on_replay_url)
        savepoint = transaction.savepoint_create()
        try:
            refused, saved = _run(form, save, refusals)
        except Exception as error:  # raised again below, once the token is given back
            failure, refused, saved = error, True, None
        if refused:
            _give_back(request, token, savepoint)
    if refused:
        _remember(request, token)
    if failure is not None:
        raise failure
    return saved


def _give_back(request: HttpRequest, token: str, savepoint: str) -> None:
    """A refused (or failed) creation does not burn its token: the row is stored again.

    What the service wrote before refusing is kept, as without this transaction
    (an audit row of a forbidden attempt, say, must outlive the refusal); only
    after a database error, which leaves PostgreSQL's transaction unusable, is
    everything since the savepoint undone.
    """
    connection = transaction.get_connection()
    if connection.needs_rollback or _broken(connection):
        transaction.set_rollback(False)  # what was broken is undone just below
        transaction.savepoint_rollback(savepoint)
    FormToken.objects.create(token=token, owner=_owner(request))


def _broken(connection: Any) -> bool:
    """Whether the last statement failed inside the transaction (PostgreSQL refuses any other)."""
    if connection.vendor != "postgresql":
        return False
    from psycopg.pq import TransactionStatus

    return connection.connection.info.transaction_status == TransactionStatus.INERROR


def _remember(request: HttpRequest, token: str) -> None:
    tokens = request.session.get(TOKENS_KEY, [])
    if token not in tokens:
        request.session[TOKENS_KEY] = [*tokens, token]


def _replayed(request: HttpRequest, url: str) -> HttpResponse:
    messages.warning(request, ALREADY_SENT)
    return redirect(url)
