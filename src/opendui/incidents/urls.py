from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.home, name="home"),
    path("etablissement/<int:facility_pk>/", views.facility_list, name="facility_list"),
    path("etablissement/<int:facility_pk>/declarer/", views.declare, name="declare"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/statut/", views.change_status, name="status"),
    path("<int:pk>/analyse/", views.analysis, name="analysis"),
    path("<int:pk>/actions/", views.action_add, name="action_add"),
    path("<int:pk>/actions/<int:action_pk>/", views.action_update, name="action_update"),
    path("<int:pk>/signalement/", views.report, name="report"),
    path("<int:pk>/declaration-ars/", views.ars_declaration, name="ars_declaration"),
    path("<int:pk>/declaration-ars.txt", views.ars_text, name="ars_text"),
]
