"""The option post editor prices its unsaved edits as the grid changes (issue 17, item 7)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import func, select

from planner.core.models import AuditEvent
from planner.structures.costing import cost_structure
from planner.structures.options import create_option
from planner.ui import format as fmt
from tests.app.conftest import app_as


def test_the_grid_shows_cost_headroom_and_people_affected_before_saving(app_db):
    """Catches: figures that only change after Save, a preview priced another way than the
    saved option, or a preview that writes (a version bump or an audit row)."""
    with app_db.session() as s:
        option = create_option(session=s, actor=app_db.actors["manager"], name="Option A")
        s.commit()
        oid = option.id
        saved = cost_structure(session=s, actor=app_db.actors["manager"], structure_id=oid)
        events = s.exec(select(func.count()).select_from(AuditEvent)).one()
    at = app_as(app_db.actors["manager"], "pages/options.py")
    at.session_state["options_tab"] = "Edit posts"
    at.run()
    assert not [i for i in at.info if str(i.value).startswith("Unsaved changes")]
    editor = at.data_editor[0]
    pos = int(editor.value.index[editor.value["post_id"] == "O3"][0])
    at.session_state[editor.key] = {"edited_rows": {pos: {"grade": "PO2"}}, "added_rows": [],
                                    "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    shown = [str(i.value) for i in at.info if str(i.value).startswith("Unsaved changes")]
    assert len(shown) == 1
    with app_db.session() as s:
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() == events
    # Save, and the preview's figures are the saved ones.
    at.button(key="option_save_posts").click().run()
    with app_db.session() as s:
        after = cost_structure(session=s, actor=app_db.actors["manager"], structure_id=oid)
    def whole(pence: int) -> int:  # half up, as the page rounds
        return int((Decimal(pence) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    now, was = whole(after.full_year_total), whole(saved.full_year_total)
    assert now > was  # O3 regraded up, PO1 → PO2: its occupant is placed on the new grade
    assert shown[0] == fmt.md_escape(
        f"Unsaved changes: cost £{now:,} a year (+£{now - was:,}), headroom no envelope set, "
        "people affected 1.")


def test_the_preview_sentence_reconciles_in_whole_pounds():
    """Catches: a shown change that does not take the saved figure to the shown one (each
    rounded on its own), or a headroom sign the wrong way round."""
    from planner.structures.edit_preview import EditPreview
    from planner.ui.options import preview_sentence

    preview = EditPreview(saved_cost=585_254_230, cost=585_676_780, saved_headroom=114_745_770,
                          headroom=114_323_220, people_affected=1)
    assert preview_sentence(preview) == (
        "Unsaved changes: cost £5,856,768 a year (+£4,226), headroom £1,143,232 (−£4,226), "
        "people affected 1.")
    waiting = EditPreview(saved_cost=1, cost=1, saved_headroom=None, headroom=None,
                          people_affected=0, problems=("Grade XX9 is not in the grade table.",))
    assert preview_sentence(waiting) == ("Unsaved changes: the figures wait for values that "
                                         "can be costed. Grade XX9 is not in the grade table.")
