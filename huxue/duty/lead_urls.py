"""Routes of the duty pages: the lead's roll call and call-outs, the called member's answer."""

from django.urls import URLPattern, path

from huxue.duty import lead_views

urlpatterns: list[URLPattern] = [
    path("shifts/<int:pk>/", lead_views.shift_duty, name="shift"),
    path("shifts/<int:pk>/rollcall/", lead_views.rollcall, name="shift_rollcall"),
    path("shifts/<int:pk>/callouts/", lead_views.callout_new, name="shift_callout"),
    path("callouts/<int:pk>/", lead_views.callout_page, name="callout"),
    path("callouts/<int:pk>/cancel/", lead_views.callout_withdraw, name="callout_cancel"),
]
