"""Signed-in sessions on the pages: your own at /users/me/sessions/ (every
signed-in account, staff or not) and another account's on its page (staff
with change_user, under the privilege hierarchy): list, end one, end all.

A session is named by its record's id; its key never leaves the server.
Ending the session you are using signs you out.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from .. import services
from ..models import User, UserSession
from .access import StaffPermissionRequiredMixin


def _is_own(request, account: User) -> bool:
    return account.pk == request.user.pk


def sessions_context(request, account: User) -> dict:
    """account's live sessions for a page: each marked if it is the one of this
    request and given the URL that ends it (yours: the "my sessions" URLs)."""
    own = _is_own(request, account)
    rows = list(UserSession.objects.live_of(account))
    for row in rows:
        row.is_current = own and row.session_key == request.session.session_key
        row.end_url = (
            reverse("users:my_session_end", args=[row.pk])
            if own
            else reverse("users:session_end", args=[account.pk, row.pk])
        )
    end_all = (
        reverse("users:my_sessions_end_all")
        if own
        else reverse("users:sessions_end_all", args=[account.pk])
    )
    return {"sessions": rows, "end_all_url": end_all, "own_sessions": own}


class MySessionsView(LoginRequiredMixin, TemplateView):
    template_name = "users/my_sessions.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return context | sessions_context(self.request, self.request.user)


class _Ending(View):
    """POST only. The mine=True views act on the signed-in account's sessions;
    the others on the account in the URL, and come back to its page."""

    http_method_names = ["post"]
    mine = False

    def account(self) -> User:
        if self.mine:
            return self.request.user
        return get_object_or_404(User, pk=self.kwargs["pk"])

    def back(self, account: User):
        if self.mine:
            return redirect("users:my_sessions")
        return redirect("users:detail", pk=account.pk)

    def post(self, request, *args, **kwargs):
        account = self.account()
        try:
            signing_out, text = self.end(account)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return self.back(account)
        except services.UserGone as gone:
            messages.error(request, str(gone))
            return redirect("users:list")
        if signing_out:
            logout(request)
            messages.success(request, text)
            return redirect(settings.LOGIN_URL)
        messages.success(request, text)
        return self.back(account)

    def end(self, account: User) -> tuple[bool, str]:
        """End what this view ends; (whether it signed out this request, message)."""
        raise NotImplementedError


class SessionEndView(_Ending):
    def end(self, account):
        record = get_object_or_404(
            UserSession, pk=self.kwargs["session_id"], user=account
        )
        current = record.session_key == self.request.session.session_key
        if not services.session_end(actor=self.request.user, session=record):
            return False, "That session had already ended."
        if current:
            return True, "You ended this session and are signed out."
        return False, f"Ended the session: {record}."


class SessionsEndAllView(_Ending):
    def end(self, account):
        count = services.user_end_sessions(actor=self.request.user, user=account)
        if _is_own(self.request, account):
            return True, f"Signed out everywhere: {count} session(s) ended."
        return False, f"Ended all sessions of {account.username} ({count})."


class MySessionEndView(LoginRequiredMixin, SessionEndView):
    mine = True


class MySessionsEndAllView(LoginRequiredMixin, SessionsEndAllView):
    mine = True


class AccountSessionEndView(StaffPermissionRequiredMixin, SessionEndView):
    permission_required = "users.change_user"


class AccountSessionsEndAllView(StaffPermissionRequiredMixin, SessionsEndAllView):
    permission_required = "users.change_user"
