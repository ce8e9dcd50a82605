"""/duty/: the live board, the member's check-in pages, the lead's roll call and call-outs,
person-times. Each part keeps its routes in its own package."""

from huxue.duty.alerts import urls as alerts_urls
from huxue.duty.board import urls as board_urls
from huxue.duty.checkin import urls as checkin_urls
from huxue.duty.hours import urls as hours_urls
from huxue.duty.stats import urls as stats_urls

app_name = "duty"
urlpatterns = [
    *board_urls.urlpatterns,
    *checkin_urls.urlpatterns,
    *alerts_urls.urlpatterns,
    *stats_urls.urlpatterns,
    *hours_urls.urlpatterns,
]
