from django.urls import path

from huxue.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create_view, name="create"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/reveal/", views.person_reveal_view, name="reveal"),
    path("<int:pk>/void/", views.person_void_view, name="void"),
    path("<int:pk>/consent/", views.person_consent_view, name="consent"),
]
