from django.urls import path

from huxue.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.message, name="message"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
]
