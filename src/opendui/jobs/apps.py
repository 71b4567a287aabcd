from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "opendui.jobs"
    verbose_name = "Tâches de fond"
