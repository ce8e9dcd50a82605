from django.urls import path, register_converter

from huxue.imports import views


class KindConverter:
    regex = "people|schools|posts"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(KindConverter, "import_kind")

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.job, name="job"),
    path("<int:pk>/errors.xlsx", views.job_errors, name="job_errors"),
    path("<import_kind:kind>/upload/", views.upload, name="upload"),
    path("<import_kind:kind>/template.xlsx", views.template, name="template"),
    path("<import_kind:kind>/export.xlsx", views.export, name="export"),
]
