from django.urls import path

from . import lockouts, views

app_name = "users"

urlpatterns = [
    path("", views.UserListView.as_view(), name="list"),
    path("new/", views.UserCreateView.as_view(), name="create"),
    path("export.csv", views.UserExportView.as_view(), name="export"),
    path("lockouts/", lockouts.LockoutListView.as_view(), name="lockouts"),
    path("lockouts/lift/", lockouts.LockoutLiftView.as_view(), name="lockout_lift"),
    path("<int:pk>/", views.UserDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.UserUpdateView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.UserDeleteView.as_view(), name="delete"),
    path("<int:pk>/password/", views.UserPasswordView.as_view(), name="password"),
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
]
