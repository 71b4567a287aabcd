from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "opendui.accounts"
    verbose_name = "Professionnels et habilitations"
