from django.contrib.auth import views as auth_views
from django.urls import include, path

from huxue.web import rules_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("rules/", rules_views.city_rules, name="city_rules"),
    path("people/", include("huxue.people.urls")),
    path("audit/", include("huxue.core.urls")),
    path("imports/", include("huxue.imports.urls")),
    path("calendar/", include("huxue.calendar.urls")),
    path("roster/", include("huxue.roster.urls")),
    path("duty/", include("huxue.duty.urls")),
    path("", include("huxue.posts.urls")),
]
