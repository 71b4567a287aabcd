from django.apps import AppConfig


class AdministrativeConfig(AppConfig):
    name = "opendui.administrative"
    verbose_name = "Dossier administratif"
