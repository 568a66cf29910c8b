"""The envelope position (planner/structures/envelope.py) on frames built by hand: fixed amounts, a council
without a row, a customer's share ignored, a retired partner's posts, and the reconciling line
that keeps the total headroom honest when some envelope or cost is held by no council."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.charts import compare as cc
from planner.structures.envelope import envelope_position

PARTNERS = pd.DataFrame({
    "id": [1, 2, 3, 4], "name": ["Brent", "Lewisham", "LGA", "Old"],
    "kind": ["council", "council", "customer", "council"],
    "active": [True, True, True, False], "share_bp": [5000, 5000, 0, 0],
}).set_index("id")
# Two shared posts (1,000p and 600p), one Brent post (300p), one LGA post (200p), and one post
# an archived option still charges to Old, a retired partner (100p).
COST = np.array([1_000, 600, 300, 200, 100], dtype=np.int64)
PARTNER_ID = np.array([-1, -1, 1, 3, 4], dtype=np.int64)


def _position(shares: pd.DataFrame, envelope: int | None = 2_000, mode: str = "income"):
    return envelope_position(cost=COST, partner_id=PARTNER_ID, partners=PARTNERS,
                             shares=shares, envelope_pence=envelope, months=12,
                             customer_posts=mode)


def test_a_fixed_amount_a_council_without_a_row_and_the_reconciling_line():
    """Catches: a council without an EnvelopeShare row crashing the split, a customer's share
    counted, or a total headroom that silently differs from the councils' sum."""
    shares = pd.DataFrame({"partner_id": [1, 3], "amount_pence": [700, None],
                           "share_bp": [None, 10_000]})
    pos = _position(shares)
    got = pos.by_partner.set_index("partner")
    assert got["kind"].to_dict() == {"Brent": "council", "Lewisham": "council",
                                     "LGA": "customer", "Old": "retired"}
    # Brent's fixed £7 is its envelope and its weight; Lewisham has no row: 0 of both.
    assert got["shared_cost"].tolist() == [1_600, 0, 0, 0]
    assert got["envelope"].tolist()[:2] == [700, 0]
    assert got["headroom"].tolist()[:2] == [700 - 1_900, 0]
    assert (pos.spend, pos.shared_cost, pos.own_cost, pos.customer_cost,
            pos.unallocated_cost) == (2_200, 1_600, 300, 200, 100)
    assert pos.net_spend == 2_000 and pos.headroom == 0 and pos.partner_headroom == -1_200
    # £13 of the envelope is held by no council, £1 of cost by a retired partner.
    assert pos.reconciling == 1_300 - 100
    assert pos.over == [("Brent", -1_200)]
    assert cc.headroom_headline(pos) == "Over for 1 partner: Brent −£12"
    lines = cc.envelope_statement(pos).set_index("line")["amount"]
    assert lines["Councils' headroom (sum)"] + lines[
        "Envelope held by no council, less cost held by no council"] == lines[
        "Headroom (envelope − net spend)"]
    assert any("LGA are ignored" in w for w in pos.warnings)
    assert any("Old, no longer a partner" in w for w in pos.warnings)


def test_the_statement_adds_up_in_both_modes():
    for mode in ("income", "outside"):
        pos = _position(pd.DataFrame(columns=["partner_id", "amount_pence", "share_bp"]),
                        mode=mode)
        s = cc.envelope_statement(pos)
        within = "Net spend" if mode == "income" else "Spend within the envelope"
        at = s.index[s["line"] == within][0]
        above = s.loc[:at - 1]
        total = int(s.at[at, "amount"])
        # Every part above the spend line sums to it (in income mode: gross, less income).
        assert int(above.loc[above["kind"] == "part", "amount"].sum()) == total
        assert total == pos.net_spend
        assert pos.headroom == pos.envelope - pos.net_spend


def test_customer_posts_must_be_income_or_outside():
    with pytest.raises(ValueError):
        _position(pd.DataFrame(columns=["partner_id", "amount_pence", "share_bp"]),
                  mode="elsewhere")
