"""The illustrative 2024 demo: every kind of decision, idempotent, no personal names."""
from __future__ import annotations

import sqlalchemy as sa

from commons.demo.edition_2024 import SLUG_2024, load_2024
from commons.editions.models import Edition
from commons.entries.models import Entry, Revision
from commons.extensions import db
from commons.lineage.models import ActionFollowUp, ActionStatus, Decision, DecisionLog, LineageLink
from commons.lineage.queries import action_rows, compare_editions


def edition(slug):
    return db.session.scalar(sa.select(Edition).where(Edition.slug == slug))


def counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (Edition, Entry, Revision, LineageLink, DecisionLog, ActionFollowUp))


def test_demo_2024_shows_every_decision(demo):
    e23, e24 = edition("nec-sud-ouest-2023"), edition(SLUG_2024)
    assert e24.is_illustrative and not e23.is_illustrative
    # The programme was copied with the dates shifted by 52 weeks (same weekdays).
    assert len(e24.workshops) == len(e23.workshops)
    pairs = zip(e24.workshops, e23.workshops, strict=True)
    assert {(w.starts_at.date() - v.starts_at.date()).days for w, v in pairs} == {364}
    decided = {link.decision for link in db.session.scalars(sa.select(LineageLink))}
    assert decided == set(Decision) - {Decision.PENDING}
    totals = compare_editions(e23, e24).totals
    assert totals == {
        "reconduit": 4, "reformule": 3, "fusionne": 4, "fusionne_results": 2, "scinde": 1, "scinde_results": 2,
        "abandonne": 1, "realise": 1, "a_decider": 0, "nouveau": 3, "non_repris": 22,
    }


def test_demo_2024_follow_up_and_no_author(demo):
    rows = {row.entry.title: row for row in action_rows()}
    realised = rows["Demi-journée CnFS : présenter les actions"]
    assert realised.status is ActionStatus.DONE and realised.decided_in.slug == "nec-sud-ouest-2023"
    assert realised.owner is not None
    merged = rows["S'appuyer sur les réseaux d'inclusion numérique et les associations de parents d'élèves"]
    assert merged.entry.edition.slug == SLUG_2024
    assert rows["Organiser une rencontre annuelle entre médiateurs numériques et enseignants"].decided_in.slug \
        == SLUG_2024
    # Organisations only: no decision of the demo names a person.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineageLink)
                             .where(LineageLink.decided_by_id.is_not(None))) == 0


def test_demo_2024_is_idempotent(demo):
    before = counts()
    assert load_2024() is False
    db.session.commit()
    assert counts() == before


def test_demo_2024_waits_for_2023(app):
    assert load_2024() is False
    assert edition(SLUG_2024) is None


def test_demo_history_is_dated_by_its_editions(demo):
    """Replayed decisions carry the demo's own dates, not the day the demo was loaded."""
    years = {rev.created_at.year for rev in db.session.scalars(sa.select(Revision))}
    assert years <= {2023, 2024}
    edition_2024 = edition(SLUG_2024)
    updated = {e.updated_at.year
               for e in db.session.scalars(sa.select(Entry).where(Entry.edition_id == edition_2024.id))}
    assert updated == {2024}


def test_entries_absorbed_by_a_merge_are_not_offered_as_new(client, demo):
    page = client.get("/editions/nec-sud-ouest-2024/ateliers/les-communs-de-la-mediation-numerique/decisions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # "Posture de neutralité" was merged into "Écoute bienveillante et posture de neutralité" in 2024.
    assert "Fiches de l'atelier sans origine" not in html.replace("&#39;", "'")


def test_follow_up_rows_are_ordered_filtered_and_paged_by_the_database(demo):
    from commons.lineage.queries import count_actions

    rows = action_rows()
    order = list(ActionStatus)
    statuses = [order.index(r.status) for r in rows]
    assert statuses == sorted(statuses) and len(set(statuses)) > 1
    for status in ActionStatus:  # newest edition first within a status, then by title
        same = [r for r in rows if r.status is status]
        keys = [(-r.entry.edition.held_on.toordinal(), r.entry.title.lower()) for r in same]
        assert keys == sorted(keys)
        assert [r.entry.id for r in action_rows(status)] == [r.entry.id for r in same]
        assert count_actions(status) == len(same)
    assert count_actions() == len(rows)
    pages = [action_rows(limit=3, offset=n) for n in range(0, len(rows), 3)]
    assert [r.entry.id for page in pages for r in page] == [r.entry.id for r in rows]
