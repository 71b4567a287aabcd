"""Grant requests: the administrator follows (and may cancel) theirs, approvers decide.

Who sees what is accounts.grants' (`may_view`, `decision_problem`, `may_cancel`); each
view asks it again and refuses with an audited 403. The pages show professionals and
rights, no person's data, so reading them writes no access event; every decision
writes its change events (accounts.grants).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.pagination import page_of
from opendui.core.services import ConcurrentEditError

from . import grants
from .access import has_anywhere
from .errors import AdminRefused
from .forms_admin import ActionForm, GrantDecisionForm
from .grant_rules import Widening
from .models import GrantKind, GrantRequest, GrantStatus
from .permissions import ACCESS_LEVEL_LABELS, CATALOGUE, DATA_CATEGORY_LABELS, AccessLevel

ADMIN_PERMISSIONS = ("accounts.manage", "roles.manage")


# --------------------------------------------------------------------------- display


def widening_labels(widening: Widening) -> list[str]:
    """The sensitive rights a grant opens, in French, catalogue order then categories."""
    labels = [str(p.label) for code, p in CATALOGUE.items() if code in widening.permissions]
    unknown = sorted(code for code in widening.permissions if code not in CATALOGUE)
    labels += unknown
    for category, label in DATA_CATEGORY_LABELS.items():
        level = widening.levels.get(str(category))
        if level:
            shown = ACCESS_LEVEL_LABELS.get(AccessLevel(level), level)
            labels.append(f"Données « {label} » : {str(shown).lower()}")
    return labels


def scope_label(request: GrantRequest) -> str:
    if request.kind == GrantKind.ROLE_CHANGE:
        return "Tous les titulaires du rôle, dans leurs périmètres"
    if request.kind == GrantKind.REACTIVATION:
        return "Les affectations en cours du compte"
    if request.kind == GrantKind.LOGIN_EMAIL:
        return "Tous les accès du compte, désormais ouverts avec la nouvelle adresse"
    if request.kind == GrantKind.LINKED_ACCESS:
        return (
            "Les personnes que ce professionnel suit (liens en cours dans leurs dossiers), "
            f"dans tout l'organisme {request.organisation.name}"
        )
    a = request.assignment
    if a.unit_id:
        return f"Unité {a.unit.name} ({a.facility.name})"
    if a.facility_id:
        return f"Établissement {a.facility.name}"
    return f"Tout l'organisme {request.organisation.name}"


def linked_entry_label(account) -> str:
    """The directory entry behind an external access: by construction the one whose
    national identifier is the account's (directory.external_access checks it)."""
    return (
        f"Fiche de l'annuaire d'identifiant national {account.national_id}, rattachée au "
        "compte ; connexion par Pro Santé Connect seulement"
    )


def approver_label(request: GrantRequest) -> str:
    if request.approval_facility_id:
        return (
            f"La direction de {request.approval_facility.name} ou le directeur général "
            "(tout l'organisme)"
        )
    return "Le directeur général (directeur affecté à tout l'organisme)"


@dataclass
class GrantRow:
    request: GrantRequest
    title: str
    scope: str
    rights: list[str]
    approver: str
    can_decide: bool = False


def describe(request: GrantRequest) -> GrantRow:
    """What a request asks, from the rows loaded with it (no query)."""
    if request.kind == GrantKind.ASSIGNMENT:
        role = request.assignment.role
        title = f"Affectation « {role.name} » pour {request.grantee.full_name}"
        rights = widening_labels(grants.role_widening(role))
    elif request.kind == GrantKind.ROLE_CHANGE:
        title = f"Élargissement du rôle « {request.role.name} »"
        rights = widening_labels(
            Widening(frozenset(request.added_permissions), dict(request.raised_levels))
        )
    elif request.kind == GrantKind.LOGIN_EMAIL:
        title = f"Changement d'adresse de connexion de {request.grantee.full_name}"
        rights = [f"Connexion avec {request.new_email} au lieu de {request.old_email}"]
    elif request.kind == GrantKind.LINKED_ACCESS:
        role = request.linked_assignment.role
        title = (
            f"Accès de {request.grantee.full_name}, professionnel extérieur, aux personnes "
            f"qu'il suit (rôle « {role.name} »)"
        )
        rights = [linked_entry_label(request.grantee), *widening_labels(grants.role_widening(role))]
    else:
        title = f"Réactivation du compte de {request.grantee.full_name}"
        rights = []
    return GrantRow(request, title, scope_label(request), rights, approver_label(request))


# --------------------------------------------------------------------------- authorisation


def _deny(request: HttpRequest, code: str, obj: GrantRequest) -> None:
    record(
        Actor.from_request(request),
        EventKind.ACCESS,
        "access.denied",
        obj=obj,
        organisation_id=obj.organisation_id,
        details={"permission": code, "path": request.path},
    )
    raise PermissionDenied(code)


def _authorize_list(request: HttpRequest) -> None:
    """Approvers and administrators; anyone else gets the audited 403 of grants.approve."""
    if any(has_anywhere(request.user, code) for code in (grants.APPROVE, *ADMIN_PERMISSIONS)):
        return
    authorize(request, grants.APPROVE)
    raise PermissionDenied(grants.APPROVE)  # authorize() raised already


def _request_or_404(pk: int) -> GrantRequest:
    return get_object_or_404(grants._with_details(GrantRequest.objects.all()), pk=pk)


# --------------------------------------------------------------------------- pages


def grant_list(request: HttpRequest) -> HttpResponse:
    """Open requests (default) or all of them (`?etat=toutes`), newest first, each marked
    when the reader may decide it; the requests awaiting the reader come first."""
    _authorize_list(request)
    history = request.GET.get("etat") == "toutes"
    visible = grants.visible_to(request.user)
    if not history:
        visible = grants.open_only(visible)
    page = page_of(visible, request.GET.get("page"), settings.PAGE_SIZE)
    ids = [r.pk for r in page.object_list]
    decidable = set(grants.awaiting(request.user).filter(pk__in=ids).values_list("pk", flat=True))
    rows = [describe(r) for r in page.object_list]
    for row in rows:
        row.can_decide = row.request.pk in decidable
    return render(
        request,
        "accounts/grant_list.html",
        {
            "rows": rows,
            "page_obj": page,
            "history": history,
            "query_string": "etat=toutes&" if history else "",
            "approval_days": settings.GRANT_APPROVAL_DAYS,
        },
    )


def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _request_or_404(pk)
    if not grants.may_view(request.user, grant):
        _deny(request, grants.APPROVE, grant)
    return _render_detail(request, grant, GrantDecisionForm(instance=grant))


def _render_detail(
    request: HttpRequest, grant: GrantRequest, form: GrantDecisionForm, status: int = 200
) -> HttpResponse:
    is_open = grant.is_open()
    holders, holder_count = (
        grants.beneficiaries_of_role_change(grant)
        if grant.kind == GrantKind.ROLE_CHANGE
        else ([], 0)
    )
    assignments = (
        list(
            grant.grantee.assignments.filter(status="active")
            .select_related("role", "organisation", "facility", "unit")
            .order_by("-start_date")[:20]
        )
        if grant.kind == GrantKind.REACTIVATION
        else []
    )
    account_rights: list[str] = []
    if grant.kind == GrantKind.LOGIN_EMAIL:
        # What whoever reads the new address could open: the account's sensitive access.
        held, access = grants.held_access(grant.grantee)
        assignments = held[:20]
        account_rights = widening_labels(access)
    return render(
        request,
        "accounts/grant_detail.html",
        {
            "grant": grant,
            "row": describe(grant),
            "is_open": is_open,
            "problem": grants.decision_problem(request.user, grant) if is_open else None,
            "can_cancel": grant.status == GrantStatus.PENDING
            and grants.may_cancel(request.user, grant),
            "form": form,
            "holders": holders,
            "holder_count": holder_count,
            "assignments": assignments,
            "account_rights": account_rights,
        },
        status=status,
    )


@require_POST
def grant_decide(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _request_or_404(pk)
    if not grants.may_view(request.user, grant):
        _deny(request, grants.APPROVE, grant)
    if grants.decision_problem(request.user, grant):
        _deny(request, grants.APPROVE, grant)
    form = GrantDecisionForm(request.POST, instance=grant)
    if not form.is_valid():
        return _render_detail(request, grant, form)
    data = form.cleaned_data
    actor = Actor.from_request(request)
    try:
        if data["decision"] == "approve":
            grants.approve(
                actor, grant, reason=data["reason"], expected_version=data["expected_version"]
            )
            messages.success(
                request, "Demande approuvée : les accès prennent effet dès maintenant."
            )
        else:
            grants.refuse(
                actor, grant, reason=data["reason"], expected_version=data["expected_version"]
            )
            messages.success(request, "Demande refusée : rien n'a été accordé.")
    except ConcurrentEditError as error:
        messages.error(request, str(error))
    except AdminRefused as error:
        messages.error(request, error.message)
    return redirect("accounts:grant_detail", pk=grant.pk)


@require_POST
def grant_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    grant = _request_or_404(pk)
    if not grants.may_cancel(request.user, grant):
        _deny(request, "grants.cancel", grant)
    form = ActionForm(request.POST)
    form.is_valid()
    try:
        grants.cancel(
            Actor.from_request(request),
            grant,
            expected_version=form.cleaned_data.get("expected_version"),
        )
    except ConcurrentEditError as error:
        messages.error(request, str(error))
    except AdminRefused as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Demande annulée : rien n'a été accordé.")
    return redirect("accounts:grant_detail", pk=grant.pk)


def login_email_pending_message(grant: GrantRequest) -> str:
    """What the administrator is told when a new login e-mail waits for approval."""
    return (
        f"Ce professionnel a accès à des données sensibles : sa nouvelle adresse de connexion "
        f"({grant.new_email}) ne prend effet qu'après approbation, et {grant.old_email} reste "
        f"son adresse de connexion jusque-là ; elle a reçu un avis de la demande. Les autres "
        f"informations sont enregistrées. Qui décide : {approver_label(grant).lower()}. "
        f"Sans décision, la demande n° {grant.pk} expire le "
        f"{timezone.localtime(grant.expires_at):%d/%m/%Y à %H:%M}."
    )


def pending_message(grant: GrantRequest | None) -> str:
    """What the administrator is told when a grant waits for approval."""
    if grant is None:
        return ""
    return (
        f"Ces accès aux dossiers, au journal d'audit ou aux droits ne prennent effet "
        f"qu'après approbation. Qui décide : {approver_label(grant).lower()}. "
        f"Sans décision, la demande n° {grant.pk} expire le "
        f"{timezone.localtime(grant.expires_at):%d/%m/%Y à %H:%M}."
    )
