"""Back to the list as it was: the user's pages carry the list's address (its
search, filters, sort order and page) in a `back` parameter, for their
breadcrumb and for where an action returns to.

The parameter comes from the query string, so it is never trusted: only the
list's own path is accepted, and its query is re-encoded, so no value can send
anyone to another site or page (an open redirect) or split a header.
"""

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

BACK = "back"
# Longer than any list address the form makes (a page token is ~100).
MAX_BACK_LENGTH = 2000


def list_url(value: str | None) -> str | None:
    """The list address value names, re-encoded; None unless it is one."""
    plain = reverse("users:list")
    if not value or len(value) > MAX_BACK_LENGTH:
        return None
    # Relative only (no allowed host): an absolute URL, "//host", "\\host",
    # "javascript:" or a control character up front is refused here.
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != plain or parts.fragment:
        return None
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True))
    return f"{plain}?{query}" if query else plain


def back_from(request: HttpRequest) -> str | None:
    """The validated list address a page was given (query string or form)."""
    return list_url(request.POST.get(BACK) or request.GET.get(BACK))


def back_query(back: str | None) -> str:
    """'?back=...' to append to a user page's address, or ''."""
    return f"?{BACK}={quote(back, safe='')}" if back else ""


class BackToListMixin:
    """Gives a user's page the list address it came from: `list_url` for the
    breadcrumb (the plain list without one) and `back_query` for its links."""

    def get_context_data(self, **kwargs):
        back = back_from(self.request)
        return super().get_context_data(**kwargs) | {
            "list_url": back or reverse("users:list"),
            "back_query": back_query(back),
        }

    def back_to_list(self) -> str:
        return back_from(self.request) or reverse("users:list")

    def back_to_user(self, user) -> str:
        return user_url(self.request, user)


def user_url(request: HttpRequest, user) -> str:
    """A user's page, keeping the list address this request was given."""
    return user.get_absolute_url() + back_query(back_from(request))
