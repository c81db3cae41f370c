"""JSON API: editions list, an entry's lineage, edition comparison, JSON errors."""
from __future__ import annotations

from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage import decisions
from commons.lineage.services import carry_entries


def test_editions_list_with_slugs_dates_and_counts(client, make_edition, make_workshop, make_entry):
    e23 = make_edition(2023)
    make_edition(2024, is_illustrative=True)
    w = make_workshop(e23)
    make_entry(e23, "Accueil inconditionnel", workshop=w)
    make_entry(e23, "Créer des trousses à projet", kind=EntryKind.ACTION, workshop=w)
    data = client.get("/api/v1/editions").get_json()["editions"]
    assert [e["slug"] for e in data] == ["nec-sud-ouest-2023", "nec-sud-ouest-2024"]
    first = data[0]
    assert first["year"] == 2023 and first["starts_on"] == "2023-06-06" and first["ends_on"] == "2023-06-07"
    assert first["counts"]["entries"] == 2 and first["counts"]["workshops"] == 1
    assert first["counts"]["by_kind"]["action"] == 1 and first["counts"]["by_kind"]["valeur"] == 1
    assert data[1]["is_illustrative"] is True and data[1]["counts"]["entries"] == 0


def test_entry_lineage_and_comparison(client, make_edition, make_workshop, make_entry, facilitator):
    e23, e24 = make_edition(2023), make_edition(2024)
    w23, w24 = make_workshop(e23), make_workshop(e24)
    a = make_entry(e23, "Favoriser l'inclusion sociale via l'inclusion numérique", workshop=w23)
    b = make_entry(e23, "Accueil inconditionnel", workshop=w23)
    links = {l.source.id: l for l in carry_entries([a, b], target=w24, author=facilitator)}
    decisions.reword(links[a.id], actor=facilitator, title="Favoriser l'inclusion sociale par le numérique",
                     body="", base_revision=links[a.id].target.revision_number)
    db.session.commit()

    data = client.get(f"/api/v1/entries/{a.id}/lineage").get_json()
    assert data["entry"]["id"] == a.id and data["ancestors"] == []
    [down] = data["descendants"]
    assert down["decision"] == "reformule" and down["decided_by"] == facilitator.name
    assert down["target"]["edition"] == "nec-sud-ouest-2024"
    assert [s["edition"] for s in data["timeline"]] == ["nec-sud-ouest-2023", "nec-sud-ouest-2024"]
    assert [row["decision"] for row in data["log"]] == ["a_decider", "reformule"]

    up = client.get(f"/api/v1/entries/{links[a.id].target_entry_id}/lineage").get_json()
    assert up["ancestors"][0]["source"]["id"] == a.id

    cmp = client.get("/api/v1/editions/nec-sud-ouest-2023/compare/nec-sud-ouest-2024").get_json()
    assert cmp["from"]["slug"] == "nec-sud-ouest-2023" and cmp["to"]["slug"] == "nec-sud-ouest-2024"
    assert cmp["totals"]["reformule"] == 1 and cmp["totals"]["a_decider"] == 1
    valeur = next(k for k in cmp["kinds"] if k["kind"] == "valeur")
    assert valeur["reworded"][0]["title_after"] == "Favoriser l'inclusion sociale par le numérique"


def test_json_errors(client, make_edition):
    make_edition(2023)
    response = client.get("/api/v1/entries/424242/lineage")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": 404, "message": "Fiche inconnue : n° 424242."}}
    assert client.get(f"/api/v1/entries/{'9' * 25}/lineage").status_code == 404
    response = client.get("/api/v1/editions/nec-sud-ouest-2023/compare/nulle-part")
    assert response.status_code == 404 and "nulle-part" in response.get_json()["error"]["message"]


def test_absolute_links_ignore_the_host_header(app, client, make_edition):
    """A client chooses the Host header: links built from it would point wherever it says."""
    make_edition(2023)
    app.config["COMMONS_BASE_URL"] = "https://communs.example.org"
    data = client.get("/api/v1/editions", headers={"Host": "evil.example"}).get_json()["editions"]
    assert [e["url"] for e in data] == ["https://communs.example.org/editions/nec-sud-ouest-2023"]
    forwarded = client.get("/api/v1/editions", headers={"X-Forwarded-Host": "evil.example"}).get_json()
    assert "evil.example" not in str(forwarded)


def test_proxy_headers_are_trusted_only_when_configured(make_app):
    from werkzeug.middleware.proxy_fix import ProxyFix

    assert not isinstance(make_app().wsgi_app, ProxyFix)
    behind_one = make_app(COMMONS_PROXY_COUNT=1)
    assert isinstance(behind_one.wsgi_app, ProxyFix) and behind_one.wsgi_app.x_for == 1
    seen = {}

    @behind_one.get("/adresse-vue")
    def remote():
        from flask import request

        seen["addr"] = request.remote_addr
        return ""

    behind_one.test_client().get("/adresse-vue", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.2"},
                                 environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen["addr"] == "198.51.100.2"  # the one proxy's view, not what the client claimed before it
