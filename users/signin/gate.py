"""The second-factor gate: with MFA_REQUIRED on, a staff session reaches no
page but the sign-in ones until it has passed its second factor.

One middleware rather than a decorator on each view: it covers the staff
pages, the admin and any page added later (closed unless listed in
OPEN_VIEWS), so forgetting a decorator cannot open a page. A session that has
not set up an authenticator app yet is sent to do so; one that has, to pass it.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from .. import factors

# The pages a staff session needs before it has passed its second factor.
OPEN_VIEWS = frozenset(
    {
        "login",
        "logout",
        "admin:login",
        "admin:logout",
        "mfa:setup",
        "mfa:verify",
        "healthz",
        "readyz",
    }
)


def needs_second_factor(user) -> bool:
    """A signed-in staff member whose session has not passed a second factor,
    while the site requires one."""
    return (
        settings.MFA_REQUIRED
        and user.is_authenticated
        and (user.is_staff or user.is_superuser)
        and not user.is_verified()  # django_otp's OTPMiddleware
    )


class MFAGateMiddleware:
    """After django-otp's OTPMiddleware, which tells whether the session is
    verified. Redirects to the setup or verification page with ?next=."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match.view_name in OPEN_VIEWS or not needs_second_factor(request.user):
            return None
        step = "mfa:verify" if factors.is_enrolled(request.user) else "mfa:setup"
        return redirect_to_login(request.get_full_path(), reverse(step))
