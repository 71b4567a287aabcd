from django.apps import AppConfig


class StaysConfig(AppConfig):
    name = "opendui.stays"
    verbose_name = "Séjours et prises en charge"
