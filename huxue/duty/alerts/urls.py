"""Routes of the duty pages: the lead's roll call and call-outs, the called member's answer, the
list of gap alerts."""

from django.urls import URLPattern, path

from huxue.duty.alerts import views

urlpatterns: list[URLPattern] = [
    path("shifts/<int:pk>/", views.shift_duty, name="shift"),
    path("shifts/<int:pk>/rollcall/", views.rollcall, name="shift_rollcall"),
    path("shifts/<int:pk>/callouts/", views.callout_new, name="shift_callout"),
    path("callouts/<int:pk>/", views.callout_page, name="callout"),
    path("callouts/<int:pk>/cancel/", views.callout_withdraw, name="callout_cancel"),
    path("alerts/", views.alert_list, name="alerts"),
]
