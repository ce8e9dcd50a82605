"""Routes of the duty pages: stats."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
