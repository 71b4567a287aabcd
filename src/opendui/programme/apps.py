from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "opendui.programme"
    verbose_name = "Programme ESMS Numérique"
