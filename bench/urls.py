from django.urls import path

from bench.stock.admin import stock_site
from noogh_site.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("stock-admin/", stock_site.urls), *project_urlpatterns]
