"""Routes of the duty pages: person-times, the check-ins behind each figure, their exports."""

from django.urls import URLPattern, path

from huxue.duty.stats import views

urlpatterns: list[URLPattern] = [
    path("stats/", views.stats_page, name="stats"),
    path("stats/export.xlsx", views.stats_export, name="stats_export"),
    path("checkins/", views.checkins_page, name="checkins"),
    path("checkins/export.xlsx", views.checkins_export, name="checkins_export"),
]
