"""Administration of editions and their programme: create, copy the programme, rename, delete."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from commons.editions.models import Edition, GuidingQuestion, Structure, Workshop
from commons.entries.models import Entry
from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage.models import LineageLink
from commons.lineage.services import carry_entries


@pytest.fixture
def e23(make_edition, make_workshop):
    edition = make_edition(2023)
    workshop = make_workshop(edition, room="Espace 1")
    workshop.questions = [GuidingQuestion(position=0, text="Quelles actions ?", kind=EntryKind.ACTION)]
    structure = Structure(slug="alpi", name="Alpi")
    workshop.structures = [structure]
    db.session.commit()
    return edition


def page(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def test_only_organisers_and_admins_manage_editions(contributor_client, facilitator_client, client, e23):
    # Organisers hold the facilitator role (issue 9's matrix); contributors do not manage editions.
    assert contributor_client.get("/editions/nouvelle").status_code == 403
    assert client.get("/editions/nouvelle").status_code == 302
    assert contributor_client.post("/editions/nec-sud-ouest-2023/supprimer").status_code == 403
    assert facilitator_client.get("/editions/nouvelle").status_code == 200
    assert facilitator_client.get("/editions/nec-sud-ouest-2023/programme").status_code == 200
    assert db.session.get(Edition, e23.id) is not None


def test_create_edition_copying_the_programme_with_dates_shifted(admin_client, e23):
    response = admin_client.post("/editions/nouvelle", data={
        "name": "NEC Sud-Ouest 2024", "slug": "", "year": 2024, "place": "Pau", "starts_on": "2024-06-04",
        "ends_on": "2024-06-05", "copy_from": e23.id, "is_illustrative": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/editions/nec-sud-ouest-2024/programme")
    e24 = db.session.scalar(sa.select(Edition).where(Edition.slug == "nec-sud-ouest-2024"))
    assert e24.is_illustrative
    [copy] = e24.workshops
    assert copy.starts_at.isoformat() == "2024-06-05T10:15:00"  # 2023-06-07 + 364 days: still a Wednesday
    assert copy.room == "Espace 1" and [q.text for q in copy.questions] == ["Quelles actions ?"]
    assert [s.slug for s in copy.structures] == ["alpi"]
    assert "Programme de NEC Sud-Ouest 2024" in page(admin_client.get("/editions/nec-sud-ouest-2024/programme"))
    # Copying again adds nothing.
    admin_client.post("/editions/nec-sud-ouest-2024/programme/copier", data={"source": e23.id})
    assert db.session.scalar(sa.select(sa.func.count(Workshop.id)).where(Workshop.edition_id == e24.id)) == 1


def test_bad_edition_input_is_422_and_keeps_the_text(admin_client, e23):
    response = admin_client.post("/editions/nouvelle", data={
        "name": "Autre édition", "slug": "nec-sud-ouest-2023", "year": 2024, "copy_from": 0})
    assert response.status_code == 422
    html = page(response)
    assert "déjà pris par NEC Sud-Ouest 2023" in html and 'value="Autre édition"' in html
    response = admin_client.post("/editions/nouvelle", data={
        "name": "X", "year": 2024, "starts_on": "2024-06-05", "ends_on": "2024-06-01", "copy_from": 0})
    assert response.status_code == 422 and "La date de fin précède la date de début." in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Edition.id))) == 1


def test_renaming_keeps_ids_and_lineage(admin_client, e23, make_edition, make_workshop, make_entry):
    e24 = make_edition(2024)
    w24 = make_workshop(e24)
    origin = make_entry(e23, "Accueil inconditionnel", workshop=e23.workshops[0])
    link = carry_entries([origin], target=w24, author=None)[0]
    db.session.commit()
    edition_id, link_id = e24.id, link.id
    response = admin_client.post("/editions/nec-sud-ouest-2024/modifier", data={
        "name": "NEC Sud-Ouest 2024 (Pau)", "slug": "nec-pau-2024", "year": 2024, "starts_on": "2024-06-04"})
    assert response.status_code == 302
    db.session.expire_all()
    edition = db.session.get(Edition, edition_id)
    assert edition.slug == "nec-pau-2024" and db.session.get(LineageLink, link_id).target.edition_id == edition_id
    assert admin_client.get(f"/fiches/{link.target_entry_id}/filiation").status_code == 200
    # Renaming a workshop keeps its entries.
    response = admin_client.post(f"/editions/nec-pau-2024/programme/{w24.slug}/modifier", data={
        "title": "Les communs, an 2", "slug": "communs-an-2", "format": "atelier", "day": "2024-06-05",
        "starts": "10:15", "ends": "11:45", "questions": "Quelles valeurs ?\nQuelles pratiques ?"})
    assert response.status_code == 302
    db.session.expire_all()
    workshop = db.session.get(Workshop, w24.id)
    assert workshop.slug == "communs-an-2" and len(workshop.entries) == 1
    assert [q.kind for q in workshop.questions] == [EntryKind.VALEUR, EntryKind.PRATIQUE]


def test_deleting_an_edition_with_entries_is_refused(admin_client, e23, make_entry):
    make_entry(e23, "Accueil inconditionnel")
    response = admin_client.post("/editions/nec-sud-ouest-2023/supprimer", follow_redirects=True)
    assert "contient 1 fiche(s) : elle ne peut pas être supprimée" in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Edition.id))) == 1


def test_deleting_an_empty_edition_and_a_workshop(admin_client, e23, make_edition, make_workshop, make_entry):
    make_workshop(make_edition(2025))
    assert admin_client.post("/editions/nec-sud-ouest-2025/supprimer").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Edition).where(Edition.slug == "nec-sud-ouest-2025")) is None
    # A deleted workshop leaves its entries in the edition, without a workshop.
    workshop = e23.workshops[0]
    entry = make_entry(e23, "Accueil inconditionnel", workshop=workshop)
    response = admin_client.post(f"/editions/nec-sud-ouest-2023/programme/{workshop.slug}/supprimer",
                                 follow_redirects=True)
    assert "1 fiche(s) restent dans l'édition" in page(response)
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert entry.workshop_id is None and entry.edition_id == e23.id


def test_new_workshop_form(admin_client, e23):
    response = admin_client.post("/editions/nec-sud-ouest-2023/programme/nouvelle-seance", data={
        "title": "", "format": "atelier"})
    assert response.status_code == 422 and "Le titre de l'atelier est obligatoire." in page(response)
    response = admin_client.post("/editions/nec-sud-ouest-2023/programme/nouvelle-seance", data={
        "title": "Atelier parentalité", "format": "atelier", "day": "2023-06-06", "starts": "15:45", "ends": "15:00"})
    assert response.status_code == 422 and "L'heure de fin précède l'heure de début." in page(response)
    response = admin_client.post("/editions/nec-sud-ouest-2023/programme/nouvelle-seance", data={
        "title": "Atelier parentalité", "format": "atelier", "day": "2023-06-06", "starts": "15:45", "ends": "17:15"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Workshop).where(Workshop.slug == "atelier-parentalite")).room == ""


def test_a_structure_id_past_the_integer_range_is_refused(admin_client, e23):
    response = admin_client.post("/editions/nec-sud-ouest-2023/programme/nouvelle-seance", data={
        "title": "Atelier parentalité", "format": "atelier", "structures": ["9" * 25]})
    assert response.status_code == 422 and "Une des structures choisies n'existe plus." in page(response)
    assert db.session.scalar(sa.select(Workshop).where(Workshop.slug == "atelier-parentalite")) is None


def test_deleting_a_workshop_keeps_the_index_true_to_the_database(admin_client, runner, search, e23, make_entry):
    """The deletion once detached the entries with a bulk UPDATE that skipped the search outbox:
    `search check` then found their workshop and date out of date in the index."""
    workshop = e23.workshops[0]
    entries = [make_entry(e23, title, workshop=workshop) for title in ("Accueil inconditionnel", "Pédagogie")]
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    response = admin_client.post(f"/editions/nec-sud-ouest-2023/programme/{workshop.slug}/supprimer")
    assert response.status_code == 302
    result = runner.invoke(args=["search", "check", "--no-apply"])
    assert result.exit_code == 0, result.output
    hits = admin_client.get("/api/v1/search?q=accueil").get_json()["results"]
    assert [(h["id"], h["workshop"]) for h in hits] == [(entries[0].id, None)]


def test_a_bulk_statement_through_the_session_cannot_forget_the_index(runner, search, e23, make_entry):
    from commons.search.hooks import BulkInsertRefused

    entry = make_entry(e23, "Accueil inconditionnel", workshop=e23.workshops[0])
    db.session.execute(sa.update(Entry).where(Entry.id == entry.id).values(title="Accueil sans condition"))
    db.session.execute(sa.update(Workshop).where(Workshop.id == entry.workshop_id).values(title="Atelier renommé"))
    db.session.commit()
    assert runner.invoke(args=["search", "check", "--no-apply"]).exit_code == 0
    with pytest.raises(BulkInsertRefused):
        db.session.execute(sa.insert(Entry).values(kind=EntryKind.VALEUR, title="Sans index", edition_id=e23.id))
    db.session.rollback()


@pytest.mark.parametrize("year", ["9" * 310, "-5", "²⁰²⁴", "2024.5"])
def test_an_absurd_year_is_a_french_422_not_a_500(admin_client, e23, year):
    response = admin_client.post("/editions/nouvelle", data={"name": "NEC Sud-Ouest 2024", "year": year,
                                                             "copy_from": 0})
    assert response.status_code == 422
    assert "L'année doit être comprise entre 1990 et 2100." in page(response)
    assert db.session.scalar(sa.select(sa.func.count(Edition.id))) == 1
