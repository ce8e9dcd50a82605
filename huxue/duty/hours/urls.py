"""Routes of 我的服务时长: the member's figures with their records, and the records as Excel."""

from django.urls import URLPattern, path

from huxue.duty.hours import views

urlpatterns: list[URLPattern] = [
    path("hours/", views.my_hours, name="my_hours"),
    path("hours/export.xlsx", views.my_hours_export, name="my_hours_export"),
]
