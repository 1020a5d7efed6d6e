"""`manage.py generate_national_dataset --scale 1.0 [--seed N] [--years 2023-2026]`: the
whole profession and the programme's years, synthetic and deterministic per seed, written
to PostgreSQL with COPY (core.national). Idempotent per table: a second run with the same
arguments skips what is already there; `--flush` empties the dataset's tables first.
`--scale 0.01` is what the tests use; 1.0 is the national figure (about 730,000 lawyers).
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone


def _scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError:
        raise CommandError(f"--scale: must be a number, got {value!r}") from None
    if not 0.0001 <= scale <= 2.0:
        raise CommandError(f"--scale: must lie between 0.0001 and 2, got {value}")
    return scale


def _years(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{4})", value)
    if not match:
        raise CommandError(f"--years: must look like 2023-2026, got {value!r}")
    first, last = int(match[1]), int(match[2])
    this_year = timezone.localdate().year
    if not 2023 <= first <= last <= this_year:
        raise CommandError(
            f"--years: must lie within 2023-{this_year} (the programme began in 2023; "
            f"no records after this year), first year first; got {value}"
        )
    return first, last


class Command(BaseCommand):
    help = (
        "Write the synthetic national dataset (lawyers, firms, the programme's years) to "
        "PostgreSQL; deterministic per seed, idempotent per table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", default="1.0", help="1.0 = national size; 0.01 for tests")
        parser.add_argument("--seed", default="1", help="random seed (an integer)")
        parser.add_argument("--years", default="2023-2026", help="programme years, e.g. 2023-2026")
        parser.add_argument(
            "--flush", action="store_true", help="empty the dataset's tables first (all rows!)"
        )
        parser.add_argument(
            "--no-check", action="store_true", help="skip the invariant checks at the end"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="check the invariants even when every table was written by an earlier run",
        )

    def handle(self, *args, **options) -> None:
        from core.national import checks
        from core.national.generator import DatasetConflict, Generator, Options

        if connection.vendor != "postgresql":
            raise CommandError("generate_national_dataset writes to PostgreSQL only.")
        try:
            seed = int(options["seed"])
        except ValueError:
            raise CommandError(f"--seed: must be an integer, got {options['seed']!r}") from None
        first, last = _years(options["years"])
        opts = Options(scale=_scale(options["scale"]), seed=seed, first_year=first, last_year=last)
        if options["flush"]:
            checks.flush()
            self.stdout.write("flushed the dataset's tables")
        self.stdout.write(f"generating: {opts.marker()} (as of {opts.as_of})")
        generator = Generator(opts, out=self.stdout)
        try:
            timings = generator.run()
        except DatasetConflict as error:
            raise CommandError(str(error)) from None
        for step, seconds in timings.items():
            self.stdout.write(f"  {step:<16} {seconds:8.1f} s")
        all_done_earlier = len(generator.skipped) == len(generator.steps())
        if all_done_earlier and not options["check"]:
            # checked when written; since then the bench and the load test add their own
            # rows (accounts, imports, writes), which are not the generator's to answer for
            self.stdout.write("invariants: checked when the tables were written (--check: again)")
        elif not options["no_check"]:
            problems = checks.run(opts, out=self.stdout)
            if problems:
                raise CommandError(
                    f"{len(problems)} invariant(s) broken:\n" + "\n".join(problems[:50])
                )
            self.stdout.write("invariants: all hold")
