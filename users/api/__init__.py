"""The JSON API under /api/ (django-ninja): the seed's routes over the same
query layer, list parameters, services and rules as the staff pages."""
