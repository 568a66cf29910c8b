"""A structure's position against its budget envelope: who pays for what, and the headroom.

Rules (DOMAIN.md §1, §5; the figures come from planner/structures/costing.py):
- Posts charged to one partner count wholly to it. Shared posts are shared between the active
  councils: by the structure's EnvelopeShare rows where it has any (a fixed amount, or a share
  of what the fixed amounts leave, as the seeds' 2017/18 contributions were set), else by the
  councils' stored shares (`Partner.share_bp`, kept by the import's partners sheet), else,
  when every stored share is 0, equally with a warning.
- A customer (the LGA) buys the service: it shares no cost and holds no envelope. Its posts are
  income against the envelope or outside it (setting `customer_posts`); either way the
  envelope pays for the net spend, and the headroom does not change.
- Total headroom = envelope − net spend = the sum of the councils' headroom, unless some
  envelope or cost is held by no council: that difference is `reconciling`, shown as its own
  line, never dropped.
- Every split is by `largest_remainder`, so every column sums exactly to its total.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from planner.structures import pay


def largest_remainder(total: int, weights: list[Fraction]) -> list[int]:
    """Share `total` pence in proportion to `weights` so that the parts sum to the total.

    Hamilton's method: everyone gets the floor of their exact quota, and the pence left over
    go one each to the largest remainders, ties to the earlier weight (so the result is
    deterministic). Zero total weight gives everything to nobody: all zeros, which the
    callers avoid by choosing the weights.
    """
    whole = sum(weights, Fraction(0))
    if whole == 0:
        return [0] * len(weights)
    quotas = [Fraction(total) * w / whole for w in weights]
    parts = [q.numerator // q.denominator for q in quotas]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


CUSTOMER_POSTS = ("income", "outside")


@dataclass(frozen=True)
class EnvelopePosition:
    """Each partner's envelope, spend and headroom for `months` months, in pence, and how the
    total is made up.

    `by_partner` columns: partner, kind (council, customer, or retired for a partner an import
    retired whose posts an archived option still holds), share_of_shared_pct (display only),
    charged_cost (posts charged to that partner alone), shared_cost (its share of shared posts;
    councils only), spend, envelope (councils only; NA where no envelope is set), headroom =
    envelope − spend (negative is an overspend). Councils come first, in partner order.

    The make-up: `spend` is gross (every post) = `shared_cost` (the councils' shares of shared
    posts) + `own_cost` (posts charged to one council) + `customer_cost` (posts charged to a
    customer) + `unallocated_cost` (shared posts with no council to share them, posts of a
    retired partner). A customer holds no part of the envelope: with `customer_posts`
    "income" its charges are income against it, with "outside" its posts are outside it, and
    either way `net_spend` = spend − customer_cost is what the envelope pays for. `headroom` =
    envelope − net_spend; `partner_headroom` sums the councils' headroom, and `reconciling` is
    the difference (envelope no council holds, less unallocated cost), zero in the ordinary case.
    """

    months: int
    by_partner: pd.DataFrame
    spend: int
    envelope: int | None
    headroom: int | None
    structure_envelope: int | None  # Structure.envelope_pence, for comparison
    customer_posts: str = "income"
    shared_cost: int = 0
    own_cost: int = 0
    customer_cost: int = 0
    unallocated_cost: int = 0
    partner_headroom: int | None = None
    warnings: tuple[str, ...] = ()

    @property
    def customer_income(self) -> int:
        """What customers are charged, counted as income (0 when their posts are outside)."""
        return self.customer_cost if self.customer_posts == "income" else 0

    @property
    def net_spend(self) -> int:
        """What the envelope pays for: gross spend less the customers' posts."""
        return self.spend - self.customer_cost

    @property
    def reconciling(self) -> int:
        """Total headroom − the councils' headroom: 0 unless some envelope or cost is held by
        no council (the page then shows this line)."""
        if self.headroom is None or self.partner_headroom is None:
            return 0
        return self.headroom - self.partner_headroom

    @property
    def customers(self) -> list[str]:
        """The customers charged for posts, by name."""
        rows = self.by_partner
        return rows.loc[rows["kind"] == "customer", "partner"].astype(str).tolist()

    @property
    def over(self) -> list[tuple[str, int]]:
        """(partner, headroom) for every partner over its envelope, in partner order."""
        rows = self.by_partner[self.by_partner["headroom"].notna()]
        return [(str(n), int(h)) for n, h in zip(rows["partner"], rows["headroom"], strict=True)
                if int(h) < 0]


def envelope_position(*, cost: np.ndarray, partner_id: np.ndarray, partners: pd.DataFrame,
                      shares: pd.DataFrame, envelope_pence: int | None, months: int,
                      customer_posts: str = "income") -> EnvelopePosition:
    """Each partner's spend against its envelope, like for like, and the make-up.

    `cost` is each post's part-year cost for the envelope's `months` (pence) and `partner_id`
    its partner (−1 for shared); `partners` is costing's partner frame (indexed by id, with
    name, kind, active, share_bp) and `shares` the structure's EnvelopeShare rows. The rules
    are the module docstring's; each council's envelope is its fixed amount, or its share of
    the envelope less the fixed amounts.
    """
    m, mode = months, customer_posts
    if mode not in CUSTOMER_POSTS:
        raise ValueError(f"customer_posts {mode!r}: choose one of {', '.join(CUSTOMER_POSTS)}")
    pid = partner_id
    shared_total = int(cost[pid < 0].sum())
    charged = pd.Series(cost[pid >= 0]).groupby(pid[pid >= 0]).sum()

    active = (partners["active"].astype(bool) if "active" in partners.columns
              else pd.Series(True, index=partners.index))
    councils = [p for p in partners.index if active[p] and partners.at[p, "kind"] == "council"]
    customers = [p for p in partners.index
                 if active[p] and partners.at[p, "kind"] != "council" and p in charged.index]
    retired = [p for p in partners.index if not active[p] and p in charged.index]
    stored = (partners["share_bp"] if "share_bp" in partners.columns
              else pd.Series(0, index=partners.index))
    weights, env, total_env, warnings = _council_parts(
        councils, shares, {p: int(stored[p]) for p in councils}, envelope_pence,
        names=partners["name"])
    whole = sum(weights.values(), Fraction(0))
    shared = dict.fromkeys(councils, 0)
    if councils and whole:
        shared.update(zip(councils, largest_remainder(
            shared_total, [weights.get(p, Fraction(0)) for p in councils]), strict=True))

    rows = []
    for p in [*councils, *customers, *retired]:
        kind = "council" if p in councils else "customer" if p in customers else "retired"
        spend = int(charged.get(p, 0)) + shared.get(p, 0)
        e = env.get(p) if env is not None and p in councils else None
        rows.append({
            "partner": partners.at[p, "name"], "kind": kind,
            "share_of_shared_pct": round(float(weights.get(p, 0) / whole * 100), 2)
            if whole else 0.0,
            "charged_cost": int(charged.get(p, 0)), "shared_cost": shared.get(p, 0),
            "spend": spend, "envelope": e, "headroom": None if e is None else e - spend})
    unshared = shared_total - sum(shared.values())
    if unshared:  # no council to share them: keep the whole visible
        rows.append({"partner": "Unallocated", "kind": "", "share_of_shared_pct": 0.0,
                     "charged_cost": 0, "shared_cost": unshared, "spend": unshared,
                     "envelope": None, "headroom": None})
    frame = pd.DataFrame(rows, columns=["partner", "kind", "share_of_shared_pct",
                                        "charged_cost", "shared_cost", "spend", "envelope",
                                        "headroom"])
    for col in ("envelope", "headroom"):
        frame[col] = frame[col].astype("Int64")
    is_council = frame["kind"] == "council"
    spend = int(cost.sum())
    own = int(frame.loc[is_council, "charged_cost"].sum())
    customer = int(frame.loc[frame["kind"] == "customer", "charged_cost"].sum())
    shared_cost = int(frame.loc[is_council, "shared_cost"].sum())
    net = spend - customer
    headroom = None if total_env is None else total_env - net
    partner_headroom = (None if total_env is None
                        else int(frame.loc[is_council, "headroom"].sum()))
    if retired:
        warnings.append(
            "Posts are charged to " + ", ".join(str(partners.at[p, "name"]) for p in retired)
            + ", no longer a partner: their cost is held by no council's envelope.")
    return EnvelopePosition(
        months=m, by_partner=frame, spend=spend, envelope=total_env, headroom=headroom,
        structure_envelope=envelope_pence, customer_posts=mode,
        shared_cost=shared_cost, own_cost=own, customer_cost=customer,
        unallocated_cost=spend - shared_cost - own - customer,
        partner_headroom=partner_headroom, warnings=tuple(warnings))


def _council_parts(councils: list[int], shares: pd.DataFrame, stored_bp: dict[int, int],
                   envelope_pence: int | None, *, names: pd.Series
                   ) -> tuple[dict[int, Fraction], dict[int, int] | None, int | None, list[str]]:
    """The councils' weights in the shared costs, their envelopes and the total envelope.

    With EnvelopeShare rows (for active councils; rows for a customer or a retired partner are
    ignored with a warning): a fixed amount is that council's envelope and weight; a share is
    `share_bp` of what the fixed amounts leave of the envelope (of the whole when nothing is
    fixed); a council without a row holds 0. The total envelope is `envelope_pence`, else the
    sum of the fixed amounts, else none. Without rows: the stored shares (equal when all are
    0), of `envelope_pence`.
    """
    warnings: list[str] = []
    rows = shares.set_index("partner_id") if len(shares) else shares
    ignored = [p for p in (rows.index if len(rows) else []) if p not in councils]
    if ignored:
        warnings.append("Envelope shares for " + ", ".join(
            str(names.get(p, p)) for p in ignored) + " are ignored: only the councils share "
            "the envelope and the shared costs.")
    mine = [p for p in councils if len(rows) and p in rows.index]
    if mine:
        amounts = {p: int(rows.at[p, "amount_pence"]) for p in mine
                   if pd.notna(rows.at[p, "amount_pence"])}
        bps = {p: int(rows.at[p, "share_bp"]) if pd.notna(rows.at[p, "share_bp"]) else 0
               for p in mine if p not in amounts}
        fixed = sum(amounts.values())
        total = envelope_pence if envelope_pence is not None else (fixed if amounts else None)
        left = max((total or 0) - fixed, 0)
        if total:
            weights = {p: Fraction(amounts[p]) if p in amounts
                       else Fraction(bps[p] * left, pay.BP_SCALE) for p in mine}
        else:
            weights = {p: Fraction(bps.get(p, 0)) for p in mine}
        env = None
        if total is not None:
            env = dict.fromkeys(councils, 0)
            env.update(amounts)
            if bps and sum(bps.values()):
                env.update(zip(bps, largest_remainder(left, [Fraction(b) for b in bps.values()]),
                               strict=True))
        if sum(weights.values(), Fraction(0)):
            return weights, env, total, warnings
        stored, _, _, more = _council_parts(councils, shares.iloc[0:0], stored_bp,
                                            envelope_pence, names=names)
        return stored, env, total, warnings + more
    weights = {p: Fraction(stored_bp.get(p, 0)) for p in councils}
    if councils and not sum(weights.values(), Fraction(0)):
        weights = dict.fromkeys(councils, Fraction(1))
        warnings.append(f"No council has a stored share of the shared costs: they are shared "
                        f"equally between the {len(councils)} councils. Set the shares in the "
                        "partners sheet of the establishment import.")
    env = None
    if envelope_pence is not None:
        env = dict(zip(councils, largest_remainder(
            envelope_pence, [weights[p] for p in councils]), strict=True))
    return weights, env, envelope_pence, warnings
