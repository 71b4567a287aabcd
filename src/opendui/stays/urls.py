from django.urls import path

from . import views, views_stays

app_name = "stays"

urlpatterns = [
    # Waiting list and admission requests of the current facility
    path("", views.waiting_list, name="waiting_list"),
    path("demande/nouvelle/", views.request_pick, name="request_pick"),
    path("demande/nouvelle/<int:person_pk>/", views.request_create, name="request_create"),
    path("demande/<int:pk>/", views.request_detail, name="request_detail"),
    path("demande/<int:pk>/statut/", views.request_status, name="request_status"),
    path("demande/<int:pk>/refus/", views.request_refuse, name="request_refuse"),
    path("demande/<int:pk>/reouverture/", views.request_reopen, name="request_reopen"),
    path("demande/<int:pk>/modifier/", views.request_edit, name="request_edit"),
    path("demande/<int:pk>/admission/", views.request_admit, name="request_admit"),
    # Contracts overdue in a facility
    path(
        "etablissement/<int:facility_pk>/contrats-en-retard/",
        views.overdue_list,
        name="overdue_list",
    ),
    # A person's stays and the actions on one stay
    path("personne/<int:pk>/", views_stays.person_stays, name="person_stays"),
    path("sejour/<int:pk>/contrat/", views_stays.contract_record, name="contract_record"),
    path("sejour/<int:pk>/absence/", views_stays.absence_add, name="absence_add"),
    path("sejour/<int:pk>/sortie/", views_stays.discharge, name="discharge"),
    path("sejour/<int:pk>/lieu/", views_stays.relocate, name="relocate"),
    path("sejour/<int:pk>/transfert/", views_stays.transfer, name="transfer"),
]
