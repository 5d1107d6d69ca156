"""Baseline: benchmarks/rules computed with pandas (and numpy, with pyarrow for the files).

Input: `--customers PATH --orders PATH --out DIR` (Parquet files of benchmarks/generate.py).
Output: `DIR/members.parquet` in the members contract of `segdsl eval` (benchmarks/README.md).

    python benchmarks/baselines/with_pandas.py --customers C.parquet --orders O.parquet --out DIR

Written the way an experienced pandas user would: only the needed columns are read, the
category is read as a pandas Categorical, the window aggregates are one groupby-sum over the
orders of the last 365 days (each window a masked column), the all-history ones one more
groupby, and the segments list is built with numpy and Arrow rather than a Python loop.

pandas does not follow SQL's missing-value logic, so SPEC §3 is spelled out where it differs:
`!=` on a missing plan must be false (pandas says true), a missing boolean is false.
Comparisons of NaN/NaT are already false, and `isin` never matches a missing value.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

AS_OF = pd.Timestamp("2026-11-01")
D30 = AS_OF - pd.Timedelta(days=30)
D90 = AS_OF - pd.Timedelta(days=90)
D180 = AS_OF - pd.Timedelta(days=180)
D365 = AS_OF - pd.Timedelta(days=365)
MONTH_DAYS = 30.4375
PER_WEEK_IN_MONTHS = MONTH_DAYS / 7


def order_metrics(path: Path) -> pd.DataFrame:
    """One row per customer with orders up to as_of: the metrics of benchmarks/rules."""
    orders = pq.read_table(path, columns=["customer_id", "ordered_at", "amount", "category"],
                           read_dictionary=["category"]).to_pandas()
    # Events after as_of never count; NaT compares false, so timeless events drop out too.
    orders = orders[orders["ordered_at"] <= AS_OF]
    ever = orders.groupby("customer_id").agg(
        orders_ever=("ordered_at", "size"),
        first_order_at=("ordered_at", "min"),
        last_order_at=("ordered_at", "max"),
    )
    year = orders[orders["ordered_at"] >= D365]
    del orders
    t, amount, category = year["ordered_at"], year["amount"], year["category"]
    in30, in90 = t >= D30, t >= D90
    hardware, services = category == "hardware", category == "services"
    masked = pd.DataFrame({
        "customer_id": year["customer_id"],
        "orders_30d": in30,
        "orders_90d": in90,
        "orders_365d": np.ones(len(year), dtype=np.int64),
        "spend_30d": amount.where(in30),
        "spend_90d": amount.where(in90),
        "spend_365d": amount,
        "amounts_365d": amount.notna(),
        "hardware_90d": in90 & hardware,
        "hardware_365d": hardware,
        "services_spend_365d": amount.where(services),
        "big_orders_90d": in90 & (amount >= 500),
    })
    del year
    # sum() skips NaN and gives 0 for a group of only NaN: SPEC's sum with no values.
    windows = masked.groupby("customer_id").sum()
    del masked
    windows["avg_order_365d"] = (windows["spend_365d"]
                                 / windows["amounts_365d"].where(windows["amounts_365d"] > 0))
    return ever.join(windows, how="left")


def members(customers_path: Path, orders_path: Path) -> pa.Table:
    customers = pq.read_table(customers_path)
    customers = customers.set_column(
        customers.schema.get_field_index("newsletter"), "newsletter",
        pc.fill_null(customers["newsletter"], False))
    c = customers.to_pandas(date_as_object=False).sort_values("customer_id", ignore_index=True)
    m = c.join(order_metrics(orders_path), on="customer_id", how="left")
    for column in ("orders_ever", "orders_30d", "orders_90d", "orders_365d", "spend_30d",
                   "spend_90d", "spend_365d", "hardware_90d", "hardware_365d",
                   "services_spend_365d", "big_orders_90d"):
        m[column] = m[column].fillna(0)

    industry, country, size, plan = m["industry"], m["country"], m["company_size"], m["plan"]
    signup_new = m["signup_date"].between(D30, AS_OF)
    last, first = m["last_order_at"], m["first_order_at"]
    o30, o90, o365, ever = m["orders_30d"], m["orders_90d"], m["orders_365d"], m["orders_ever"]
    s30, s90, s365 = m["spend_30d"], m["spend_90d"], m["spend_365d"]
    purchase_freq = o90 / (90 / MONTH_DAYS)
    yearly_freq = o365 / (365 / MONTH_DAYS)
    power_buyers = purchase_freq > 4
    weekly_buyers = purchase_freq >= PER_WEEK_IN_MONTHS
    regulars = yearly_freq >= 2
    dormant_90d = (last < D90) | last.isna()
    recent = last >= D30
    lapsed = (o365 >= 1) & (o90 == 0)
    never_bought = ever == 0
    big_spenders = s365 >= 10_000

    tech = industry.isin(["software", "saas", "it_services"])
    finance = industry.isin(["finance", "insurance"])
    healthcare = industry == "healthcare"
    commerce = industry.isin(["retail", "ecommerce"])
    industrial = industry.isin(["manufacturing", "logistics"])
    enterprise = size >= 1000
    smb = size.between(10, 999)
    europe = country.isin(["DE", "FR", "GB", "ES", "IT", "NL"])
    north_america = country.isin(["US", "CA"])
    apac = country.isin(["JP", "AU", "SG", "IN"])

    segments = [
        ("tech", tech),
        ("tech/power_buyers", tech & power_buyers),
        ("tech/big_spenders", tech & big_spenders),
        ("tech/dormant", tech & dormant_90d),
        ("tech/hardware_fans", tech & (m["hardware_90d"] >= 3)),
        ("finance", finance),
        ("finance/weekly_buyers", finance & weekly_buyers),
        ("finance/high_value", finance & (s365 >= 5000) & (m["avg_order_365d"] >= 400)),
        ("finance/lapsed", finance & lapsed),
        ("finance/new_buyers", finance & (first >= D30)),
        ("healthcare", healthcare),
        ("healthcare/regulars", healthcare & regulars),
        ("healthcare/services_heavy", healthcare & (m["services_spend_365d"] >= 2000)),
        ("healthcare/recent", healthcare & recent),
        ("healthcare/never_bought", healthcare & never_bought),
        ("commerce", commerce),
        ("commerce/power_buyers", commerce & power_buyers),
        ("commerce/big_baskets", commerce & (m["big_orders_90d"] >= 2)),
        ("commerce/one_timers", commerce & (ever == 1)),
        ("commerce/churn_risk", commerce & (o90 == 0) & (o365 >= 6)),
        ("industrial", industrial),
        ("industrial/hardware_buyers", industrial & (m["hardware_365d"] >= 5)),
        ("industrial/heavy_month", industrial & (s30 >= 2000)),
        ("industrial/active", industrial & (o90 >= 1)),
        ("industrial/dormant", industrial & (last < D180)),
        ("enterprise", enterprise),
        ("enterprise/top_spenders", enterprise & (s365 >= 20_000)),
        ("enterprise/expanding", enterprise & (s90 > 0.3 * s365) & (o90 >= 3)),
        ("enterprise/weekly_buyers", enterprise & weekly_buyers),
        ("enterprise/quiet", enterprise & (o30 == 0)),
        ("smb", smb),
        ("smb/power_buyers", smb & power_buyers),
        ("smb/monthly_active", smb & (plan == "monthly") & (o30 >= 1)),
        ("smb/paying_dormant", smb & plan.notna() & (plan != "free") & dormant_90d),
        ("smb/rising", smb & (o30 >= 2) & (s30 >= 500)),
        ("europe", europe),
        ("europe/big_spenders", europe & big_spenders),
        ("europe/recent", europe & recent),
        ("europe/lapsed", europe & lapsed),
        ("europe/newsletter_buyers", europe & m["newsletter"] & (o90 >= 1)),
        ("north_america", north_america),
        ("north_america/power_buyers", north_america & power_buyers),
        ("north_america/loyal", north_america & (first < D365) & (o90 >= 1)),
        ("north_america/big_baskets", north_america & (m["avg_order_365d"] >= 600)),
        ("north_america/never_bought", north_america & never_bought),
        ("apac", apac),
        ("apac/regulars", apac & regulars),
        ("apac/recent_signups", apac & signup_new),
        ("apac/services_buyers", apac & (m["services_spend_365d"] > 0)),
        ("apac/dormant", apac & dormant_90d),
    ]
    lifecycle = _first_match([(signup_new, "new"), (o90 >= 1, "active"), (o365 >= 1, "lapsed")],
                             "other")
    value = _first_match([(s365 >= 10_000, "high"), (s365 >= 2000, "mid"), (s365 > 0, "low")],
                         "none")
    recency = _first_match([(last >= D30, "this_month"), (last >= D90, "this_quarter"),
                            (last >= D365, "this_year"), (last < D365, "older")], None)
    recency_value = pc.binary_join_element_wise(recency, value, "/")  # null if either is
    return pa.table({
        "customer_id": pa.array(m["customer_id"].to_numpy()),
        "segments": _path_lists(segments),
        "lifecycle": lifecycle,
        "value": value,
        "recency": recency,
        "recency_value": recency_value,
    })


def _first_match(tiers: list[tuple[pd.Series, str]], default: str | None) -> pa.Array:
    """A layer: the first tier whose condition holds, else `default` (None: no tier)."""
    conditions = [cond.to_numpy(dtype=bool) for cond, _ in tiers]
    labels = np.select(conditions, [name for _, name in tiers], default=default or "")
    return pa.array(labels, pa.string(), mask=None if default else ~np.any(conditions, axis=0))


def _path_lists(segments: list[tuple[str, pd.Series]]) -> pa.Array:
    """Per row, the paths whose condition holds, in project order."""
    flags = np.column_stack([cond.to_numpy(dtype=bool) for _, cond in segments])
    _, cols = np.nonzero(flags)  # row-major: by row, then by column = project order
    offsets = np.concatenate([[0], np.cumsum(flags.sum(axis=1))]).astype(np.int32)
    values = pa.array([path for path, _ in segments]).take(pa.array(cols))
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=Path, required=True)
    parser.add_argument("--orders", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pq.write_table(members(args.customers, args.orders), args.out / "members.parquet")


if __name__ == "__main__":
    main()
