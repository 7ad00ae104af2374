"""How forms draw themselves: Django's own field rendering (as_field_group),
with the project's layout of a field and of a form (templates/forms/)."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Form templates are found like every other template (so the project's
    override Django's), and every form and field uses the project's layout:
    label, help, errors, widget, with the widget described by its help and
    its errors (aria-describedby, one id each)."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
