from django.db import models


class StockUser(models.Model):
    """A plain copy of users_user: primary key only, none of noogh's indexes."""

    email = models.CharField(max_length=254)
    username = models.CharField(max_length=150)
    full_name = models.CharField(max_length=255)
    is_active = models.BooleanField()
    is_staff = models.BooleanField()
    is_superuser = models.BooleanField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "bench_stock_user"

    def __str__(self) -> str:
        return self.username
