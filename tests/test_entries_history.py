"""History, word-level diff, old revisions and revert."""
from __future__ import annotations

import time
from html import unescape

import pytest
import sqlalchemy as sa

from commons.entries.diff import Segment, condense, diff_text, tokenize
from commons.entries.models import Entry, Revision
from commons.entries.services import revise_entry
from commons.extensions import db
from commons.kinds import EntryKind


def html(response) -> str:
    return unescape(response.get_data(as_text=True))



@pytest.fixture
def edited(entry, contributor, make_workshop):
    """An entry with three revisions: created by the import, then edited twice by a contributor."""
    other = make_workshop(entry.edition, title="Quelles passerelles entre la médiation numérique et l'école")
    revise_entry(entry, base_revision=1, author=contributor, kind=EntryKind.VALEUR, title=entry.title,
                 body="Accueillir chaque personne, sans condition.", tags="Posture", workshop=entry.workshop,
                 summary="Reformulation du texte")
    db.session.commit()
    revise_entry(entry, base_revision=2, author=contributor, kind=EntryKind.SAVOIR, title="Accueil pour tous",
                 body="Accueillir chaque personne, sans condition.", tags="Posture, Inclusion", workshop=other,
                 summary="Nature et atelier")
    db.session.commit()
    return entry


def revisions_of(entry_id: int) -> list[Revision]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Revision).where(Revision.entry_id == entry_id).order_by(Revision.number)))


# --- history ------------------------------------------------------------------------------------

def test_history_lists_every_revision(client, edited, contributor):
    response = client.get(f"/fiches/{edited.id}/historique")
    assert response.status_code == 200
    page = html(response)
    for number in (1, 2, 3):
        assert f'href="/fiches/{edited.id}/versions/{number}">Version {number}</a>' in page
    assert "Création de la fiche" in page and "Reformulation du texte" in page and "Nature et atelier" in page
    assert "Import" in page and contributor.name in page
    # Radio buttons to choose the two versions, defaulting to the last change.
    assert 'name="de" value="2" id="de-2" checked' in page
    assert 'name="a" value="3" id="a-3" checked' in page
    assert page.index("Version 3") < page.index("Version 1")  # newest first


def test_history_offers_revert_only_to_signed_in_users_and_not_for_the_current(client, contributor_client, edited):
    assert "/retablir/" not in html(client.get(f"/fiches/{edited.id}/historique"))
    page = html(contributor_client.get(f"/fiches/{edited.id}/historique"))
    assert f'action="/fiches/{edited.id}/retablir/1"' in page
    assert f'action="/fiches/{edited.id}/retablir/2"' in page
    assert f'action="/fiches/{edited.id}/retablir/3"' not in page


# --- one old revision ---------------------------------------------------------------------------

def test_old_revision_page(client, edited):
    response = client.get(f"/fiches/{edited.id}/versions/1")
    assert response.status_code == 200
    page = html(response)
    assert "<h1>Accueil inconditionnel</h1>" in page
    assert "<strong>toute</strong>" in page
    assert "une ancienne version" in page
    assert f"/fiches/{edited.id}/diff?de=1&amp;a=3" in response.get_data(as_text=True)


@pytest.mark.parametrize("number", [0, 4, 99999999999])
def test_unknown_revision_is_a_french_404(client, edited, number):
    response = client.get(f"/fiches/{edited.id}/versions/{number}")
    assert response.status_code == 404
    assert "n'existe pas" in html(response)


# --- diff ---------------------------------------------------------------------------------------

def test_diff_is_word_level_and_accessible(client, edited):
    response = client.get(f"/fiches/{edited.id}/diff?de=1&a=2")
    assert response.status_code == 200
    page = html(response)
    assert "Accueillir " in page
    assert '<del><span class="visually-hidden">[supprimé : </span>**toute**' in page
    assert '<ins><span class="visually-hidden">[ajouté : </span>chaque' in page
    assert "sans condition" in page
    assert "<del>" in page and "<ins>" in page


def test_diff_shows_kind_tags_and_workshop_changes(client, edited):
    page = html(client.get(f"/fiches/{edited.id}/diff?de=2&a=3"))
    assert "Valeur</del>" in page and "Savoir</ins>" in page
    assert "#Inclusion</ins>" in page
    assert "Les communs de la médiation numérique</del>" in page
    assert "Quelles passerelles entre la médiation numérique et l'école</ins>" in page
    assert "Texte inchangé." in page


def test_diff_defaults_to_the_last_change(client, edited):
    page = html(client.get(f"/fiches/{edited.id}/diff"))
    assert "Différences entre les versions 2 et 3" in page


def test_diff_of_identical_revisions(client, edited):
    assert "Aucune différence" in html(client.get(f"/fiches/{edited.id}/diff?de=2&a=2"))


@pytest.mark.parametrize("query, status", [
    ("de=1&a=9", 404), ("de=0&a=2", 404), ("de=abc&a=2", 400), ("de=-1&a=2", 400), ("de=1.5&a=2", 400),
    ("de=1&a=99999999999999999999", 400),
])
def test_diff_bad_numbers(client, edited, query, status):
    response = client.get(f"/fiches/{edited.id}/diff?{query}")
    assert response.status_code == status
    assert ("n'existe pas" if status == 404 else "nombres entiers positifs") in html(response)


# --- revert -------------------------------------------------------------------------------------

def test_revert_creates_a_new_revision_and_keeps_history(contributor_client, contributor, edited):
    response = contributor_client.post(f"/fiches/{edited.id}/retablir/1", data={"base_revision": "3"})
    assert response.status_code == 302
    revisions = revisions_of(edited.id)
    assert [r.number for r in revisions] == [1, 2, 3, 4]
    first, latest = revisions[0], revisions[-1]
    assert (latest.title, latest.body, latest.kind, latest.tag_names, latest.workshop_id) == (
        first.title, first.body, first.kind, first.tag_names, first.workshop_id)
    assert latest.summary == "Retour à la version 1" and latest.author_id == contributor.id
    entry = db.session.get(Entry, edited.id)
    assert entry.body == "Accueillir **toute** personne." and entry.kind is EntryKind.VALEUR
    assert entry.tag_names == ["Posture"]
    assert "Version 1 rétablie" in html(contributor_client.get(f"/fiches/{edited.id}"))


def test_revert_on_a_moved_entry_changes_nothing(contributor_client, edited):
    response = contributor_client.post(f"/fiches/{edited.id}/retablir/1", data={"base_revision": "2"},
                                       follow_redirects=True)
    assert "modifiée entre-temps" in html(response)
    assert len(revisions_of(edited.id)) == 3


def test_revert_to_identical_content_creates_nothing(contributor_client, edited):
    contributor_client.post(f"/fiches/{edited.id}/retablir/1", data={"base_revision": "3"})
    response = contributor_client.post(f"/fiches/{edited.id}/retablir/1", data={"base_revision": "4"},
                                       follow_redirects=True)
    assert "Aucune modification" in html(response)
    assert len(revisions_of(edited.id)) == 4


@pytest.mark.parametrize("base", ["", "abc", "-3", "0", "7"])
def test_revert_with_tampered_base_is_a_french_400(contributor_client, edited, base):
    response = contributor_client.post(f"/fiches/{edited.id}/retablir/1", data={"base_revision": base})
    assert response.status_code == 400
    assert "version de départ est invalide" in html(response)
    assert len(revisions_of(edited.id)) == 3


def test_revert_requires_sign_in_and_a_known_revision(client, contributor_client, edited):
    response = client.post(f"/fiches/{edited.id}/retablir/1", data={"base_revision": "3"})
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert contributor_client.post(f"/fiches/{edited.id}/retablir/9", data={"base_revision": "3"}).status_code == 404
    assert contributor_client.get(f"/fiches/{edited.id}/retablir/1").status_code == 405
    assert len(revisions_of(edited.id)) == 3


def test_revert_to_a_revision_whose_workshop_is_gone(contributor_client, edited, workshop):
    # Revisions 1 and 2 point to `workshop`; revision 3 moved to another one.
    assert revisions_of(edited.id)[0].workshop_id == workshop.id
    db.session.delete(workshop)
    db.session.commit()
    response = contributor_client.post(f"/fiches/{edited.id}/retablir/1", data={"base_revision": "3"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, edited.id).workshop_id is None
    assert contributor_client.get(f"/fiches/{edited.id}/versions/1").status_code == 200


# --- the diff engine ----------------------------------------------------------------------------

PAIRS = [
    ("", ""), ("", "nouveau"), ("ancien", ""), ("le chat dort", "un chien dort"),
    ("Accueillir toute personne.", "Accueillir chaque personne, sans condition."),
    ("ligne 1\nligne 2\n\nligne 4\n", "ligne 1\nligne deux\n\nligne 4\nligne 5"),
    ("l'accueil  inconditionnel\t!", "l’accueil inconditionnel !"), ("é à ç", "e a c"),
]


@pytest.mark.parametrize("old, new", PAIRS)
def test_diff_segments_rebuild_both_texts(old, new):
    segments = diff_text(old, new)
    assert "".join(s.text for s in segments if s.op != "insert") == old
    assert "".join(s.text for s in segments if s.op != "delete") == new
    assert all(s.text for s in segments)


def test_tokens_keep_whitespace():
    assert tokenize("Un  mot,\tpuis\nun autre") == ["Un", "  ", "mot", ",", "\t", "puis", "\n", "un", " ", "autre"]


def test_a_lone_space_between_changes_is_folded_into_them():
    assert diff_text("le chat dort", "un chien dort") == [
        Segment("delete", "le chat"), Segment("insert", "un chien"), Segment("equal", " dort")]


def test_diff_of_a_100000_character_paragraph_is_fast_and_word_level():
    words = "le la de des médiation numérique accueil personne école parents réseau atelier".split()
    sentences = [" ".join(words[(i + k) % len(words)] for k in range(i % 9 + 4)).capitalize() + f" {i}."
                 for i in range(1700)]
    old = " ".join(sentences)
    changed = list(sentences)
    changed[1200] = changed[1200].replace(" 1200.", " 1200 bis.")
    new = " ".join(changed)
    assert 90_000 < len(old) <= 100_000 and "\n" not in old
    started = time.perf_counter()
    segments = diff_text(old, new)
    assert time.perf_counter() - started < 2
    assert [s for s in segments if s.op != "equal"] == [Segment("insert", " bis")]


def test_diff_of_unrelated_large_texts_stays_bounded():
    words = "le la de des médiation numérique accueil personne école parents réseau atelier".split()
    old = "\n".join(" ".join(words[(i * k) % 12] for k in range(1900)) for i in range(15))
    new = "\n".join(" ".join(words[(i * k + 5) % 12] for k in range(1900)) for i in range(15))
    started = time.perf_counter()
    segments = diff_text(old, new)
    assert time.perf_counter() - started < 5
    assert "".join(s.text for s in segments if s.op != "delete") == new


def test_condense_keeps_changes_and_shortens_unchanged_text():
    old = "a " * 400 + "chat " + "b " * 400
    new = "a " * 400 + "chien " + "b " * 400
    segments = condense(diff_text(old, new), context=50)
    assert [s.op for s in segments] == ["skip", "equal", "delete", "insert", "equal", "skip"]
    assert sum(len(s.text) for s in segments if s.op != "insert") == len(old)
