"""The text files of the scaffold: settings, rules with their tests, README, .gitignore.

Input: the sample data's row counts (for the README) and the JSON Schema's text.
Output: `texts()`: relative path → file text. Every rule is written in canonical form
(`segdsl.dsl.printer`), so `segdsl fmt --check` passes on a fresh scaffold.

The rule tests' expected results were worked out by hand from the rules, with the dates
relative to `as_of` (2026-11-01); `tests/test_init.py` checks them against the reference
interpreter.
"""

from __future__ import annotations

SETTINGS = """\
# yaml-language-server: $schema=schema/segdsl.schema.json
# Project settings: which source is segmented, where the data lives, and the metrics the rules
# use. Every other .yml file below this folder holds segments: see rules/segments.yml.
entity: customers
as_of: 2026-11-01                # pinned so that results are reproducible; --as-of overrides

sources:
  customers: {path: data/customers.csv, key: customer_id}
  orders:    {path: data/orders.csv, key: customer_id, time: ordered_at}

metrics:                         # per-customer values derived from the orders
  orders_90d:    count(orders) over 90d
  purchase_freq: count(orders) over 90d per month
  spend_365d:    sum(orders.amount) over 365d
  last_order_at: max(orders.ordered_at)
"""

RULES = """\
# yaml-language-server: $schema=../schema/segdsl.schema.json
# Segments of the sample customers: macro segments with micro segments, two layers (exclusive
# groupings: the first matching tier wins) and a microsegment that combines them.
segments:
  - name: tech
    description: Software and IT companies
    owner: growth-team
    rule: industry IN (software, saas, it_services)
    segments:                       # micro segments: the parent's rule is ANDed in
      - name: power_buyers
        description: Ordered at least once a month on average over the last 90 days
        owner: growth-team
        rule: purchase_freq >= 1/mo
      - name: dormant
        description: No order in the last 90 days, or never ordered
        owner: growth-team
        rule: last_order_at < 90d ago OR last_order_at IS MISSING

  - name: retail
    description: Shops and online stores
    owner: retail-team
    rule: industry IN (retail, ecommerce)
    segments:
      - name: big_spenders
        description: Spent 2,000 or more in the last 365 days
        owner: retail-team
        rule: spend_365d >= 2k
      - name: new_accounts
        description: Signed up in the last 90 days
        owner: retail-team
        rule: signup_date WITHIN 90d

layers:
  - name: lifecycle
    description: Where each customer stands; the order of the tiers matters
    tiers:
      - name: new
        rule: signup_date WITHIN 30d
      - name: active
        rule: orders_90d >= 1
      - name: lapsing
        rule: last_order_at BETWEEN 365d ago AND 90d ago
      - name: churned
        rule: last_order_at < 365d ago
      - name: prospect
        else: true                  # never ordered and not new
  - name: value
    description: Spend over the last 365 days
    tiers:
      - name: high
        rule: spend_365d >= 2k
      - name: mid
        rule: spend_365d >= 500
      - name: low
        else: true

microsegments:
  - name: lifecycle_value
    description: Lifecycle stage and value tier together, such as active/high
    layers: [lifecycle, value]

# `segdsl test` runs these: each gives one customer's row and orders, and says where it belongs.
tests:
  - name: a software company ordering every few weeks is a tech power buyer
    given:
      customers: {industry: software, company_size: 40, signup_date: 2025-01-10}
      orders:
        - {ordered_at: 2026-08-20, amount: 120.0}
        - {ordered_at: 2026-09-10, amount: 180.0}
        - {ordered_at: 2026-10-01, amount: 150.0}
        - {ordered_at: 2026-10-20, amount: 90.0}
    expect:
      in: [tech, tech/power_buyers]
      not_in: [tech/dormant, retail]
      layers: {lifecycle: active, value: mid}
      microsegments: {lifecycle_value: active/mid}

  - name: a tech account that never ordered is dormant
    given:
      customers: {industry: saas, signup_date: 2024-03-01}
    expect:
      in: [tech, tech/dormant]
      not_in: [tech/power_buyers]
      layers: {lifecycle: prospect, value: low}
      microsegments: {lifecycle_value: prospect/low}

  - name: a retailer who signed up this month is new, orders or not
    given:
      customers: {industry: ecommerce, signup_date: 2026-10-20}
      orders:
        - {ordered_at: 2026-10-22, amount: 60.0}
    expect:
      in: [retail, retail/new_accounts]
      not_in: [retail/big_spenders, tech]
      layers: {lifecycle: new, value: low}

  - name: a big retail spender who stopped ordering in the spring is lapsing
    given:
      customers: {industry: retail, signup_date: 2025-06-01}
      orders:
        - {ordered_at: 2026-03-02, amount: 1500.0}
        - {ordered_at: 2026-05-15, amount: 900.0}
    expect:
      in: [retail, retail/big_spenders]
      not_in: [retail/new_accounts]
      layers: {lifecycle: lapsing, value: high}
      microsegments: {lifecycle_value: lapsing/high}

  - name: a year on, an account whose last order was in March has churned
    as_of: 2027-06-01
    given:
      customers: {industry: finance, signup_date: 2025-06-01}
      orders:
        - {ordered_at: 2026-03-02, amount: 1500.0}
    expect:
      not_in: [tech, retail]
      layers: {lifecycle: churned, value: low}
      microsegments: {lifecycle_value: churned/low}
"""

GITIGNORE = """\
# what `segdsl eval` writes by default
out/
"""

README = """\
# Customer segments

A segdsl rules project made by `segdsl init`, with made-up sample data so that every command
runs at once.

| file | holds |
|---|---|
| `segdsl.yml` | the settings: the entity (`customers`), `as_of`, the sources and the metrics |
| `rules/segments.yml` | segments with micro segments, two layers, a microsegment, and the rule tests |
| `data/customers.csv`, `data/orders.csv` | the sample data: {customers} customers and {orders} orders |
| `schema/segdsl.schema.json` | the JSON Schema the YAML files point editors at (`segdsl schema` prints it) |

Run, from this folder:

```sh
segdsl check          # parse and check every rule against the data's columns
segdsl test           # run the tests written under `tests:` in rules/segments.yml
segdsl eval           # evaluate; writes out/members.parquet and out/segments.json
segdsl fmt --check    # are the rules in canonical form?
```

To segment your own customers, point the sources in `segdsl.yml` at your exports (Parquet,
CSV, JSON, globs of them, or a DuckDB database file), or override them for one run with
`segdsl eval --data customers=PATH --data orders=PATH`. Remove `as_of` to evaluate against the
current time. After upgrading segdsl, refresh the schema with
`segdsl schema > schema/segdsl.schema.json`.
"""


def texts(customers: int, orders: int) -> dict[str, str]:
    """The text files, by path relative to the project folder (the schema and data aside)."""
    return {
        "segdsl.yml": SETTINGS,
        "rules/segments.yml": RULES,
        "README.md": README.format(customers=customers, orders=orders),
        ".gitignore": GITIGNORE,
    }
