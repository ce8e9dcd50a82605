"""Routes of the duty pages: member."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
