"""The second-factor gate: with MFA_REQUIRED on, a staff session reaches no
page but the sign-in ones until it has passed its second factor; nor does any
session of an account that has set one up, staff or not, required or not.

One middleware rather than a decorator on each view: it covers the staff
pages, the admin and any page added later (closed unless listed in
OPEN_VIEWS), so forgetting a decorator cannot open a page. A session that has
not set up an authenticator app yet is sent to do so; one that has, to pass it.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import reverse

from .. import factors, permissions

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


def second_factor_step(user) -> str | None:
    """Where a signed-in session that has not passed a second factor must go
    before any page (None: nowhere). An account that has set up a second
    factor always passes it - the security page offers one to everyone as
    protection should the password leak, and a factor never asked for would
    protect nothing. Staff, while the site requires it, set one up first."""
    if not user.is_authenticated or user.is_verified():  # django_otp's OTPMiddleware
        return None
    if factors.is_enrolled(user):
        return "mfa:verify"
    if permissions.must_set_up_second_factor(user):
        return "mfa:setup"
    return None


class MFAGateMiddleware:
    """After django-otp's OTPMiddleware, which tells whether the session is
    verified. Redirects to the setup or verification page with ?next=."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.resolver_match.view_name in OPEN_VIEWS:
            return None
        step = second_factor_step(request.user)
        if step is None:
            return None
        if request.resolver_match.namespace == "api":
            # A script cannot follow a redirect to a sign-in page.
            return JsonResponse(
                {"detail": "Pass two-factor authentication in this session first."},
                status=403,
            )
        return redirect_to_login(request.get_full_path(), reverse(step))
