from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.search, name="search"),
    path("personne/<int:pk>/", views.person_access, name="person_access"),
]
