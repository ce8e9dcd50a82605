from django.urls import path

from huxue.files import views

app_name = "files"

urlpatterns = [
    path("photos/<str:token>/", views.photo, name="photo"),
    path("photos/<str:token>/thumbnail/", views.photo_thumbnail, name="photo_thumbnail"),
]
