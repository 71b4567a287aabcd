from django.apps import AppConfig


class NomenclaturesConfig(AppConfig):
    name = "opendui.nomenclatures"
    verbose_name = "Nomenclatures nationales"
