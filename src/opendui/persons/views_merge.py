"""Pages of the duplicate merge procedure (persons.merge).

- propose (`person.edit_identity` on the duplicate; the service also checks it on the
  record kept): the duplicate candidates of the organisation, or a search among the
  persons the user sees, a radio button per record and a reason;
- the referent's list (`identity.merge`, organisation-wide), pending proposals first;
- the review page: both identities side by side (INS shown only for a qualified
  identity, as everywhere), what will move, and the approve / reject forms, each a
  separate POST URL (POST/redirect/GET). A refusal (ValidationError) saves nothing
  and comes back as a French message.

Every display of identities is an audited access naming the persons shown.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opendui.accounts.access import scope_for
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import creation_token, handle_creation
from opendui.core.pagination import page_of

from .duplicates import Traits
from .forms_merge import ApproveMergeForm, ProposeMergeForm, RejectMergeForm, TargetSearchForm
from .merge import (
    MERGE_PERMISSION,
    approve_merge,
    merge_preview,
    propose_merge,
    reject_merge,
    relation_labels,
)
from .models import Person
from .models_merge import MergeStatus, PersonMerge
from .selectors import search_persons, visible_persons
from .services import record_person_access
from .services_create import duplicate_candidates

MAX_CANDIDATES = 20
REFUSED_PROPOSAL = "Vous n'avez pas le droit de modifier l'identité de ces deux dossiers."


def _person(pk: int) -> Person:
    return get_object_or_404(Person.objects.select_related("organisation"), pk=pk)


def _merge(pk: int) -> PersonMerge:
    return get_object_or_404(
        PersonMerge.objects.select_related(
            "source__organisation", "target", "proposed_by", "reviewed_by"
        ),
        pk=pk,
    )


# --- the merged record's page leads to the kept one --------------------------------------------


def merged_record_redirect(request: HttpRequest, person: Person) -> HttpResponse:
    """A merged record's page: to the kept record, for users who may see that one.

    The merged record has lost its stays (they moved), so the access check is made on
    the kept record: a user who may not see it gets the usual 403 and audit row.
    """
    target = _person(person.merged_into_id)
    authorize(request, "person.view_identity", person=target)
    messages.info(
        request,
        f"Le dossier {person.local_id} a été fusionné dans ce dossier le "
        f"{person.merged_at:%d/%m/%Y} (doublon) : ses éléments y ont été rattachés.",
    )
    return redirect("persons:detail", pk=target.pk)


# --- proposal ----------------------------------------------------------------------------------


def _candidates(request: HttpRequest, source: Person, query: str) -> list[dict]:
    """Records the user may see that could be the one to keep: a search, or else the
    organisation's likely duplicates of the source (with their score)."""
    targets = visible_persons(request.user, archived=True).exclude(pk=source.pk)
    if query:
        found = search_persons(request.user, query, archived=True).exclude(pk=source.pk)[
            :MAX_CANDIDATES
        ]
        return [{"person": p, "score": None} for p in found]
    scored = duplicate_candidates(
        source.organisation_id,
        Traits.of(
            birth_name=source.birth_name,
            birth_date=source.birth_date,
            birth_first_names=source.birth_first_names,
            first_name=source.first_name,
            used_name=source.used_name,
            used_first_name=source.used_first_name,
        ),
        limit=MAX_CANDIDATES + 1,
    )
    allowed = set(targets.filter(pk__in=[p.pk for p, _ in scored]).values_list("pk", flat=True))
    return [{"person": p, "score": s} for p, s in scored if p.pk in allowed]


def merge_propose(request: HttpRequest, pk: int) -> HttpResponse:
    source = _person(pk)
    authorize(request, "person.edit_identity", person=source)
    if source.merged_into_id is not None:
        messages.error(request, "Ce dossier a déjà été fusionné dans un autre dossier.")
        return redirect("persons:identity", pk=source.pk)
    pending = source.pending_merge()
    if pending is not None:
        messages.info(
            request,
            "Une fusion de ce dossier attend déjà la validation du référent en identitovigilance.",
        )
        return redirect("persons:identity", pk=source.pk)
    targets = visible_persons(request.user, archived=True).exclude(pk=source.pk)
    data = request.POST if request.method == "POST" else None
    form = ProposeMergeForm(data, targets=targets, auto_id="merge_%s")
    actor = Actor.from_request(request)
    try:
        result = handle_creation(
            request,
            form,
            lambda: propose_merge(
                actor, source, form.cleaned_data["target"], form.cleaned_data["reason"]
            ),
            on_replay_url=reverse("persons:identity", kwargs={"pk": source.pk}),
        )
    except PermissionDenied:
        messages.error(request, REFUSED_PROPOSAL + " Rien n'a été enregistré.")
        return redirect("persons:identity", pk=source.pk)
    if isinstance(result, HttpResponse):
        return result
    if isinstance(result, PersonMerge):
        messages.success(
            request,
            f"Fusion proposée : le dossier {source.local_id} sera fusionné dans le dossier "
            f"{result.target.local_id} après validation par le référent en identitovigilance.",
        )
        return redirect("persons:identity", pk=source.pk)
    if request.method == "POST":
        messages.error(request, "Rien n'a été enregistré : corrigez le formulaire ci-dessous.")
        query = (request.POST.get("q") or "").strip()
        search = TargetSearchForm(initial={"q": query}, auto_id="search_%s")
    else:
        search = TargetSearchForm(request.GET or None, auto_id="search_%s")
        query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    candidates = _candidates(request, source, query)
    chosen = str(form["target"].value() or "")
    record_person_access(
        actor, "person.merge_candidates", [source, *(c["person"] for c in candidates)]
    )
    status = 200 if request.method == "GET" else 400
    return render(
        request,
        "persons/merge_propose.html",
        {
            "person": source,
            "search_form": search,
            "form": form,
            "query": query,
            "candidates": candidates,
            "chosen": chosen,
            "form_token": creation_token(request),
        },
        status=status,
    )


# --- referent: list and review ------------------------------------------------------------------


def merge_list(request: HttpRequest) -> HttpResponse:
    authorize(request, MERGE_PERMISSION)
    organisations = scope_for(request.user, MERGE_PERMISSION).organisation_ids
    merges = (
        PersonMerge.objects.filter(source__organisation_id__in=organisations)
        .select_related("source", "target", "proposed_by", "reviewed_by")
        .annotate(
            pending_first=Case(
                When(status=MergeStatus.PROPOSED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("pending_first", "-proposed_at", "-id")
    )
    page = page_of(merges, request.GET.get("page"), settings.PAGE_SIZE)
    persons = [p for m in page.object_list for p in (m.source, m.target)]
    record_person_access(
        Actor.from_request(request), "person.merge_list", persons, details={"page": page.number}
    )
    return render(
        request,
        "persons/merge_list.html",
        {"page_obj": page, "merges": page.object_list, "query_string": ""},
    )


_ROWS = (
    ("Nom de naissance", lambda p: p.birth_name.upper()),
    ("Premier prénom de naissance", lambda p: p.first_name),
    ("Prénoms de naissance", lambda p: p.birth_first_names or "non renseignés"),
    ("Date de naissance", lambda p: f"{p.birth_date:%d/%m/%Y}"),
    ("Sexe", lambda p: p.get_sex_display()),
    ("Lieu de naissance (code INSEE)", lambda p: p.birth_place_code or "non renseigné"),
    ("Nom utilisé", lambda p: p.used_name.upper() or "–"),
    ("Prénom utilisé", lambda p: p.used_first_name or "–"),
    ("Identifiant local", lambda p: p.local_id),
    ("Statut de l'identité", lambda p: p.identity_status.label),
    (
        "Attributs",
        lambda p: ", ".join(sorted(str(a.label) for a in p.identity_state.attributes)) or "aucun",
    ),
    # RNIV: the matricule is shown (and transmitted) only for a qualified identity.
    (
        "Matricule INS",
        lambda p: p.transmittable_ins or "non affiché (identité non qualifiée)",
    ),
)


def _side_by_side(source: Person, target: Person) -> list[dict]:
    rows = []
    for label, value in _ROWS:
        left, right = str(value(source)), str(value(target))
        rows.append({"label": label, "source": left, "target": right, "differs": left != right})
    return rows


def _moved(merge: PersonMerge) -> list[dict]:
    if merge.status == MergeStatus.PROPOSED:
        return merge_preview(merge.source)
    labels = relation_labels()
    return [
        {"key": key, "label": labels.get(key, key), "count": count}
        for key, count in sorted(merge.moved_counts.items())
    ]


def _review_page(
    request: HttpRequest,
    merge: PersonMerge,
    *,
    approve_form: ApproveMergeForm | None = None,
    reject_form: RejectMergeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    own = merge.proposed_by_id == request.user.pk
    context = {
        "merge": merge,
        "rows": _side_by_side(merge.source, merge.target),
        "moved": _moved(merge),
        "own_proposal": own,
        "can_review": merge.is_pending and not own,
        "statuses": MergeStatus,
    }
    if context["can_review"]:
        context["approve_form"] = approve_form or ApproveMergeForm(
            auto_id="approve_%s", source=merge.source, target=merge.target
        )
        context["reject_form"] = reject_form or RejectMergeForm(auto_id="reject_%s")
    record_person_access(
        Actor.from_request(request),
        "person.merge_review",
        [merge.source, merge.target],
        details={"merge": merge.pk},
    )
    return render(request, "persons/merge_review.html", context, status=status)


def merge_review(request: HttpRequest, merge_pk: int) -> HttpResponse:
    merge = _merge(merge_pk)
    authorize(request, MERGE_PERMISSION, organisation=merge.source.organisation)
    return _review_page(request, merge)


def _decide(request: HttpRequest, merge_pk: int, form_class, decide, success: str):
    """Validate the referent's form, then call `decide(actor, merge, cleaned form)`."""
    merge = _merge(merge_pk)
    authorize(request, MERGE_PERMISSION, organisation=merge.source.organisation)
    if form_class is ApproveMergeForm:
        form = form_class(
            request.POST, auto_id="approve_%s", source=merge.source, target=merge.target
        )
    else:
        form = form_class(request.POST, auto_id="reject_%s")
    if not form.is_valid():
        messages.error(request, "Rien n'a été enregistré : corrigez le formulaire ci-dessous.")
        key = "approve_form" if form_class is ApproveMergeForm else "reject_form"
        return _review_page(request, merge, status=400, **{key: form})
    try:
        decide(Actor.from_request(request), merge, form)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("persons:merge_review", merge_pk=merge.pk)
    messages.success(request, success.format(merge=merge))
    return redirect("persons:merge_review", merge_pk=merge.pk)


@require_POST
def merge_approve(request: HttpRequest, merge_pk: int) -> HttpResponse:
    return _decide(
        request,
        merge_pk,
        ApproveMergeForm,
        lambda actor, merge, form: approve_merge(
            actor, merge, form.cleaned_data["comment"], trait_choices=form.trait_choices()
        ),
        "Fusion exécutée : le dossier {merge.source.local_id} est rattaché au dossier "
        "{merge.target.local_id}.",
    )


@require_POST
def merge_reject(request: HttpRequest, merge_pk: int) -> HttpResponse:
    return _decide(
        request,
        merge_pk,
        RejectMergeForm,
        lambda actor, merge, form: reject_merge(actor, merge, form.cleaned_data["comment"]),
        "Proposition de fusion rejetée : les deux dossiers restent distincts.",
    )


__all__ = [
    "merge_approve",
    "merge_list",
    "merge_propose",
    "merge_reject",
    "merge_review",
    "merged_record_redirect",
]
