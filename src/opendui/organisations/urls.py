from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("", views.admin_home, name="admin_home"),
]
