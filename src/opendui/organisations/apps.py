from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "opendui.organisations"
    verbose_name = "Organisations"
