"""Workshop facilitators: organisers and admins assign them; they carry, decide and follow up on
their workshop, and only there; the workshop page names them; the journal keeps every change."""
from __future__ import annotations

import json
import os
import uuid

import pytest
import sqlalchemy as sa

from commons import create_app
from commons.accounts.models import AuditEvent, AuditKind, User
from commons.editions.models import Structure, Workshop, WorkshopFacilitator
from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage.models import CarryProposal, Decision, LineageLink
from commons.lineage.services import carry_entries

E24 = "/editions/nec-sud-ouest-2024"


def html(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def edit_url(workshop: Workshop) -> str:
    return f"/editions/{workshop.edition.slug}/programme/{workshop.slug}/modifier"


def assign_url(workshop: Workshop) -> str:
    return f"/editions/{workshop.edition.slug}/programme/{workshop.slug}/animation"


def remove_url(workshop: Workshop, user: User) -> str:
    return f"{assign_url(workshop)}/{user.id}/retirer"


def decisions_url(workshop: Workshop) -> str:
    return f"/editions/{workshop.edition.slug}/ateliers/{workshop.slug}/decisions"


def assigned(workshop: Workshop) -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WorkshopFacilitator.user_id)
                                   .where(WorkshopFacilitator.workshop_id == workshop.id)
                                   .order_by(WorkshopFacilitator.user_id)))


def events(kind: AuditKind) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def assign(workshop: Workshop, user: User) -> None:
    db.session.add(WorkshopFacilitator(workshop_id=workshop.id, user_id=user.id))
    db.session.commit()


@pytest.fixture
def two_workshops(make_edition, make_workshop, make_entry):
    """Workshops A and B of 2024, each with one value and one action carried from 2023 (à décider)."""
    e23, e24 = make_edition(2023), make_edition(2024)
    w23 = make_workshop(e23)
    a = make_workshop(e24, "Atelier A", slug="atelier-a")
    b = make_workshop(e24, "Atelier B", slug="atelier-b")
    links = {}
    for target in (a, b):
        sources = [make_entry(e23, f"Valeur pour {target.title}", workshop=w23),
                   make_entry(e23, f"Action pour {target.title}", kind=EntryKind.ACTION, workshop=w23)]
        links[target.slug] = carry_entries(sources, target=target, author=None)
    db.session.commit()
    return {"e23": e23, "w23": w23, "a": a, "b": b, "links": links}


# --- assigning -------------------------------------------------------------------------------------

def test_an_organiser_assigns_then_removes_a_facilitator_and_the_journal_keeps_both(
        facilitator_client, admin_client, facilitator, make_user, workshop):
    person = make_user(display_name="Camille Martin")
    page = html(facilitator_client.get(edit_url(workshop)))
    assert "Animation de la séance" in page and "Personne n'anime encore cette séance" in page
    assert f'<option value="{person.id}">Camille Martin</option>' in page and person.email not in page

    response = facilitator_client.post(assign_url(workshop), data={"user": person.id})
    assert response.status_code == 302 and response.headers["Location"].endswith("/modifier#animation")
    assert assigned(workshop) == [person.id]
    row = db.session.get(WorkshopFacilitator, (workshop.id, person.id))
    assert row.assigned_by_id == facilitator.id and row.assigned_at is not None
    page = html(facilitator_client.get(edit_url(workshop)))
    assert "Camille Martin anime désormais « Les communs de la médiation numérique »" in page
    assert f"/personnes/{person.id}" in page and f'<option value="{person.id}">' not in page  # offered once

    (event,) = events(AuditKind.FACILITATOR_ASSIGNED)
    assert (event.actor_id, event.subject_id) == (facilitator.id, person.id)
    assert json.loads(event.detail) == {"workshop": "NEC Sud-Ouest 2023 — Les communs de la médiation numérique",
                                        "workshop_id": workshop.id}

    response = facilitator_client.post(remove_url(workshop, person))
    assert response.status_code == 302 and assigned(workshop) == []
    (removed,) = events(AuditKind.FACILITATOR_REMOVED)
    assert (removed.actor_id, removed.subject_id) == (facilitator.id, person.id)

    journal = html(admin_client.get("/admin/journal"))
    assert "Animation d'un atelier confiée</th>" in journal and "Animation d'un atelier retirée</th>" in journal
    assert "atelier : NEC Sud-Ouest 2023 — Les communs de la médiation numérique" in journal
    only = html(admin_client.get("/admin/journal?kind=facilitator_assigned"))
    assert "Animation d'un atelier confiée</th>" in only and "Animation d'un atelier retirée</th>" not in only


def test_an_admin_assigns_too(admin_client, make_user, workshop):
    person = make_user()
    assert admin_client.post(assign_url(workshop), data={"user": person.id}).status_code == 302
    assert assigned(workshop) == [person.id]


def test_a_contributor_and_a_workshop_facilitator_cannot_assign(app, client, signed_in, make_user, workshop):
    contributor, helper = make_user(), make_user()
    assign(workshop, helper)  # facilitating the workshop does not let one pick its facilitators
    for person in (contributor, helper):
        response = signed_in(person).post(assign_url(workshop), data={"user": contributor.id})
        assert response.status_code == 403 and "réservée au rôle « Animateur·rice »" in html(response)
        assert signed_in(person).post(remove_url(workshop, helper)).status_code == 403
        assert signed_in(person).get(edit_url(workshop)).status_code == 403
    assert assigned(workshop) == [helper.id]
    refused = events(AuditKind.ACCESS_REFUSED)
    assert len(refused) == 6 and {e.actor_id for e in refused} == {contributor.id, helper.id}
    assert '"endpoint": "editions.assign_facilitator_view"' in refused[0].detail
    # Anonymous: to sign in, with a safe `next`, nothing logged.
    response = client.post(assign_url(workshop), data={"user": contributor.id})
    assert response.status_code == 302 and "/connexion?next=" in response.headers["Location"]
    assert len(events(AuditKind.ACCESS_REFUSED)) == 6 and assigned(workshop) == [helper.id]
    assert events(AuditKind.FACILITATOR_ASSIGNED) == [] and events(AuditKind.FACILITATOR_REMOVED) == []


@pytest.mark.parametrize("choice", ["unknown", "deactivated", "deleted", "nobody", "not a number", "huge"])
def test_an_account_that_cannot_facilitate_is_refused_and_nothing_changes(facilitator_client, make_user,
                                                                          workshop, choice):
    gone = make_user(display_name="Dominique Partie")
    gone.is_enabled = False
    if choice == "deleted":
        gone.deleted_at = gone.created_at
    db.session.commit()
    value = {"unknown": 987654, "deactivated": gone.id, "deleted": gone.id, "nobody": 0, "not a number": "abc",
             "huge": 2**40}[choice]
    response = facilitator_client.post(assign_url(workshop), data={"user": value})
    assert response.status_code == 422
    page = html(response)
    if choice in ("nobody", "not a number", "huge"):  # not an account number at all
        assert "Choisissez la personne à qui confier l'animation." in page
    else:
        assert "Ce compte n'existe pas ou n'est plus actif" in page and "Rien n'a changé" in page
    assert 'id="animation"' in page and "Dominique Partie" not in page  # never offered
    assert assigned(workshop) == [] and events(AuditKind.FACILITATOR_ASSIGNED) == []


def test_assigning_twice_and_removing_someone_not_assigned_are_refused(facilitator_client, make_user, workshop):
    person, stranger = make_user(display_name="Camille Martin"), make_user()
    assert facilitator_client.post(assign_url(workshop), data={"user": person.id}).status_code == 302
    again = facilitator_client.post(assign_url(workshop), data={"user": person.id})
    assert again.status_code == 422 and "Camille Martin anime déjà cet atelier" in html(again)
    for url in (remove_url(workshop, stranger), f"{assign_url(workshop)}/987654/retirer",
                f"{assign_url(workshop)}/{2**40}/retirer"):
        response = facilitator_client.post(url)
        assert response.status_code == 422 and "n'anime pas (ou plus) cet atelier" in html(response)
    assert assigned(workshop) == [person.id]
    assert len(events(AuditKind.FACILITATOR_ASSIGNED)) == 1 and events(AuditKind.FACILITATOR_REMOVED) == []


def test_the_service_refuses_a_lost_race_in_french(app, facilitator, make_user, workshop):
    """Two organisers assigning the same person at once: the second insert finds the row and
    refuses, instead of an IntegrityError (the first check passed on a stale list)."""
    from commons.editions.facilitators import assign_facilitator
    from commons.editions.services import EditionError
    from commons.models import utcnow

    person = make_user()
    workshop.facilitator_ids  # noqa: B018  (loads the empty list, as the second request had)
    db.session.execute(sa.insert(WorkshopFacilitator).values(workshop_id=workshop.id, user_id=person.id,
                                                             assigned_at=utcnow()))
    with pytest.raises(EditionError, match="anime déjà cet atelier"):
        assign_facilitator(workshop, person.id, actor=facilitator, now=utcnow())
    db.session.rollback()


def test_the_list_offers_active_accounts_by_their_public_name_or_structure(facilitator_client, make_user, workshop):
    fibre = Structure(slug="la-fibre64", name="La Fibre64")
    db.session.add(fibre)
    db.session.flush()
    shown = make_user(display_name="Camille Martin")
    shown.structure_id = fibre.id
    hidden_1, hidden_2 = make_user(display_name="Dominique Secret"), make_user(display_name="Alex Discret")
    for hidden in (hidden_1, hidden_2):
        hidden.structure_id, hidden.is_name_public = fibre.id, False
    db.session.commit()
    page = html(facilitator_client.get(edit_url(workshop)))
    assert f'<option value="{shown.id}">Camille Martin — La Fibre64</option>' in page
    # Two people showing only the same structure are told apart by their account number.
    assert f'<option value="{hidden_1.id}">La Fibre64 (compte n°{hidden_1.id})</option>' in page
    assert "Dominique Secret" not in page and "Alex Discret" not in page and "@example.org" not in page


# --- deciding on one's own workshop only -------------------------------------------------------------

def test_the_facilitator_of_workshop_a_decides_on_a_and_is_refused_on_b(app, signed_in, make_user, two_workshops):
    a, b, links = two_workshops["a"], two_workshops["b"], two_workshops["links"]
    person = make_user(display_name="Camille Martin")
    assign(a, person)
    me = signed_in(person)
    assert "Reconduire" in html(me.get(decisions_url(a)))
    assert "Reconduire" not in html(me.get(decisions_url(b)))

    response = me.post(f"{decisions_url(a)}/{links['atelier-a'][0].id}/reconduire")
    assert response.status_code == 302
    response = me.post(f"{decisions_url(b)}/{links['atelier-b'][0].id}/reconduire")
    assert response.status_code == 403
    assert "réservée aux personnes qui animent l'atelier « Atelier B »" in html(response)
    db.session.expire_all()
    assert db.session.get(LineageLink, links["atelier-a"][0].id).decision is Decision.KEPT
    assert db.session.get(LineageLink, links["atelier-b"][0].id).decision is Decision.PENDING
    (refused,) = events(AuditKind.ACCESS_REFUSED)
    assert refused.actor_id == person.id and json.loads(refused.detail) == {
        "endpoint": "lineage.decide", "method": "POST", "needs": "decide", "workshop_id": b.id}

    # Merging, declaring new: the same rule.
    merge_b = me.post(f"{decisions_url(b)}/fusion", data={"links": [l.id for l in links["atelier-b"]], "title": "X"})
    assert merge_b.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineageLink)
                             .where(LineageLink.decision == Decision.MERGED)) == 0


def test_the_facilitator_of_a_carries_into_a_and_only_proposes_into_b(signed_in, make_user, two_workshops):
    a, b, w23 = two_workshops["a"], two_workshops["b"], two_workshops["w23"]
    person = make_user()
    assign(a, person)
    me = signed_in(person)
    carry = "/editions/nec-sud-ouest-2024/ateliers/{}/reprise"
    assert "Proposer la reprise" not in html(me.get(carry.format(a.slug)))
    assert "Proposer la reprise" in html(me.get(carry.format(b.slug)))
    before = db.session.scalar(sa.select(sa.func.count()).select_from(LineageLink))
    into_a, into_b = new_source(w23, "Pédagogie"), new_source(w23, "Littératie")
    response = me.post(carry.format(a.slug), data={"source": w23.id, "mode": "selected", "entries": [into_a]})
    assert response.status_code == 302
    response = me.post(carry.format(b.slug), data={"source": w23.id, "mode": "selected", "entries": [into_b],
                                                   "note": "À reprendre aussi ?"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineageLink)) == before + 1  # carried into A
    proposal = db.session.scalar(sa.select(CarryProposal))  # only proposed into B
    assert proposal.target_workshop_id == b.id
    # Answering the proposal belongs to B's facilitators.
    answer = me.post(f"{E24}/ateliers/{b.slug}/propositions/{proposal.id}/accepter")
    assert answer.status_code == 403 and "l'atelier « Atelier B »" in html(answer)
    db.session.expire_all()
    assert db.session.get(CarryProposal, proposal.id).status.is_pending


def new_source(w23: Workshop, title: str) -> int:
    from commons.entries.services import create_entry

    entry = create_entry(edition=w23.edition, kind=EntryKind.SAVOIR, title=title, workshop=w23)
    db.session.commit()
    return entry.id


def test_the_facilitator_of_a_follows_up_the_actions_of_a_only(signed_in, make_user, two_workshops):
    a, links = two_workshops["a"], two_workshops["links"]
    person = make_user()
    assign(a, person)
    me = signed_in(person)
    action_a, action_b = links["atelier-a"][1].target_entry_id, links["atelier-b"][1].target_entry_id
    page = html(me.get("/actions/suivi"))
    assert f'action="/actions/suivi/{action_a}"' in page and f'action="/actions/suivi/{action_b}"' not in page

    def update(entry_id: int):
        prefix = f"suivi-{entry_id}"
        return me.post(f"/actions/suivi/{entry_id}", data={
            f"{prefix}-status": "en_cours", f"{prefix}-owner": 0, f"{prefix}-note": "", f"{prefix}-base_version": 0})

    assert update(action_a).status_code == 302
    refused = update(action_b)
    assert refused.status_code == 403 and "l'atelier « Atelier B »" in html(refused)
    # The lineage page of an entry: the origin form for A's entries only.
    assert 'id="rattacher"' in html(me.get(f"/fiches/{action_a}/filiation"))
    assert 'id="rattacher"' not in html(me.get(f"/fiches/{action_b}/filiation"))
    assert me.post(f"/fiches/{action_b}/filiation", data={"source_id": 1}).status_code == 403


def test_an_entry_outside_any_workshop_is_left_to_the_facilitator_role(signed_in, make_user, make_entry,
                                                                        two_workshops):
    person = make_user()
    assign(two_workshops["a"], person)
    loose = make_entry(two_workshops["a"].edition, "Sans atelier", kind=EntryKind.ACTION)
    response = signed_in(person).post(f"/actions/suivi/{loose.id}", data={})
    assert response.status_code == 403 and "réservée au rôle « Animateur·rice »" in html(response)


def test_a_deactivated_facilitator_is_signed_out_and_no_longer_named(app, client, signed_in, admin, make_user,
                                                                     two_workshops):
    a, link = two_workshops["a"], two_workshops["links"]["atelier-a"][0]
    person = make_user(display_name="Camille Martin")
    assign(a, person)
    me = signed_in(person)
    assert "Camille Martin" in html(client.get(f"{E24}/ateliers/atelier-a"))
    assert signed_in(admin).post(f"/admin/comptes/{person.id}/desactiver", data={"confirm": "yes"}).status_code == 302
    response = me.post(f"{decisions_url(a)}/{link.id}/reconduire")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(LineageLink, link.id).decision is Decision.PENDING
    assert "Camille Martin" not in html(client.get(f"{E24}/ateliers/atelier-a"))
    # The organisers still see the assignment, marked, and may remove it.
    assert "compte inactif" in html(signed_in(admin).get(edit_url(a)))


# --- the workshop page --------------------------------------------------------------------------------

def test_the_workshop_page_names_its_facilitators_as_each_chose(client, make_user, workshop):
    fibre = Structure(slug="la-fibre64", name="La Fibre64")
    db.session.add(fibre)
    db.session.flush()
    named, structure_only, nameless = (make_user(display_name="Camille Martin"),
                                       make_user(display_name="Dominique Secret"), make_user())
    structure_only.structure_id, structure_only.is_name_public = fibre.id, False
    db.session.commit()
    url = f"/editions/{workshop.edition.slug}/ateliers/{workshop.slug}"
    assert "Animé par" not in html(client.get(url))
    for person in (named, structure_only, nameless):
        assign(workshop, person)
    page = html(client.get(url))
    assert "Animé par" in page
    assert f'<a href="/personnes/{named.id}">Camille Martin</a>' in page
    assert f'<a href="/personnes/{structure_only.id}">La Fibre64</a>' in page
    assert f'<a href="/personnes/{nameless.id}">Contributeur·rice n°{nameless.id}</a>' in page
    assert "Dominique Secret" not in page and "@" not in page.split("Animé par")[1].split("</dl>")[0]


# --- the data around it ---------------------------------------------------------------------------------

def test_deleting_the_workshop_removes_its_assignments_and_the_export_lists_them(
        admin_client, signed_in, make_user, workshop):
    person = make_user()
    assign(workshop, person)
    data = json.loads(signed_in(person).get("/compte/donnees").data)
    assert data["workshop_facilitations"] == [{
        "edition": "NEC Sud-Ouest 2023", "workshop": "Les communs de la médiation numérique",
        "assigned_at": data["workshop_facilitations"][0]["assigned_at"]}]
    response = admin_client.post(f"/editions/{workshop.edition.slug}/programme/{workshop.slug}/supprimer")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkshopFacilitator)) == 0
    assert db.session.get(User, person.id) is not None


def _throwaway_database(tmp_path) -> tuple[str, object]:
    """A database of its own for a migration round trip: a file on SQLite, a new database on the
    PostgreSQL server of the suite (dropped after)."""
    pg_url = os.environ.get("COMMONS_TEST_DATABASE_URL")
    if not pg_url:
        return f"sqlite:///{tmp_path / 'm.db'}", lambda: None
    from tests.conftest import _admin_url

    admin = _admin_url(pg_url)
    name = f"commons_m_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return admin.set(database=name).render_as_string(hide_password=False), drop


def test_the_migration_goes_down_and_up_again(tmp_path):
    from flask_migrate import downgrade, upgrade

    url, drop = _throwaway_database(tmp_path)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "COMMONS_INDEX_DIR": str(tmp_path / "index"),
                      "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
            assert "workshop_facilitators" in sa.inspect(db.engine).get_table_names()
            downgrade(revision="0012")  # through 0014 and 0013 as well
            assert "workshop_facilitators" not in sa.inspect(db.engine).get_table_names()
            upgrade()
            inspector = sa.inspect(db.engine)
            assert inspector.get_pk_constraint("workshop_facilitators")["constrained_columns"] == [
                "workshop_id", "user_id"]
            assert {fk["referred_table"]: fk["options"].get("ondelete") for fk in
                    inspector.get_foreign_keys("workshop_facilitators") if fk["constrained_columns"] != [
                        "assigned_by_id"]} == {"workshops": "CASCADE", "users": "CASCADE"}
            db.engine.dispose()
    finally:
        drop()
