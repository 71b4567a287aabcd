from django.urls import path

from . import views, views_annuaire

app_name = "directory"

urlpatterns = [
    path("", views.professional_list, name="list"),
    path("structures/", views.structure_list, name="structures"),
    path("annuaire-sante/", views_annuaire.annuaire_search, name="annuaire_search"),
    path("annuaire-sante/ajouter/", views_annuaire.annuaire_add, name="annuaire_add"),
    path(
        "annuaire-sante/ajouter-structure/",
        views_annuaire.annuaire_add_structure,
        name="annuaire_add_structure",
    ),
    path("professionnels/nouveau/", views.professional_create, name="professional_create"),
    path("professionnels/<int:pk>/modifier/", views.professional_edit, name="professional_edit"),
    path(
        "professionnels/<int:pk>/desactiver/",
        views.professional_deactivate,
        name="professional_deactivate",
    ),
    path("acces-dossiers/", views.external_access_list, name="external_access_list"),
    path(
        "professionnels/<int:pk>/acces-dossiers/",
        views.professional_access,
        name="professional_access",
    ),
    path("structures/nouvelle/", views.structure_create, name="structure_create"),
    path("structures/<int:pk>/modifier/", views.structure_edit, name="structure_edit"),
    path(
        "structures/<int:pk>/desactiver/",
        views.structure_deactivate,
        name="structure_deactivate",
    ),
    path("personne/<int:pk>/", views.person_professionals, name="person"),
    path("personne/<int:pk>/ajouter/", views.person_link_add, name="person_add"),
    path("personne/<int:pk>/liens/<int:link_pk>/fin/", views.person_link_end, name="person_end"),
]
