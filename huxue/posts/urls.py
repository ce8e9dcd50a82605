from django.urls import path

from huxue.posts import views

app_name = "posts"
urlpatterns = [
    path("schools/", views.school_list, name="school_list"),
    path("schools/new/", views.school_create_view, name="school_create"),
    path("schools/<int:pk>/", views.school_detail, name="school_detail"),
    path("schools/<int:school_pk>/posts/new/", views.post_create_view, name="post_create"),
    path("posts/", views.post_list, name="post_list"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/poster/", views.post_poster, name="post_poster"),
    path("posts/<int:pk>/rotate-qr/", views.post_rotate_qr_view, name="post_rotate_qr"),
    path("posts/<int:pk>/void/", views.post_void_view, name="post_void"),
    path("q/<str:token>/", views.qr_landing, name="qr_landing"),
]
