from django.urls import path

from huxue.core import views

app_name = "audit"
urlpatterns = [path("", views.audit_list, name="list")]
