"""Routes of the member's check-in pages: today's shifts, the check-out's confirmation and the
offline shell's service worker."""

from django.urls import URLPattern, path

from huxue.duty.checkin import views

urlpatterns: list[URLPattern] = [
    path("", views.today, name="today"),
    path("checkout/<int:pk>/", views.checkout, name="checkout"),
    path("sw.js", views.service_worker, name="sw"),
]
