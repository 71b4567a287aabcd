from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("etablissement/choisir/", views.switch_facility, name="switch_facility"),
    path("sante/", views.health, name="health"),
]
