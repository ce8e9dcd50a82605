"""Routes of the duty pages: lead."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
