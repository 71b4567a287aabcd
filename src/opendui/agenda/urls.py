from django.urls import path

from . import views, views_event

app_name = "agenda"

urlpatterns = [
    path("", views.my_agenda, name="mine"),
    path("personne/<int:pk>/", views.person_agenda, name="person"),
    path("etablissement/<int:facility_pk>/semaine/", views.planning_week, name="planning_week"),
    path("etablissement/<int:facility_pk>/jour/", views.planning_day, name="planning_day"),
    path("etablissement/<int:facility_pk>/nouveau/", views_event.event_create, name="create"),
    path("evenement/<int:pk>/", views_event.event_detail, name="detail"),
    path("evenement/<int:pk>/modifier/", views_event.event_edit, name="edit"),
    path("evenement/<int:pk>/statut/", views_event.event_status, name="status"),
    path("evenement/<int:pk>/presence/", views_event.event_presence, name="presence"),
    path("evenement/<int:pk>/compte-rendu/", views_event.event_report, name="report"),
]
