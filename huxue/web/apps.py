from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "huxue.web"
    label = "web"
