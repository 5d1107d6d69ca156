"""Did-you-mean: which misspellings find their name, and which names are left alone."""

from __future__ import annotations

import pytest

from segdsl.dsl.suggest import did_you_mean, suggestion_text

CUSTOMER_NAMES = [
    "age",
    "gender",
    "income",
    "country",
    "city",
    "industry",
    "company_size",
    "job_role",
    "signup_date",
    "orders",
    "orders_90d",
    "purchase_freq",
    "spend_365d",
    "last_order_at",
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("industy", "industry"),  # a dropped letter
        ("purchse_freq", "purchase_freq"),
        ("ordrs", "orders"),
        ("Industry", "industry"),  # case alone
        ("INDUSTRY", "industry"),
        ("purchase-freq", "purchase_freq"),
        ("orders_30d", "orders_90d"),
        ("spend", "spend_365d"),  # a metric's suffix left off
        ("contry", "country"),
        ("lastorder_at", "last_order_at"),
        ("ag", "age"),
    ],
)
def test_finds_the_intended_name(typed, expected):
    assert did_you_mean(typed, CUSTOMER_NAMES) == expected


@pytest.mark.parametrize("typed", ["zzz", "x", "revenue", "ltv", "device_os", "tenure"])
def test_leaves_unrelated_names_alone(typed):
    assert did_you_mean(typed, CUSTOMER_NAMES) is None


def test_no_candidates():
    assert did_you_mean("industy", []) is None


def test_a_name_is_not_its_own_correction():
    assert did_you_mean("orders", ["orders"]) is None
    assert did_you_mean("orders", ["orders", "orders_90d"]) == "orders_90d"


def test_returns_the_candidate_as_written():
    assert did_you_mean("industy", ["Industry"]) == "Industry"


def test_ties_do_not_depend_on_candidate_order():
    # `ab_x` and `ab_y` are equally close to `ab`; the alphabetically first wins either way.
    assert did_you_mean("ab", ["ab_y", "ab_x"]) == "ab_x"
    assert did_you_mean("ab", ["ab_x", "ab_y"]) == "ab_x"
    assert did_you_mean("ab", {"ab_y", "ab_x"}) == "ab_x"


def test_accepts_any_iterable_once():
    assert did_you_mean("ordrs", (name for name in CUSTOMER_NAMES)) == "orders"


def test_suggestion_text():
    assert suggestion_text("industy", CUSTOMER_NAMES) == " (did you mean 'industry'?)"
    assert suggestion_text("zzz", CUSTOMER_NAMES) == ""
    message = "unknown field 'industy'" + suggestion_text("industy", CUSTOMER_NAMES)
    assert message == "unknown field 'industy' (did you mean 'industry'?)"
