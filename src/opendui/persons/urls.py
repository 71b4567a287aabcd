app_name = "persons"
urlpatterns: list = []
