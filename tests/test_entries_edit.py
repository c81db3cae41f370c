"""Entry page, creating and editing entries through the forms, and every kind of bad input."""
from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from commons.entries.models import BODY_MAX, Entry, EntryStatus, Revision, Tag
from commons.extensions import db
from commons.kinds import EntryKind


@pytest.fixture
def csrf_enabled():
    return False


@pytest.fixture
def app_config(app_config, csrf_enabled):
    # Tests parametrize `csrf_enabled` to run with the real CSRF protection.
    return {**app_config, "WTF_CSRF_ENABLED": csrf_enabled}


def html(response) -> str:
    """The page with entities decoded, so that French apostrophes read as typed."""
    return unescape(response.get_data(as_text=True))


def revision_count(entry_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Revision).where(Revision.entry_id == entry_id))


def entry_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Entry))


def form_data(place, **overrides) -> dict:
    data = {"kind": "valeur", "title": "Écoute bienveillante", "body": "Écouter *avant* de proposer.",
            "tags": "Posture, accueil", "workshop": f"w{place.id}", "summary": ""}
    data.update(overrides)
    return data


def edit_data(entry, **overrides) -> dict:
    data = {"kind": entry.kind.value, "title": entry.title, "body": entry.body, "tags": ", ".join(entry.tag_names),
            "workshop": f"w{entry.workshop_id}" if entry.workshop_id else f"e{entry.edition_id}",
            "summary": "", "base_revision": str(entry.revision_number)}
    data.update(overrides)
    return data


def snapshot(entry_id: int) -> tuple:
    db.session.expire_all()
    e = db.session.get(Entry, entry_id)
    return (e.kind, e.title, e.body, tuple(e.tag_names), e.workshop_id, e.revision_number, revision_count(entry_id))


# --- the entry page -----------------------------------------------------------------------------

def test_entry_page_shows_rendered_text_and_context(client, entry):
    response = client.get(f"/fiches/{entry.id}")
    assert response.status_code == 200
    page = html(response)
    assert "<h1>Accueil inconditionnel</h1>" in page
    assert "<strong>toute</strong>" in page  # Markdown rendered, not shown raw
    assert 'class="kind kind-valeur"' in page
    assert "/etiquettes/posture" in page and "#Posture" in page
    assert "Les communs de la médiation numérique" in page and "NEC Sud-Ouest 2023" in page
    assert "Import" in page  # created without an author
    assert f'href="/fiches/{entry.id}/modifier"' in page
    assert f'href="/fiches/{entry.id}/historique"' in page
    assert "1 version" in page


def test_entry_page_names_the_last_author(signed_in, contributor, entry):
    client = signed_in(contributor)
    client.post(f"/fiches/{entry.id}/modifier", data=edit_data(entry, body="Nouveau texte", summary="Reformulation"))
    page = html(client.get(f"/fiches/{entry.id}"))
    assert f"par {contributor.name}" in page and "Reformulation" in page and "Version 2" in page


def test_entry_page_shows_parent_and_sub_items(client, entry, make_entry):
    child = make_entry(entry.edition, title="Vulgariser", kind=EntryKind.SAVOIR, parent=entry, workshop=entry.workshop)
    parent_page = html(client.get(f"/fiches/{entry.id}"))
    assert "Sous-éléments" in parent_page and f'href="/fiches/{child.id}">Vulgariser' in parent_page
    child_page = html(client.get(f"/fiches/{child.id}"))
    assert "Sous-élément de" in child_page and f'href="/fiches/{entry.id}">Accueil inconditionnel' in child_page


def test_archived_entry_still_shows_marked_as_archived(client, entry):
    entry.status = EntryStatus.ARCHIVED
    db.session.commit()
    response = client.get(f"/fiches/{entry.id}")
    assert response.status_code == 200
    assert "Archivée" in html(response) and "archivée" in html(response)


@pytest.mark.parametrize("path", ["/fiches/999999", "/fiches/99999999999999999999", "/fiches/1/historique"])
def test_unknown_entry_is_a_french_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Cette fiche n'existe pas" in html(response)


def test_entry_page_includes_the_lineage_partial_when_present(client, entry):
    # `ignore missing`: the page works whether or not the lineage partial exists yet.
    assert client.get(f"/fiches/{entry.id}").status_code == 200


# --- creating -----------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_sign_in(client, entry):
    for path in ("/fiches/nouvelle", f"/fiches/{entry.id}/modifier"):
        response = client.get(path)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    response = client.post(f"/fiches/{entry.id}/modifier", data=edit_data(entry, title="Piraté"))
    assert response.status_code == 302
    assert snapshot(entry.id)[1] == "Accueil inconditionnel"


def test_new_entry_form_preselects_workshop_and_kind(contributor_client, workshop):
    page = html(contributor_client.get(f"/fiches/nouvelle?workshop={workshop.id}&kind=savoir"))
    assert re.search(rf'<option selected value="w{workshop.id}">', page)
    assert '<option selected value="savoir">' in page
    assert 'name="body"' in page and "Markdown" in page  # help text
    assert "<optgroup label=\"NEC Sud-Ouest 2023\">" in page


def test_new_entry_form_ignores_unknown_preselection(contributor_client, workshop):
    response = contributor_client.get("/fiches/nouvelle?workshop=999999999999&kind=poeme")
    assert response.status_code == 200
    assert "selected value=\"w" not in html(response)


def test_create_entry_through_the_form(contributor_client, contributor, workshop):
    response = contributor_client.post("/fiches/nouvelle", data=form_data(workshop, summary="Retour d'atelier"))
    assert response.status_code == 302
    entry = db.session.scalar(sa.select(Entry).where(Entry.title == "Écoute bienveillante"))
    assert response.headers["Location"].endswith(f"/fiches/{entry.id}")
    assert entry.kind is EntryKind.VALEUR
    assert entry.workshop_id == workshop.id and entry.edition_id == workshop.edition_id
    assert entry.tag_names == ["accueil", "Posture"]
    assert entry.created_by_id == contributor.id
    (revision,) = entry.revisions
    assert (revision.number, revision.author_id, revision.summary) == (1, contributor.id, "Retour d'atelier")
    assert revision.workshop_id == workshop.id
    assert "a été créée" in html(contributor_client.get(response.headers["Location"]))


def test_create_entry_for_the_edition_as_a_whole(contributor_client, workshop):
    response = contributor_client.post("/fiches/nouvelle", data=form_data(workshop, workshop=f"e{workshop.edition_id}"))
    assert response.status_code == 302
    entry = db.session.scalar(sa.select(Entry))
    assert entry.workshop_id is None and entry.edition_id == workshop.edition_id


def test_create_sub_item_from_its_parent(contributor_client, entry):
    page = html(contributor_client.get(f"/fiches/nouvelle?parent={entry.id}"))
    assert f'name="parent" type="hidden" value="{entry.id}"' in page
    assert "sous-élément de" in page and "Accueil inconditionnel" in page
    assert '<option selected value="valeur">' in page  # the parent's kind by default
    response = contributor_client.post("/fiches/nouvelle", data=form_data(entry.workshop, title="Vulgariser",
                                                                          parent=str(entry.id)))
    assert response.status_code == 302
    db.session.expire_all()
    assert [c.title for c in db.session.get(Entry, entry.id).children] == ["Vulgariser"]


def test_unknown_parent(contributor_client, workshop):
    assert contributor_client.get("/fiches/nouvelle?parent=424242").status_code == 404
    response = contributor_client.post("/fiches/nouvelle", data=form_data(workshop, parent="424242"))
    assert response.status_code == 422
    assert "La fiche parente indiquée n'existe pas" in html(response)
    assert entry_count() == 0


def test_sub_item_cannot_leave_its_parents_edition(contributor_client, entry, make_edition, make_workshop):
    other = make_workshop(make_edition(2024), title="Autre atelier")
    response = contributor_client.post("/fiches/nouvelle", data=form_data(other, parent=str(entry.id)))
    assert response.status_code == 422
    assert "même édition que sa fiche parente" in html(response)
    assert entry_count() == 1


# --- editing ------------------------------------------------------------------------------------

def test_edit_form_starts_from_the_current_revision(contributor_client, entry):
    page = html(contributor_client.get(f"/fiches/{entry.id}/modifier"))
    assert 'name="base_revision" type="hidden" value="1"' in page
    assert "Accueillir **toute** personne." in page
    assert 'value="Posture"' in page


def test_edit_appends_a_revision(contributor_client, contributor, entry):
    response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=edit_data(
        entry, title="Accueil inconditionnel de tous les publics", body="Accueillir chaque personne.",
        tags="Posture, Inclusion", summary="Plus précis"))
    assert response.status_code == 302
    kind, title, body, tags, _w, number, count = snapshot(entry.id)
    assert (title, body, tags, number, count) == (
        "Accueil inconditionnel de tous les publics", "Accueillir chaque personne.", ("Inclusion", "Posture"), 2, 2)
    latest = db.session.scalar(sa.select(Revision).where(Revision.entry_id == entry.id, Revision.number == 2))
    assert latest.summary == "Plus précis" and latest.author_id == contributor.id and latest.body == body
    first = db.session.scalar(sa.select(Revision).where(Revision.entry_id == entry.id, Revision.number == 1))
    assert first.body == "Accueillir **toute** personne."  # history is kept


def test_saving_without_change_creates_no_revision(contributor_client, entry):
    # Same content written differently (spaces, tag case) is still no change.
    response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=edit_data(
        entry, title="  Accueil   inconditionnel ", tags="posture", summary="rien"), follow_redirects=True)
    assert response.status_code == 200
    assert "Aucune modification" in html(response)
    assert snapshot(entry.id)[5:] == (1, 1)


def test_edit_can_move_to_another_workshop_of_the_same_edition(contributor_client, entry, make_workshop):
    other = make_workshop(entry.edition, title="Quelles passerelles entre la médiation numérique et l'école")
    response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=edit_data(entry, workshop=f"w{other.id}"))
    assert response.status_code == 302
    assert snapshot(entry.id)[4] == other.id


def test_edit_cannot_move_to_another_edition(contributor_client, entry, make_edition, make_workshop):
    other = make_workshop(make_edition(2024), title="Atelier 2024")
    before = snapshot(entry.id)
    for value in (f"w{other.id}", f"e{other.edition_id}"):
        response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=edit_data(entry, workshop=value))
        assert response.status_code == 422
        assert "édition" in html(response)
    assert snapshot(entry.id) == before


# --- bad input ----------------------------------------------------------------------------------

BAD_INPUT = [
    ({"title": ""}, "Le titre est obligatoire."),
    ({"title": "   \t "}, "Le titre est obligatoire."),
    ({"title": "T" * 300}, "Le titre ne doit pas dépasser 200 caractères (300 actuellement)."),
    ({"title": "Titre\x00nul"}, "Le titre contient des caractères non autorisés"),
    ({"title": "Titre\x1bcontrôle"}, "Le titre contient des caractères non autorisés"),
    ({"kind": "poeme"}, "Choisissez une nature parmi les six proposées."),
    ({"kind": ""}, "Choisissez une nature parmi les six proposées."),
    ({"kind": "VALEUR"}, "Choisissez une nature parmi les six proposées."),
    ({"body": "x" * (BODY_MAX + 1)}, "Le texte ne doit pas dépasser 100\u202f000 caractères"),
    ({"body": "du texte\x00 et un nul"}, "Le texte contient des caractères non autorisés"),
    ({"tags": "ok, " + "t" * 81}, "Une étiquette ne doit pas dépasser 80 caractères."),
    ({"tags": "!!!, ???"}, "ne contient ni lettre ni chiffre"),
    ({"tags": ", ".join(f"tag{i}" for i in range(31))}, "Pas plus de 30 étiquettes par fiche."),
    ({"tags": "a\x00b"}, "Une étiquette contient des caractères non autorisés"),
    ({"workshop": "w999999"}, "Choisissez une édition ou un atelier dans la liste."),
    ({"workshop": "e999999"}, "Choisissez une édition ou un atelier dans la liste."),
    ({"workshop": "1 OR 1=1"}, "Choisissez une édition ou un atelier dans la liste."),
    ({"workshop": "w99999999999999999999"}, "Choisissez une édition ou un atelier dans la liste."),
    ({"workshop": ""}, "Choisissez une édition ou un atelier dans la liste."),
    ({"summary": "s" * 301}, "Le résumé de modification ne doit pas dépasser 300 caractères."),
]


@pytest.mark.parametrize("overrides, message", BAD_INPUT, ids=[m[:30] for _o, m in BAD_INPUT])
def test_bad_input_on_create_keeps_text_and_saves_nothing(contributor_client, workshop, overrides, message):
    data = form_data(workshop, body="Mon texte **précieux**", **{k: v for k, v in overrides.items() if k != "body"})
    if "body" in overrides:
        data["body"] = overrides["body"]
    response = contributor_client.post("/fiches/nouvelle", data=data)
    assert response.status_code == 422
    page = html(response)
    assert message in page
    assert 'class="error-summary"' in page
    if "body" not in overrides:
        assert "Mon texte **précieux**" in page  # the user's text is kept
    assert entry_count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 0


@pytest.mark.parametrize("overrides, message", BAD_INPUT, ids=[m[:30] for _o, m in BAD_INPUT])
def test_bad_input_on_edit_keeps_text_and_changes_nothing(contributor_client, entry, overrides, message):
    before = snapshot(entry.id)
    data = edit_data(entry, body="Mon texte **précieux**")
    data.update(overrides)
    response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=data)
    assert response.status_code == 422
    page = html(response)
    assert message in page
    if "body" not in overrides:
        assert "Mon texte **précieux**" in page
    assert snapshot(entry.id) == before


def test_body_at_the_limit_is_accepted(contributor_client, workshop):
    response = contributor_client.post("/fiches/nouvelle", data=form_data(workshop, body="é" * BODY_MAX))
    assert response.status_code == 302
    assert len(db.session.scalar(sa.select(Entry)).body) == BODY_MAX


def test_several_errors_are_reported_at_once(contributor_client, workshop):
    response = contributor_client.post("/fiches/nouvelle", data=form_data(workshop, title="", kind="x", workshop="w0"))
    page = html(response)
    assert response.status_code == 422
    for message in ("Le titre est obligatoire.", "Choisissez une nature", "Choisissez une édition"):
        assert message in page


@pytest.mark.parametrize("base", ["abc", "-1", "0", "1.5", "99", "", "１"])
def test_tampered_base_revision_is_refused(contributor_client, entry, base):
    before = snapshot(entry.id)
    response = contributor_client.post(f"/fiches/{entry.id}/modifier",
                                       data=edit_data(entry, body="Mon texte gardé", base_revision=base))
    assert response.status_code == 422
    page = html(response)
    assert "Le numéro de la version de départ est invalide" in page
    assert "Mon texte gardé" in page
    # The re-shown form starts from the current revision, so the next save is on a known base.
    assert 'name="base_revision" type="hidden" value="1"' in page
    assert snapshot(entry.id) == before


def test_raw_body_with_invalid_utf8_is_a_french_400(contributor_client, entry):
    before = snapshot(entry.id)
    response = contributor_client.post(f"/fiches/{entry.id}/modifier",
                                       data=b"title=Caf\xe9&kind=valeur&base_revision=1",
                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "UTF-8 valide" in html(response)
    assert snapshot(entry.id) == before


def test_percent_encoded_invalid_utf8_is_a_form_error(contributor_client, entry, workshop):
    before = snapshot(entry.id)
    body = (f"kind=valeur&title=Caf%E9+cr%E8me&body=Texte+gard%C3%A9&tags=&workshop=w{workshop.id}"
            "&summary=&base_revision=1").encode()
    response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=body,
                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    page = html(response)
    assert "pas de l'UTF-8 valide" in page
    assert "Texte gardé" in page
    assert snapshot(entry.id) == before


def test_multipart_with_invalid_utf8_is_a_form_error(contributor_client, workshop):
    boundary = "XyZ"
    parts = {"kind": b"valeur", "title": b"Caf\xe9", "body": b"ok", "tags": b"", "workshop": f"w{workshop.id}".encode()}
    payload = b"".join(
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n".encode() + value + b"\r\n"
        for name, value in parts.items()
    ) + f"--{boundary}--\r\n".encode()
    response = contributor_client.post("/fiches/nouvelle", data=payload,
                                       content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert "mal encodés" in html(response)
    assert entry_count() == 0


def test_form_fields_have_no_none_aria_attributes(contributor_client):
    assert '="None"' not in html(contributor_client.get("/fiches/nouvelle"))


def test_form_errors_are_linked_and_fields_marked_invalid(contributor_client, workshop):
    page = html(contributor_client.post("/fiches/nouvelle", data=form_data(workshop, title="")))
    assert '<a href="#title">Titre</a>' in page
    assert 'aria-invalid="true"' in page and 'id="title-error"' in page


# --- CSRF ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("csrf_enabled", [True])
def test_post_without_csrf_token_is_refused(contributor_client, entry, csrf_enabled):
    before = snapshot(entry.id)
    response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=edit_data(entry, title="Sans jeton"))
    assert response.status_code == 400
    assert "Le formulaire a expiré ou n'est pas valide" in html(response)
    response = contributor_client.post(f"/fiches/{entry.id}/retablir/1", data={"base_revision": "1"})
    assert response.status_code == 400
    assert snapshot(entry.id) == before


@pytest.mark.parametrize("csrf_enabled", [True])
def test_forms_carry_a_csrf_token_that_works(contributor_client, entry, csrf_enabled):
    page = html(contributor_client.get(f"/fiches/{entry.id}/modifier"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert 'name="csrf_token"' in html(contributor_client.get("/fiches/nouvelle"))
    assert 'name="csrf_token"' in html(contributor_client.get(f"/fiches/{entry.id}/historique"))
    response = contributor_client.post(f"/fiches/{entry.id}/modifier",
                                       data=edit_data(entry, title="Avec jeton", csrf_token=token))
    assert response.status_code == 302
    assert snapshot(entry.id)[1] == "Avec jeton"


@pytest.mark.parametrize("csrf_enabled", [True])
def test_raw_invalid_utf8_with_csrf_on_is_a_french_400(contributor_client, entry, csrf_enabled):
    response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=b"title=Caf\xe9&base_revision=1",
                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "<html lang=\"fr\">" in html(response)
