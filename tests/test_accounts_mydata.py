"""My data (RGPD): the JSON download, deleting one's account, the privacy page."""
from __future__ import annotations

import json

import sqlalchemy as sa

from commons.accounts.models import AccountToken, AuditEvent, AuditKind, User, UserSession
from commons.entries.models import Entry
from commons.extensions import db
from tests.conftest import PASSWORD


def test_the_download_holds_my_account_sessions_and_contributions_only(app, signed_in, make_user, make_entry,
                                                                       workshop):
    me, other = make_user(display_name="Camille Leroy"), make_user(display_name="Dominique Petit")
    mine = make_entry(workshop.edition, "Accueil inconditionnel", author=me)
    make_entry(workshop.edition, "Écoute et bienveillance", author=other)
    response = signed_in(me).get("/compte/donnees")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["email"] == me.email and data["account"]["display_name"] == "Camille Leroy"
    assert [c["entry_id"] for c in data["entries"]] == [mine.id]
    assert len(data["sessions"]) == 1 and data["sessions"][0]["device"] is not None
    assert "lineage_decisions" in data
    text = response.get_data(as_text=True)
    assert other.email not in text and "Dominique" not in text and "Écoute" not in text
    assert me.password_hash not in text and "token" not in text  # no hash, no session token
    db.session.expire_all()
    assert db.session.scalar(sa.select(AuditEvent.kind).where(AuditEvent.subject_id == me.id)
                             .order_by(AuditEvent.id.desc()).limit(1)) is AuditKind.DATA_EXPORTED


def test_deleting_my_account_keeps_my_entries_anonymous_and_signs_me_out_everywhere(app, signed_in, make_user,
                                                                                     make_entry, workshop):
    me = make_user(display_name="Camille Leroy")
    entry = make_entry(workshop.edition, "Accueil inconditionnel", author=me)
    client, other_device = signed_in(me), signed_in(me)
    response = client.post("/compte/supprimer", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, me.id)
    assert user.deleted_at is not None and not user.is_enabled and user.password_hash == ""
    assert user.display_name == "" and user.email.endswith("@invalid.invalid") and user.structure_id is None
    assert user.name == "Contributeur ou contributrice anonyme"
    assert db.session.get(Entry, entry.id) is not None  # nothing of the commons is lost
    page = client.get(f"/fiches/{entry.id}/historique").get_data(as_text=True)
    assert "Camille" not in page and "Contributeur ou contributrice anonyme" in page
    assert other_device.get("/compte").status_code == 302  # every session ended
    assert all(s.revoked_at is not None for s in db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == me.id)))
    assert not db.session.scalars(sa.select(AccountToken).where(AccountToken.user_id == me.id)).all()
    assert app.test_client().post("/connexion", data={"email": me.email, "password": PASSWORD}).status_code == 422


def test_the_structure_stays_on_my_contributions_only_if_i_choose_it(app, signed_in, make_user, demo):
    from commons.editions.models import Structure

    structure = db.session.scalars(sa.select(Structure).order_by(Structure.id)).first()
    me = make_user()
    me.structure_id = structure.id
    db.session.commit()
    signed_in(me).post("/compte/supprimer", data={"password": PASSWORD, "confirm": "y", "keep_structure": "y"})
    db.session.expire_all()
    user = db.session.get(User, me.id)
    assert user.structure_id == structure.id and structure.name in user.name and "anonyme" in user.name


def test_a_wrong_password_or_no_confirmation_deletes_nothing(app, signed_in, make_user):
    me = make_user(display_name="Camille Leroy")
    client = signed_in(me)
    wrong = client.post("/compte/supprimer", data={"password": "pas-le-bon-mot-de-passe", "confirm": "y"})
    assert wrong.status_code == 422 and "Mot de passe actuel incorrect" in wrong.get_data(as_text=True)
    unconfirmed = client.post("/compte/supprimer", data={"password": PASSWORD})
    assert unconfirmed.status_code == 422 and "Cochez cette case" in unconfirmed.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.get(User, me.id)
    assert user.deleted_at is None and user.is_enabled and user.display_name == "Camille Leroy"
    assert client.get("/compte").status_code == 200


def test_the_privacy_page_says_what_is_kept_and_how_long(app, client):
    app.config["AUDIT_RETENTION_DAYS"] = 90
    page = client.get("/confidentialite")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "90 jours" in text and "30 jours au plus" in text and "contributeur ou contributrice anonyme" in text
    assert 'href="/confidentialite"' in client.get("/").get_data(as_text=True)  # linked from every page
