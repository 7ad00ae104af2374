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
