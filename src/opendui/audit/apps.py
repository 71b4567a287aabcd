from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "opendui.audit"
    verbose_name = "Journal d'audit"
