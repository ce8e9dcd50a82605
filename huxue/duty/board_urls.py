"""Routes of the duty pages: board."""

from django.urls import URLPattern, path

from huxue.duty import board_views

urlpatterns: list[URLPattern] = [
    path("board/", board_views.board_page, name="board"),
    path("board/tiles/", board_views.board_tiles, name="board_tiles"),
]
