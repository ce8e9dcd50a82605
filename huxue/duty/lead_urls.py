"""Routes of the duty pages: the lead's roll call and call-outs."""

from django.urls import URLPattern, path

from huxue.duty import lead_views

urlpatterns: list[URLPattern] = [
    path("shifts/<int:pk>/", lead_views.shift_duty, name="shift"),
]
