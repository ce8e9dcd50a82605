from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("huxue/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", include("huxue.api.urls")),
    path("messages/", include("huxue.notify.urls")),
    path("files/", include("huxue.files.urls")),
    path("supervision/", include("huxue.supervision.urls")),
    path("", include("huxue.web.urls")),
]
