"""The member's check-in pages (phone first): today's shifts with check-in and check-out, the QR
poster's confirm page, and the service worker that lets both open without a network.

The pages only read; every write goes through the check-in API (``/api/v1/checkins/``) from
``static/huxue/duty.js``, which keeps each attempt in the phone's storage with its idempotency key
until the server has answered, so a check-in made offline is sent later and never counted twice.
The one exception is the check-out's confirmation page (``checkout``), the path of a phone
without JavaScript: a form that checks out through the same service.

A day without duty at a post (a weekend, a holiday, a closure: ``huxue.calendar.days_off``) is
said in words on both pages, with no check-in button.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from huxue.calendar.days_off import (
    DayOff,
    closed_on,
    closures_on,
    post_day_off,
    school_day_off,
)
from huxue.core import rulesets
from huxue.duty.checkin.rules import SHORT_DUTY, is_short_duty
from huxue.duty.checkin.selectors import open_checkin_of, own_checkin_for, school_of
from huxue.duty.checkin.services import CheckInRefused, check_out, still_on_duty_elsewhere
from huxue.duty.models import CheckIn, DutyRules
from huxue.orgs import access
from huxue.people.models import Person
from huxue.posts.models import Post
from huxue.roster.models import Shift, ShiftQuerySet
from huxue.roster.selectors import assignments_of, person_of, shifts_visible_to

# Files the service worker keeps so that the today page opens at a gate without a network.
SHELL_STATIC = ("huxue/huxue.css", "huxue/duty.js", "vendor/htmx.min.js")


def _hm(at: dt.datetime | None) -> str:
    return timezone.localtime(at).strftime("%H:%M") if at else ""


def flag_words(checkin: CheckIn) -> list[tuple[str, str]]:
    """A check-in's flags as (code, words) for the member: the same codes the API answers."""
    words = _flag_labels()
    return [
        (code, words[code])
        for code, on in (
            ("late", checkin.is_late),
            ("outside", checkin.is_outside),
            ("walkin", checkin.is_walkin),
            ("delayed", checkin.is_delayed),
            ("short", checkin.is_short),
        )
        if on
    ]


def _flag_labels() -> dict[str, str]:
    return {
        "late": _("late"),
        "outside": _("outside the area"),
        "walkin": _("not on the roster"),
        "delayed": _("sent later"),
        "short": _("checked out soon after checking in"),
    }


def short_duty_warning() -> str:
    """What the member reads before a check-out that comes this soon after the check-in."""
    minutes = int(SHORT_DUTY.total_seconds() // 60)
    return ngettext(
        "You checked in less than %(n)s minute ago. A check-out this soon is marked for your "
        "school lead to see.",
        "You checked in less than %(n)s minutes ago. A check-out this soon is marked for your "
        "school lead to see.",
        minutes,
    ) % {"n": minutes}


@dataclass
class Card:
    """One line of the today page: a rostered shift, or a check-in made without a roster slot."""

    shift: Shift
    post: Post
    state: str  # due | later | missed | open | closed
    opens_at: dt.datetime
    checkin: CheckIn | None = None
    flags: list[tuple[str, str]] = field(default_factory=list)
    rostered: bool = True
    day_off: DayOff | None = None  # the post has no duty today after all (a closure)

    @property
    def window(self) -> str:
        return self.shift.hours

    @property
    def opens_hm(self) -> str:
        return _hm(self.opens_at)

    @property
    def checked_in_hm(self) -> str:
        return _hm(self.checkin.at) if self.checkin else ""

    @property
    def checked_out_hm(self) -> str:
        return _hm(self.checkin.checked_out_at) if self.checkin else ""


def _card(
    shift: Shift, checkin: CheckIn | None, *, rules: DutyRules, now: dt.datetime, rostered: bool
) -> Card:
    opens_at = shift.starts_at - dt.timedelta(minutes=rules.early_minutes)
    if checkin is not None:
        state = "open" if checkin.is_open else "closed"
    elif now < opens_at:
        state = "later"
    elif now > shift.ends_at:
        state = "missed"
    else:
        state = "due"
    return Card(
        shift=shift,
        post=shift.post,
        state=state,
        opens_at=opens_at,
        checkin=checkin,
        flags=flag_words(checkin) if checkin else [],
        rostered=rostered,
    )


def today_cards(user: Any, person: Person, *, now: dt.datetime) -> dict[str, Any]:
    """What the today page shows: the member's shifts today, their check-ins, the open check-in,
    and the posts of their school with a window open now that they could walk in to."""
    day = timezone.localdate(now)
    # Each shift read with whether its school has been closed on its day since it was made.
    assignments = list(
        assignments_of(person)
        .filter(shift__day=day)
        .select_related("shift__post__school__unit__region")
        .annotate(school_closed=closed_on("shift__post__school", "shift__day"))
    )
    checkins = {
        c.shift_id: c
        for c in CheckIn.objects.filter(person=person, day=day, voided_at__isnull=True)
        .select_related("shift", "post__school__unit__region")
        .order_by("at")
    }
    shown = {a.shift_id for a in assignments} | set(checkins)
    # Posts of the member's school whose window now is open: where they could walk in.
    candidates = list(
        cast(ShiftQuerySet, shifts_visible_to(user))
        .filter(day=day, post__in=Post.objects.live())
        .window_at(now)
        .exclude(pk__in=shown)
        .select_related("post__school__unit__region")
        .annotate(school_closed=closed_on("post__school", "day"))
    )
    places = [a.shift.post for a in assignments] + [c.post for c in checkins.values()]
    places += [s.post for s in candidates]
    rules = rulesets.nearest_by_region(DutyRules, (p.school.unit.region for p in places))

    def rules_at(post: Post) -> DutyRules:
        return rules[post.school.unit.region_id]

    cards = []
    for a in assignments:
        shift = a.shift
        cards.append(
            _card(
                shift,
                checkins.pop(shift.pk, None),
                rules=rules_at(shift.post),
                now=now,
                rostered=True,
            )
        )
    for checkin in checkins.values():  # checked in without a roster slot
        checkin.shift.post = checkin.post
        cards.append(
            _card(checkin.shift, checkin, rules=rules_at(checkin.post), now=now, rostered=False)
        )
    cards.sort(key=lambda c: (c.shift.starts_at, c.post.pk))

    open_checkin = open_checkin_of(person)
    # Another check-in still running blocks a new one until its window is over (the server
    # closes it then); the page offers check-out instead of a check-in that would be refused.
    busy = still_on_duty_elsewhere(open_checkin, shift_id=None, now=now)

    # A shift today has duty unless the school has been closed since it was made; why, read
    # only when one is.
    shut = [a.shift.post.school for a in assignments if a.school_closed]
    shut += [s.post.school for s in candidates if s.school_closed]  # type: ignore[attr-defined]
    closed = closures_on(day, shut) if shut else {}

    def day_off_at(post: Post) -> DayOff | None:
        return closed.get(post.school_id)

    for card in cards:
        if card.state in ("due", "later"):
            card.day_off = day_off_at(card.post)

    walkins: list[Card] = []
    taken_posts = {c.post.pk for c in cards if c.state in ("due", "open")}
    for shift in candidates:
        region_rules = rules_at(shift.post)
        if region_rules.walkins == DutyRules.Mode.REFUSE or shift.post_id in taken_posts:
            continue
        taken_posts.add(shift.post_id)  # a post's first window is its window now
        card = _card(shift, None, rules=region_rules, now=now, rostered=False)
        if card.state == "due" and day_off_at(shift.post) is None:
            walkins.append(card)

    # Nothing to do today: say why when the day has no duty at the member's school.
    school = school_of(person) if not cards and not walkins else None
    return {
        "cards": cards,
        "walkins": walkins,
        "open_checkin": open_checkin,
        "open_elsewhere": open_checkin
        if open_checkin is not None and open_checkin.shift_id not in shown
        else None,
        "busy": busy,
        "day": day,
        "day_off": school_day_off(school, day) if school is not None else None,
    }


def client_config(request: HttpRequest) -> dict[str, Any]:
    """What duty.js needs, rendered into the page (json_script): addresses, the signed-in user
    (a queued attempt is only ever sent by the account that made it) and every string it shows,
    translated here like the rest of the page."""
    return {
        "user": request.user.pk,
        "checkin_url": reverse("v1:checkin-list"),
        "checkout_url": reverse("v1:checkin-checkout", args=[0]),
        "today_url": reverse("duty:today"),
        "qr_prefix": reverse("posts:qr_landing", args=["x"])[:-2],
        "login_url": f"{reverse('login')}?{urlencode({'next': request.path})}",
        "sw_url": reverse("duty:sw"),
        "sw_scope": get_script_prefix(),
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "short_seconds": int(SHORT_DUTY.total_seconds()),
        "strings": {
            "queued": _(
                "Saved on this phone; it will be sent when you are online (%(n)s waiting)."
            ),
            "retrying": _(
                "The server could not take it just now; it is saved on this phone and will be "
                "sent again (%(n)s waiting)."
            ),
            "auth": _("Sign in again to send what is saved on this phone (%(n)s waiting)."),
            "sign_in": _("Sign in"),
            "locating": _("Finding your position…"),
            "saved_here": _("Saved on this phone, waiting to be sent."),
            "checked_in": _("Checked in at %(time)s: %(post)s %(window)s."),
            "checked_in_flags": _("Checked in at %(time)s: %(post)s %(window)s (%(flags)s)."),
            "checked_out": _("Checked out at %(time)s: %(post)s."),
            "refused": _("Not accepted: %(message)s"),
            "refused_unknown": _("The server did not accept this (error %(status)s)."),
            "checkout_dropped": _(
                "The check-out was not sent because its check-in was not accepted."
            ),
            "location_denied": _(
                "This page may not use your location. Allow location for this site in your "
                "phone's settings, or scan the QR poster at the gate instead."
            ),
            "location_failed": _(
                "Your phone could not find its position. Try again in the open, or scan the QR "
                "poster at the gate instead."
            ),
            "check_out": _("Check out"),
            "confirm_checkout": _("Check out of %(post)s? You checked in at %(time)s."),
            "confirm_checkout_pending": _(
                "Check out of %(post)s? Your check-in (%(time)s) is still waiting on this phone."
            ),
            "short_warning": short_duty_warning(),
            "no_qr_found": _("No guard post QR code was found in that photo; try again."),
            "flag_sep": _(", "),
            "flags": _flag_labels(),
        },
    }


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    context["duty_config"] = client_config(request)
    return render(request, template, context, status=status)


@login_required
def today(request: HttpRequest) -> HttpResponse:
    person = person_of(request.user)
    if person is None or not access.allowed(request.user, "write", CheckIn):
        return render(request, "duty/member_unlinked.html")
    now = timezone.now()
    return _page(
        request,
        "duty/member_today.html",
        {"person": person, "now": now, **today_cards(request.user, person, now=now)},
    )


def qr_context(request: HttpRequest, post: Post) -> dict[str, Any]:
    """The QR poster's confirm page for a signed-in user: the post, its window now, and whether
    this member is already checked in for it."""
    now = timezone.now()
    person = person_of(request.user)
    context: dict[str, Any] = {"post": post, "person": person, "now": now}
    if person is None or not access.allowed(request.user, "write", CheckIn):
        context["person"] = None
        return context
    rules = rulesets.nearest(DutyRules, post.school.unit.region)
    today = timezone.localdate(now)
    upcoming = Shift.objects.filter(post=post).window_at(now).first()
    # No check-in on a day without duty here (a weekend, a holiday, a closure): say why.
    day_off = post_day_off(
        post, today, rostered=True if upcoming and upcoming.day == today else None
    )
    context["day_off"] = day_off
    opens_at = upcoming.starts_at - dt.timedelta(minutes=rules.early_minutes) if upcoming else None
    shift = upcoming if opens_at is not None and opens_at <= now else None
    context["shift"] = shift
    open_checkin = open_checkin_of(person)
    if still_on_duty_elsewhere(open_checkin, shift_id=shift.pk if shift else None, now=now):
        # Still on duty elsewhere: check out there first (the server would refuse otherwise).
        context["open_checkin"] = open_checkin
    if shift is not None:
        context["window"] = shift.hours
        checkin = (
            CheckIn.objects.filter(person=person, shift=shift, voided_at__isnull=True)
            .select_related("post__school__unit")
            .first()
        )
        if checkin is not None:
            context["card"] = _card(shift, checkin, rules=rules, now=now, rostered=True)
    elif upcoming is not None and opens_at is not None and upcoming.day == today:
        context["next_shift"] = upcoming
        context["next_opens"] = _hm(opens_at)
    context["duty_config"] = client_config(request)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, pk: int) -> HttpResponse:
    """The check-out's confirmation, as a page: where the check-out button leads on a phone
    without JavaScript (with it, duty.js asks in a dialog on the page itself, offline too).
    GET asks, POST checks out through the service and goes back to the day's page."""
    checkin = own_checkin_for(request.user, pk=pk)
    if request.method == "POST":
        try:
            closed = check_out(actor=request.user, checkin=checkin)
        except CheckInRefused as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _("Checked out at %(time)s: %(post)s.")
                % {"time": _hm(closed.checked_out_at), "post": closed.post},
            )
        return redirect("duty:today")
    if not checkin.is_open:
        messages.info(request, _("This check-in is already closed."))
        return redirect("duty:today")
    return render(
        request,
        "duty/checkout_confirm.html",
        {
            "checkin": checkin,
            "checked_in": _hm(checkin.at),
            "short_warning": short_duty_warning()
            if is_short_duty(checkin.at, timezone.now())
            else "",
        },
    )


@lru_cache(maxsize=1)
def _shell_version() -> str:
    """Changes whenever a file of the app shell changes, so phones install the new worker and
    drop the old cache (the static files are served under fixed names)."""
    digest = hashlib.sha256()
    paths = [finders.find(name) for name in SHELL_STATIC]
    paths.append(get_template("duty/member_sw.js").origin.name)  # type: ignore[attr-defined]
    for path in paths:
        with open(str(path), "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()[:12]


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The member pages' service worker. Served from /duty/ but allowed the whole site as its
    scope, because the pages it keeps live under /duty/, /q/ and /static/; it answers only
    those (see the script) and lets every other request through untouched."""
    config = {
        "version": _shell_version(),
        "today_url": reverse("duty:today"),
        "qr_prefix": reverse("posts:qr_landing", args=["x"])[:-2],
        "static_url": settings.STATIC_URL,
        "logout_url": reverse("logout"),
        "shell": [reverse("duty:today")] + [staticfiles_storage.url(name) for name in SHELL_STATIC],
    }
    body = render_to_string("duty/member_sw.js", {"config": json.dumps(config)})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = get_script_prefix()
    return response
