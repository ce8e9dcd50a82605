"""API routes for duty: stats (added to /api/v1/ by huxue.api.v1)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
