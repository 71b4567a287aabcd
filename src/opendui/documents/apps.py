from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "opendui.documents"
    verbose_name = "Documents et partages"
