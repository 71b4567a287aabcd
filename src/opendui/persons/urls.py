from django.urls import path

from . import views

app_name = "persons"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("acces-exceptionnel/", views.break_glass_search, name="break_glass_search"),
    path("<int:pk>/acces-exceptionnel/", views.break_glass_open, name="break_glass_open"),
]
