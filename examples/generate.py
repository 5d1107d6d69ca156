"""Deterministic synthetic warehouse exports for segdsl's examples.

Input: command-line arguments (number of customers, seed, output folder).
Output: `customers.parquet`, `orders.parquet`, `app_events.parquet` and `sessions.parquet`
in the output folder, the same bytes for the same arguments.

    python examples/generate.py [--customers 2000] [--seed 7] [--out examples/data]

The exports look like a mid-sized shop that sells to consumers and to companies and runs a
casino-style games section in its app. Customers are drawn from archetypes (never bought, new,
regular, star, lapsing, churned, reactivated, ...) so that every segment of the example
projects, whose `as_of` is 2026-11-01, has members. The export was taken on 2026-11-15: a few
orders, events and signups lie after `as_of` on purpose, because events after `as_of` must
not count.

Rows are drawn with `random.Random(seed)` alone, built into Arrow tables and written by DuckDB
with one thread, so the files are byte-identical across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
from pathlib import Path

import duckdb
import pyarrow as pa

AS_OF = dt.datetime(2026, 11, 1)
HISTORY_START = dt.datetime(2024, 1, 1)
EXPORT_END = dt.datetime(2026, 11, 15, 23, 59, 59)
FIRST_SIGNUP = dt.date(2022, 1, 1)
MONTH_DAYS = 30.4375

# --- reference values -----------------------------------------------------------------------

# country -> (weight, [(region, [cities])]); a few empty regions are added at random later.
GEOGRAPHY = {
    "US": (34, [
        ("Northeast", ["New York", "Boston", "Philadelphia"]),
        ("West", ["San Francisco", "Los Angeles", "Seattle"]),
        ("South", ["Austin", "Miami", "Atlanta"]),
        ("Midwest", ["Chicago", "Minneapolis"]),
    ]),
    "DE": (12, [
        ("Bavaria", ["Munich", "Nuremberg"]),
        ("Berlin", ["Berlin"]),
        ("Hamburg", ["Hamburg"]),
        ("North Rhine-Westphalia", ["Cologne", "Düsseldorf"]),
    ]),
    "FR": (10, [
        ("Île-de-France", ["Paris", "Versailles"]),
        ("Auvergne-Rhône-Alpes", ["Lyon", "Grenoble"]),
        ("Provence-Alpes-Côte d'Azur", ["Marseille", "Nice"]),
    ]),
    "GB": (12, [
        ("England", ["London", "Manchester", "Bristol"]),
        ("Scotland", ["Edinburgh", "Glasgow"]),
    ]),
    "BR": (10, [
        ("São Paulo", ["São Paulo", "Campinas"]),
        ("Rio de Janeiro", ["Rio de Janeiro", "Niterói"]),
        ("Minas Gerais", ["Belo Horizonte"]),
    ]),
    "IN": (12, [
        ("Maharashtra", ["Mumbai", "Pune"]),
        ("Karnataka", ["Bengaluru", "Mysuru"]),
        ("Delhi", ["New Delhi"]),
    ]),
    "CA": (6, [("Ontario", ["Toronto", "Ottawa"]), ("British Columbia", ["Vancouver"])]),
    "ES": (4, [("Catalonia", ["Barcelona", "Girona"]), ("Madrid", ["Madrid"])]),
    "MX": (2, [("Ciudad de México", ["Mexico City"]), ("Jalisco", ["Guadalajara"])]),
    "JP": (2, [("Kantō", ["Tokyo", "Yokohama"])]),
    "AU": (2, [("New South Wales", ["Sydney"]), ("Victoria", ["Melbourne"])]),
}

INDUSTRIES = ["software", "saas", "it_services", "retail", "finance", "healthcare",
              "manufacturing", "education"]
JOB_ROLES = ["Software Engineer", "Senior Software Engineer", "Data Engineer", "Data Analyst",
             "Marketing Manager", "Head of Marketing", "VP Marketing", "VP Sales",
             "Sales Manager", "Procurement Manager", "IT Director", "CTO", "CEO",
             "Founder & CEO", "Operations Manager", "Product Manager", "Office Manager"]
INTERESTS = ["fitness", "travel", "cooking", "gaming", "fashion", "outdoors", "tech", "music",
             "reading", "finance", "pets", "parenting", "sustainability", "beauty"]
SOFTWARE = ["salesforce", "hubspot", "slack", "zendesk", "shopify", "sap", "netsuite", "jira",
            "snowflake", "excel"]
LIFESTYLES = ["active", "homebody", "urban_professional", "family_focused", "adventurer",
              "student"]
VALUES = ["sustainability", "price", "quality", "convenience", "status"]
USE_CASES = ["personal", "gifting", "small_business", "enterprise", "education"]
FIRST_NAMES = ["anna", "ben", "carla", "david", "elif", "felix", "grace", "hugo", "ines", "jon",
               "kai", "lena", "maria", "noah", "olga", "priya", "rafael", "sofia", "tom", "yuki"]
LAST_NAMES = ["silva", "smith", "muller", "martin", "patel", "jones", "schmidt", "dubois",
              "santos", "kumar", "brown", "garcia", "weber", "lopez", "sharma", "taylor"]
CONSUMER_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me"]
COMPANY_WORDS = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark",
                 "wayne", "soylent", "tyrell"]

# category -> (weight, typical amount)
CATEGORIES = {"skincare": (22, 35.0), "electronics": (12, 260.0), "books": (22, 18.0),
              "apparel": (26, 65.0), "home": (18, 90.0)}
GAMES = ["slots", "poker", "blackjack", "roulette", "bingo"]

# archetype -> weight; see `_order_plan` and `_play_plan` for what each means.
BUYER_ARCHETYPES = {"prospect": 10, "new": 6, "future_signup": 1, "one_time": 10,
                    "regular": 32, "star": 4, "lapsing": 14, "churned": 13, "reactivated": 10}
PLAYER_ARCHETYPES = {"none": 45, "fun": 12, "novice": 5, "active": 13, "star": 4,
                     "churning": 8, "churned": 8, "reactivated": 5}


# --- helpers --------------------------------------------------------------------------------


def _weighted(rng: random.Random, table: dict):
    keys = list(table)
    weights = [table[k] if not isinstance(table[k], tuple) else table[k][0] for k in keys]
    return rng.choices(keys, weights)[0]


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    """A time uniformly in [start, end), truncated to the second."""
    seconds = max(1, int((end - start).total_seconds()))
    return start + dt.timedelta(seconds=rng.randrange(seconds))


def _poisson_times(rng: random.Random, start: dt.datetime, end: dt.datetime,
                   per_month: float) -> list[dt.datetime]:
    """Event times of a Poisson process with the given monthly rate on [start, end)."""
    times: list[dt.datetime] = []
    if per_month <= 0 or end <= start:
        return times
    t = start
    while True:
        t += dt.timedelta(days=rng.expovariate(per_month / MONTH_DAYS))
        if t >= end:
            return times
        times.append(t.replace(microsecond=0))


def _maybe(rng: random.Random, value, p_null: float = 0.0, p_empty: float = 0.0):
    """The value, or NULL with probability p_null, or '' with probability p_empty."""
    r = rng.random()
    if r < p_null:
        return None
    if r < p_null + p_empty:
        return ""
    return value


# --- customers ------------------------------------------------------------------------------


def _order_plan(rng: random.Random, archetype: str) -> tuple[dt.date, list[dt.datetime]]:
    """Signup date and order times for a buyer archetype."""
    days = lambda n: dt.timedelta(days=n)  # noqa: E731
    if archetype == "new":
        signup = (AS_OF - days(rng.choice([0, *range(41)]))).date()  # some on as_of itself
        start = dt.datetime.combine(signup, dt.time()) + days(rng.random() * 3)
        times = _poisson_times(rng, start, EXPORT_END, rng.uniform(0.5, 3.0))[:3]
        return signup, times
    if archetype == "future_signup":
        signup = (AS_OF + days(rng.randrange(1, 15))).date()
        start = dt.datetime.combine(signup, dt.time())
        return signup, _poisson_times(rng, start, EXPORT_END, 2.0)[:2]

    signup_latest = {"prospect": AS_OF - days(45), "one_time": AS_OF - days(60),
                     "regular": AS_OF - days(120), "star": AS_OF - days(200),
                     "lapsing": AS_OF - days(400), "churned": dt.datetime(2024, 9, 1),
                     "reactivated": dt.datetime(2025, 3, 1)}[archetype]
    signup = _between(rng, dt.datetime.combine(FIRST_SIGNUP, dt.time()), signup_latest).date()
    start = max(HISTORY_START, dt.datetime.combine(signup, dt.time()) + days(1))

    if archetype == "prospect":
        return signup, []
    if archetype == "one_time":
        return signup, [_between(rng, start, AS_OF)]
    if archetype == "regular":
        return signup, _poisson_times(rng, start, EXPORT_END, rng.uniform(0.15, 0.7))
    if archetype == "star":
        return signup, _poisson_times(rng, start, EXPORT_END, rng.uniform(1.5, 5.5))
    if archetype == "lapsing":
        stop = AS_OF - days(rng.uniform(35, 330))
        return signup, _poisson_times(rng, start, stop, rng.uniform(0.3, 1.0))
    if archetype == "churned":
        stop = min(AS_OF - days(370), start + days(rng.uniform(60, 400)))
        return signup, (_poisson_times(rng, start, stop, rng.uniform(0.3, 1.2))
                        or [_between(rng, start, start + days(2))])
    # reactivated: bought, went quiet for a long gap, came back in the last weeks
    stop = AS_OF - days(rng.uniform(260, 520))
    early = (_poisson_times(rng, start, stop, rng.uniform(0.4, 1.2))
             or [_between(rng, start, start + days(2))])
    back = sorted(_between(rng, AS_OF - days(55), EXPORT_END) for _ in range(rng.randint(1, 3)))
    return signup, early + back


def _play_plan(rng: random.Random, archetype: str, signup: dt.date):
    """(activity start, end, active days per month, deposit probability per day, stake)."""
    days = lambda n: dt.timedelta(days=n)  # noqa: E731
    joined = max(HISTORY_START, dt.datetime.combine(signup, dt.time()))
    if archetype == "fun":
        return [(max(joined, AS_OF - days(rng.uniform(20, 200))), EXPORT_END,
                 rng.uniform(1.5, 4.5), 0.0, 0.0)]
    if archetype == "novice":
        install = AS_OF - days(rng.uniform(3, 28))
        return [(install, EXPORT_END, rng.uniform(5, 9), 0.45, rng.uniform(10, 40))]
    if archetype == "active":
        return [(max(joined, AS_OF - days(rng.uniform(60, 240))), EXPORT_END,
                 rng.uniform(2, 5), 0.5, rng.uniform(15, 60))]
    if archetype == "star":
        return [(max(joined, AS_OF - days(rng.uniform(60, 180))), EXPORT_END,
                 rng.uniform(10, 24), 0.6, rng.uniform(120, 400))]
    if archetype == "churning":
        stop = AS_OF - days(rng.uniform(32, 85))
        return [(max(joined, stop - days(rng.uniform(60, 200))), stop,
                 rng.uniform(2, 6), 0.35, rng.uniform(15, 80))]
    if archetype == "churned":
        stop = AS_OF - days(rng.uniform(100, 600))
        start = max(HISTORY_START, stop - days(rng.uniform(30, 200)))
        return [(start, stop, rng.uniform(2, 5), 0.25, rng.uniform(10, 50))]
    # reactivated: played, stayed away for months, came back in the last two weeks
    stop = AS_OF - days(rng.uniform(120, 300))
    back = AS_OF - days(rng.uniform(2, 13))
    return [(max(HISTORY_START, stop - days(rng.uniform(30, 120))), stop,
             rng.uniform(2, 5), 0.35, rng.uniform(20, 80)),
            (back, EXPORT_END, rng.uniform(5, 9), 0.5, rng.uniform(20, 80))]


def _profile(rng: random.Random, cid: int) -> dict:
    """Demographic, geographic, firmographic, psychographic, technographic, situational."""
    c: dict = {"customer_id": cid}

    # demographic
    age = min(85, max(18, int(rng.gauss(41, 14))))
    c["age"] = _maybe(rng, age, p_null=0.05)
    c["gender"] = _maybe(rng, rng.choices(["female", "male", "non_binary"], [48, 48, 4])[0],
                         p_null=0.04, p_empty=0.03)
    income = round(math.exp(rng.gauss(math.log(55_000), 0.6)), -2)
    c["income"] = _maybe(rng, float(income), p_null=0.08)
    c["education"] = _maybe(rng, rng.choices(
        ["high_school", "bachelor", "master", "phd"], [35, 40, 20, 5])[0], p_empty=0.05)
    c["marital_status"] = _maybe(rng, rng.choices(
        ["single", "married", "divorced", "widowed"], [40, 45, 11, 4])[0], p_null=0.06)

    # geographic: a few country codes arrive in lower case from one source system
    country = _weighted(rng, GEOGRAPHY)
    region, cities = rng.choice(GEOGRAPHY[country][1])
    c["country"] = country.lower() if rng.random() < 0.02 else country
    c["region"] = _maybe(rng, region, p_empty=0.03)
    c["city"] = rng.choice(cities)
    c["area"] = rng.choices(["urban", "suburban", "rural"], [55, 30, 15])[0]

    # firmographic: about a fifth are consumers without a company
    is_business = rng.random() < 0.8
    size = (min(200_000, max(1, int(math.exp(rng.gauss(math.log(80), 2.0)))))
            if is_business else None)
    c["industry"] = rng.choice(INDUSTRIES) if is_business else None
    c["company_size"] = size
    c["company_revenue"] = (float(round(size * rng.uniform(40_000, 320_000), -3))
                            if size else None)
    c["job_role"] = rng.choice(JOB_ROLES) if is_business else None

    # psychographic
    n_interests = rng.choices([0, 1, 2, 3, 4], [8, 25, 35, 22, 10])[0]
    c["interests"] = (None if rng.random() < 0.03
                      else sorted(rng.sample(INTERESTS, n_interests)))
    c["lifestyle"] = _maybe(rng, rng.choice(LIFESTYLES), p_empty=0.05)
    c["values_driver"] = _maybe(rng, rng.choices(VALUES, [20, 35, 25, 15, 5])[0], p_null=0.07)

    # technographic: the enrichment vendor finds no software for some companies
    c["device"] = rng.choices(["ios", "android", "desktop"], [38, 37, 25])[0]
    c["software"] = (sorted(rng.sample(SOFTWARE, rng.randint(0, 4)))
                     if is_business and rng.random() < 0.9 else None)

    # situational
    c["plan"] = rng.choices(["monthly", "annual", "none"], [40, 25, 35])[0]
    c["use_case"] = _maybe(rng, "enterprise" if size and size >= 1000 and rng.random() < 0.6
                           else rng.choice(USE_CASES), p_empty=0.04)
    c["urgency"] = _maybe(rng, rng.choices(["low", "medium", "high"], [45, 35, 20])[0],
                          p_null=0.1)

    # contact
    c["newsletter"] = _maybe(rng, rng.random() < 0.55, p_null=0.1)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    if is_business and rng.random() < 0.6:
        domain = rng.choice(COMPANY_WORDS) + rng.choice([".com", ".io", ".de", ".co.uk"])
    elif c["lifestyle"] == "student" and rng.random() < 0.5:
        domain = "uni-" + rng.choice(["north", "south", "east"]) + ".edu"
    else:
        domain = rng.choice(CONSUMER_DOMAINS)
    c["email"] = _maybe(rng, f"{first}.{last}{rng.randint(1, 99)}@{domain}",
                        p_null=0.05, p_empty=0.02)
    c["last_email_at"] = (None if c["email"] in (None, "") or rng.random() < 0.05 else
                          _between(rng, AS_OF - dt.timedelta(days=200), EXPORT_END))
    return c


def _orders(rng: random.Random, c: dict, buyer: str, times: list[dt.datetime]) -> list[tuple]:
    """One row per order time: (customer_id, ordered_at, amount, category, channel, ...)."""
    spend_scale = math.exp(rng.gauss(0, 0.45)) * (1.8 if buyer == "star" else 1.0)
    store_share = rng.choices([0.03, 0.5, 0.9], [45, 35, 20])[0]
    deal_seeker = c["values_driver"] == "price" or rng.random() < 0.15
    favourite = rng.choices(list(CATEGORIES), [w for w, _ in CATEGORIES.values()])[0]
    rows = []
    for t in times:
        category = favourite if rng.random() < 0.5 else _weighted(rng, CATEGORIES)
        amount = round(CATEGORIES[category][1] * spend_scale * math.exp(rng.gauss(0, 0.5)), 2)
        discount = (rng.choice([0.1, 0.15, 0.2, 0.3, 0.4]) if deal_seeker and rng.random() < 0.7
                    else rng.choices([0.0, 0.1, 0.2], [80, 15, 5])[0])
        channel = "store" if rng.random() < store_share else "online"
        rows.append((c["customer_id"], t, amount, category, channel, rng.randint(1, 4), discount))
    return rows


def _app_activity(rng: random.Random, c: dict, events: list[tuple],
                  sessions: list[tuple]) -> None:
    """App logins for app users; game sessions, deposits and the like for players.

    Sets `app_installed` and `logins_per_week` on the customer (3% of `app_installed` values
    disagree with the events, as in a real product-usage export).
    """
    cid = c["customer_id"]
    player = _weighted(rng, PLAYER_ARCHETYPES)
    if player == "none" and "gaming" in (c["interests"] or []) and rng.random() < 0.5:
        player = "fun"
    if player == "none":
        uses_app = rng.random() < 0.35
        plan = ([(max(HISTORY_START, AS_OF - dt.timedelta(days=rng.uniform(30, 400))),
                  EXPORT_END if rng.random() < 0.6 else AS_OF - dt.timedelta(days=40),
                  rng.uniform(0.5, 2), 0.0, 0.0)] if uses_app else [])
    else:
        uses_app = True
        plan = _play_plan(rng, player, c["signup_date"])
    c["app_installed"] = uses_app if rng.random() > 0.03 else not uses_app
    logins_recent = 0
    for k, (start, end, per_month, p_deposit, stake) in enumerate(plan):
        if k == 0:
            events.append((cid, start.replace(microsecond=0), "install", None, None))
        for t in _poisson_times(rng, start, end, per_month):
            events.append((cid, t, "login", None, None))
            if AS_OF - dt.timedelta(days=28) <= t < AS_OF:
                logins_recent += 1
            if player == "none":
                continue
            game = rng.choice(GAMES)
            for _ in range(rng.choices([1, 2, 3], [60, 30, 10])[0]):
                sessions.append((cid, t + dt.timedelta(minutes=rng.randint(0, 90)),
                                 game, rng.randint(2, 95)))
            if rng.random() < 0.2:
                events.append((cid, t + dt.timedelta(minutes=5), "level_up", game,
                               float(rng.randint(2, 80))))
            if rng.random() < p_deposit:
                events.append((cid, t + dt.timedelta(minutes=1), "deposit", None,
                               round(stake * math.exp(rng.gauss(0, 0.4)), 2)))
                if rng.random() < 0.15:
                    events.append((cid, t + dt.timedelta(minutes=30), "withdrawal", None,
                                   round(stake * rng.uniform(0.5, 3.0), 2)))
            if rng.random() < 0.1:
                events.append((cid, t + dt.timedelta(minutes=2), "bonus_claim", game, None))
            if rng.random() < 0.06:
                events.append((cid, t + dt.timedelta(minutes=20), "purchase", game,
                               float(rng.choice([0.99, 1.99, 4.99, 9.99]))))
    c["logins_per_week"] = round(logins_recent / 4, 2) if c["app_installed"] else None


def generate(n_customers: int, seed: int) -> dict[str, pa.Table]:
    """All four tables for `n_customers` customers, drawn from `random.Random(seed)`."""
    rng = random.Random(seed)
    customers: list[dict] = []
    orders: list[tuple] = []
    events: list[tuple] = []
    sessions: list[tuple] = []
    for i in range(n_customers):
        c = _profile(rng, 10_001 + i)
        buyer = _weighted(rng, BUYER_ARCHETYPES)
        c["signup_date"], order_times = _order_plan(rng, buyer)
        rows = _orders(rng, c, buyer, order_times)
        orders.extend(rows)
        # finance's LTV: spend plus a margin uplift; a few rows come from a stale snapshot
        uplift = rng.uniform(0.5, 0.9) if rng.random() < 0.02 else rng.uniform(1.0, 1.4)
        c["lifetime_value"] = round(sum(r[2] for r in rows) * uplift, 2)
        _app_activity(rng, c, events, sessions)
        customers.append(c)
    # activity that would fall after the export was taken is not in it
    events = [e for e in events if e[1] <= EXPORT_END]
    sessions = [e for e in sessions if e[1] <= EXPORT_END]
    return {
        "customers": _customers_table(customers),
        "orders": _orders_table(orders),
        "app_events": _events_table(events),
        "sessions": _sessions_table(sessions),
    }


# --- tables ---------------------------------------------------------------------------------

CUSTOMER_SCHEMA = pa.schema([
    ("customer_id", pa.int64()),
    ("age", pa.int32()),
    ("gender", pa.string()),
    ("income", pa.float64()),
    ("education", pa.string()),
    ("marital_status", pa.string()),
    ("country", pa.string()),
    ("region", pa.string()),
    ("city", pa.string()),
    ("area", pa.string()),
    ("industry", pa.string()),
    ("company_size", pa.int32()),
    ("company_revenue", pa.float64()),
    ("job_role", pa.string()),
    ("interests", pa.list_(pa.string())),
    ("lifestyle", pa.string()),
    ("values_driver", pa.string()),
    ("device", pa.string()),
    ("app_installed", pa.bool_()),
    ("logins_per_week", pa.float64()),
    ("software", pa.list_(pa.string())),
    ("plan", pa.string()),
    ("use_case", pa.string()),
    ("urgency", pa.string()),
    ("signup_date", pa.date32()),
    ("newsletter", pa.bool_()),
    ("email", pa.string()),
    ("last_email_at", pa.timestamp("us")),
    ("lifetime_value", pa.float64()),
])


def _customers_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=CUSTOMER_SCHEMA)


def _orders_table(rows: list[tuple]) -> pa.Table:
    rows = sorted(rows, key=lambda r: (r[1], r[0]))
    cols = list(zip(*rows)) if rows else [[]] * 7
    return pa.table({
        "order_id": pa.array(range(1, len(rows) + 1), pa.int64()),
        "customer_id": pa.array(cols[0], pa.int64()),
        "ordered_at": pa.array(cols[1], pa.timestamp("us")),
        "amount": pa.array(cols[2], pa.float64()),
        "category": pa.array(cols[3], pa.string()),
        "channel": pa.array(cols[4], pa.string()),
        "quantity": pa.array(cols[5], pa.int32()),
        "discount": pa.array(cols[6], pa.float64()),
    })


def _events_table(rows: list[tuple]) -> pa.Table:
    rows = sorted(rows, key=lambda r: (r[0], r[1], r[2]))
    cols = list(zip(*rows)) if rows else [[]] * 5
    return pa.table({
        "customer_id": pa.array(cols[0], pa.int64()),
        "event_at": pa.array(cols[1], pa.timestamp("us")),
        "event": pa.array(cols[2], pa.string()),
        "game": pa.array(cols[3], pa.string()),
        "value": pa.array(cols[4], pa.float64()),
    })


def _sessions_table(rows: list[tuple]) -> pa.Table:
    rows = sorted(rows, key=lambda r: (r[0], r[1], r[2]))
    cols = list(zip(*rows)) if rows else [[]] * 4
    return pa.table({
        "session_id": pa.array(range(1, len(rows) + 1), pa.int64()),
        "customer_id": pa.array(cols[0], pa.int64()),
        "started_at": pa.array(cols[1], pa.timestamp("us")),
        "game": pa.array(cols[2], pa.string()),
        "minutes": pa.array(cols[3], pa.int32()),
    })


def write(tables: dict[str, pa.Table], out: Path) -> None:
    """Write each table as `<name>.parquet`: one thread, fixed compression and row groups."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET threads TO 1")
    con.execute("SET preserve_insertion_order TO true")
    for name, table in tables.items():
        con.register("t", table)
        path = str(out / f"{name}.parquet").replace("'", "''")
        con.execute(f"COPY (SELECT * FROM t) TO '{path}' "
                    "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
        con.unregister("t")
    con.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args(argv)
    tables = generate(args.customers, args.seed)
    write(tables, args.out)
    for name, table in tables.items():
        print(f"{args.out / (name + '.parquet')}: {table.num_rows} rows")


if __name__ == "__main__":
    main()
