from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostsConfig(AppConfig):
    name = "huxue.posts"
    label = "posts"
    verbose_name = _("Schools and posts")
