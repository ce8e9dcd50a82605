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
shifts/                 GET list (filters: school, post, from, to)
shifts/{id}/            GET, with what it needs per group and how full it is
shifts/generate/        POST {schools[]|posts[], from, to}: planners
signups/                GET list (filters: school, from, to), POST {shift}: as your member record
signups/{id}/withdraw/  POST: until the cut-off
availability/           GET, PUT {windows}: your weekly availability
availability/exceptions/ POST {day, available, note}
roster-runs/            GET list, POST {school|unit, from, to, seed?}: solve a draft
roster-runs/{id}/       GET, with each unfilled slot explained in your language
roster-versions/        GET list (filters: school, from, to), POST {school, from, to}: publish
roster-versions/{id}/   GET, with the snapshot
assignments/            GET list (filters: school, from, to): yours, or in your scope;
                        POST {shift, person, group?, substitute?}: by hand, locked (planners)
assignments/{id}/drop/  POST {reason}
assignments/{id}/lock/  POST {locked}
shifts/{id}/substitutes/ GET (filter: group): eligible members, ranked (planners)
swaps/                  GET list: pending in your scope (leads), your own (members);
                        POST {assignment, colleague, note?}: as the member on the shift
swaps/{id}/approve/     POST: the shift moves to the colleague (school lead)
swaps/{id}/reject/      POST
me/calendar-feed/       POST: issue (or replace) your private iCal address
checkins/               GET list (filters: school, post, person, day_from, day_to): yours, or in
                        your scope; POST {post|qr, method, device_at?, latitude?, longitude?,
                        accuracy?} with an Idempotency-Key header: check in as your member record
checkins/{id}/checkout/ POST {device_at?, latitude?, longitude?, accuracy?}, Idempotency-Key
board/                  GET (filters: district, station): every post in scope now, green/amber/
                        red/grey with counts by force group
person-times/           GET (filters: from, to, by, period, district, station): 人次 by force type
                        and duty hours, per place and period
shifts/{id}/rollcall/   POST {person, present}: a lead marks a member present or gone
gap-alerts/             GET (filters: open, school): posts found short into their window
callouts/               GET list: yours, or in your scope; POST {shift, person, group?}: call a
                        substitute to a short post
callouts/{id}/accept/   POST: as the called member; puts you on the shift
callouts/{id}/decline/  POST
messages/               GET list (filter: unread): your own messages (消息), newest first
messages/{id}/read/     POST: mark one of yours read
checklist/              GET (filter: post): the 三查三看 checklist a round at that post is asked
rounds/                 GET list (filters: post, status): inspection rounds in your scope; POST
                        {post, kind?, at?, latitude?, longitude?, accuracy?, answers?[]}: start one,
                        or send a whole offline round (answers, Idempotency-Key): once
rounds/{id}/            GET, with its answers (查到岗 answered from the roster and check-ins)
rounds/{id}/answer/     POST {item, result, note?}: your own open round
rounds/{id}/submit/     POST: every item answered, a note on each failure; scored
photos/                 POST multipart {file}: checked, re-encoded without EXIF, yours until attached
hazards/                GET list (filters: school, state, grade); POST {school, post?, title,
                        description?, category, grade, photos?[]}: report one (重大隐患 tells the bureau)
hazards/{id}/           GET, with its steps and the steps you may take
hazards/{id}/step/      POST {step, version, note?, responsible?, deadline?, requirement?, photos?[]}:
                        409 when the hazard has moved on (a stale version, or a step not possible now)
auth/token/             POST {username, password} → {token}; DELETE revokes yours
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from huxue.api import duty_board, duty_lead, duty_stats, messages, supervision
from huxue.api.auth import TokenView
from huxue.api.duty import CheckInViewSet
from huxue.api.orgs import MeView, RegionViewSet, UnitViewSet
from huxue.api.people import PersonViewSet
from huxue.api.places import PostViewSet, SchoolViewSet
from huxue.api.roster import (
    AvailabilityExceptionView,
    AvailabilityView,
    CalendarFeedView,
    RosterRunViewSet,
    RosterVersionViewSet,
    SignUpViewSet,
)
from huxue.api.roster_lead import LeadAssignmentViewSet, LeadShiftViewSet, SwapViewSet

app_name = "v1"

router = SimpleRouter()
# Check-ins first: in a peak window a whole city checks in within minutes, and the resolver tries
# the routes in order.
router.register("checkins", CheckInViewSet, basename="checkin")
router.register("people", PersonViewSet, basename="person")
router.register("schools", SchoolViewSet, basename="school")
router.register("posts", PostViewSet, basename="post")
router.register("units", UnitViewSet, basename="unit")
router.register("regions", RegionViewSet, basename="region")
router.register("shifts", LeadShiftViewSet, basename="shift")
router.register("signups", SignUpViewSet, basename="signup")
router.register("roster-runs", RosterRunViewSet, basename="rosterrun")
router.register("roster-versions", RosterVersionViewSet, basename="rosterversion")
router.register("assignments", LeadAssignmentViewSet, basename="assignment")
router.register("swaps", SwapViewSet, basename="swap")

urlpatterns = [
    path("", include(router.urls)),
    path("me/", MeView.as_view(), name="me"),
    path("me/calendar-feed/", CalendarFeedView.as_view(), name="calendar-feed"),
    path("availability/", AvailabilityView.as_view(), name="availability"),
    path(
        "availability/exceptions/",
        AvailabilityExceptionView.as_view(),
        name="availability-exceptions",
    ),
    path("auth/token/", TokenView.as_view(), name="token"),
    *duty_board.urlpatterns,
    *duty_lead.urlpatterns,
    *duty_stats.urlpatterns,
    *messages.urlpatterns,
    *supervision.urlpatterns,
]
