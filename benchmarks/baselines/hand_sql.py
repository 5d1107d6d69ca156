"""Baseline: the best one-pass SQL a person would write by hand for benchmarks/rules, on DuckDB.

Input: `--customers PATH --orders PATH --out DIR` (Parquet files of benchmarks/generate.py).
Output: `DIR/members.parquet` in the members contract of `segdsl eval` (benchmarks/README.md).

    python benchmarks/baselines/hand_sql.py --customers C.parquet --orders O.parquet --out DIR

One grouped scan of orders with a FILTER per aggregate, one join to customers, one projection,
one COPY. as_of is 2026-11-01 00:00, so the windows start at 2026-10-02 (30 days),
2026-08-03 (90 days), 2026-05-05 (180 days) and 2025-11-01 (365 days).

No rule of the project uses NOT, so SQL's three-valued logic already gives SPEC §3's meaning
(a predicate on a missing value is false): NULL AND x is never true, NULL OR x is x, and CASE
and the list's CASE WHEN treat NULL as false. Rates are count / (window days / 30.4375) per
month, compared with the rate literal converted to per month.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

SQL = """
COPY (
WITH orders AS (
    SELECT
        customer_id,
        count(*) FILTER (WHERE ordered_at >= TIMESTAMP '2026-10-02') AS orders_30d,
        count(*) FILTER (WHERE ordered_at >= TIMESTAMP '2026-08-03') AS orders_90d,
        count(*) FILTER (WHERE ordered_at >= TIMESTAMP '2025-11-01') AS orders_365d,
        count(*) AS orders_ever,
        sum(amount) FILTER (WHERE ordered_at >= TIMESTAMP '2026-10-02') AS spend_30d,
        sum(amount) FILTER (WHERE ordered_at >= TIMESTAMP '2026-08-03') AS spend_90d,
        sum(amount) FILTER (WHERE ordered_at >= TIMESTAMP '2025-11-01') AS spend_365d,
        avg(amount) FILTER (WHERE ordered_at >= TIMESTAMP '2025-11-01') AS avg_order_365d,
        min(ordered_at) AS first_order_at,
        max(ordered_at) AS last_order_at,
        count(*) FILTER (WHERE ordered_at >= TIMESTAMP '2026-08-03'
                           AND category = 'hardware') AS hardware_90d,
        count(*) FILTER (WHERE ordered_at >= TIMESTAMP '2025-11-01'
                           AND category = 'hardware') AS hardware_365d,
        sum(amount) FILTER (WHERE ordered_at >= TIMESTAMP '2025-11-01'
                              AND category = 'services') AS services_spend_365d,
        count(*) FILTER (WHERE ordered_at >= TIMESTAMP '2026-08-03'
                           AND amount >= 500) AS big_orders_90d
    FROM read_parquet('{orders}')
    -- every aggregate counts events up to as_of only; a NULL time fails this too
    WHERE ordered_at <= TIMESTAMP '2026-11-01'
    GROUP BY customer_id
),
m AS (
    SELECT
        c.customer_id, c.industry, c.country, c.company_size, c.signup_date, c.plan,
        c.newsletter,
        coalesce(o.orders_30d, 0) AS orders_30d,
        coalesce(o.orders_90d, 0) AS orders_90d,
        coalesce(o.orders_365d, 0) AS orders_365d,
        coalesce(o.orders_ever, 0) AS orders_ever,
        coalesce(o.orders_90d, 0) / (90 / 30.4375) AS purchase_freq,
        coalesce(o.orders_365d, 0) / (365 / 30.4375) AS yearly_freq,
        coalesce(o.spend_30d, 0) AS spend_30d,
        coalesce(o.spend_90d, 0) AS spend_90d,
        coalesce(o.spend_365d, 0) AS spend_365d,
        o.avg_order_365d, o.first_order_at, o.last_order_at,
        coalesce(o.hardware_90d, 0) AS hardware_90d,
        coalesce(o.hardware_365d, 0) AS hardware_365d,
        coalesce(o.services_spend_365d, 0) AS services_spend_365d,
        coalesce(o.big_orders_90d, 0) AS big_orders_90d
    FROM read_parquet('{customers}') AS c
    LEFT JOIN orders AS o USING (customer_id)
),
s AS (
    SELECT
        customer_id,
        industry IN ('software', 'saas', 'it_services') AS tech,
        industry IN ('finance', 'insurance') AS finance,
        industry = 'healthcare' AS healthcare,
        industry IN ('retail', 'ecommerce') AS commerce,
        industry IN ('manufacturing', 'logistics') AS industrial,
        company_size >= 1000 AS enterprise,
        company_size BETWEEN 10 AND 999 AS smb,
        country IN ('DE', 'FR', 'GB', 'ES', 'IT', 'NL') AS europe,
        country IN ('US', 'CA') AS north_america,
        country IN ('JP', 'AU', 'SG', 'IN') AS apac,
        purchase_freq > 4 AS power_buyers,
        purchase_freq >= 30.4375 / 7 AS weekly_buyers,
        yearly_freq >= 2 AS regulars,
        last_order_at < TIMESTAMP '2026-08-03' OR last_order_at IS NULL AS dormant_90d,
        last_order_at >= TIMESTAMP '2026-10-02' AS recent,
        orders_365d >= 1 AND orders_90d = 0 AS lapsed,
        orders_ever = 0 AS never_bought,
        spend_365d >= 10000 AS big_spenders,
        spend_365d, orders_90d, orders_365d, signup_date, last_order_at,
        orders_30d, spend_30d, spend_90d, hardware_90d, hardware_365d, avg_order_365d,
        services_spend_365d, big_orders_90d, first_order_at, orders_ever, plan, newsletter
    FROM m
),
tiers AS (
    SELECT
        *,
        CASE WHEN signup_date BETWEEN DATE '2026-10-02' AND DATE '2026-11-01' THEN 'new'
             WHEN orders_90d >= 1 THEN 'active'
             WHEN orders_365d >= 1 THEN 'lapsed'
             ELSE 'other' END AS lifecycle,
        CASE WHEN spend_365d >= 10000 THEN 'high'
             WHEN spend_365d >= 2000 THEN 'mid'
             WHEN spend_365d > 0 THEN 'low'
             ELSE 'none' END AS value,
        CASE WHEN last_order_at >= TIMESTAMP '2026-10-02' THEN 'this_month'
             WHEN last_order_at >= TIMESTAMP '2026-08-03' THEN 'this_quarter'
             WHEN last_order_at >= TIMESTAMP '2025-11-01' THEN 'this_year'
             WHEN last_order_at < TIMESTAMP '2025-11-01' THEN 'older' END AS recency
    FROM s
)
SELECT
    customer_id,
    list_filter([
        CASE WHEN tech THEN 'tech' END,
        CASE WHEN tech AND power_buyers THEN 'tech/power_buyers' END,
        CASE WHEN tech AND big_spenders THEN 'tech/big_spenders' END,
        CASE WHEN tech AND dormant_90d THEN 'tech/dormant' END,
        CASE WHEN tech AND hardware_90d >= 3 THEN 'tech/hardware_fans' END,
        CASE WHEN finance THEN 'finance' END,
        CASE WHEN finance AND weekly_buyers THEN 'finance/weekly_buyers' END,
        CASE WHEN finance AND spend_365d >= 5000 AND avg_order_365d >= 400
             THEN 'finance/high_value' END,
        CASE WHEN finance AND lapsed THEN 'finance/lapsed' END,
        CASE WHEN finance AND first_order_at >= TIMESTAMP '2026-10-02'
             THEN 'finance/new_buyers' END,
        CASE WHEN healthcare THEN 'healthcare' END,
        CASE WHEN healthcare AND regulars THEN 'healthcare/regulars' END,
        CASE WHEN healthcare AND services_spend_365d >= 2000 THEN 'healthcare/services_heavy' END,
        CASE WHEN healthcare AND recent THEN 'healthcare/recent' END,
        CASE WHEN healthcare AND never_bought THEN 'healthcare/never_bought' END,
        CASE WHEN commerce THEN 'commerce' END,
        CASE WHEN commerce AND power_buyers THEN 'commerce/power_buyers' END,
        CASE WHEN commerce AND big_orders_90d >= 2 THEN 'commerce/big_baskets' END,
        CASE WHEN commerce AND orders_ever = 1 THEN 'commerce/one_timers' END,
        CASE WHEN commerce AND orders_90d = 0 AND orders_365d >= 6 THEN 'commerce/churn_risk' END,
        CASE WHEN industrial THEN 'industrial' END,
        CASE WHEN industrial AND hardware_365d >= 5 THEN 'industrial/hardware_buyers' END,
        CASE WHEN industrial AND spend_30d >= 2000 THEN 'industrial/heavy_month' END,
        CASE WHEN industrial AND orders_90d >= 1 THEN 'industrial/active' END,
        CASE WHEN industrial AND last_order_at < TIMESTAMP '2026-05-05'
             THEN 'industrial/dormant' END,
        CASE WHEN enterprise THEN 'enterprise' END,
        CASE WHEN enterprise AND spend_365d >= 20000 THEN 'enterprise/top_spenders' END,
        CASE WHEN enterprise AND spend_90d > 0.3 * spend_365d AND orders_90d >= 3
             THEN 'enterprise/expanding' END,
        CASE WHEN enterprise AND weekly_buyers THEN 'enterprise/weekly_buyers' END,
        CASE WHEN enterprise AND orders_30d = 0 THEN 'enterprise/quiet' END,
        CASE WHEN smb THEN 'smb' END,
        CASE WHEN smb AND power_buyers THEN 'smb/power_buyers' END,
        CASE WHEN smb AND plan = 'monthly' AND orders_30d >= 1 THEN 'smb/monthly_active' END,
        CASE WHEN smb AND plan != 'free' AND dormant_90d THEN 'smb/paying_dormant' END,
        CASE WHEN smb AND orders_30d >= 2 AND spend_30d >= 500 THEN 'smb/rising' END,
        CASE WHEN europe THEN 'europe' END,
        CASE WHEN europe AND big_spenders THEN 'europe/big_spenders' END,
        CASE WHEN europe AND recent THEN 'europe/recent' END,
        CASE WHEN europe AND lapsed THEN 'europe/lapsed' END,
        CASE WHEN europe AND newsletter AND orders_90d >= 1 THEN 'europe/newsletter_buyers' END,
        CASE WHEN north_america THEN 'north_america' END,
        CASE WHEN north_america AND power_buyers THEN 'north_america/power_buyers' END,
        CASE WHEN north_america AND first_order_at < TIMESTAMP '2025-11-01' AND orders_90d >= 1
             THEN 'north_america/loyal' END,
        CASE WHEN north_america AND avg_order_365d >= 600 THEN 'north_america/big_baskets' END,
        CASE WHEN north_america AND never_bought THEN 'north_america/never_bought' END,
        CASE WHEN apac THEN 'apac' END,
        CASE WHEN apac AND regulars THEN 'apac/regulars' END,
        CASE WHEN apac AND signup_date BETWEEN DATE '2026-10-02' AND DATE '2026-11-01'
             THEN 'apac/recent_signups' END,
        CASE WHEN apac AND services_spend_365d > 0 THEN 'apac/services_buyers' END,
        CASE WHEN apac AND dormant_90d THEN 'apac/dormant' END
    ], lambda x: x IS NOT NULL) AS segments,
    lifecycle,
    value,
    recency,
    recency || '/' || value AS recency_value
FROM tiers
ORDER BY customer_id
) TO '{out}' (FORMAT parquet)
"""


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=Path, required=True)
    parser.add_argument("--orders", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    duckdb.connect().execute(SQL.format(customers=_literal(args.customers),
                                        orders=_literal(args.orders),
                                        out=_literal(args.out / "members.parquet")))


if __name__ == "__main__":
    main()
