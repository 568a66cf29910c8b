"""Workforce restructure and TUPE planner: the domain package.

Everything here is usable without Streamlit, except planner/ui/.

Glossary. One word for each concept, in the code, on the pages and in the README:
- establishment: the current structure as it is, with all its posts and the people in them.
  It is held as the one structure of kind "baseline". When an option is compared with it, it
  is also called the baseline: "saving vs baseline", and `baseline_post_id` for the
  establishment post an option post continues. It is never "current" or "as-is".
- structure: a set of posts with reporting lines, either the establishment or an option.
- option: a proposed structure derived from the establishment. Its status is draft, proposed,
  published, final or implemented. Not a "scenario" or a "proposal".
- post: one job in a structure, with a title, team, division, grade, FTE and partner. A post
  is not a person. Posts are "deleted", "new", "changed" or "unchanged" against the
  establishment.
- person: someone employed or engaged in a post: an employee, an interim or an agency worker.
  Not "staff member" or "employee record". An employee is a person on a permanent,
  fixed-term or secondment contract. An occupancy is one person in one post, with the FTE
  they work in it.
- partner: a council, or a customer, that funds posts or buys the service. One partner is
  the host, which employs the staff. Councils share the shared costs by their share.
- envelope: the budget an option is costed against, split by partner. Headroom is the
  envelope less the cost.
- draft: a published, immutable snapshot of an option that union representatives read.
  Draft 1, 2, 3 and so on.
- mapping: each person's outcome in an option (slotted, ring-fenced, at risk and so on).

Floors, bottom up (DESIGN.md "Layers"). A module imports only from its own floor or below.
Packages named on the same floor may import each other, never in a circle.
tests/test_layers.py enforces this with the `ast` module. What a lower floor starts and a
higher floor must join in is handled through a hook list that the higher floor registers
into (planner.core.hooks). Two examples: rebasing options when the establishment is
imported, and the equality gate on an option's status.
"""

__version__ = "0.1.0"

FLOORS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("establishment",),
    ("structures",),
    ("people",),
    ("finance",),
    ("legal", "equality"),
    ("publishing",),
    ("charts",),
    ("cli", "ui"),
)

# The modules that register hooks (planner.core.hooks). Like Django's INSTALLED_APPS, they are
# named here as data and loaded when a hook list is first read, so an import or a status change
# always runs every hook, whichever pages or commands happened to be imported first.
HOOKED: tuple[str, ...] = (
    "planner.structures.rebase",
    "planner.legal.tupe",
    "planner.equality.records",
    "planner.equality.checkpoints",
)
