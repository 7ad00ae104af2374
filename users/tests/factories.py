import factory
from factory.django import DjangoModelFactory

from users.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Test User{n}")
    password = factory.django.Password(PASSWORD)


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    is_staff = True


class SuperuserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"root{n}")
    email = factory.Sequence(lambda n: f"root{n}@example.com")
    is_staff = True
    is_superuser = True


def staff_with(*codenames: str, **fields) -> "User":
    """A staff member holding exactly these users.* permissions."""
    from django.contrib.auth.models import Permission

    staff = StaffFactory(**fields)
    staff.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="users", codename__in=codenames
        )
    )
    return staff


def allow_staff_login(user: "User") -> None:
    """Let a plain account through the staff login: staff status and
    permission to view users (the login refuses everyone else)."""
    from django.contrib.auth.models import Permission

    if user.is_superuser or user.has_perm("users.view_user"):
        return
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="users", codename="view_user")
    )
    user.__dict__.pop("_perm_cache", None)
    user.__dict__.pop("_user_perm_cache", None)


# Every kind of visitor the access tests try, by name.
ROLES = {
    "anonymous": lambda: None,
    "non_staff": lambda: UserFactory(),
    "staff": lambda: staff_with(),  # staff status, no permission
    "viewer": lambda: staff_with("view_user"),
    "changer": lambda: staff_with("view_user", "change_user"),
    "deleter": lambda: staff_with("view_user", "delete_user"),
    "change_only": lambda: staff_with("change_user"),  # change includes view
    "delete_only": lambda: staff_with("delete_user"),
    "superuser": lambda: SuperuserFactory(),
    "inactive_superuser": lambda: SuperuserFactory(is_active=False),
}


def edit_data(user: "User", **changes) -> dict:
    """What the edit form posts for user as it is now, with `changes` made."""
    from users.versioning import version_token

    data = {
        "username": user.username,
        "email": user.email,
        "full_name": user.full_name,
        "version": version_token(user),
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data
