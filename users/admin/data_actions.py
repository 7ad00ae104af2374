"""The user admin's actions on an account's data: password links, the
subject-access export, erasure (which the staff page confirms)."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from .. import mail, services
from ..export import personal_data_response


class AccountDataActionsMixin:
    @admin.action(
        description="Email a password link to selected users (invitation or reset)",
        permissions=["change"],
    )
    def send_password_links_selected(self, request, queryset):
        base_url = settings.SITE_URL or request.build_absolute_uri("/")
        try:
            sent, refusals = services.users_send_password_links(
                actor=request.user, users=queryset.order_by("pk"), base_url=base_url
            )
        except mail.MAIL_ERRORS as error:
            message = f"The mail server failed ({error.__class__.__name__})."
            self.message_user(request, message, messages.ERROR)
            return
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)
        self.message_user(request, f"Sent {sent} password link(s).", messages.SUCCESS)

    @admin.action(
        description="Export the personal data of the selected user (JSON)",
        permissions=["change"],
    )
    def export_personal_data_selected(self, request, queryset):
        users = list(queryset[:2])
        if len(users) != 1:
            message = "Select exactly one user: the export is one account's data."
            self.message_user(request, message, messages.ERROR)
            return None
        try:
            chunks = services.user_export_personal_data(
                actor=request.user, user=users[0]
            )
        except PermissionDenied as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        return personal_data_response(chunks, users[0])

    @admin.action(
        description="Erase the personal data of the selected user (asks first)",
        permissions=["delete"],
    )
    def erase_selected(self, request, queryset):
        """The staff page asks for the basis and the typed confirmation."""
        users = list(queryset[:2])
        if len(users) != 1:
            message = "Select exactly one user to erase: each is confirmed on its own."
            self.message_user(request, message, messages.ERROR)
            return None
        return redirect("users:erase", pk=users[0].pk)
