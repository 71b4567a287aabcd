from django.urls import path

from . import views

app_name = "notes"

urlpatterns = [
    # Cahier de liaison of a facility
    path("", views.liaison_home, name="liaison_home"),
    path("etablissement/<int:facility_pk>/", views.liaison, name="liaison"),
    path("etablissement/<int:facility_pk>/tout-lu/", views.liaison_mark_all, name="mark_all"),
    path("etablissement/<int:facility_pk>/equipe/", views.team_create, name="team_create"),
    # A person's notes
    path("personne/<int:pk>/", views.person_notes, name="person"),
    path("personne/<int:pk>/nouvelle/", views.note_create, name="create"),
    # One note
    path("note/<int:pk>/modifier/", views.note_edit, name="edit"),
    path("note/<int:pk>/corriger/", views.note_correct, name="correct"),
    path("note/<int:pk>/retirer/", views.note_withdraw, name="withdraw"),
    path("note/<int:pk>/lu/", views.mark_one_read, name="mark_read"),
]
