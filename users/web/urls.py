from django.urls import path

from . import (
    bulk,
    dormancy,
    erasure,
    factors,
    grants,
    history,
    lifecycle,
    links,
    lockouts,
    personal_data,
    sessions,
    views,
)

app_name = "users"

urlpatterns = [
    path("", views.UserListView.as_view(), name="list"),
    path("new/", views.UserCreateView.as_view(), name="create"),
    path("export.csv", views.UserExportView.as_view(), name="export"),
    path("bulk/", bulk.BulkActionView.as_view(), name="bulk"),
    path("bulk/<uuid:batch>/", bulk.BulkResultView.as_view(), name="bulk_result"),
    path("bulk/<uuid:batch>/undo/", bulk.BulkUndoView.as_view(), name="bulk_undo"),
    path("me/sessions/", sessions.MySessionsView.as_view(), name="my_sessions"),
    path(
        "me/sessions/<int:session_id>/end/",
        sessions.MySessionEndView.as_view(),
        name="my_session_end",
    ),
    path(
        "me/sessions/end-all/",
        sessions.MySessionsEndAllView.as_view(),
        name="my_sessions_end_all",
    ),
    path("lockouts/", lockouts.LockoutListView.as_view(), name="lockouts"),
    path("dormant/", dormancy.DormantPreviewView.as_view(), name="dormant"),
    path("dormant.csv", dormancy.DormantExportView.as_view(), name="dormant_export"),
    path("lockouts/lift/", lockouts.LockoutLiftView.as_view(), name="lockout_lift"),
    path("<int:pk>/", views.UserDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.UserUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.UserDeleteView.as_view(), name="delete"),
    path("<int:pk>/erase/", erasure.UserEraseView.as_view(), name="erase"),
    path("<int:pk>/password/", views.UserPasswordView.as_view(), name="password"),
    path("<int:pk>/access/", grants.UserAccessView.as_view(), name="access"),
    path("<int:pk>/history/", history.UserHistoryView.as_view(), name="history"),
    path(
        "<int:pk>/personal-data.json",
        personal_data.UserPersonalDataView.as_view(),
        name="personal_data",
    ),
    path(
        "<int:pk>/password-link/",
        links.UserPasswordLinkView.as_view(),
        name="password_link",
    ),
    path(
        "<int:pk>/two-factor/reset/",
        factors.UserResetMFAView.as_view(),
        name="mfa_reset",
    ),
    path("<int:pk>/suspend/", lifecycle.UserSuspendView.as_view(), name="suspend"),
    path(
        "<int:pk>/suspension/lift/",
        lifecycle.UserLiftSuspensionView.as_view(),
        name="lift_suspension",
    ),
    path(
        "<int:pk>/active-until/",
        lifecycle.UserActiveUntilView.as_view(),
        name="active_until",
    ),
    path(
        "<int:pk>/dormancy-exemption/",
        dormancy.UserDormancyExemptionView.as_view(),
        name="dormancy_exemption",
    ),
    path(
        "<int:pk>/activate/",
        views.UserSetActiveView.as_view(active=True),
        name="activate",
    ),
    path(
        "<int:pk>/deactivate/",
        views.UserSetActiveView.as_view(active=False),
        name="deactivate",
    ),
    path(
        "<int:pk>/sessions/<int:session_id>/end/",
        sessions.AccountSessionEndView.as_view(),
        name="session_end",
    ),
    path(
        "<int:pk>/sessions/end-all/",
        sessions.AccountSessionsEndAllView.as_view(),
        name="sessions_end_all",
    ),
]
