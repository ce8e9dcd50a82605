from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolCalendarConfig(AppConfig):
    name = "huxue.calendar"
    # "calendar" would shadow nothing in Python (the package is huxue.calendar), but a label is
    # global to Django and "schoolcal" says what the tables hold.
    label = "schoolcal"
    verbose_name = _("School calendar")
