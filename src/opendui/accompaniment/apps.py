from django.apps import AppConfig


class AccompanimentConfig(AppConfig):
    name = "opendui.accompaniment"
    verbose_name = "Accompagnement"
