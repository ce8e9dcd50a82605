"""Routes of the duty pages: board."""

from django.urls import URLPattern, path

from huxue.duty.board import views

urlpatterns: list[URLPattern] = [
    path("board/", views.board_page, name="board"),
    path("board/tiles/", views.board_tiles, name="board_tiles"),
]
