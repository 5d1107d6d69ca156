"""An `Explanation` as text for terminals and CI logs, or as JSON for scripts.

Input: `segdsl.explain.model.Explanation`.
Output: plain text (no colour, no box drawing: it must read the same in a CI log), or a JSON
document with the same content.
"""

from __future__ import annotations

import dataclasses
import json

from segdsl.explain import model as m

_INDENT = "  "


def render_text(explanation: m.Explanation) -> str:
    key = explanation.id if not isinstance(explanation.id, str) else json.dumps(explanation.id)
    lines = [f"{explanation.entity} {explanation.key} = {key}, as of {explanation.as_of.isoformat()}"]
    for segment in explanation.segments:
        lines += ["", *_segment(segment)]
    for layer in explanation.layers:
        lines += ["", *_layer(layer)]
    for ms in explanation.microsegments:
        lines += ["", *_microsegment(ms)]
    return "\n".join(lines) + "\n"


def render_json(explanation: m.Explanation) -> str:
    return json.dumps(to_dict(explanation), indent=2, ensure_ascii=False) + "\n"


def to_dict(explanation: m.Explanation) -> dict:
    """Plain data; rule nodes carry `kind` (`atom`, `AND`, `OR`, `NOT`)."""
    out = _lists(dataclasses.asdict(explanation, dict_factory=_tagged))
    out["as_of"] = explanation.as_of.isoformat()
    out["id"] = _plain(explanation.id)
    return out


def _tagged(items: list[tuple[str, object]]) -> dict:
    data = dict(items)
    if "verdict" in data and "operands" in data:
        return {"kind": "atom", **data}
    if "verdict" in data and "parts" in data:
        return {"kind": data.pop("op"), **data}
    if "within_member" in data and "key" in data:  # a microsegment: its layers as {layer: tier}
        return {**data, "layers": dict(data["layers"])}
    return data


def _lists(value: object) -> object:
    """Tuples as JSON lists, so that the dict is what `json.loads` gives back."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


def _plain(value: object) -> object:
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


# --- text --------------------------------------------------------------------------------------


def _member(value: bool | None) -> str:
    return "member" if value else "not a member"


def _segment(segment: m.SegmentExplanation) -> list[str]:
    lines = [f"segment {segment.path}: {_member(segment.member)}"]
    if segment.parent is not None:
        lines.append(f"{_INDENT}parent {segment.parent}: {_member(segment.parent_member)}")
    lines.append(f"{_INDENT}rule: {segment.rule}")
    lines += _check(segment.check, 1)
    return lines


def _layer(layer: m.LayerExplanation) -> list[str]:
    if layer.within is not None and not layer.within_member:
        return [f"layer {layer.name}: no tier",
                f"{_INDENT}not a member of {layer.within}, the only rows this layer gives a tier"]
    lines = [f"layer {layer.name}: {layer.tier if layer.tier is not None else 'no tier'}"]
    if layer.within is not None:
        lines.append(f"{_INDENT}within {layer.within}: member")
    for number, tier in enumerate(layer.tiers, start=1):
        won = tier.name == layer.tier
        if tier.check is None:
            lines.append(f"{_INDENT}{number}. {tier.name} (else): "
                         + ("wins, as no tier before it matched" if won else "not reached"))
            break
        lines.append(f"{_INDENT}{number}. {tier.name}: {'matches, wins' if won else 'does not match'}")
        lines.append(f"{_INDENT * 2}rule: {tier.rule}")
        lines += _check(tier.check, 2)
        if won:
            rest = [t.name for t in layer.tiers[number:]]
            if rest:
                lines.append(f"{_INDENT}not tried: {', '.join(rest)}")
            break
    else:
        lines.append(f"{_INDENT}no tier matched and the layer has no else")
    return lines


def _microsegment(ms: m.MicrosegmentExplanation) -> list[str]:
    lines = [f"microsegment {ms.name}: {ms.key if ms.key is not None else 'no key'}"]
    if ms.within is not None:
        lines.append(f"{_INDENT}within {ms.within}: {_member(ms.within_member)}")
    tiers = ", ".join(f"{name} = {tier if tier is not None else 'no tier'}" for name, tier in ms.layers)
    lines.append(f"{_INDENT}layers: {tiers}")
    return lines


def _check(check: m.Check, depth: int) -> list[str]:
    return _node(check, _INDENT * depth)


def _node(check: m.Check, pad: str) -> list[str]:
    """`yes  text` or `no   text`; parts and operands indented under the text."""
    mark = "yes" if check.verdict else "no "
    under = pad + " " * (len(mark) + 2)
    if isinstance(check, m.Combination):
        lines = [f"{pad}{mark}  {check.op}"]
        for part in check.parts:
            lines += _node(part, under)
        return lines
    lines = [f"{pad}{mark}  {check.text}"]
    for operand in check.operands:
        note = f"  ({operand.note})" if operand.note else ""
        lines.append(f"{under}{_INDENT}{operand.text} = {operand.shown}{note}")
    return lines
