from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("", views.admin_home, name="admin_home"),
    path("nouveau/", views.og_create, name="og_create"),
    path("<int:pk>/modifier/", views.og_edit, name="og_edit"),
    path("<int:og_pk>/etablissements/nouveau/", views.facility_create, name="facility_create"),
    path("etablissements/<int:pk>/", views.facility_detail, name="facility_detail"),
    path("etablissements/<int:pk>/modifier/", views.facility_edit, name="facility_edit"),
    path(
        "etablissements/<int:facility_pk>/unites/nouvelle/",
        views.unit_create,
        name="unit_create",
    ),
    path("unites/<int:pk>/modifier/", views.unit_edit, name="unit_edit"),
]
