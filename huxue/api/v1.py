"""/api/v1/: the routes. What each answers a caller without the right is in ``huxue.api.base``.

people/                 GET list (filters: unit, force_type, vetting_status, training_status, search), POST
people/{id}/            GET, PUT, PATCH (no DELETE: records are voided)
people/{id}/void/       POST {reason}
people/{id}/reveal/     POST {field: id_number|phone, reason}: the full value, audited
people/{id}/consents/   POST {text_version, method, consented_at?}
schools/                GET list, POST
schools/{id}/           GET, PUT, PATCH
posts/                  GET list (filter: school), POST
posts/{id}/             GET, PUT, PATCH
posts/{id}/void/        POST {reason}
posts/{id}/rotate-qr/   POST
units/                  GET list (filter: kind)
regions/                GET list
me/                     GET
auth/token/             POST {username, password} → {token}; DELETE revokes yours
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from huxue.api.auth import TokenView
from huxue.api.orgs import MeView, RegionViewSet, UnitViewSet
from huxue.api.people import PersonViewSet
from huxue.api.places import PostViewSet, SchoolViewSet

app_name = "v1"

router = SimpleRouter()
router.register("people", PersonViewSet, basename="person")
router.register("schools", SchoolViewSet, basename="school")
router.register("posts", PostViewSet, basename="post")
router.register("units", UnitViewSet, basename="unit")
router.register("regions", RegionViewSet, basename="region")

urlpatterns = [
    path("", include(router.urls)),
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", TokenView.as_view(), name="token"),
]
