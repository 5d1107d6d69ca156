"""SPEC §2 metrics and aggregates, the SPEC §2 example project, rankings and their scopes,
project structure, and the errors `check` finds.

Conventions (the front end used, the default as_of): see `spec_helpers.py`.
"""

from __future__ import annotations

import datetime as dt

import pytest

from harness import AS_OF, ORDERS as ORDER_COLUMNS, checked, diagnostics, matches, run, value
from spec_helpers import DAY, FREQ, LOGINS, SECOND, X, at, members, orders


# --- metrics and aggregates (SPEC §2 segdsl.yml) ------------------------------------------------

SPEC_METRICS = {
    "orders_90d": "count(orders) over 90d",
    "purchase_freq": "count(orders) over 90d per month",
    "spend_365d": "sum(orders.amount) over 365d",
    "last_order_at": "max(orders.ordered_at)",
    "skincare_buys": "count(orders where category = skincare) over 180d",
}
SPEC_ORDERS = (
    orders(1, at(2026, 8, 3), amount=10, category="skincare")               # exactly 90d ago
    + orders(1, at(2026, 8, 2, 23, 59, 59), amount=20, category="skincare")  # just before
    + orders(1, at(2026, 10, 31), amount=30, category="Skincare")           # not 'skincare'
    + orders(1, AS_OF, amount=None, category="skincare")                    # at as_of; no amount
    + orders(1, AS_OF + SECOND, amount=1000, category="skincare")           # after as_of: never
    + orders(1, at(2025, 11, 1), amount=40)                                 # exactly 365d ago
    + orders(1, at(2025, 10, 31, 23, 59, 59), amount=50)                    # just before
    + orders(1, at(2026, 5, 5), amount=5, category="skincare")              # exactly 180d ago
    + orders(1, at(2026, 5, 4, 23, 59, 59), amount=7, category="skincare")  # just before
)


@pytest.mark.parametrize("metric, with_orders, without", [
    ("orders_90d", 3, 0),                          # 08-03, 10-31, as_of
    ("purchase_freq", 3 / (90 / 30.4375), 0),
    ("spend_365d", 10 + 20 + 30 + 40 + 5 + 7, 0),  # the missing amount is skipped
    ("last_order_at", AS_OF, None),                # not the order after as_of
    ("skincare_buys", 4, 0),                       # 08-03, 08-02, as_of, 05-05
])
def test_spec_metrics(metric, with_orders, without):
    events = {"orders": SPEC_ORDERS}
    assert value(metric, metrics=SPEC_METRICS, events=events) == with_orders
    assert value(metric, metrics=SPEC_METRICS, events={"orders": []}) == without


def test_an_entity_with_no_events():
    metrics = {**SPEC_METRICS, "first_order_at": "min(orders.ordered_at)",
               "avg_amount": "avg(orders.amount)", "categories": "count_distinct(orders.category)"}
    events = {"orders": orders(1, at(2026, 10, 1), amount=10)}
    rows = {1: {}, 2: {}}
    rule = ("orders_90d = 0 AND purchase_freq = 0/mo AND spend_365d = 0 AND skincare_buys = 0 "
            "AND categories = 0 AND last_order_at IS MISSING AND first_order_at IS MISSING "
            "AND avg_amount IS MISSING")
    assert matches(rule, rows, columns={}, events=events, metrics=metrics) == [2]


def test_a_metric_may_use_a_metric_defined_after_it():
    metrics = {"spend_per_order": "spend / n", "spend": "sum(orders.amount)", "n": "count(orders)"}
    events = {"orders": orders(1, at(2026, 10, 1), at(2026, 10, 2), amount=30)}
    rows = {1: {}, 2: {}}
    assert matches("spend_per_order = 30", rows, columns={}, events=events, metrics=metrics) == [1]
    assert matches("spend_per_order IS MISSING", rows, columns={}, events=events, metrics=metrics) == [2]  # 0 / 0


def test_event_time_given_as_a_date_is_its_midnight():
    # At noon `over 30d` starts at 2026-10-02T12:00: an order dated 2026-10-02 is before it.
    columns = {**ORDER_COLUMNS, "ordered_at": "date"}
    events = {"orders": orders(1, dt.date(2026, 10, 2)) + orders(2, dt.date(2026, 10, 3))
              + orders(3, dt.date(2026, 11, 1)) + orders(4, dt.date(2026, 11, 2))}
    rows = {k: {} for k in range(1, 6)}
    assert matches("count(orders) over 30d = 1", rows, columns={}, events=events, event_columns=columns,
                   as_of=at(2026, 11, 1, 12)) == [2, 3]


def test_other_aggregates():
    events = {"orders": orders(1, at(2026, 10, 1), amount=10, category="a")
              + orders(1, at(2026, 10, 2), amount=30, category="b")
              + orders(1, at(2026, 10, 3), amount=None, category="a")}
    assert value("avg(orders.amount)", events=events) == 20
    assert value("min(orders.amount)", events=events) == 10
    assert value("min(orders.ordered_at)", events=events) == at(2026, 10, 1)
    assert value("count_distinct(orders.category)", events=events) == 2
    assert value("count(orders where amount IS MISSING)", events=events) == 1
    assert value("sum(orders.amount where category = a) over 31d", events=events) == 10


def test_events_after_as_of_never_count():
    events = {"orders": orders(1, AS_OF + SECOND, at(2027, 1, 1), amount=5)}
    rows = {1: {}}
    rule = "count(orders) = 0 AND sum(orders.amount) = 0 AND max(orders.ordered_at) IS MISSING"
    assert matches(rule, rows, columns={}, events=events) == [1]
    assert matches("count(orders) over 2026-10-01 to 2027-12-31 = 0", rows, columns={}, events=events) == [1]


def test_no_window_means_all_history_up_to_as_of():
    events = {"orders": orders(1, at(2001, 1, 1), at(2026, 10, 31), AS_OF + DAY)}
    assert value("count(orders)", events=events) == 2


def test_an_inline_aggregate_in_a_rule():
    # The SPEC's `count(orders where amount > 100) over 30d`.
    events = {"orders": orders(1, at(2026, 10, 15), amount=150) + orders(2, at(2026, 10, 15), amount=100)
              + orders(3, at(2026, 9, 15), amount=150)}
    rows = {1: {}, 2: {}, 3: {}, 4: {}}
    assert matches("count(orders where amount > 100) over 30d >= 1", rows, columns={}, events=events) == [1]


def test_window_between_two_agos():
    # `over 180d ago to 90d ago`: 2026-05-05 ≤ t < 2026-08-03.
    events = {"orders": orders(1, at(2026, 5, 5), at(2026, 8, 2, 23, 59, 59), at(2026, 8, 3),
                               at(2026, 5, 4, 23, 59, 59))}
    assert value("count(orders) over 180d ago to 90d ago", events=events) == 2


def test_window_between_two_dates():
    # `over 2026-01-01 to 2026-03-31`: start inclusive, end exclusive.
    events = {"orders": orders(1, at(2026, 1, 1), at(2026, 3, 30, 23, 59, 59), at(2026, 3, 31),
                               at(2025, 12, 31, 23, 59, 59))}
    assert value("count(orders) over 2026-01-01 to 2026-03-31", events=events) == 2
    # A window reaching past as_of still stops at as_of.
    assert value("count(orders) over 2026-01-01 to 2026-03-31", events=events, as_of=at(2026, 2, 1)) == 1


def test_window_in_months_is_a_calendar_window():
    # as_of 2026-03-31: `over 6mo` starts at `6mo ago` = 2025-09-30, not 182.6 days back
    # (2025-09-29T09:00).
    events = {"orders": orders(1, at(2025, 9, 30), at(2025, 9, 29, 23, 59, 59))}
    assert value("count(orders) over 6mo", events=events, as_of=at(2026, 3, 31)) == 1
    assert value("count(orders) over 1y", events={"orders": orders(1, at(2023, 2, 28), at(2023, 2, 27))},
                 as_of=at(2024, 2, 29)) == 1


def test_stopped_buying():
    rule = "count(orders) over 180d ago to 30d ago > 0 AND count(orders) over 30d = 0"
    events = {"orders": orders(1, at(2026, 7, 24))                      # 100 days ago: stopped
              + orders(2, at(2026, 7, 24), at(2026, 10, 22))            # still buying
              + orders(4, at(2026, 4, 15))                              # 200 days ago: long gone
              + orders(5, at(2026, 10, 2))                              # exactly 30d ago: recent
              + orders(6, at(2026, 5, 5))                               # exactly 180d ago: stopped
              + orders(7, at(2026, 7, 24), AS_OF + DAY)}                # the future does not count
    rows = {k: {} for k in range(1, 8)}                                 # 3 never bought
    assert matches(rule, rows, columns={}, events=events) == [1, 6, 7]


# --- the SPEC §2 example project -----------------------------------------------------------------

SPEC_SETTINGS = """\
entity: customers              # the source whose rows are segmented
as_of: 2026-11-01              # reference time for windows and `ago`; default: now; --as-of overrides
sources:
  customers: {path: data/customers.parquet, key: customer_id}
  orders:    {path: "data/orders/*.parquet", key: customer_id, time: ordered_at}
fields:                        # optional declarations of entity fields: types, units, descriptions
  logins_per_week: {type: rate, per: week, description: from the product-usage export}
metrics:                       # per-entity values derived from event sources
  orders_90d:    count(orders) over 90d
  purchase_freq: count(orders) over 90d per month
  spend_365d:    sum(orders.amount) over 365d
  last_order_at: max(orders.ordered_at)
  skincare_buys: count(orders where category = skincare) over 180d
"""

SPEC_B2B = """\
segments:
  - name: tech                              # a macro segment
    description: Software and IT companies
    owner: growth-team
    rule: industry IN (software, saas, it_services)
    segments:                               # micro segments: the parent's rule is ANDed in
      - name: power_buyers
        rule: purchase_freq > 4/mo
      - name: dormant
        rule: last_order_at < 90d ago OR last_order_at IS MISSING

layers:                                     # exclusive groupings: first matching tier wins
  - name: lifecycle
    tiers:
      - name: new
        rule: signup_date WITHIN 30d
      - name: active
        rule: orders_90d >= 1
      - name: churned
        rule: last_order_at < 365d ago
      - name: other
        else: true                          # catch-all; without one, unmatched rows get NULL
  - name: value
    within: tech/power_buyers               # optional: only that segment's rows get a tier
    tiers:
      - name: top
        rule: ntile(5, spend_365d) = 5      # ranked among the layer's rows (see ranking)
      - name: rest
        else: true

microsegments:                              # Optimove style: the combination of layer labels
  - name: lifecycle_value
    layers: [lifecycle, value]
    within: tech                            # optional: only rows of that segment
"""

SPEC_SCHEMAS = {
    "customers": {"customer_id": "number", "industry": "string", "signup_date": "date",
                  "logins_per_week": "number"},
    "orders": {"customer_id": "number", "ordered_at": "timestamp", "amount": "number",
               "category": "string"},
}


def test_spec_example_project():
    project = checked({"segdsl.yml": SPEC_SETTINGS, "rules/b2b.yml": SPEC_B2B}, SPEC_SCHEMAS)
    assert project.as_of == AS_OF
    old = dt.date(2020, 1, 1)
    rows = [
        # Five tech power buyers (12+ orders in 90 days = 4.06+/mo), spends 120 … 600.
        {"customer_id": 1, "industry": "software", "signup_date": dt.date(2026, 10, 15)},
        {"customer_id": 2, "industry": "saas", "signup_date": old},
        {"customer_id": 3, "industry": "it_services", "signup_date": old},
        {"customer_id": 4, "industry": "software", "signup_date": old},
        {"customer_id": 5, "industry": "saas", "signup_date": old},
        # Tech, 11 orders (3.72/mo): not a power buyer, though the biggest spender of tech.
        {"customer_id": 6, "industry": "software", "signup_date": old},
        # Not tech: 20 orders and a huge spend.
        {"customer_id": 7, "industry": "retail", "signup_date": old},
        # Tech, last order a second before 90d ago: dormant; neither active nor churned.
        {"customer_id": 8, "industry": "software", "signup_date": old},
        # Tech, last order 2025-06-01 (plus one after as_of, which does not count): churned.
        {"customer_id": 9, "industry": "saas", "signup_date": old},
        # Tech, never ordered, signup unknown: dormant (no last order), lifecycle other.
        {"customer_id": 10, "industry": "software", "signup_date": None},
        # Industry unknown, signed up yesterday: not tech, new.
        {"customer_id": 11, "industry": None, "signup_date": dt.date(2026, 10, 31)},
        # "Software" is not "software": not tech.
        {"customer_id": 12, "industry": "Software", "signup_date": old},
        # Tech, signed up exactly 30 days ago (2026-10-02, midnight), never ordered: new, dormant.
        {"customer_id": 13, "industry": "saas", "signup_date": dt.date(2026, 10, 2)},
    ]
    events = []
    for key, count, amount in ((1, 12, 10), (2, 12, 20), (3, 13, 30), (4, 12, 40), (5, 12, 50),
                               (6, 11, 1000), (7, 20, 1000), (12, 12, 10)):
        events += orders(key, *(at(2026, 10, 1) + i * DAY for i in range(count)), amount=amount)
    events += orders(8, at(2026, 8, 2, 23, 59, 59), amount=5)
    events += orders(9, at(2025, 6, 1), AS_OF + DAY, amount=5)
    result = run(project, rows, {"orders": events}, project.as_of)

    got = {m.key: (m.segments, m.tiers["lifecycle"], m.tiers["value"], m.microsegments["lifecycle_value"])
           for m in result}
    buyer, dormant = ("tech", "tech/power_buyers"), ("tech", "tech/dormant")
    assert got == {
        # spend_365d among the power buyers: 120, 240, 390, 480, 600 → tiles 1..5.
        1: (buyer, "new", "rest", "new/rest"),          # new wins over active: first tier
        2: (buyer, "active", "rest", "active/rest"),
        3: (buyer, "active", "rest", "active/rest"),
        4: (buyer, "active", "rest", "active/rest"),
        5: (buyer, "active", "top", "active/top"),
        6: (("tech",), "active", None, None),           # no value tier: no key
        7: ((), "active", None, None),                  # outside `within: tech`
        8: (dormant, "other", None, None),
        9: (dormant, "churned", None, None),
        10: (dormant, "other", None, None),
        11: ((), "new", None, None),
        12: ((), "active", None, None),
        13: (dormant, "new", None, None),               # WITHIN 30d from the 2nd's midnight
    }


# --- rankings -----------------------------------------------------------------------------------

RANK_SETTINGS = """\
entity: customers
sources:
  customers: {path: customers.parquet, key: id}
metrics:
  spend_tile: ntile(2, spend)                # a metric ranks the whole entity
"""

RANK_RULES = """\
segments:
  - name: eu
    rule: region = eu
    segments:
      - name: top
        rule: ntile(2, spend) = 2            # ranks eu's members only
      - name: by_metric
        rule: spend_tile = 2                 # the metric's whole-entity tiles
  - name: top_overall
    rule: ntile(2, spend) = 2                # a top-level rule ranks the whole entity
  - name: eu_top_again
    rule: in_segment(eu/top)                 # eu/top as computed in eu's scope
  - name: top_half
    rule: ntile(2, spend) = 2
    segments:
      - name: top_quarter
        rule: ntile(2, spend) = 2            # ranks top_half's members
layers:
  - name: eu_rank
    within: eu                               # ranks eu's members only
    tiers:
      - name: high
        rule: percent_rank(spend) >= 0.5
      - name: low
        else: true
"""


def test_ranking_scopes():
    project = checked({"segdsl.yml": RANK_SETTINGS, "rules.yml": RANK_RULES},
                      {"customers": {"id": "number", "region": "string", "spend": "number"}})
    rows = {1: {"region": "eu", "spend": 10}, 2: {"region": "eu", "spend": 20},
            3: {"region": "eu", "spend": 30}, 4: {"region": "eu", "spend": 40},
            5: {"region": "us", "spend": 100}, 6: {"region": "us", "spend": 200},
            7: {"region": "us", "spend": 300}, 8: {"region": "us", "spend": 400},
            9: {"region": "eu", "spend": None}}          # not ranked: missing
    result = run(project, rows)
    assert members(result, "eu") == [1, 2, 3, 4, 9]
    assert members(result, "eu/top") == [3, 4]            # the top half of 10, 20, 30, 40
    assert members(result, "eu/by_metric") == []          # all of eu is in the entity's lower half
    assert members(result, "top_overall") == [5, 6, 7, 8]
    assert members(result, "eu_top_again") == [3, 4]
    assert members(result, "top_half") == [5, 6, 7, 8]
    assert members(result, "top_half/top_quarter") == [7, 8]
    # percent_rank among eu's ranked rows 10, 20, 30, 40: 0, 1/3, 2/3, 1.
    assert [m.tiers["eu_rank"] for m in result] == ["low", "low", "high", "high", None, None, None, None, "low"]


TILE_RULES = """\
layers:
  - name: tile
    tiers:
      - {name: t1, rule: "ntile(5, x) = 1"}
      - {name: t2, rule: "ntile(5, x) = 2"}
      - {name: t3, rule: "ntile(5, x) = 3"}
      - {name: t4, rule: "ntile(5, x) = 4"}
      - {name: t5, rule: "ntile(5, x) = 5"}
      - {name: unranked, else: true}
  - name: prank
    tiers:
      - {name: zero, rule: percent_rank(x) = 0}
      - {name: quarter, rule: percent_rank(x) = 0.25}
      - {name: three_quarters, rule: percent_rank(x) = 0.75}
      - {name: one, rule: percent_rank(x) = 1}
      - {name: other, else: true}
"""


def tile_project():
    settings = "entity: customers\nsources:\n  customers: {path: c.parquet, key: id}\n"
    return checked({"segdsl.yml": settings, "rules.yml": TILE_RULES},
                   {"customers": {"id": "number", "x": "number"}})


def test_ntile_is_sql_ntile():
    # Ordered by (x, key): 2(10) 3(20) 6(20) 4(30) 7(40) 1(50) 8(60); 7 rows into 5 tiles of
    # 2, 2, 1, 1, 1. The tie at 20 is broken by key; 5 has no x and is not ranked.
    rows = {1: {"x": 50}, 2: {"x": 10}, 3: {"x": 20}, 4: {"x": 30}, 5: {"x": None}, 6: {"x": 20},
            7: {"x": 40}, 8: {"x": 60}}
    result = run(tile_project(), rows)
    assert [m.tiers["tile"] for m in result] == ["t4", "t1", "t1", "t2", "unranked", "t2", "t3", "t5"]


def test_ntile_with_fewer_rows_than_tiles():
    result = run(tile_project(), {1: {"x": 3}, 2: {"x": 1}, 3: {"x": 2}})
    assert [m.tiers["tile"] for m in result] == ["t3", "t1", "t2"]


def test_percent_rank():
    # 10, 20, 20, 30, 40: (rank − 1) / (N − 1) with ties sharing the lower rank.
    rows = {1: {"x": 10}, 2: {"x": 20}, 3: {"x": 20}, 4: {"x": 30}, 5: {"x": 40}, 6: {"x": None}}
    result = run(tile_project(), rows)
    assert [m.tiers["prank"] for m in result] == ["zero", "quarter", "quarter", "three_quarters", "one", "other"]
    assert [m.tiers["prank"] for m in run(tile_project(), {1: {"x": 7}})] == ["zero"]


# --- project structure ----------------------------------------------------------------------------

NESTED_RULES = """\
segments:
  - name: a
    rule: x >= 1
    segments:
      - name: b
        rule: x >= 2
        segments:
          - name: c
            rule: x <= 2 OR y = true
  - name: d
    rule: in_segment(a/b/c) AND NOT in_segment(a/b)
  - {name: e, rule: "x IN (1, 3)"}
"""


def test_nested_segments_and_in_segment():
    settings = "entity: customers\nsources:\n  customers: {path: c.parquet, key: id}\n"
    project = checked({"segdsl.yml": settings, "rules.yml": NESTED_RULES},
                      {"customers": {"id": "number", "x": "number", "y": "boolean"}})
    rows = {1: {"x": 1, "y": True}, 2: {"x": 2, "y": None}, 3: {"x": 3, "y": True}, 4: {"x": 3, "y": False},
            5: {"x": None, "y": True}}
    result = run(project, rows)
    assert members(result, "a") == [1, 2, 3, 4]
    assert members(result, "a/b") == [2, 3, 4]
    assert members(result, "a/b/c") == [2, 3]     # every ancestor's rule is ANDed in
    assert members(result, "d") == []
    assert members(result, "e") == [1, 3, 4]      # a quoted rule in a flow mapping


LAYER_RULES = """\
segments:
  - name: big
    rule: x >= 10
layers:
  - name: size                 # no catch-all: unmatched rows get no tier
    tiers:
      - name: large
        rule: x >= 100
      - name: medium
        rule: x >= 10
  - name: kind
    tiers:
      - name: pro
        rule: >
          plan = pro
          OR plan = team
      - name: free
        rule: |
          plan = free
      - name: other
        else: true
microsegments:
  - name: size_kind            # no `within`: every row
    layers: [size, kind]
  - name: big_kind
    layers: [kind]
    within: big
"""


def test_layers_and_microsegment_keys():
    settings = "entity: customers\nsources:\n  customers: {path: c.parquet, key: id}\n"
    project = checked({"segdsl.yml": settings, "rules.yml": LAYER_RULES},
                      {"customers": {"id": "number", "x": "number", "plan": "string"}})
    rows = {1: {"x": 150, "plan": "pro"}, 2: {"x": 50, "plan": "free"}, 3: {"x": 5, "plan": "team"},
            4: {"x": None, "plan": None}, 5: {"x": 100, "plan": "Pro"}}
    got = {m.key: (m.tiers["size"], m.tiers["kind"], m.microsegments["size_kind"], m.microsegments["big_kind"])
           for m in run(project, rows)}
    assert got == {
        1: ("large", "pro", "large/pro", "pro"),
        2: ("medium", "free", "medium/free", "free"),
        3: (None, "pro", None, None),          # no size tier: no key; not big
        4: (None, "other", None, None),
        5: ("large", "other", "large/other", "other"),
    }


# --- errors found by check ------------------------------------------------------------------------

TYPED = {"industry": "string", "signup_date": "date", "newsletter": "boolean", "x": "number",
         "tags": "list"}


@pytest.mark.parametrize("rule", [
    "signup_date > 5",                 # a date with a number
    "signup_date = 2024",
    "signup_date IN (1, 2)",
    "signup_date BETWEEN 1 AND 2",
    "purchase_freq > tech",            # a rate with a string
    "purchase_freq = 'b2b'",
    "purchase_freq < 2024-01-01",      # a rate with a date
    "industry = 5",                    # a string with a number
    "industry > 2024-01-01",
    "newsletter = 1",                  # a boolean with a number
    "x = true",
    "signup_date = last_order_at",     # a bare word is a string, never a field
])
def test_comparing_across_types_is_an_error(rule):
    found = diagnostics(rule, TYPED, metrics={**FREQ, "last_order_at": "max(orders.ordered_at)"})
    # (one E301 per mismatched value of an IN list or BETWEEN)
    assert {x.code for x in found if x.is_error} == {"E301"}


def test_a_segment_that_uses_itself_is_an_error():
    assert [x.code for x in diagnostics("in_segment(s) OR x > 1", X) if x.is_error] == ["E210"]


def test_coalesce_of_a_rate_and_a_number_keeps_the_rate():
    # The 0 stands for "no logins" in the rate's own unit, and the result stays a rate per week,
    # so comparing it with a per-month literal converts units (8/mo = 1.84/w).
    rows = {1: {"logins_per_week": 3.0}, 2: {"logins_per_week": None}}
    columns = {"logins_per_week": "number"}
    assert matches("coalesce(logins_per_week, 0) < 2/w", rows, columns=columns, fields=LOGINS) == [2]
    assert matches("coalesce(logins_per_week, 0) > 8/mo", rows, columns=columns, fields=LOGINS) == [1]
    assert matches("coalesce(0, logins_per_week) = 0", rows, columns=columns, fields=LOGINS) == [1, 2]
