from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "opendui.accounts"
    verbose_name = "Professionnels et habilitations"

    def ready(self) -> None:
        # The login-time stamp of every new session (signal receiver).
        from . import middleware  # noqa: F401
