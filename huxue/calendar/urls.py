from django.urls import path

from huxue.calendar import views

app_name = "calendar"
urlpatterns = [
    path("", views.calendar_index, name="index"),
    path("arrangements/new/", views.arrangement_view, name="arrangement"),
    path("terms/new/", views.term_create_view, name="term_create"),
    path("terms/<int:pk>/edit/", views.term_edit_view, name="term_edit"),
    path("closures/new/", views.closure_create_view, name="closure_create"),
    path("closures/<int:pk>/", views.closure_detail, name="closure_detail"),
    path("closures/<int:pk>/void/", views.closure_void_view, name="closure_void"),
]
