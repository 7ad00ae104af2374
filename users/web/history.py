"""An account's history for people: the latest events on its page, and every
event, keyset-paged, at /users/<id>/history/ (the words: users.history)."""

from django import forms
from django.shortcuts import render
from django.views.generic import DetailView

from ..history import entries
from ..models import AuditEvent, User
from ..pagination import COUNT_CAP, InvalidPageToken, history_page
from .access import StaffPermissionRequiredMixin
from .back import BackToListMixin

RECENT_EVENTS = 10  # on the account's page; the rest are a link away
EVENTS_PER_PAGE = 50


def recent_history(account: User) -> dict:
    """The account page's history: its latest events and, when there are
    more, how many in all (counting stops at COUNT_CAP)."""
    events = AuditEvent.objects.about(account)
    latest = list(events[: RECENT_EVENTS + 1])
    total = len(latest)
    if total > RECENT_EVENTS:
        total = events.count_up_to(COUNT_CAP)
    return {
        "history": entries(latest[:RECENT_EVENTS]),
        "history_more": total > RECENT_EVENTS,
        "history_total": f"{min(total, COUNT_CAP):,}{'+' if total > COUNT_CAP else ''}",
    }


class HistoryParameters(forms.Form):
    page = forms.CharField(label="Page", required=False, max_length=300)


class UserHistoryView(StaffPermissionRequiredMixin, BackToListMixin, DetailView):
    """Every event about one account, newest first, 50 a page."""

    permission_required = "users.view_user"
    model = User
    context_object_name = "account"
    template_name = "users/user_history.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        parameters = HistoryParameters(request.GET)
        if not parameters.is_valid():
            return _bad_page_link(request, parameters.errors["page"][0])
        try:
            page = history_page(
                AuditEvent.objects.about(self.object),
                per_page=EVENTS_PER_PAGE,
                token=parameters.cleaned_data["page"] or None,
            )
        except InvalidPageToken as error:
            return _bad_page_link(request, str(error))
        context = self.get_context_data(page=page, history=entries(page.rows))
        return self.render_to_response(context)


def _bad_page_link(request, reason: str):
    message = f"Page: {reason}"
    return render(request, "400.html", {"message": message}, status=400)
