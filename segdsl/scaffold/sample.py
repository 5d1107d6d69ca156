"""A small made-up data set for the scaffold: B2B customers and their orders, as CSV text.

Input: nothing (the seed and the reference date are fixed).
Output: `SampleData`: the text of `customers.csv` (customer_id, industry, company_size,
country, plan, signup_date) and `orders.csv` (order_id, customer_id, ordered_at, amount), the
same bytes on every run, every platform and every Python version.

Customers are drawn from archetypes (power buyers, regulars, lapsing, churned, new accounts,
prospects who never ordered) so that every segment and tier of the scaffold's rules has
members at the scaffold's `as_of`, 2026-11-01. No event lies after it, so counting the rows of
the files tells what `eval` sees.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

AS_OF = dt.date(2026, 11, 1)
SEED = 20261101
CUSTOMERS = 50

INDUSTRIES = ("software", "saas", "it_services", "retail", "ecommerce", "finance", "healthcare",
              "manufacturing")
COUNTRIES = ("US", "US", "US", "DE", "GB", "FR", "CA", "NL")
PLANS = ("monthly", "annual")

# archetype -> (how many customers, orders (low, high), days before as_of of the orders (low,
# high), amount (low, high)); 50 customers in all.
ARCHETYPES: dict[str, tuple[int, tuple[int, int], tuple[int, int], tuple[float, float]]] = {
    "power": (8, (8, 14), (1, 110), (40.0, 260.0)),
    "regular": (14, (6, 12), (1, 400), (50.0, 600.0)),
    "lapsing": (9, (2, 6), (100, 360), (150.0, 900.0)),
    "churned": (7, (1, 4), (380, 720), (30.0, 300.0)),
    "new": (6, (0, 2), (1, 25), (30.0, 200.0)),
    "prospect": (6, (0, 0), (0, 0), (0.0, 0.0)),
}


@dataclass(frozen=True)
class SampleData:
    customers_csv: str
    orders_csv: str
    customers: int
    orders: int


class _Draw:
    """Draws built on `Random.random()` alone: the only method whose sequence Python promises
    to keep across versions (`randint`, `choice` and `shuffle` may change)."""

    def __init__(self, seed: int):
        self._rng = random.Random(seed)

    def below(self, n: int) -> int:
        return min(int(self._rng.random() * n), n - 1)

    def between(self, low: int, high: int) -> int:
        return low + self.below(high - low + 1)

    def pick(self, values: tuple[str, ...]) -> str:
        return values[self.below(len(values))]

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self._rng.random()

    def shuffled(self, values: list[str]) -> list[str]:
        out = list(values)
        for i in range(len(out) - 1, 0, -1):
            j = self.below(i + 1)
            out[i], out[j] = out[j], out[i]
        return out


def generate() -> SampleData:
    """The sample customers and orders."""
    draw = _Draw(SEED)
    kinds = draw.shuffled([kind for kind, spec in ARCHETYPES.items() for _ in range(spec[0])])
    customers: list[str] = ["customer_id,industry,company_size,country,plan,signup_date"]
    orders: list[tuple[dt.datetime, int, float]] = []
    for customer_id, kind in enumerate(kinds, start=1):
        _, (n_low, n_high), (d_low, d_high), (a_low, a_high) = ARCHETYPES[kind]
        times = sorted(_order_time(draw, d_low, d_high) for _ in range(draw.between(n_low, n_high)))
        if kind == "new":
            signup = AS_OF - dt.timedelta(days=draw.between(26, 80) if draw.below(3) == 0 else draw.between(5, 28))
            times = [t for t in times if t.date() >= signup]
        elif times:
            signup = times[0].date() - dt.timedelta(days=draw.between(0, 120))
        else:
            signup = AS_OF - dt.timedelta(days=draw.between(40, 900))
        # Company sizes spread from a handful of people to thousands (log-uniform).
        size = int(10 ** draw.uniform(0.6, 3.7))
        customers.append(f"{customer_id},{draw.pick(INDUSTRIES)},{size},{draw.pick(COUNTRIES)},"
                         f"{draw.pick(PLANS)},{signup.isoformat()}")
        orders += [(t, customer_id, round(draw.uniform(a_low, a_high), 2)) for t in times]
    orders.sort()
    lines = ["order_id,customer_id,ordered_at,amount"]
    lines += [f"{i},{customer_id},{t.isoformat(sep=' ')},{amount:.2f}"
              for i, (t, customer_id, amount) in enumerate(orders, start=1)]
    return SampleData("\n".join(customers) + "\n", "\n".join(lines) + "\n", len(customers) - 1, len(orders))


def _order_time(draw: _Draw, low: int, high: int) -> dt.datetime:
    """A time during office hours, `low` to `high` days before as_of."""
    day = AS_OF - dt.timedelta(days=draw.between(low, high))
    return dt.datetime.combine(day, dt.time(draw.between(8, 19), draw.below(60), draw.below(60)))
