from django.urls import path

from . import views, views_facility

app_name = "accompaniment"

urlpatterns = [
    # Facility follow-up (chief of service)
    path("", views_facility.home, name="home"),
    path("etablissement/<int:facility_pk>/", views_facility.facility, name="facility"),
    # A person's projects
    path("personne/<int:pk>/", views.person_projects, name="person"),
    path("sejour/<int:stay_pk>/creer/", views.create, name="create"),
    path(
        "depuis-evaluation/<int:evaluation_pk>/",
        views.from_evaluation,
        name="from_evaluation",
    ),
    # One version of a PP
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("<int:pk>/ajouter/<slug:section>/", views.add_section, name="add"),
    path("<int:pk>/objectif/<int:goal_pk>/modifier/", views.goal_edit, name="goal_edit"),
    path("<int:pk>/modifier/<slug:kind>/<int:item_pk>/", views.item_edit, name="item_edit"),
    path("<int:pk>/objectif/<int:goal_pk>/action/", views.action_add, name="action_add"),
    path("<int:pk>/statut/<slug:kind>/<int:item_pk>/", views.item_status, name="item_status"),
    path("<int:pk>/retirer/<slug:kind>/<int:item_pk>/", views.remove, name="remove"),
    path("<int:pk>/statut/", views.change_status, name="status"),
    path("<int:pk>/nouvelle-version/", views.new_version, name="new_version"),
    path("<int:pk>/pdf/", views_facility.pdf, name="pdf"),
]
