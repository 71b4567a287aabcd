from django.apps import AppConfig


class PersonsConfig(AppConfig):
    name = "opendui.persons"
    verbose_name = "Personnes accompagnées"
