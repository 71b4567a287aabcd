from django.urls import path

from . import views

app_name = "dmp"

urlpatterns = [
    path("document/<int:pk>/verser/", views.share, name="share"),
    path("partage/<int:pk>/nouvelle-version/", views.queue_version, name="queue_version"),
    path("partage/<int:pk>/visibilite/", views.visibility, name="visibility"),
    path("partage/<int:pk>/retirer/", views.remove, name="remove"),
    path("envoi/<int:pk>/reessayer/", views.retry, name="retry"),
    path("personne/<int:pk>/", views.person_tab, name="person"),
    path("personne/<int:pk>/autorisation/", views.authorise, name="authorise"),
    path("personne/<int:pk>/documents/<str:unique_id>/", views.document, name="document"),
    path(
        "personne/<int:pk>/documents/<str:unique_id>/pdf/",
        views.document_pdf,
        name="document_pdf",
    ),
    path("echecs/", views.failures, name="failures"),
]
