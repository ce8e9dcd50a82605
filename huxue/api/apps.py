from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "huxue.api"
    label = "huxue_api"
