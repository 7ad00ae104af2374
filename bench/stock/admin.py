from django.contrib import admin

from .models import StockUser

stock_site = admin.AdminSite(name="stock")


@admin.register(StockUser, site=stock_site)
class StockUserAdmin(admin.ModelAdmin):
    """What a team gets from the Django docs: same columns, search and filters."""

    list_display = (
        "email",
        "username",
        "full_name",
        "is_active",
        "is_staff",
        "is_superuser",
        "created_at",
    )
    search_fields = ("email", "username", "full_name")
    list_filter = ("is_active", "is_staff", "is_superuser", "created_at")
