"""Searching the Annuaire Santé from the directory and adding what it finds.

Both pages need `directory.manage` in the organisation whose directory they fill
(views.organisation_for: 403 and an audit row otherwise). The add action posts only
the professional's idNat_PS: the record saved is fetched again from the Annuaire on
the server (annuaire_sync.add_from_annuaire). When the Annuaire cannot answer the page
says so and offers the manual form, whose entries are shown « non vérifié dans
l'Annuaire ».
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opendui.annuaire.client import AnnuaireError
from opendui.annuaire.config import client_from_settings
from opendui.core.actor import Actor

from .annuaire_sync import add_from_annuaire, add_structure_from_annuaire
from .forms_annuaire import PROFESSIONALS, AnnuaireSearchForm
from .models import ExternalProfessional, ExternalStructure
from .views import MANAGE, organisation_for


def annuaire_search(request: HttpRequest) -> HttpResponse:
    organisation = organisation_for(request, MANAGE)
    form = AnnuaireSearchForm(request.GET or None)
    result = None
    error = ""
    known: dict[str, int] = {}
    if form.is_bound and form.is_valid():
        try:
            client = client_from_settings()
            if form.cleaned_data["kind"] == PROFESSIONALS:
                result = client.search_practitioners(**form.professional_criteria())
                known = dict(
                    ExternalProfessional.objects.filter(
                        organisation=organisation,
                        idnat_ps__in=[p.idnat_ps for p in result.practitioners],
                    ).values_list("idnat_ps", "pk")
                )
            else:
                result = client.search_organisations(**form.structure_criteria())
                known = dict(
                    ExternalStructure.objects.filter(
                        organisation=organisation,
                        finess__in=[o.finess for o in result.organisations if o.finess],
                    ).values_list("finess", "pk")
                )
        except AnnuaireError as exc:
            error = str(exc)
    return render(
        request,
        "directory/annuaire_search.html",
        {
            "organisation": organisation,
            "form": form,
            "result": result,
            "error": error,
            "known": known,
            "professionals": form.is_bound
            and form.data.get("kind", PROFESSIONALS) == PROFESSIONALS,
        },
    )


def _back(request: HttpRequest) -> str:
    """Back to the search page (with its query): never an address the post names."""
    back = request.POST.get("back", "")
    search_url = reverse("directory:annuaire_search")
    return back if back.startswith(search_url + "?") and "//" not in back else search_url


@require_POST
def annuaire_add_structure(request: HttpRequest) -> HttpResponse:
    organisation = organisation_for(request, MANAGE)
    back = _back(request)
    try:
        structure = add_structure_from_annuaire(
            Actor.from_request(request), organisation, request.POST.get("finess", "")
        )
    except AnnuaireError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{structure} a été ajoutée à l'annuaire de l'organisme.")
    return redirect(back)


@require_POST
def annuaire_add(request: HttpRequest) -> HttpResponse:
    organisation = organisation_for(request, MANAGE)
    back = _back(request)
    try:
        entry, created = add_from_annuaire(
            Actor.from_request(request), organisation, request.POST.get("idnat_ps", "")
        )
    except AnnuaireError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    if created:
        messages.success(request, f"{entry} a été ajouté(e) à l'annuaire de l'organisme.")
    else:
        messages.success(request, f"{entry} : fiche mise à jour depuis l'Annuaire Santé.")
    return redirect(back)
