from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        from . import services
        from .managers.accounts import UserManager

        # Connect their receivers: the security log; the record of each session.
        from .signin import events, sessions  # noqa: F401

        UserManager.create_path = staticmethod(services.user_create)
