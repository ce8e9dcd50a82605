from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "huxue.imports"
    label = "imports"
    verbose_name = _("Import and export")
