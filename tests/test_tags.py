"""Tags are free text, normalised: case, accents, spaces and punctuation do not make a new tag."""
from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from commons.entries.models import Entry, Tag
from commons.entries.services import EntryError, get_or_create_tags, parse_tags, tag_slug
from commons.extensions import db


@pytest.mark.parametrize("name", [
    "Parentalité numérique", "parentalite  numerique", "PARENTALITÉ NUMÉRIQUE", " parentalité-numérique ",
    "Parentalite\tnumerique", "#parentalité numérique", "Parentalité_numérique", "Parentalité numérique.",
])
def test_spellings_share_one_slug(name):
    assert tag_slug(name) == "parentalite-numerique"


@pytest.mark.parametrize("name, slug", [
    ("Cœur de métier", "coeur-de-metier"),
    ("Ex æquo", "ex-aequo"),
    ("Straße", "strasse"),
    ("ＰＩＸ", "pix"),  # full-width letters fold to ASCII
    ("Éducation aux médias", "education-aux-medias"),
    ("Ελληνικά", "ελληνικα"),  # other scripts keep an identity instead of vanishing
    ("IA & éthique", "ia-ethique"),
])
def test_slug_folds_ligatures_and_keeps_letters(name, slug):
    assert tag_slug(name) == slug


def test_parse_tags_splits_dedupes_and_keeps_the_first_spelling():
    assert parse_tags("Parentalité numérique, parentalite  numerique; École\n#école, , ") == [
        "Parentalité numérique", "École"]


def test_parse_tags_accepts_a_list():
    assert parse_tags(["  Inclusion ", "inclusion", "Réseau"]) == ["Inclusion", "Réseau"]


@pytest.mark.parametrize("raw, message", [
    ("ok, " + "t" * 81, "ne doit pas dépasser 80 caractères"),
    ("!!!", "ne contient ni lettre ni chiffre"),
    (", ".join(f"t{i}" for i in range(31)), "Pas plus de 30 étiquettes"),
    ("a\x00b", "caractères non autorisés"),
    ("caf\ufffd", "mal encodés"),
])
def test_parse_tags_refuses_bad_tags_in_french(raw, message):
    with pytest.raises(EntryError) as error:
        parse_tags(raw)
    assert message in str(error.value) and error.value.field == "tags"


def test_get_or_create_reuses_existing_tags(app):
    (first,) = get_or_create_tags(["Parentalité numérique"])
    db.session.commit()
    (again,) = get_or_create_tags(["parentalite  numerique"])
    assert again.id == first.id and again.name == "Parentalité numérique"


# --- end to end through the form ----------------------------------------------------------------

def form(workshop, title: str, tags: str) -> dict:
    return {"kind": "pratique", "title": title, "body": "", "tags": tags, "workshop": f"w{workshop.id}", "summary": ""}


def test_two_spellings_through_the_form_are_one_tag(contributor_client, workshop, client):
    assert contributor_client.post("/fiches/nouvelle", data=form(workshop, "Ateliers parents-enfants",
                                                                "Parentalité numérique")).status_code == 302
    assert contributor_client.post("/fiches/nouvelle", data=form(workshop, "Contrôle parental",
                                                                "parentalite  numerique, Écrans")).status_code == 302
    tags = db.session.scalars(sa.select(Tag).order_by(Tag.slug)).all()
    assert [(t.slug, t.name) for t in tags] == [
        ("ecrans", "Écrans"), ("parentalite-numerique", "Parentalité numérique")]
    entries = db.session.scalars(sa.select(Entry).order_by(Entry.id)).all()
    assert all("Parentalité numérique" in e.tag_names for e in entries)
    # Both entries link to the same tag page.
    for entry in entries:
        page = unescape(client.get(f"/fiches/{entry.id}").get_data(as_text=True))
        assert 'href="/etiquettes/parentalite-numerique">#Parentalité numérique' in page


def test_respelling_a_tag_on_edit_is_no_change(contributor_client, entry):
    data = {"kind": "valeur", "title": entry.title, "body": entry.body, "tags": "  POSTURE  ",
            "workshop": f"w{entry.workshop_id}", "summary": "", "base_revision": "1"}
    response = contributor_client.post(f"/fiches/{entry.id}/modifier", data=data, follow_redirects=True)
    assert "Aucune modification" in unescape(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 1


def test_removing_and_adding_tags_on_edit(contributor_client, entry):
    data = {"kind": "valeur", "title": entry.title, "body": entry.body, "tags": "Inclusion, écoute",
            "workshop": f"w{entry.workshop_id}", "summary": "", "base_revision": "1"}
    assert contributor_client.post(f"/fiches/{entry.id}/modifier", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, entry.id).tag_names == ["écoute", "Inclusion"]
    # The revision snapshots the names, so history survives a later rename of the tag.
    assert db.session.get(Entry, entry.id).revisions[-1].tag_names == ["écoute", "Inclusion"]


def test_unknown_tags_are_created_not_refused(contributor_client, workshop):
    response = contributor_client.post("/fiches/nouvelle", data=form(workshop, "Nouvelle idée", "Tout nouveau mot-clé"))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Tag.slug)) == "tout-nouveau-mot-cle"


# --- the same slug to store and to search --------------------------------------------------------

def test_tag_filters_and_facets_use_the_slug_tags_are_stored_with(client, workshop, make_entry):
    """`tag:cœur` once became `c-ur` (an ASCII slug) while the tag is stored as `coeur`, and a
    Greek tag had no ASCII slug at all: its facet showed a count and its link found nothing."""
    make_entry(workshop.edition, "Le cœur du métier", workshop=workshop, tags=["Cœur"])
    make_entry(workshop.edition, "Τα κοινά της διαμεσολάβησης", workshop=workshop, tags=["Κοινά"])
    assert [r["title"] for r in client.get("/api/v1/search?q=tag:cœur").get_json()["results"]] == [
        "Le cœur du métier"]
    assert client.get("/api/v1/search?q=tag:C%C5%93ur").get_json()["total"] == 1
    facets = client.get("/api/v1/search").get_json()["facets"]["tag"]
    assert facets == {"coeur": 1, "κοινα": 1}
    for slug, title in (("coeur", "Le cœur du métier"), ("κοινα", "Τα κοινά της διαμεσολάβησης")):
        # What a facet link sends, and what the tag page's link to the search sends.
        assert [r["title"] for r in client.get("/api/v1/search", query_string={"tag": slug}).get_json()["results"]] \
            == [title]
        page = unescape(client.get(f"/etiquettes/{slug}").get_data(as_text=True))
        href = re.search(r'<a href="(/recherche\?[^"]+)">Filtrer et trier', page).group(1)
        assert title in unescape(client.get(href).get_data(as_text=True))
