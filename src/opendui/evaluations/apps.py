from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "opendui.evaluations"
    verbose_name = "Évaluations"
