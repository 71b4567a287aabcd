from django.urls import path

from . import views

app_name = "pilotage"

urlpatterns = [
    path("", views.home, name="home"),
    path("preuve.csv", views.proof_csv, name="proof_csv_all"),
    path("preuve.pdf", views.proof_pdf, name="proof_pdf_all"),
    path("etablissement/<int:facility_pk>/", views.facility, name="facility"),
    path(
        "etablissement/<int:facility_pk>/dossiers/<slug:kind>/",
        views.drilldown,
        name="drilldown",
    ),
    path("etablissement/<int:facility_pk>/preuve.csv", views.proof_csv, name="proof_csv"),
    path("etablissement/<int:facility_pk>/preuve.pdf", views.proof_pdf, name="proof_pdf"),
]

# Yearly activity report of a facility (views_activity.py).
from . import views_activity  # noqa: E402

urlpatterns += [
    path("activite/", views_activity.home, name="activity_home"),
    path(
        "etablissement/<int:facility_pk>/activite/",
        views_activity.report,
        name="activity_report",
    ),
    path(
        "etablissement/<int:facility_pk>/activite.csv",
        views_activity.report_csv,
        name="activity_csv",
    ),
    path(
        "etablissement/<int:facility_pk>/activite.pdf",
        views_activity.report_pdf,
        name="activity_pdf",
    ),
]
