from django.urls import path

from . import views

app_name = "programme"

urlpatterns = [
    path("", views.home, name="home"),
    path("nouveau/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("<int:pk>/essms/ajouter/", views.member_add, name="member_add"),
    path("<int:pk>/essms/partenaire/", views.partner_add, name="partner_add"),
    path("<int:pk>/essms/<int:member_pk>/retirer/", views.member_remove, name="member_remove"),
    path(
        "<int:pk>/essms/<int:member_pk>/situation/",
        views.member_equipped,
        name="member_equipped",
    ),
    path("<int:pk>/declarations/", views.declaration, name="declaration"),
    path("<int:pk>/financement/", views.funding_page, name="funding"),
    path("<int:pk>/jalons/", views.milestones_page, name="milestones"),
    path("<int:pk>/jalons/<int:milestone_pk>/", views.milestone_edit, name="milestone_edit"),
    path("<int:pk>/attestation/", views.attestation_page, name="attestation"),
]
