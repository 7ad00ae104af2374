from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend

from .models import User


class UsernameOrEmailBackend(ModelBackend):
    """Log in with a username or an email address, in any case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        login = username if username is not None else kwargs.get(User.USERNAME_FIELD)
        if login is None or password is None:
            return None
        user = User.objects.get_by_login(login)
        if user is None:
            # Hash anyway so an unknown login takes as long as a wrong password.
            User().set_password(password)
            return None
        if not user.check_password(password):
            return None
        if self.user_can_authenticate(user):
            return user
        if request is not None:
            # The right password of an account that may not sign in: the
            # login form may tell its holder why (a suspension's message).
            request.noogh_refused_account = user
        return None

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        # ModelBackend's twin looks the login up by its exact username only
        # (no email, no case folding); this one is the same code as the sync
        # path, hashing included, in a worker thread.
        return await sync_to_async(self.authenticate)(
            request, username=username, password=password, **kwargs
        )
