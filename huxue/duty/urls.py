"""/duty/: the live board, the member's check-in pages, the lead's roll call and call-outs,
person-times. Each part keeps its routes in its own module."""

from huxue.duty import board_urls, lead_urls, member_urls, stats_urls

app_name = "duty"
urlpatterns = [
    *board_urls.urlpatterns,
    *member_urls.urlpatterns,
    *lead_urls.urlpatterns,
    *stats_urls.urlpatterns,
]
