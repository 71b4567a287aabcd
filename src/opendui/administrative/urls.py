from django.urls import path

from . import views

app_name = "administrative"

urlpatterns = [
    path("personne/<int:pk>/", views.person_page, name="page"),
    path("personne/<int:pk>/profil/", views.profile_edit, name="profile_edit"),
    path("personne/<int:pk>/<slug:kind>/ajouter/", views.item_add, name="item_add"),
    path(
        "personne/<int:pk>/<slug:kind>/<int:item_pk>/modifier/", views.item_edit, name="item_edit"
    ),
    path("personne/<int:pk>/<slug:kind>/<int:item_pk>/fin/", views.item_end, name="item_end"),
    path("personne/<int:pk>/photo/consentement/", views.photo_consent_add, name="photo_consent"),
    path(
        "personne/<int:pk>/photo/consentement/<int:consent_pk>/retrait/",
        views.photo_consent_withdraw,
        name="photo_consent_withdraw",
    ),
    path("personne/<int:pk>/photo/", views.photo_upload, name="photo_upload"),
    path("photo/<int:photo_pk>/", views.photo, name="photo"),
]
