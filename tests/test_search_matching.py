"""Search: French matching, ranking, highlights, query syntax, facets, suggestions, page and API."""
from __future__ import annotations

import re

import pytest

from commons.entries.models import EntryStatus
from commons.extensions import db
from commons.kinds import EntryKind
from commons.search.query import parse


@pytest.fixture
def corpus(make_edition, make_workshop, make_entry):
    e23 = make_edition(2023)
    e24 = make_edition(2024, slug="nec-sud-ouest-2024", name="NEC Sud-Ouest 2024")
    communs = make_workshop(e23, "Les communs de la médiation numérique")
    ecole = make_workshop(e23, "Quelles passerelles entre la médiation numérique et l'école", room="Espace 2")
    entries = {
        "accueil": make_entry(e23, "Accueil inconditionnel", EntryKind.VALEUR, workshop=communs,
                              body="Accueillir toute personne, sans condition, avec une écoute bienveillante.",
                              tags=["Posture"]),
        "transmettre": make_entry(e23, "Transmettre des savoirs, des compétences", EntryKind.SAVOIR, workshop=communs,
                                  body="Vulgariser, travailler en réseaux : entraide, partage et solidarité.",
                                  tags=["Réseau"]),
        "accompagnement": make_entry(e23, "Accompagnement des familles", EntryKind.ACTION, workshop=ecole,
                                     body="La parentalité numérique et les écrans à la maison.",
                                     tags=["Parentalité numérique", "RGPD"]),
        "langage": make_entry(e23, "Un langage commun", EntryKind.PREREQUIS, workshop=ecole,
                              body="Se comprendre entre enseignants et médiateurs : un vocabulaire partagé."),
        "valeurs_body": make_entry(e24, "Charte du réseau", EntryKind.VALEUR,
                                   body="Les valeurs de la médiation sont écrites dans une charte commune."),
        "valeur_title": make_entry(e24, "La valeur du partage", EntryKind.VALEUR,
                                   body="Partager les ressources entre structures."),
        "ateliers": make_entry(e24, "Ateliers parents-enfants", EntryKind.ACTION,
                               body="Des ateliers pour accompagner les familles vers l'autonomie.",
                               tags=["Parentalité numérique"]),
    }
    return {"editions": (e23, e24), "workshops": (communs, ecole), "entries": entries}


def api(client, **params):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 200, response.data
    return response.get_json()


def titles(data) -> list[str]:
    return [r["title"] for r in data["results"]]


# --- French matching --------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("mediation", "Les communs de la médiation numérique"),  # accents ignored (a workshop)
    ("MÉDIATEURS", "Un langage commun"),
    ("ecoute bienveillante", "Accueil inconditionnel"),
    ("valeurs", "La valeur du partage"),  # plural finds singular
    ("accompagner", "Accompagnement des familles"),  # verb finds noun (same Snowball stem)
    ("parentalite", "Accompagnement des familles"),
    ("réseau", "Transmettre des savoirs, des compétences"),  # "réseaux" in the body
])
def test_french_matching(client, corpus, query, expected):
    assert expected in titles(api(client, q=query))


def test_stop_words_are_ignored_but_not_an_error(client, corpus):
    data = api(client, q="le la les des")
    # Only stop words: no text left, so the answer is the browse list (everything published).
    assert data["total"] == 7 + 2 + 2  # entries, workshops, editions


def test_title_weighs_more_than_body(client, corpus):
    data = api(client, q="valeur", type="entry")
    assert titles(data)[:1] == ["La valeur du partage"]
    assert "Charte du réseau" in titles(data)


def test_highlight_marks_whole_words_not_stems(client, corpus):
    data = api(client, q="valeur")
    excerpt = next(r["excerpt"] for r in data["results"] if r["title"] == "Charte du réseau")
    assert "<mark>valeurs</mark>" in excerpt
    assert "<mark>valeur</mark>s" not in excerpt


def test_highlight_escapes_html(client, make_edition, make_entry):
    make_entry(make_edition(2023), "Balises", body="La médiation <script>alert(1)</script> en actes")
    excerpt = api(client, q="mediation")["results"][0]["excerpt"]
    assert "<script" not in excerpt
    assert excerpt.startswith("La <mark>médiation</mark>") and excerpt.endswith("en actes")


# --- query syntax --------------------------------------------------------------------------------

def test_quoted_phrase_requires_adjacent_words(client, corpus):
    assert titles(api(client, q='"langage commun"')) == ["Un langage commun"]
    assert api(client, q='"commun langage"')["total"] == 0


def test_or_and_exclusion(client, corpus):
    both = set(titles(api(client, q="écrans OR vocabulaire")))
    assert both == {"Accompagnement des familles", "Un langage commun"}
    without = titles(api(client, q="familles -écrans"))
    assert "Ateliers parents-enfants" in without and "Accompagnement des familles" not in without


def test_implicit_and(client, corpus):
    assert titles(api(client, q="parentalité écrans")) == ["Accompagnement des familles"]


def test_filters_in_query_syntax(client, corpus):
    assert titles(api(client, q="tag:rgpd")) == ["Accompagnement des familles"]
    data = api(client, q="kind:action edition:2024")
    assert titles(data) == ["Ateliers parents-enfants"]
    assert titles(api(client, q="edition:nec-sud-ouest-2024 kind:valeur", sort="date")) == [
        "La valeur du partage", "Charte du réseau"]


@pytest.mark.parametrize("raw", [
    '"accueil inconditionnel', "OR", "OR OR -", "- -- ---", '"""', "tag:", "kind:", "a" * 10_000,
    "médiation\x00numérique", "\x00\x01\x02", "((médiation))", "médiation AND OR NOT", "*:*", "title:[a TO z]",
    "édition:\"2023", "-médiation", "né\u0301diation", "🙂 médiation", "%00%27;DROP TABLE entries",
])
def test_malformed_queries_never_fail(client, corpus, raw):
    assert client.get("/api/v1/search", query_string={"q": raw}).status_code == 200
    page = client.get("/recherche", query_string={"q": raw})
    assert page.status_code == 200
    assert b"Erreur" not in page.data


def test_unbalanced_quote_searches_its_words(client, corpus):
    assert titles(api(client, q='"accueil inconditionnel')) == ["Accueil inconditionnel"]


def test_parser_keeps_groups():
    parsed = parse('école OR collège "langage commun" -tablette tag:RGPD')
    assert [[c.words for c in g] for g in parsed.groups] == [[["école"], ["collège"]], [["langage", "commun"]]]
    assert parsed.excluded[0].words == ["tablette"]
    assert parsed.filters == {"tag": ["RGPD"]}


# --- facets, filters, sorting, pagination ---------------------------------------------------------

def test_facets_count_the_current_results(client, corpus):
    data = api(client, q="familles")
    assert data["facets"]["kind"] == {"action": 2}
    assert data["facets"]["edition"] == {"nec-sud-ouest-2023": 1, "nec-sud-ouest-2024": 1}
    assert data["facets"]["tag"] == {"parentalite-numerique": 2, "rgpd": 1}


def test_filters_combine_and_work_without_a_query(client, corpus):
    data = api(client, kind="action", edition="2023")
    assert titles(data) == ["Accompagnement des familles"]
    assert api(client, kind=["action", "valeur"], edition="nec-sud-ouest-2024")["total"] == 3
    assert api(client, tag=["parentalite-numerique", "rgpd"])["total"] == 1
    communs = corpus["workshops"][0]
    assert api(client, workshop=f"nec-sud-ouest-2023/{communs.slug}")["total"] == 3  # 2 entries + the workshop


@pytest.mark.parametrize("params", [
    {"kind": "inconnue"}, {"edition": "1999"}, {"edition": "nulle-part"}, {"tag": "nexiste-pas"},
    {"workshop": "x/y"}, {"status": "supprimee"}, {"type": "video"},
])
def test_unknown_facet_values_give_empty_results(client, corpus, params):
    assert api(client, **params)["total"] == 0


def test_archived_entries_only_with_the_status_filter(client, corpus):
    entry = corpus["entries"]["langage"]
    entry.status = EntryStatus.ARCHIVED
    db.session.commit()
    data = api(client, q="langage")
    assert data["total"] == 0
    data = api(client, q="langage", status="archivee")
    assert titles(data) == ["Un langage commun"]
    page = client.get("/recherche?q=langage")
    assert "Archivée" in page.get_data(as_text=True)  # the status facet offers them


def test_pagination_and_sorting(client, make_edition, make_entry):
    from datetime import datetime

    edition = make_edition(2023)
    for n in range(25):
        make_entry(edition, f"Atelier numéro {n}", EntryKind.ACTION, body="Un atelier de médiation.",
                   created_at=datetime(2023, 1, 1 + n))
    first = api(client, q="atelier", kind="action", sort="date")
    assert first["total"] == 25 and len(first["results"]) == 20
    assert first["results"][0]["title"] == "Atelier numéro 24"
    last = api(client, q="atelier", kind="action", sort="date", page=2)
    assert [r["title"] for r in last["results"]] == [f"Atelier numéro {n}" for n in range(4, -1, -1)]
    assert api(client, q="atelier", kind="action", page=99)["page"] == 2  # clamped


@pytest.mark.parametrize("page", ["-1", "0", "abc", "1.5", ""])
def test_api_bad_page(client, corpus, page):
    response = client.get("/api/v1/search", query_string={"q": "médiation", "page": page})
    if page == "":
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == 400
    assert "page" in response.get_json()["error"]["message"]


def test_html_page_clamps_bad_page(client, corpus):
    assert client.get("/recherche?q=médiation&page=-4").status_code == 200
    assert client.get("/recherche?q=médiation&page=zzz").status_code == 200


# --- suggestions ----------------------------------------------------------------------------------

def test_suggestion_for_misspelt_words(client, corpus):
    assert api(client, q="mediaton")["suggestion"] == "médiation"
    assert api(client, q="parentalitée")["suggestion"] == "parentalité"


@pytest.mark.parametrize("query", ["médiation", "mediation", "valeur", "valeurs", "zzzzqqq"])
def test_no_suggestion_for_known_words_or_hopeless_ones(client, corpus, query):
    assert api(client, q=query)["suggestion"] is None


# --- shapes ----------------------------------------------------------------------------------------

def test_api_shape(client, corpus):
    data = api(client, q="accueil")
    assert set(data) == {"total", "page", "results", "facets", "suggestion", "fallback", "searched",
                         "illustrative_editions"}
    assert set(data["facets"]) == {"kind", "edition", "tag"}
    result = data["results"][0]
    assert set(result) == {"type", "id", "title", "kind", "edition", "workshop", "url", "excerpt", "illustrative",
                           "also"}
    entry = corpus["entries"]["accueil"]
    assert result == {
        "type": "entry", "id": entry.id, "title": "Accueil inconditionnel", "kind": "valeur",
        "edition": "nec-sud-ouest-2023", "workshop": f"nec-sud-ouest-2023/{entry.workshop.slug}",
        "url": f"/fiches/{entry.id}", "excerpt": result["excerpt"], "illustrative": False, "also": [],
    }


def test_results_page(client, corpus):
    page = client.get("/recherche?q=familles&kind=action")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<h2 id="results-count">2 résultats' in html
    assert "<mark>familles</mark>" in html
    assert 'class="kind kind-action"' in html
    # The current filter is a removable chip; facet links add filters to the current ones.
    assert re.search(r'<a class="chip" href="/recherche\?q=familles">Nature : Action', html)
    assert 'href="/recherche?q=familles&amp;kind=action&amp;tag=rgpd"' in html
    assert "style=" not in html and "<script" not in html


def test_results_page_without_query_browses(client, corpus):
    html = client.get("/recherche?kind=action&edition=2023").get_data(as_text=True)
    assert "1 résultat" in html and "Accompagnement des familles" in html


def test_header_search_box_points_here(client, corpus):
    html = client.get("/recherche?q=accueil").get_data(as_text=True)
    assert 'action="/recherche"' in html and 'value="accueil"' in html


def test_a_phrase_reads_positions_of_its_candidates_only(client, corpus, monkeypatch):
    """Whoosh's phrase matcher walks the whole index before any filter (494 ms at 100,000 entries
    for "médiation numérique"): the positions are read for the documents that hold every word."""
    from whoosh.searching import Searcher

    def whole_index(*args, **kwargs):
        raise AssertionError("a phrase must not be matched over the whole index")

    monkeypatch.setattr(Searcher, "docs_for_query", whole_index)
    titles = [r["title"] for r in client.get('/api/v1/search?q="parentalité numérique"').get_json()["results"]]
    assert titles == ["Accompagnement des familles"]  # the other has the words only as a tag
    assert client.get('/api/v1/search?q="numérique parentalité"').get_json()["total"] == 0


def test_a_replaced_searcher_lets_its_caches_go(app, client, corpus, make_entry):
    from commons.search.docsets import docsets
    from commons.search.service import service

    assert client.get("/api/v1/search?q=accueil").get_json()["total"] == 1
    svc = service(app)
    old = svc.searcher()
    assert docsets(old, svc.postings_cache) is not None and hasattr(old, "_commons_docsets")
    make_entry(corpus["editions"][0], "Accueil des familles")  # a new index generation
    assert client.get("/api/v1/search?q=accueil").get_json()["total"] == 2
    assert svc.searcher() is not old
    assert not hasattr(old, "_commons_docsets") and not hasattr(old, "_commons_columns")
