"""The identity-vigilance referent's list of possible duplicates reported from the
creation form (persons.alerts), and the form closing one.

`identity.merge` (organisation-wide), like the merge list beside it. The page shows the
identity entered and the records it resembled: an audited access naming those records.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.forms import save_or_refuse
from opendui.core.pagination import page_of

from .alerts import close_identity_alert, referent_alerts
from .forms_alerts import CloseAlertForm
from .merge import MERGE_PERMISSION
from .models_alerts import IdentityAlert


def _page(request: HttpRequest, forms: dict[int, CloseAlertForm] | None = None, status=200):
    page = page_of(referent_alerts(request.user), request.GET.get("page"), settings.PAGE_SIZE)
    alerts = list(page.object_list)
    persons = {p.pk: p for alert in alerts for p in alert.matches.all()}
    if alerts:
        owners = {a.organisation_id for a in alerts}
        record(
            Actor.from_request(request),
            EventKind.ACCESS,
            "identity_alert.list",
            person_ids=list(persons),
            organisation_id=owners.pop() if len(owners) == 1 else None,
            details={"page": page.number},
        )
    forms = forms or {}
    rows = [
        {
            "alert": alert,
            "form": forms.get(alert.pk)
            or CloseAlertForm(
                auto_id=f"close{alert.pk}_%s", initial={"expected_version": alert.version}
            ),
        }
        for alert in alerts
    ]
    return render(
        request,
        "persons/identity_alerts.html",
        {"page_obj": page, "rows": rows, "query_string": ""},
        status=status,
    )


def alert_list(request: HttpRequest) -> HttpResponse:
    authorize(request, MERGE_PERMISSION)
    return _page(request)


@require_POST
def alert_close(request: HttpRequest, alert_pk: int) -> HttpResponse:
    alert = get_object_or_404(IdentityAlert.objects.select_related("organisation"), pk=alert_pk)
    authorize(request, MERGE_PERMISSION, organisation=alert.organisation)
    form = CloseAlertForm(request.POST, auto_id=f"close{alert.pk}_%s")
    if form.is_valid():
        saved = save_or_refuse(
            form,
            lambda: close_identity_alert(
                Actor.from_request(request),
                alert,
                form.cleaned_data["comment"],
                form.cleaned_data["expected_version"],
            ),
        )
        if saved is not None:
            messages.success(request, "Signalement traité.")
            return redirect("persons:identity_alerts")
    messages.error(request, "Rien n'a été enregistré : corrigez le formulaire ci-dessous.")
    return _page(request, {alert.pk: form}, status=400)
