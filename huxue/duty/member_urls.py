"""Routes of the duty pages: member."""

from django.urls import URLPattern, path

from huxue.duty import member_views

urlpatterns: list[URLPattern] = [
    path("", member_views.today, name="today"),
    path("sw.js", member_views.service_worker, name="sw"),
]
