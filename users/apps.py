from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        from . import services
        from .managers import UserManager
        from .signin import events  # noqa: F401 - connects the security log receivers

        UserManager.create_path = staticmethod(services.user_create)
