from django.urls import path

from huxue.roster import views

app_name = "roster"
urlpatterns = [
    path("my/", views.my_shifts, name="my_shifts"),
    path("shifts/<int:shift_pk>/signup/", views.signup, name="signup"),
    path("signups/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("availability/", views.availability, name="availability"),
    path("availability/exception/", views.availability_exception, name="availability_exception"),
    path("feed/", views.feed_issue, name="feed_issue"),
    path("ical/<str:token>.ics", views.ical, name="ical"),
]
