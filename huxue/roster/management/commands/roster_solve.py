"""python manage.py roster_solve --region CODE --from DATE --to DATE [--publish]"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
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
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


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
            raise CommandError(f"no region with code {opts['region']}")
        token = context.set_current(context.RequestMeta(channel="cli"))
        try:
            posts = Post.objects.filter(
                voided_at__isnull=True, school__unit__region__path__startswith=region.path
            ).prefetch_related("requirements", "windows")
            self.stdout.write(
                f"[1/3] shifts for {posts.count()} posts {opts['start']} … {opts['end']}"
            )
            created, existing = shifts_generate(
                actor=None, posts=posts, start=opts["start"], end=opts["end"]
            )
            self.stdout.write(f"      {created} new, {existing} already there")
            self.stdout.write("[2/3] solving")
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
            f"      slots {run.slots}  filled {run.filled}  unfilled {run.slots - run.filled}  "
            f"objective {run.objective}  bound {run.bound}  gap {100 * (run.gap or 0):.2f}%  "
            f"{'optimal' if run.optimal else 'not proven optimal'}  wall {run.wall_s:.2f} s"
        )
        for item in run.unfilled[: opts["show"]]:
            reason, suggestion = explain_text(item)
            self.stdout.write(
                f"      shift {item['shift']} {item['group']} ×{item['missing']}: {reason} → {suggestion}"
            )
        if len(run.unfilled) > opts["show"]:
            self.stdout.write(
                f"      … and {len(run.unfilled) - opts['show']} more (see the run's page)"
            )
        if opts["publish"]:
            schools = School.objects.filter(
                unit__region__path__startswith=region.path, voided_at__isnull=True
            )
            self.stdout.write(f"[3/3] publishing {schools.count()} schools")
            for school in schools:
                roster_publish(actor=None, school=school, start=opts["start"], end=opts["end"])
        else:
            self.stdout.write("[3/3] draft saved (not published; add --publish)")
