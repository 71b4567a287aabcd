"""Root URL configuration."""

from django.urls import include, path

urlpatterns = [
    path("", include("opendui.core.urls")),
    path("", include("opendui.accounts.urls")),
    path("organisation/", include("opendui.organisations.urls")),
    path("personnes/", include("opendui.persons.urls")),
    path("audit/", include("opendui.audit.urls")),
    path("sejours/", include("opendui.stays.urls")),
    path("annuaire/", include("opendui.directory.urls")),
    path("administratif/", include("opendui.administrative.urls")),
    path("documents/", include("opendui.documents.urls")),
    path("agenda/", include("opendui.agenda.urls")),
    path("projets/", include("opendui.accompaniment.urls")),
    path("evaluations/", include("opendui.evaluations.urls")),
    path("evenements-indesirables/", include("opendui.incidents.urls")),
    path("transmissions/", include("opendui.notes.urls")),
    path("pilotage/", include("opendui.pilotage.urls")),
    path("programme/", include("opendui.programme.urls")),
    path("dmp/", include("opendui.interop.dmp.urls")),
]

handler403 = "opendui.core.views.permission_denied"
handler404 = "opendui.core.views.page_not_found"
handler500 = "opendui.core.views.server_error"
