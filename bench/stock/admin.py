from django.contrib import admin

from users.admin.users import UserAdmin

from .models import StockUser

stock_site = admin.AdminSite(name="stock")


@admin.register(StockUser, site=stock_site)
class StockUserAdmin(admin.ModelAdmin):
    """What a team gets from the Django docs: our columns, search and filters,
    and nothing else (no estimates, no index-aware search, plain OFFSET pages)."""

    list_display = UserAdmin.list_display
    search_fields = UserAdmin.search_fields
    list_filter = UserAdmin.list_filter
