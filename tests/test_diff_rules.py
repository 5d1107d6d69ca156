"""`segdsl diff`'s rule diff alone, on parsed projects (no git, no data): renames that children
follow, tier order, `within`, microsegment layers, layers removed or renamed with their tiers,
and a rule that uses a changed segment.
"""

from __future__ import annotations

from test_diff import SETTINGS, write_rules


def changes_between(tmp_path, old: str, new: str) -> dict[tuple, object]:
    from segdsl.diff.rules import rule_diff
    from segdsl.dsl.loader import load_project

    specs = []
    for name, rules in (("old", old), ("new", new)):
        (tmp_path / name).mkdir(parents=True)
        write_rules(tmp_path / name, SETTINGS, rules)
        specs.append(load_project(tmp_path / name)[0])
    found = rule_diff(*specs)
    return {(c.kind, c.layer, c.name): c for c in found.changes}


LAYERED = """\
segments:
  - name: tech
    rule: plan = monthly
    segments:
      - name: power
        rule: orders_90d > 3
      - name: quiet
        rule: orders_90d = 0
  - name: other
    rule: age > 40
layers:
  - name: band
    within: tech
    tiers:
      - {name: a, rule: age >= 65}
      - {name: b, rule: age >= 40}
      - {name: c, else: true}
  - name: size
    tiers:
      - {name: big, rule: spend_90d > 100}
      - {name: small, else: true}
microsegments:
  - {name: combo, layers: [band, size]}
"""


def test_children_follow_a_renamed_parent(tmp_path):
    new = LAYERED.replace("name: tech", "name: technology").replace("within: tech", "within: technology")
    changes = changes_between(tmp_path, LAYERED, new)
    assert changes["segment", None, "technology"].old_name == "tech"
    assert changes["segment", None, "technology/power"].status == "renamed"
    assert changes["segment", None, "technology/power"].old_name == "tech/power"
    # `within` names the renamed segment: the layer itself did not change.
    assert changes["layer", None, "band"].status == "unchanged"
    assert not any(c.status in ("added", "removed") for c in changes.values())


def test_tier_order_within_and_microsegment_layers(tmp_path):
    new = (LAYERED.replace("      - {name: a, rule: age >= 65}\n      - {name: b, rule: age >= 40}\n",
                           "      - {name: b, rule: age >= 40}\n      - {name: a, rule: age >= 65}\n")
           .replace("within: tech", "within: other").replace("layers: [band, size]", "layers: [size, band]"))
    changes = changes_between(tmp_path, LAYERED, new)
    band = changes["layer", None, "band"]
    assert band.status == "changed"
    assert band.reasons == ("within: tech → other", "tier order: a, b, c → b, a, c")
    assert changes["tier", "band", "a"].status == "unchanged"
    combo = changes["microsegment", None, "combo"]
    assert (combo.status, combo.old, combo.new) == ("changed", "layers: [band, size]", "layers: [size, band]")


def test_a_removed_layer_takes_its_tiers_and_a_renamed_layer_keeps_them(tmp_path):
    new = LAYERED.replace("  - name: size\n", "  - name: spend_size\n").replace(
        "layers: [band, size]", "layers: [band, spend_size]")
    new = new.replace("      - {name: c, else: true}\n", "      - {name: c, rule: age >= 18}\n")
    changes = changes_between(tmp_path, LAYERED, new)
    assert changes["layer", None, "spend_size"].old_name == "size"
    assert changes["tier", "spend_size", "big"].status == "unchanged"
    assert changes["microsegment", None, "combo"].status == "unchanged"
    c = changes["tier", "band", "c"]
    assert (c.status, c.old, c.new) == ("changed", "else: true", "age >= 18")
    gone = changes_between(tmp_path / "2", LAYERED, LAYERED.split("  - name: size\n")[0] + "microsegments: []\n")
    assert gone["layer", None, "size"].status == "removed"
    assert {gone["tier", "size", t].status for t in ("big", "small")} == {"removed"}
    assert gone["microsegment", None, "combo"].status == "removed"


def test_a_rule_reading_a_changed_segment_is_changed(tmp_path):
    old = LAYERED.replace("rule: age > 40", "rule: in_segment(tech/power) OR age > 40")
    new = old.replace("rule: orders_90d > 3", "rule: orders_90d > 5")
    changes = changes_between(tmp_path, old, new)
    assert changes["segment", None, "tech/power"].status == "changed"
    other = changes["segment", None, "other"]
    assert (other.status, other.reasons) == ("changed", ("uses segment tech/power, which changed",))
    assert changes["segment", None, "tech/quiet"].status == "unchanged"
