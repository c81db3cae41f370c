"""One result per outcome: an entry carried to the next edition, a workshop copied with its
programme, are one result showing the latest edition, with links to the others; counts count
outcomes; illustrative data is marked in results and facets."""
from __future__ import annotations

import sqlalchemy as sa

from commons.entries.models import Entry
from commons.extensions import db
from commons.lineage import decisions
from commons.search.check import compare
from commons.search.service import service


def api(client, **params):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.data
    return response.get_json()


def test_a_carried_entry_is_one_result_showing_its_latest_edition(client, demo):
    data = api(client, q="accueil inconditionnel")
    found = [r for r in data["results"] if r["title"] == "Accueil inconditionnel"]
    assert len(found) == 1
    result = found[0]
    assert result["edition"] == "nec-sud-ouest-2024" and result["illustrative"] is True
    assert [(a["year"], a["title"], a["illustrative"]) for a in result["also"]] == [
        (2023, "Accueil inconditionnel", False)]
    origin = db.session.scalar(sa.select(Entry.id).where(Entry.title == "Accueil inconditionnel",
                                                         Entry.edition.has(year=2023)))
    assert result["also"][0]["url"] == f"/fiches/{origin}"
    assert data["total"] == len(data["results"])


def test_copied_workshops_are_one_result_and_the_workshop_facet_names_the_edition(client, demo):
    data = api(client, q="univers pix")
    assert [(r["title"], r["edition"]) for r in data["results"]] == [("L'univers Pix", "nec-sud-ouest-2024")]
    assert data["total"] == 1
    assert [a["edition"] for a in data["results"][0]["also"]] == ["nec-sud-ouest-2023"]
    html = client.get("/recherche?q=univers+pix").get_data(as_text=True)
    assert "L&#39;univers Pix (NEC Sud-Ouest 2023)" in html and "L&#39;univers Pix (NEC Sud-Ouest 2024)" in html
    assert "Aussi en" in html


def test_counts_count_outcomes(client, demo):
    data = api(client, q="accueil inconditionnel")
    # One outcome, present in both editions: each edition counts it once, the kind once.
    assert data["facets"]["kind"].get("valeur") == sum(1 for r in data["results"] if r["kind"] == "valeur")
    assert data["facets"]["edition"]["nec-sud-ouest-2023"] >= 1
    assert data["facets"]["edition"]["nec-sud-ouest-2024"] >= 1
    only_2023 = api(client, q="accueil inconditionnel", edition="nec-sud-ouest-2023")
    assert only_2023["total"] == data["facets"]["edition"]["nec-sud-ouest-2023"]
    assert all(r["edition"] == "nec-sud-ouest-2023" for r in only_2023["results"])


def test_merges_and_splits_make_outcomes_of_their_own(client, demo):
    # A merge or a split makes new outcomes: the 2023 entries stay results of their own.
    titles = [r["title"] for r in api(client, q='"écoute et bienveillance"')["results"]]
    assert "Écoute et bienveillance" in titles[:3]
    titles = [r["title"] for r in api(client, q="encapacitation")["results"]]
    assert "Accompagner à l'autonomie et l'encapacitation" in titles


def test_illustrative_data_is_marked_in_results_and_facets(client, demo):
    data = api(client, q="accueil")
    assert data["illustrative_editions"] == ["nec-sud-ouest-2024"]
    assert any(r["illustrative"] for r in data["results"])
    assert not any(r["illustrative"] for r in data["results"] if r["edition"] == "nec-sud-ouest-2023")
    html = client.get("/recherche?q=accueil").get_data(as_text=True)
    assert html.count('class="badge-illustrative"') >= 2  # a result and the edition facet


def test_a_lineage_change_reindexes_every_entry_concerned(search, client, make_edition, make_workshop, make_entry):
    e23, e24 = make_edition(2023), make_edition(2024)
    w23, w24 = make_workshop(e23), make_workshop(e24)
    old = make_entry(e23, title="Cartographier les lieux de médiation", workshop=w23)
    new = make_entry(e24, title="Cartographier les lieux de médiation numérique", workshop=w24)
    assert api(client, q="cartographier")["total"] == 2
    link = decisions.add_origin(new, old, actor=None)
    db.session.commit()
    data = api(client, q="cartographier")
    assert data["total"] == 1 and data["results"][0]["id"] == new.id
    assert [a["url"] for a in data["results"][0]["also"]] == [f"/fiches/{old.id}"]
    assert compare(service()).is_consistent
    decisions.split(link, actor=None, titles=[new.title, "Cartographier les acteurs"])
    db.session.commit()
    assert api(client, q="cartographier")["total"] == 3
    assert compare(service()).is_consistent


def test_an_entry_of_an_illustrative_edition_says_so_at_the_top(client, demo):
    illustrative = db.session.scalar(sa.select(Entry.id).where(Entry.edition.has(is_illustrative=True)))
    real = db.session.scalar(sa.select(Entry.id).where(Entry.edition.has(is_illustrative=False)))
    html = client.get(f"/fiches/{illustrative}").get_data(as_text=True)
    main = html[html.index("<main"):]
    assert main.index('class="banner-illustrative"') < main.index('<article class="entry')
    assert "banner-illustrative" not in client.get(f"/fiches/{real}").get_data(as_text=True)
