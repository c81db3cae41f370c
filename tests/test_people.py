"""A person's public page (/personnes/<id>) and their choice of name or structure."""
from __future__ import annotations

import sqlalchemy as sa

from commons.accounts.models import User
from commons.editions.models import Structure
from commons.entries.services import revise_entry
from commons.extensions import db


def test_the_page_lists_what_the_person_wrote_and_never_their_address(client, make_user, make_entry, workshop):
    me, other = make_user(display_name="Camille Leroy"), make_user(display_name="Dominique Petit")
    mine = make_entry(workshop.edition, "Accueil inconditionnel", author=me)
    make_entry(workshop.edition, "Écoute et bienveillance", author=other)
    revise_entry(mine, base_revision=1, author=me, kind=mine.kind, workshop=workshop, title="Accueil inconditionnel de tous",
                 body="Sans condition.", tags=[], summary="précision")
    db.session.commit()
    page = client.get(f"/personnes/{me.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Camille Leroy" in text and "2 versions enregistrées" in text
    assert "Accueil inconditionnel de tous" in text and "Écoute" not in text
    assert me.email not in text and me.email.split("@")[0] not in text
    changes = client.get("/modifications").get_data(as_text=True)
    assert f'href="/personnes/{me.id}"' in changes  # names link to the person's page


def test_a_person_may_show_only_their_structure(app, signed_in, make_user, make_entry, workshop, client):
    structure = Structure(name="Hubikoop", slug="hubikoop")
    db.session.add(structure)
    db.session.commit()
    me = make_user(display_name="Camille Leroy")
    me.structure_id = structure.id
    db.session.commit()
    entry = make_entry(workshop.edition, "Accueil inconditionnel", author=me)
    response = signed_in(me).post("/compte/nom", data={"id-display_name": "Camille Leroy"})  # box unticked
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, me.id).is_name_public is False
    for path in (f"/personnes/{me.id}", f"/fiches/{entry.id}/historique", "/modifications"):
        text = client.get(path).get_data(as_text=True)
        assert "Camille" not in text and "Hubikoop" in text, path
    signed_in(me).post("/compte/nom", data={"id-display_name": "Camille Leroy", "id-is_name_public": "y"})
    assert "Camille Leroy" in client.get(f"/personnes/{me.id}").get_data(as_text=True)


def test_an_empty_name_is_refused_and_nothing_changes(signed_in, make_user):
    me = make_user(display_name="Camille Leroy")
    response = signed_in(me).post("/compte/nom", data={"id-display_name": "   ", "id-is_name_public": ""})
    assert response.status_code == 422 and "Indiquez le nom à afficher" in response.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.get(User, me.id)
    assert user.display_name == "Camille Leroy" and user.is_name_public


def test_deleted_and_unknown_people_have_no_page(client, make_user):
    gone = make_user()
    gone.deleted_at = sa.func.now()
    db.session.commit()
    assert client.get(f"/personnes/{gone.id}").status_code == 404
    assert client.get("/personnes/999999").status_code == 404
    assert client.get("/personnes/99999999999999999999").status_code == 404
