"""python manage.py roster_solve --region CODE --from DATE --to DATE [--publish]"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from huxue.core import context
from huxue.orgs.models import Region
from huxue.posts.models import Post, School
from huxue.roster.planning import explain_text, roster_publish, roster_solve
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

    def handle(self, *args: Any, **opts: Any) -> None:
        region = Region.objects.filter(code=opts["region"]).first()
        if region is None:
            raise CommandError(_("No region with code %(code)s.") % {"code": opts["region"]})
        token = context.set_current(context.RequestMeta(channel="cli"))
        try:
            posts = Post.objects.filter(
                voided_at__isnull=True, school__unit__region__path__startswith=region.path
            ).prefetch_related("requirements", "windows")
            self.stdout.write(
                _("[1/3] shifts for %(n)d posts, %(start)s … %(end)s")
                % {"n": posts.count(), "start": opts["start"], "end": opts["end"]}
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
            bars = StageBars(self.stderr._out)
            try:
                run = roster_solve(
                    actor=None,
                    place=region,
                    start=opts["start"],
                    end=opts["end"],
                    seed=opts["seed"],
                    time_limit_s=opts["time_limit"],
                    progress=bars,
                )
            finally:
                bars.close()
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        finally:
            context.reset(token)
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
        for item in run.unfilled[: opts["show"]]:
            reason, suggestion = explain_text(item)
            self.stdout.write(
                "      "
                + _("shift %(shift)s %(group)s ×%(missing)d: %(reason)s → %(suggestion)s")
                % {
                    "shift": item["shift"],
                    "group": item["group"],
                    "missing": item["missing"],
                    "reason": reason,
                    "suggestion": suggestion,
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
            self.stdout.write(_("[3/3] publishing %(n)d schools") % {"n": schools.count()})
            for school in schools:
                roster_publish(actor=None, school=school, start=opts["start"], end=opts["end"])
        else:
            self.stdout.write(_("[3/3] draft saved (not published; add --publish)"))
