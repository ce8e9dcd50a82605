from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "huxue.web"
    label = "web"

    def ready(self) -> None:
        from huxue.web import sessions  # noqa: F401  (connects the login receiver)
