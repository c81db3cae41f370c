"""No lost update: a save on a stale base never overwrites, in the view or in a race."""
from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from commons.entries import routes
from commons.entries.models import Entry, Revision
from commons.entries.services import EditConflict, revise_entry
from commons.extensions import db
from commons.kinds import EntryKind
from commons.models import utcnow


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def edit_data(entry, **overrides) -> dict:
    data = {"kind": entry.kind.value, "title": entry.title, "body": entry.body, "tags": ", ".join(entry.tag_names),
            "workshop": f"w{entry.workshop_id}", "summary": "", "base_revision": str(entry.revision_number)}
    data.update(overrides)
    return data


def concurrent_save(entry_id: int, body: str) -> None:
    """Another worker's save, committed on its own connection."""
    with db.engine.begin() as conn:
        row = conn.execute(sa.select(Entry.revision_number, Entry.kind, Entry.title).where(Entry.id == entry_id)).one()
        number = row.revision_number + 1
        conn.execute(sa.update(Entry).where(Entry.id == entry_id).values(body=body, revision_number=number))
        conn.execute(sa.insert(Revision).values(entry_id=entry_id, number=number, kind=row.kind, title=row.title,
                                                body=body, summary="Concurrent", tags_text="", created_at=utcnow()))


def current(entry_id: int) -> tuple:
    db.session.expire_all()
    e = db.session.get(Entry, entry_id)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Revision).where(Revision.entry_id == entry_id))
    return e.title, e.body, e.revision_number, count


@pytest.fixture
def alice(signed_in, make_user):
    return signed_in(make_user(email="alice@example.org", display_name="Alice Martin"))


@pytest.fixture
def bob(signed_in, make_user):
    return signed_in(make_user(email="bob@example.org"))


def test_second_save_on_the_same_base_gets_the_conflict_page(alice, bob, entry):
    form_alice = edit_data(entry, body="Accueillir **toute** personne, sans condition.", summary="Alice")
    form_bob = edit_data(entry, title="Accueil pour tous", body="Accueillir chaque personne.", tags="Posture, Écoute",
                         summary="Bob")
    assert alice.post(f"/fiches/{entry.id}/modifier", data=form_alice).status_code == 302

    response = bob.post(f"/fiches/{entry.id}/modifier", data=form_bob)
    assert response.status_code == 409
    # Nothing of Bob's was written; Alice's save is intact.
    assert current(entry.id) == ("Accueil inconditionnel", "Accueillir **toute** personne, sans condition.", 2, 2)

    page = html(response)
    assert "Conflit de modification" in page
    assert "Vous étiez parti·e de la version 1" in page and "elle en est à la version 2" in page
    assert "par Alice Martin" in page and "Alice" in page
    assert "alice@" not in page and "par alice" not in page  # never a part of an email address
    # Bob's text, the current text and a word-level diff between them.
    assert '<pre class="source">Accueillir chaque personne.</pre>' in page
    assert '<pre class="source">Accueillir **toute** personne, sans condition.</pre>' in page
    assert "[ajouté : </span>chaque" in page and "[supprimé : </span>**toute**" in page
    assert "#Écoute</ins>" in page
    # What Alice changed since Bob's base, so Bob can merge knowingly.
    assert "Ce qui a changé depuis votre version de départ (1 → 2)" in page
    assert "[ajouté : </span>, sans condition" in page
    # The form holds Bob's text and now starts from Alice's revision.
    assert 'name="base_revision" type="hidden" value="2"' in page
    assert 'name="title" required type="text" value="Accueil pour tous"' in page
    assert re.search(r'<textarea[^>]*name="body"[^>]*>\s*Accueillir chaque personne\.</textarea>', page)
    assert 'value="Posture, Écoute"' in page


def test_merging_after_a_conflict_saves_on_the_new_base(alice, bob, entry):
    form_alice, form_bob = edit_data(entry, body="Version d'Alice"), edit_data(entry, body="Version de Bob")
    alice.post(f"/fiches/{entry.id}/modifier", data=form_alice)
    conflict = bob.post(f"/fiches/{entry.id}/modifier", data=form_bob)
    assert conflict.status_code == 409
    new_base = re.search(r'name="base_revision" type="hidden" value="(\d+)"', html(conflict)).group(1)
    response = bob.post(f"/fiches/{entry.id}/modifier",
                        data={**form_bob, "body": "Version d'Alice et de Bob", "base_revision": new_base,
                              "summary": "Fusion"})
    assert response.status_code == 302
    assert current(entry.id) == ("Accueil inconditionnel", "Version d'Alice et de Bob", 3, 3)


def test_stale_save_that_changes_nothing_is_still_a_conflict(alice, bob, entry):
    # Bob's form is identical to revision 1, but revision 2 exists: saving it would undo Alice.
    form_alice, form_bob = edit_data(entry, body="Texte d'Alice"), edit_data(entry)
    alice.post(f"/fiches/{entry.id}/modifier", data=form_alice)
    response = bob.post(f"/fiches/{entry.id}/modifier", data=form_bob)
    assert response.status_code == 409
    assert current(entry.id)[1:] == ("Texte d'Alice", 2, 2)


def test_race_between_read_and_write_becomes_a_conflict(contributor_client, entry, monkeypatch):
    """Another save commits after the view loaded the entry but before it writes: the version
    column makes the UPDATE match no row (StaleDataError); the user gets the conflict page."""
    real_revise = routes.revise_entry

    def revise_after_a_concurrent_save(target, **kwargs):
        concurrent_save(target.id, "Enregistré par quelqu'un d'autre")
        return real_revise(target, **kwargs)

    monkeypatch.setattr(routes, "revise_entry", revise_after_a_concurrent_save)
    response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=edit_data(entry, body="Mon texte"))
    assert response.status_code == 409
    assert current(entry.id)[1:] == ("Enregistré par quelqu'un d'autre", 2, 2)
    page = html(response)
    assert "Mon texte" in page and "Enregistré par quelqu'un d'autre" in page
    assert 'name="base_revision" type="hidden" value="2"' in page


def test_service_refuses_a_stale_base(entry):
    with pytest.raises(EditConflict):
        revise_entry(entry, base_revision=0, author=None, kind=EntryKind.VALEUR, title="x", body="", tags="",
                     workshop=None)
    assert current(entry.id)[2:] == (1, 1)


def test_version_column_stops_two_sessions_saving_from_the_same_base(app, entry):
    """Two writers that both read revision 1: the second flush matches no row."""
    with Session(db.engine) as first, Session(db.engine) as second:
        a, b = first.get(Entry, entry.id), second.get(Entry, entry.id)
        assert a.revision_number == b.revision_number == 1
        a.body, a.revision_number = "premier", 2
        first.commit()
        b.body, b.revision_number = "second", 2
        with pytest.raises(StaleDataError):
            second.flush()
        second.rollback()
    assert current(entry.id)[1] == "premier"


def test_revert_race_is_reported_not_applied(contributor_client, entry, monkeypatch):
    revise_entry(entry, base_revision=1, author=None, kind=entry.kind, title=entry.title, body="v2",
                 tags=entry.tag_names, workshop=entry.workshop)
    db.session.commit()
    real_revert = routes.revert_entry

    def revert_after_a_concurrent_save(target, **kwargs):
        concurrent_save(target.id, "v3")
        return real_revert(target, **kwargs)

    monkeypatch.setattr(routes, "revert_entry", revert_after_a_concurrent_save)
    response = contributor_client.post(f"/fiches/{entry.id}/retablir/1", data={"base_revision": "2"},
                                       follow_redirects=True)
    assert "modifiée entre-temps" in html(response)
    assert current(entry.id)[1:] == ("v3", 3, 3)
