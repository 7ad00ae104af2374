"""Bulk actions from the list (/users/bulk/): a confirmation page, the action
through users.services.users_bulk, a result page offering Undo for a while.
Activating or deactivating a few accounts (BULK_AT_ONCE_UP_TO, counted
exactly) skips the confirmation: its result page offers Undo instead.

Without JavaScript it is plain forms: the list's bulk form posts the action,
the ticked ids (or "all matching") and the list's query string here, which
answers with the confirmation page (nothing changed yet); its Confirm button
posts the same again with confirm=1. The selection is read again from the
validated list parameters at each step, so a stale or forged id selects
nothing that the search does not match now.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.generic import View

from .. import permissions, services
from ..export import EXPORT_FIELDS, csv_download
from ..listing import ListParameters
from ..models import AuditEvent
from .access import StaffPermissionRequiredMixin
from .selection import ACTIONS, BulkForm
from .views import bad_request

SAMPLE_SIZE = 10


def list_url(query: str) -> str:
    return reverse("users:list") + (f"?{query}" if query else "")


class BulkActionView(StaffPermissionRequiredMixin, View):
    """The list's bulk form lands here: confirm, then act (or export)."""

    permission_required = "users.view_user"
    http_method_names = ["post"]

    def post(self, request):
        form = BulkForm(request.POST)
        if not form.is_valid():
            if form.nothing_ticked():
                messages.error(request, form.errors["id"][0])
                return redirect(list_url(form.cleaned_data.get("query", "")))
            return bad_request(request, form.errors_text())
        action = form.cleaned_data["action"]
        label, _, permission = ACTIONS[action]
        if not permissions.may_use_staff_page(request.user, permission):
            raise PermissionDenied(
                f"You do not have permission to {label.lower()} users in bulk."
            )
        params = ListParameters(form.list_query)
        if not params.valid:
            return bad_request(request, params.errors_text())
        users = form.selection(params.users)
        if action == "export":
            return self.export(request, form, params, users)
        # A confirmation names the count it saw: without one, ask (again).
        if form.cleaned_data["confirm"] and form.cleaned_data["expected"] is not None:
            return self.act(request, form, params, users)
        # Nothing to change: the confirmation page says so, rather than a 409.
        if form.at_once() and users.changed_by(form.cleaned_data["action"]).exists():
            return self.act(request, form, params, users)
        return confirmation(request, form, params, users)

    def export(self, request, form, params, users):
        rows = services.users_export(
            users,
            fields=EXPORT_FIELDS,
            ordering=params.ordering,
            actor=request.user,
            filters=_filters_for_trail(form),
        )
        return csv_download(rows)

    def act(self, request, form, params, users):
        try:
            event = services.users_bulk(
                actor=request.user,
                action=form.cleaned_data["action"],
                users=users,
                scope=form.cleaned_data["scope"],
                filters=_filters_for_trail(form),
                at_most=form.expected_count(),
            )
        except PermissionDenied as error:
            return confirmation(request, form, params, users, refusal=error, status=403)
        except services.BulkRefused as error:
            return confirmation(request, form, params, users, refusal=error, status=409)
        return redirect("users:bulk_result", batch=event.batch)


def _filters_for_trail(form: BulkForm) -> str:
    """The list's query string, and the ticked ids when not all matching."""
    query = form.cleaned_data["query"]
    if form.cleaned_data["scope"] == "matching":
        return query
    ids = urlencode({"id": form.ids}, doseq=True)
    return f"{query}&{ids}" if query else ids


def confirmation(request, form, params, users, *, refusal=None, status=200):
    """What the action would change - how many, a sample, or why it would be
    refused - and a Confirm button that posts it all again."""
    action = form.cleaned_data["action"]
    changing = users.changed_by(action)
    count = changing.count()
    selected = users.count() if action in ("activate", "deactivate") else count
    if refusal is None and count:
        try:
            permissions.check_bulk(request.user, action, changing)
        except PermissionDenied as error:
            refusal = error
    context = {
        "action": action,
        "label": ACTIONS[action][0],
        "count": count,
        "unchanged": selected - count,
        "sample": changing.sorted_by(params.ordering)[:SAMPLE_SIZE],
        "refusal": refusal,
        # A selection that grew may be confirmed at its new size; a rule's no
        # stays a no.
        "may_confirm": count
        and (refusal is None or isinstance(refusal, services.BulkRefused)),
        "form": form.cleaned_data,
        "ids": form.ids if form.cleaned_data["scope"] != "matching" else [],
        "back": list_url(form.cleaned_data["query"]),
    }
    return render(request, "users/bulk_confirm.html", context, status=status)


def _without_ids(filters: str) -> str:
    query = QueryDict(filters, mutable=True)
    query.pop("id", None)
    return query.urlencode()


def _visible_bulk_event(request, batch) -> AuditEvent:
    """The bulk event of batch, shown to the person who made it and to
    superusers (who read the whole trail); to anyone else it does not exist."""
    event = AuditEvent.objects.bulk_action(batch).first()
    user = request.user
    if event is None or not (user.is_superuser or event.actor_id == user.pk):
        raise Http404("No such bulk change.")
    return event


class BulkResultView(StaffPermissionRequiredMixin, View):
    permission_required = "users.view_user"
    http_method_names = ["get"]

    def get(self, request, batch):
        event = _visible_bulk_event(request, batch)
        changes = event.changes
        undoes = changes.get("undoes")
        sample = list(
            AuditEvent.objects.of_batch(batch)
            .order_by("target_label")
            .values_list("target_id", "target_label")[:SAMPLE_SIZE]
        )
        context = {
            "event": event,
            "past": ACTIONS.get(changes.get("action"), ("", "Changed", ""))[1],
            "count": changes.get("count", 0),
            "sample": sample,
            "more": changes.get("count", 0) - len(sample),
            "undo_refusal": services.undo_refusal(event, request.user),
            "undo_until": services.undo_deadline(event),
            "undoes": undoes,
            "back": list_url(_without_ids(changes.get("filters", ""))),
        }
        return render(request, "users/bulk_result.html", context)


class BulkUndoView(StaffPermissionRequiredMixin, View):
    permission_required = "users.change_user"
    http_method_names = ["post"]

    def post(self, request, batch):
        event = _visible_bulk_event(request, batch)
        try:
            undo = services.bulk_undo(actor=request.user, batch=event.batch)
        except (PermissionDenied, services.BulkRefused) as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("users:bulk_result", args=[batch]))
        return redirect("users:bulk_result", batch=undo.batch)
