"""python manage.py roster_solve --region CODE --from DATE --to DATE [--publish] [--drop-invalid-pins]"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from huxue.core import context
from huxue.orgs.models import Region
from huxue.posts.models import Post, School
from huxue.roster.models import RosterRun
from huxue.roster.pins import PinsRejected
from huxue.roster.planning import roster_publish, roster_solve
from huxue.roster.selectors import roster_run_unfilled
from huxue.roster.services import shifts_generate


class StageBars:
    """One tqdm bar per solver stage (flow parts, then CP-SAT parts with its best so far)."""

    LABELS = {"flow": "      min-cost flow", "cp-sat": "      cp-sat repair"}

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.bars: dict[str, tqdm[Any]] = {}

    def __call__(self, stage: str, done: int, total: int, note: str) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(
                total=total,
                desc=self.LABELS.get(stage, stage),
                unit=" parts",
                file=self.stream,
                dynamic_ncols=True,
                leave=True,
            )
        bar.update(done - bar.n)
        if note:
            bar.set_postfix_str(note)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("%(value)r is not a date (YYYY-MM-DD).") % {"value": value}) from None


class Command(BaseCommand):
    help = "Builds the shifts of a region's posts for the dates, solves the roster and explains every empty slot."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", required=True, help="GB/T 2260 code, e.g. 230900")
        parser.add_argument("--from", dest="start", required=True, type=_date)
        parser.add_argument("--to", dest="end", required=True, type=_date)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--time-limit", type=float, default=None, help="seconds")
        parser.add_argument("--publish", action="store_true", help="publish every school's roster")
        parser.add_argument("--show", type=int, default=20, help="how many empty slots to list")
        parser.add_argument(
            "--drop-invalid-pins",
            action="store_true",
            help="solve without the sign-ups and kept assignments that break a rule on their "
            "shift's day (they are listed), instead of stopping",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        region = Region.objects.filter(code=opts["region"]).first()
        if region is None:
            raise CommandError(_("No region with code %(code)s.") % {"code": opts["region"]})
        token = context.set_current(context.RequestMeta(channel="cli"))
        try:
            posts = Post.objects.filter(
                voided_at__isnull=True, school__unit__region__path__startswith=region.path
            ).prefetch_related("requirements", "windows")
            n_posts = posts.count()
            self.stdout.write(
                ngettext(
                    "[1/3] shifts for %(n)d post, %(start)s … %(end)s",
                    "[1/3] shifts for %(n)d posts, %(start)s … %(end)s",
                    n_posts,
                )
                % {"n": n_posts, "start": opts["start"], "end": opts["end"]}
            )
            created, existing = shifts_generate(
                actor=None, posts=posts, start=opts["start"], end=opts["end"]
            )
            self.stdout.write(
                "      "
                + _("%(new)d new, %(existing)d already there")
                % {"new": created, "existing": existing}
            )
            self.stdout.write(_("[2/3] solving"))
            run = self._solve(region, opts)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        finally:
            context.reset(token)
        self.stdout.write(
            "      "
            + ngettext(
                "filled %(filled)d of %(needed)d slot (%(percent).1f%%)",
                "filled %(filled)d of %(needed)d slots (%(percent).1f%%)",
                run.slots,
            )
            % {
                "filled": run.filled,
                "needed": run.slots,
                "percent": 100 * run.filled / run.slots if run.slots else 100.0,
            }
        )
        self.stdout.write(
            "      "
            + _(
                "slots %(slots)d  filled %(filled)d  unfilled %(unfilled)d  objective "
                "%(objective)s  bound %(bound)s  gap %(gap).2f%%  %(optimal)s  wall %(wall).2f s"
            )
            % {
                "slots": run.slots,
                "filled": run.filled,
                "unfilled": run.slots - run.filled,
                "objective": run.objective,
                "bound": run.bound,
                "gap": 100 * (run.gap or 0),
                "optimal": _("optimal") if run.optimal else _("not proven optimal"),
                "wall": run.wall_s,
            }
        )
        for slot in roster_run_unfilled(run=run, with_shifts=True, limit=max(0, opts["show"])):
            self.stdout.write(
                "      "
                + _("%(where)s, %(group)s: %(missing)d missing. %(reason)s → %(suggestion)s")
                % {
                    "where": slot.where,
                    "group": slot.group_label,
                    "missing": slot.missing,
                    "reason": slot.reason_text,
                    "suggestion": slot.suggestion_text,
                }
            )
        if len(run.unfilled) > opts["show"]:
            self.stdout.write(
                "      "
                + _("… and %(n)d more (see the run's page)")
                % {"n": len(run.unfilled) - opts["show"]}
            )
        if opts["publish"]:
            schools = School.objects.filter(
                unit__region__path__startswith=region.path, voided_at__isnull=True
            )
            n_schools = schools.count()
            self.stdout.write(
                ngettext(
                    "[3/3] publishing %(n)d school", "[3/3] publishing %(n)d schools", n_schools
                )
                % {"n": n_schools}
            )
            unchanged = 0
            for school in schools:
                try:
                    roster_publish(actor=None, school=school, start=opts["start"], end=opts["end"])
                except ValidationError as exc:
                    if exc.code != "unchanged":
                        raise
                    unchanged += 1  # nothing new since its last version: no empty version
            if unchanged:
                self.stdout.write(
                    "      "
                    + ngettext(
                        "%(n)d school had nothing new to publish.",
                        "%(n)d schools had nothing new to publish.",
                        unchanged,
                    )
                    % {"n": unchanged}
                )
        else:
            self.stdout.write(_("[3/3] draft saved (not published; add --publish)"))

    def _solve(self, region: Region, opts: dict[str, Any]) -> RosterRun:
        """Solve; where sign-ups or kept assignments break a rule, list them, then stop (a
        CommandError, nothing saved) or, with --drop-invalid-pins, solve again without them."""
        try:
            return self._solve_once(region, opts, drop=False)
        except PinsRejected as exc:
            self.stdout.write("      " + exc.messages[0])
            for pin in exc.broken:
                self.stdout.write("        " + pin.text)
            if not opts["drop_invalid_pins"]:
                raise CommandError(
                    exc.messages[0] + " " + _("To solve without them, add --drop-invalid-pins.")
                ) from None
            self.stdout.write(
                "      "
                + ngettext(
                    "solving without this sign-up or kept assignment",
                    "solving without these %(count)d sign-ups or kept assignments",
                    len(exc.broken),
                )
                % {"count": len(exc.broken)}
            )
            return self._solve_once(region, opts, drop=True)

    def _solve_once(self, region: Region, opts: dict[str, Any], *, drop: bool) -> RosterRun:
        bars = StageBars(self.stderr._out)
        try:
            return roster_solve(
                actor=None,
                place=region,
                start=opts["start"],
                end=opts["end"],
                seed=opts["seed"],
                time_limit_s=opts["time_limit"],
                progress=bars,
                drop_invalid_pins=drop,
            )
        finally:
            bars.close()
