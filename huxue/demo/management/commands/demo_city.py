from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from huxue.core import context
from huxue.demo import data
from huxue.demo.builder import DemoCityConflict, build_city
from huxue.demo.builder.summary import write_summary


class Command(BaseCommand):
    help = (
        "Builds the demo city 七台河市 (222 guard posts, a few thousand duty members, one login "
        "per role) and prints its logins. Running it again changes nothing and prints them again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=data.DEFAULT_SEED,
            help=f"Random seed; the same seed builds the same city (default {data.DEFAULT_SEED}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seed: int = options["seed"]
        token = context.set_current(context.RequestMeta(channel="cli"))
        try:
            outcome = build_city(seed=seed, stdout=self.stdout)
        except DemoCityConflict as exc:
            raise CommandError(str(exc)) from None
        finally:
            context.reset(token)
        if outcome.built:
            message = _("Built the demo city in %(s).1f s (seed %(seed)d).")
            self.stdout.write(self.style.SUCCESS(message % {"s": outcome.seconds, "seed": seed}))
        else:
            message = _("The demo city is already built (seed %(seed)d); nothing changed.")
            self.stdout.write(message % {"seed": outcome.seed})
            if outcome.seed != seed:
                message = _("--seed %(asked)d ignored: the city was built with seed %(seed)d.")
                self.stdout.write(
                    self.style.WARNING(message % {"asked": seed, "seed": outcome.seed})
                )
        self.stdout.write("")
        write_summary(self.stdout)
