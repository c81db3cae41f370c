"""Synonyms edited by admins (/admin/synonymes): the table, else the shipped defaults; checked
input with French messages; a change applies to the next search, without reindexing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from commons.accounts.models import Role
from commons.extensions import db
from commons.search import synonyms
from commons.search.expand import DEFAULT_SYNONYMS
from commons.search.models import SynonymSet


def titles(client, q: str) -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200
    return [r["title"] for r in response.get_json()["results"]]


def test_the_defaults_apply_while_the_table_is_empty(app):
    assert synonyms.synonym_sets() == DEFAULT_SYNONYMS
    db.session.add(SynonymSet(expressions="a11y\naccessibilité"))
    db.session.flush()
    assert synonyms.synonym_sets() == [["a11y", "accessibilité"]]


@pytest.mark.parametrize("role", [None, Role.CONTRIBUTOR, Role.FACILITATOR])
def test_only_admins_reach_the_page(client, signed_in, make_user, role):
    visitor = client if role is None else signed_in(make_user(role))
    for method, url in [("GET", "/admin/synonymes"), ("GET", "/admin/synonymes/nouveau"),
                        ("POST", "/admin/synonymes/nouveau"), ("POST", "/admin/synonymes/defaut")]:
        response = visitor.open(url, method=method, data={"expressions": "a\nb"})
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert "/connexion" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SynonymSet)) == 0


def test_admin_lists_the_defaults_then_adds_edits_and_deletes(admin_client):
    page = admin_client.get("/admin/synonymes").get_data(as_text=True)
    assert "liste par défaut" in page and "EPCI ↔ intercommunalité" in page
    response = admin_client.post("/admin/synonymes/nouveau", data={"expressions": "a11y\r\naccessibilité\r\n"})
    assert response.status_code == 302
    rows = db.session.scalars(sa.select(SynonymSet).order_by(SynonymSet.id)).all()
    # The defaults were written first: adding one set loses none of them.
    assert len(rows) == len(DEFAULT_SYNONYMS) + 1 and rows[-1].expression_list == ["a11y", "accessibilité"]
    added = rows[-1].id
    assert admin_client.post(f"/admin/synonymes/{added}/modifier",
                             data={"expressions": "a11y\naccessibilité numérique"}).status_code == 302
    assert db.session.get(SynonymSet, added).expression_list == ["a11y", "accessibilité numérique"]
    assert admin_client.post(f"/admin/synonymes/{added}/supprimer").status_code == 302
    assert db.session.get(SynonymSet, added) is None
    assert admin_client.get("/admin/synonymes/99999/modifier").status_code == 404


def test_restoring_the_defaults(admin_client):
    db.session.add(SynonymSet(expressions="a11y\naccessibilité"))
    db.session.commit()
    assert admin_client.post("/admin/synonymes/defaut").status_code == 302
    assert synonyms.synonym_sets() == DEFAULT_SYNONYMS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SynonymSet)) == len(DEFAULT_SYNONYMS)


@pytest.mark.parametrize("text, message", [
    ("", "Indiquez au moins deux expressions, une par ligne."),
    ("   \n  ", "Indiquez au moins deux expressions, une par ligne."),
    ("EPCI", "relie au moins deux expressions"),
    ("EPCI\n" + "x" * 101, "dépasse 100 caractères"),
    ("EPCI\ninter\x00communalité", "caractères non autorisés"),
    ("EPCI\nde la", "aucun mot cherchable"),
    ("usagers\nusager", "sont la même expression"),
    ("\n".join(f"mot{i}" for i in range(21)), "au plus 20 expressions"),
])
def test_bad_input_is_refused_in_french(admin_client, text, message):
    response = admin_client.post("/admin/synonymes/nouveau", data={"expressions": text})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message.replace("'", "&#39;") in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SynonymSet)) == 0


def test_the_form_needs_its_csrf_token(app, admin_client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = admin_client.post("/admin/synonymes/nouveau", data={"expressions": "a11y\naccessibilité"})
    assert response.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SynonymSet)) == 0


def test_a_new_synonym_changes_results_at_once(admin_client, demo):
    assert titles(admin_client, "jumeau numérique") == [] or "Vulgariser" not in titles(admin_client, "jumeau numérique")
    assert admin_client.post("/admin/synonymes/nouveau",
                             data={"expressions": "jumeau numérique\nvulgariser"}).status_code == 302
    assert "Vulgariser" in titles(admin_client, "jumeau numérique")[:3]
    # The defaults still apply next to it.
    assert "Rapprocher les fablabs et les écoles" in titles(admin_client, "fab lab")[:3]
