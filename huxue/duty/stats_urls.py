"""Routes of the duty pages: person-times, the check-ins behind each figure, their exports."""

from django.urls import URLPattern, path

from huxue.duty import stats_views

urlpatterns: list[URLPattern] = [
    path("stats/", stats_views.stats_page, name="stats"),
    path("stats/export.xlsx", stats_views.stats_export, name="stats_export"),
    path("checkins/", stats_views.checkins_page, name="checkins"),
    path("checkins/export.xlsx", stats_views.checkins_export, name="checkins_export"),
]
