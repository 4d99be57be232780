"""Mentor ranking, cohort assignment and slot generation, timed on generated data.

    python bench/mentoring_bench.py [--repeat 20]

Ranks 1,000 mentors for one PM with 20 targeted competencies (and words the reasons of the 50 shown); assigns 500 mentees to 100 mentors
with 5 places each (scipy's linear_sum_assignment over capacity-expanded mentors); generates one
mentor's free slots over 8 weeks (three weekly windows, 40 bookings, a zone with a DST change in
the period). Prints the median and the worst of the runs against each target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coe.mentoring.matching import Mentee, Mentor, assign, rank  # noqa: E402
from coe.mentoring.slots import Exception_, Rules, Window, free_slots  # noqa: E402

CODES = [f"competency-{n}" for n in range(24)]
NAMES = {code: code.replace("-", " ").title() for code in CODES}
ZONES = ["Europe/Paris", "Europe/London", "America/New_York", "Asia/Singapore", "Australia/Sydney", "UTC"]
LANGS = ["en", "fr", "de", "es", "it"]
DAY = dt.date(2026, 3, 20)
SHOWN = 50  # matches /mentors explains (the page lists the best 50)


def mentee(rng: random.Random, person_id: int) -> Mentee:
    gaps = {code: (rng.randint(2, 5), rng.randint(0, 4)) for code in rng.sample(CODES, 20)}
    return Mentee(person_id, gaps, frozenset(rng.sample(LANGS, 2)), rng.choice(ZONES),
                  frozenset(rng.sample(CODES, 2)), name=f"Mentee {person_id}")


def mentor(rng: random.Random, person_id: int, capacity: int | None = None) -> Mentor:
    return Mentor(person_id, f"Mentor {person_id}", {code: rng.randint(2, 5) for code in rng.sample(CODES, 6)},
                  frozenset(rng.sample(LANGS, 2)), rng.choice(ZONES), capacity or rng.randint(1, 6),
                  0 if capacity else rng.randint(0, 1), True, rng.choice([None, 3.8, 4.4, 4.9]), rng.randint(0, 30))


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(2026)

    pm = mentee(rng, 1)
    thousand = [mentor(rng, 1000 + n) for n in range(1000)]
    ranking = timed(lambda: rank(pm, thousand, NAMES, DAY, limit=SHOWN), args.repeat)

    mentees = [mentee(rng, 10_000 + n) for n in range(500)]
    hundred = [mentor(rng, 20_000 + n, capacity=5) for n in range(100)]
    result = assign(mentees, hundred, NAMES, DAY)
    cohort = timed(lambda: assign(mentees, hundred, NAMES, DAY), max(1, args.repeat // 5))

    windows = [Window(1, dt.time(14), dt.time(17)), Window(3, dt.time(9), dt.time(12)), Window(4, dt.time(8), dt.time(18))]
    now = dt.datetime(2026, 3, 16, 8, tzinfo=dt.timezone.utc)  # Europe/Paris moves its clocks on 29 March
    busy = [(now + dt.timedelta(days=d, hours=h), now + dt.timedelta(days=d, hours=h + 1))
            for d in range(0, 56, 3) for h in (6, 9)][:40]
    rules = Rules("Europe/Paris", 45, 15, 24, 56)
    exceptions = [Exception_(dt.date(2026, 4, 7), True), Exception_(dt.date(2026, 4, 11), False, dt.time(10), dt.time(12))]
    found = free_slots(windows, exceptions, rules, busy, now)
    slots = timed(lambda: free_slots(windows, exceptions, rules, busy, now), args.repeat)

    rows = [("rank 1 PM among 1,000 mentors (explain the top 50)", ranking, 50),
            ("cohort: 500 mentees to 100 mentors (capacity 5)", cohort, 5000),
            ("free slots of one mentor over 8 weeks", slots, 20)]
    print(f"{'what':52} {'median ms':>10} {'worst ms':>10} {'target ms':>10}  ok")
    for label, times, target in rows:
        print(f"{label:52} {statistics.median(times):10.1f} {max(times):10.1f} {target:10}  "
              f"{'yes' if statistics.median(times) <= target else 'NO'}")
    print(f"\ncohort: {len(result.pairs)} pairs, {len(result.unmatched)} unmatched, total score {result.total}; "
          f"slots found: {len(found)}")


if __name__ == "__main__":
    main()
