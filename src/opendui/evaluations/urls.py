"""URLs of evaluations, mounted under /evaluations/."""

from django.urls import path

from . import views, views_models

app_name = "evaluations"

urlpatterns = [
    path("personnes/<int:pk>/", views.person_evaluations, name="person"),
    path("personnes/<int:pk>/aggir/nouvelle/", views.aggir_new, name="aggir_new"),
    path("personnes/<int:pk>/grille/nouvelle/", views.evaluation_start, name="evaluation_start"),
    path("aggir/<int:pk>/", views.aggir_detail, name="aggir_detail"),
    path("aggir/<int:pk>/modifier/", views.aggir_edit, name="aggir_edit"),
    path("aggir/<int:pk>/statut/", views.aggir_status, name="aggir_status"),
    path("grilles/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("grilles/<int:pk>/reponses/", views.evaluation_answers, name="evaluation_answers"),
    path("grilles/<int:pk>/statut/", views.evaluation_status, name="evaluation_status"),
    path("etablissements/<int:pk>/gmp/", views.facility_gmp, name="facility_gmp"),
    path("modeles/", views_models.model_list, name="model_list"),
    path("modeles/<int:pk>/", views_models.model_detail, name="model_detail"),
    path("modeles/<int:pk>/modifier/", views_models.model_edit, name="model_edit"),
    path("modeles/<int:pk>/section/", views_models.section_add, name="section_add"),
    path("modeles/<int:pk>/question/", views_models.question_add, name="question_add"),
    path("modeles/<int:pk>/publier/", views_models.model_publish, name="model_publish"),
    path("modeles/<int:pk>/archiver/", views_models.model_archive, name="model_archive"),
    path(
        "modeles/<int:pk>/nouvelle-version/",
        views_models.model_new_version,
        name="model_new_version",
    ),
]
