from django.urls import path

from . import views, views_export, views_generate

app_name = "documents"

urlpatterns = [
    path("personne/<int:pk>/", views.documents_tab, name="person_documents"),
    path("personne/<int:pk>/retires/", views.withdrawn_tab, name="person_withdrawn"),
    path("personne/<int:pk>/ajouter/", views.upload, name="upload"),
    path("personne/<int:pk>/generer/", views_generate.generate_document, name="generate"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/telecharger/", views.download, name="download"),
    path(
        "<int:pk>/versions/<int:number>/telecharger/",
        views.download,
        name="download_version",
    ),
    path("<int:pk>/voir/", views.viewer, name="viewer"),
    path("<int:pk>/versions/<int:number>/voir/", views.viewer, name="viewer_version"),
    path("<int:pk>/versions/<int:number>/contenu/", views.inline_content, name="inline"),
    path("<int:pk>/apercu/", views.thumbnail, name="thumbnail"),
    path("<int:pk>/remplacer/", views.replace, name="replace"),
    path("<int:pk>/retirer/", views.withdraw, name="withdraw"),
    path("personne/<int:pk>/export/", views_export.export_request, name="export_request"),
    path(
        "personne/<int:pk>/export/<uuid:export_id>/",
        views_export.export_status,
        name="export_status",
    ),
    path(
        "personne/<int:pk>/export/<uuid:export_id>/etat/",
        views_export.export_progress,
        name="export_progress",
    ),
    path(
        "personne/<int:pk>/export/<uuid:export_id>/telecharger/",
        views_export.export_download,
        name="export_download",
    ),
]
