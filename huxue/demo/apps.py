from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "huxue.demo"
    label = "demo"
