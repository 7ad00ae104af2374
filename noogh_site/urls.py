from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from users.signin.forms import LoginForm
from users.signin.links import PasswordLinkDoneView, PasswordLinkView

from . import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="users:list"), name="home"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/mfa/", include("users.signin.urls")),
    path(
        "accounts/password/<uidb64>/<token>/",
        PasswordLinkView.as_view(),
        name="password_link",
    ),
    path(
        "accounts/password/done/",
        PasswordLinkDoneView.as_view(),
        name="password_link_done",
    ),
    path("users/", include("users.web.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# Error pages that never fail (noogh_site.errors).
handler400 = "noogh_site.errors.bad_request"
handler403 = "noogh_site.errors.permission_denied"
handler404 = "noogh_site.errors.page_not_found"
handler500 = "noogh_site.errors.server_error"
