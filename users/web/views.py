"""Staff pages: list and search, detail, create, edit, (de)activate, delete, export."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import DetailView, FormView, TemplateView, UpdateView, View
from django.views.generic.detail import SingleObjectMixin

from .. import factors, permissions, services
from ..export import EXPORT_FIELDS, csv_download
from ..listing import ORDERING_CHOICES, ListParameters, sort_columns
from ..models import User
from ..pagination import page_and_count
from .access import (
    AccountFormView,
    RuleCheckedOnOpenMixin,
    StaffPermissionRequiredMixin,
)
from .back import BackToListMixin, back_from
from .filterform import DrawnField, drawn_groups
from .forms import StaffPasswordForm, UserCreateForm, UserForm
from .grants import access_summary
from .history import recent_history
from .links import MAIL_ERRORS, link_base, mail_failed
from .selection import offered_actions as offered_bulk_actions
from .sessions import sessions_context


def bad_request(request, message: str) -> HttpResponse:
    return render(request, "400.html", {"message": message}, status=400)


class UserListView(StaffPermissionRequiredMixin, TemplateView):
    permission_required = "users.view_user"
    template_name = "users/user_list.html"

    def get(self, request, *args, **kwargs):
        params = ListParameters(request.GET)
        context = {
            "form": params.form,
            "columns": sort_columns(params.ordering),
            "ordering_label": dict(ORDERING_CHOICES)[params.ordering],
            "filters_open": params.filters_open,
            # The filter form's fields, each drawn once per state (filterform).
            "search_field": DrawnField(params.form["q"]),
            "field_groups": drawn_groups(params.field_groups()),
        }
        if not params.valid:
            context["errors"] = params.errors_text()
            return self.render_to_response(context, status=400)
        page, count = page_and_count(
            params.users,
            ordering=params.ordering,
            per_page=params.per_page,
            token=params.page_token,
            filtered=params.filtered,
        )
        # Per-row Activate/Deactivate where the rules allow: judged for the page.
        permissions.offered_row_actions(request.user, page.rows)
        bulk = offered_bulk_actions(request.user)
        return self.render_to_response(
            context | {"page": page, "count": count, "bulk_actions": bulk}
        )


class UserExportView(StaffPermissionRequiredMixin, View):
    permission_required = "users.view_user"

    def get(self, request):
        return self._answer(request, with_rows=True)

    def head(self, request):  # the headers only: not an export, not audited
        return self._answer(request, with_rows=False)

    def _answer(self, request, *, with_rows: bool):
        params = ListParameters(request.GET)
        if not params.valid:
            return bad_request(request, params.errors_text())
        rows = ()
        if with_rows:
            rows = services.users_export(
                params.users,
                fields=EXPORT_FIELDS,
                ordering=params.ordering,
                actor=request.user,
                filters=request.GET.urlencode(),
            )
        return csv_download(rows)


class UserDetailView(StaffPermissionRequiredMixin, BackToListMixin, DetailView):
    permission_required = "users.view_user"
    model = User
    context_object_name = "account"
    template_name = "users/user_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("suspension", "dormancy_exemption")

    def get_context_data(self, **kwargs):
        offered = permissions.offered_actions(self.request.user, self.object)
        return (
            super().get_context_data(**kwargs)
            | {
                "offered": offered,
                "mfa": factors.status(self.object),
                "access": access_summary(self.object),
                "suspension": getattr(self.object, "suspension", None),
                "exemption": getattr(self.object, "dormancy_exemption", None),
            }
            | recent_history(self.object)
            | sessions_context(self.request, self.object)
        )


class UserPasswordView(AccountFormView):
    """Set a user's password (typed twice) or make it unusable."""

    form_class = StaffPasswordForm
    template_name = "users/user_password.html"

    opening_check = staticmethod(permissions.check_set_password)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"user": self.object}

    def form_valid(self, form):
        password = None
        if form.cleaned_data["set_usable_password"]:
            password = form.cleaned_data["password1"]
        try:
            services.user_set_password(
                actor=self.request.user, user=self.object, password=password
            )
        except PermissionDenied as error:
            return _refused(self, form, error)
        except services.UserGone as gone:
            return _gone(self.request, gone)
        # Every other session of the account ended; this one stays signed in.
        update_session_auth_hash(self.request, self.object)
        done = "changed" if password else "disabled: the account cannot log in"
        messages.success(self.request, f"Password of {self.object.username} {done}.")
        return redirect(self.back_to_user(self.object))


class UserCreateView(StaffPermissionRequiredMixin, BackToListMixin, FormView):
    permission_required = "users.add_user"
    form_class = UserCreateForm
    template_name = "users/user_form.html"

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"actor": self.request.user}

    def form_valid(self, form):
        invite = form.cleaned_data.get("invite")
        fields = form.fields_for_service()
        try:
            if invite:
                del fields["password"]  # the invitation lets them choose it
                user = services.user_invite(
                    actor=self.request.user, base_url=link_base(self.request), **fields
                )
            else:
                user = services.user_create(actor=self.request.user, **fields)
        except (ValidationError, PermissionDenied) as error:
            return _refused(self, form, error)
        except MAIL_ERRORS as error:
            mail_failed(self.request, error)
            return self.form_invalid(form)
        done = f" and sent an invitation to {user.email}" if invite else ""
        messages.success(self.request, f"Created user {user.username}{done}.")
        return redirect(self.back_to_user(user))


class UserUpdateView(
    StaffPermissionRequiredMixin, BackToListMixin, RuleCheckedOnOpenMixin, UpdateView
):
    permission_required = "users.change_user"
    model = User
    form_class = UserForm
    context_object_name = "account"
    template_name = "users/user_form.html"

    opening_check = staticmethod(permissions.check_edit)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"actor": self.request.user}

    def form_valid(self, form):
        if not form.has_changed():
            messages.info(self.request, "Nothing changed.")
            return redirect(self.back_to_user(self.object))
        try:
            user = services.user_update(
                actor=self.request.user,
                user=self.object,
                expected_version=form.cleaned_data.get("version"),
                **form.changes(),
            )
        except services.StaleEdit as stale:
            form.show_stale(stale.current, stale.events)
            return self.form_invalid(form)
        except (ValidationError, PermissionDenied) as error:
            return _refused(self, form, error)
        except services.UserGone as gone:
            return _gone(self.request, gone)
        messages.success(self.request, f"Saved changes to {user.username}.")
        return redirect(self.back_to_user(user))


def _gone(request, gone: services.UserGone):
    messages.error(request, str(gone))
    return redirect(back_from(request) or "users:list")


def _refused(view, form, error):
    """Show a refusal from the services on the form instead of saving."""
    if isinstance(error, PermissionDenied):
        messages.error(view.request, str(error))
        form.add_error(None, str(error))
    else:
        form.add_error(None, error)
    return view.form_invalid(form)


def _next_or(request, fallback):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


class UserSetActiveView(
    StaffPermissionRequiredMixin, BackToListMixin, SingleObjectMixin, View
):
    permission_required = "users.change_user"
    http_method_names = ["post"]
    model = User
    active = True

    def post(self, request, *args, **kwargs):
        user = self.get_object()
        change = services.user_activate if self.active else services.user_deactivate
        try:
            change(actor=request.user, user=user)
        except PermissionDenied as error:
            messages.error(request, str(error))
        except services.UserGone as gone:
            return _gone(request, gone)
        else:
            state = "active" if self.active else "inactive"
            messages.success(request, f"{user.username} is now {state}.")
        return _next_or(request, self.back_to_user(user))


class UserDeleteView(
    StaffPermissionRequiredMixin, BackToListMixin, RuleCheckedOnOpenMixin, DetailView
):
    permission_required = "users.delete_user"
    model = User
    context_object_name = "account"
    template_name = "users/user_confirm_delete.html"

    opening_check = staticmethod(permissions.check_delete)

    def post(self, request, *args, **kwargs):
        user = self.get_object()
        username = user.username
        try:
            services.user_delete(actor=request.user, user=user)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect(self.back_to_user(user))
        except services.UserGone as gone:
            return _gone(request, gone)
        messages.success(request, f"Deleted user {username}.")
        return redirect(self.back_to_list())
