from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "opendui.directory"
    verbose_name = "Annuaire des professionnels extérieurs"
