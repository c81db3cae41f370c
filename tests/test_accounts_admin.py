"""Accounts administration (issue 9, "Admin"): the accounts list (filters, search, paging), one
account's page, role changes, deactivation (signed out everywhere at once) and reactivation, the
last-admin and self-deactivation refusals, and the audit journal with its filters."""
from __future__ import annotations

from datetime import datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from commons.accounts import admin as manage
from commons.accounts import audit
from commons.accounts.models import AuditEvent, AuditKind, Role, User
from commons.accounts.services import AccountError
from commons.editions.models import Structure
from commons.extensions import db
from commons.models import utcnow
from tests.conftest import PASSWORD
from tests.test_accounts_sessions import copy_of, is_signed_in, records, sign_in


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def events(kind: AuditKind | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    return list(db.session.scalars(query.where(AuditEvent.kind == kind) if kind else query))


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def people(app, make_user) -> dict[str, User]:
    """Four accounts, one of each state and several roles, with a structure and accented names."""
    tarnos = Structure(slug="mediatheque-tarnos", name="Médiathèque de Tarnos")
    db.session.add(tarnos)
    db.session.commit()
    found = {
        "elodie": make_user(Role.CONTRIBUTOR, email="elodie.durand@example.org", display_name="Élodie Durand"),
        "never": make_user(Role.CONTRIBUTOR, email="jamais-venu@example.org", display_name="Sacha Jamais"),
        "off": make_user(Role.FACILITATOR, email="desactive@example.org", display_name="Dominique Parti"),
        "boss": make_user(Role.ADMIN, email="cheffe@example.org", display_name="Claude Cheffe"),
    }
    found["elodie"].structure_id = tarnos.id
    found["elodie"].last_login_at = found["boss"].last_login_at = utcnow()
    found["off"].is_enabled = False
    db.session.commit()
    return found


def listed(client, query: str = "") -> set[str]:
    """The addresses the accounts list shows for `query`."""
    response = client.get("/admin/comptes" + query)
    assert response.status_code == 200, html(response)
    page = html(response)
    return {user.email for user in db.session.scalars(sa.select(User)) if user.email in page}


# --- the list ---------------------------------------------------------------------------------------

def test_the_list_shows_every_account_with_its_details_and_counts(admin_client, people):
    page = html(admin_client.get("/admin/comptes"))
    for user in [*people.values(), admin_client.user]:
        assert f"<td>{user.email}</td>" in page  # the admin's job: addresses are shown here
    assert "Élodie Durand" in page and "Médiathèque de Tarnos" in page
    assert "Animateur·rice" in page and "Administrateur·rice" in page
    assert "Désactivé" in page and "Jamais connecté·e" in page
    # The admin of admin_client never signed in through the form: 5 accounts, 2 signed in.
    assert "5 compte(s) : 2 actif(s), 2 jamais connecté·e(s), 1 désactivé(s)." in page
    assert f'href="/admin/comptes/{people["elodie"].id}"' in page


def test_the_list_filters_by_role_and_state(admin_client, people):
    me = admin_client.user.email
    assert listed(admin_client, "?role=contributor") == {"elodie.durand@example.org", "jamais-venu@example.org"}
    assert listed(admin_client, "?role=admin") == {"cheffe@example.org", me}
    assert listed(admin_client, "?state=deactivated") == {"desactive@example.org"}
    assert listed(admin_client, "?state=never_signed_in") == {"jamais-venu@example.org", me}
    assert listed(admin_client, "?state=active") == {"elodie.durand@example.org", "cheffe@example.org"}
    assert listed(admin_client, "?role=admin&state=active") == {"cheffe@example.org"}


@pytest.mark.parametrize("query, expected", [
    ("elodie", {"elodie.durand@example.org"}),  # the name has an É
    ("ÉLODIE", {"elodie.durand@example.org"}),
    ("MÉDIATHEQUE", {"elodie.durand@example.org"}),  # by structure, accents and case aside
    ("jamais-venu@", {"jamais-venu@example.org"}),  # by address
    ("parti", {"desactive@example.org"}),
    ("%", set()),  # a LIKE wildcard is a plain character
    ("personne-de-ce-nom", set()),
])
def test_the_list_searches_names_addresses_and_structures(admin_client, people, query, expected):
    from urllib.parse import quote

    assert listed(admin_client, "?q=" + quote(query)) == expected


def test_the_list_is_paged_and_pages_keep_the_filters(app, admin_client, make_user):
    app.config["ENTRIES_PER_PAGE"] = 2
    for n in range(4):
        make_user(Role.CONTRIBUTOR, email=f"page-{n}@example.org")
    first = html(admin_client.get("/admin/comptes?role=contributor"))
    assert "4 comptes trouvés" in first and "Page 1 sur 2" in first
    assert first.count("@example.org</td>") == 2
    assert 'href="/admin/comptes?page=2&amp;role=contributor"' in admin_client.get(
        "/admin/comptes?role=contributor").get_data(as_text=True)
    second = html(admin_client.get("/admin/comptes?role=contributor&page=2"))
    assert second.count("@example.org</td>") == 2 and admin_client.user.email not in second
    missing = admin_client.get("/admin/comptes?role=contributor&page=3")
    assert missing.status_code == 404 and "pages 1 à 2" in html(missing)


def test_an_unknown_filter_value_is_refused_in_french(admin_client, people):
    response = admin_client.get("/admin/comptes?role=emperor")
    assert response.status_code == 422
    page = html(response)
    assert "Ce choix n'est pas proposé." in page and "elodie.durand@example.org" not in page
    assert 'aria-describedby="role-error"' in page


# --- one account --------------------------------------------------------------------------------------

def test_the_account_page_shows_details_active_sessions_and_recent_events(app, admin_client, people):
    elodie = people["elodie"]
    sign_in(app, elodie)
    sign_in(app, elodie, remember=True)
    page = html(admin_client.get(f"/admin/comptes/{elodie.id}"))
    assert "Élodie Durand" in page and elodie.email in page and "Médiathèque de Tarnos" in page
    assert "<dt>Sessions actives</dt><dd>2</dd>" in page
    assert page.count("<th scope=\"row\">Connexion</th>") == 2
    assert f'href="/admin/journal?person={elodie.id}"' in page
    assert admin_client.get("/admin/comptes/999999").status_code == 404
    assert admin_client.get("/admin/comptes/99999999999").status_code == 404


def test_changing_a_role_is_written_and_logged(admin_client, people):
    elodie = people["elodie"]
    response = admin_client.post(f"/admin/comptes/{elodie.id}/role", data={"role": "facilitator"})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/comptes/{elodie.id}"
    assert fresh(elodie).role is Role.FACILITATOR
    [event] = events(AuditKind.ROLE_CHANGED)
    assert (event.actor_id, event.subject_id) == (admin_client.user.id, elodie.id)
    assert event.detail == '{"from": "contributor", "to": "facilitator"}'
    page = html(admin_client.get(response.headers["Location"]))
    assert "Élodie Durand a désormais le rôle « Animateur·rice »." in page
    assert "Rôle changé" in page and "avant : Contributeur·rice ; après : Animateur·rice" in page


def test_a_role_not_offered_changes_nothing(admin_client, people):
    elodie = people["elodie"]
    response = admin_client.post(f"/admin/comptes/{elodie.id}/role", data={"role": "emperor"})
    assert response.status_code == 422 and "Ce choix n'est pas proposé." in html(response)
    assert fresh(elodie).role is Role.CONTRIBUTOR and events(AuditKind.ROLE_CHANGED) == []


CONFIRMED = {"confirm": "yes"}


def test_deactivation_needs_the_box_ticked(app, admin_client, people):
    elodie = people["elodie"]
    laptop = sign_in(app, elodie)
    response = admin_client.post(f"/admin/comptes/{elodie.id}/desactiver")
    assert response.status_code == 422
    assert "Cochez la case de confirmation" in html(response)
    assert fresh(elodie).is_enabled and is_signed_in(laptop)
    assert events(AuditKind.ACCOUNT_DEACTIVATED) == []
    [attempt] = events(AuditKind.ADMIN_ACTION_REFUSED)
    assert attempt.subject_id == elodie.id and '"action": "deactivate"' in attempt.detail


def test_deactivation_signs_the_person_out_everywhere_at_once(app, admin_client, people):
    elodie = people["elodie"]
    laptop, phone = sign_in(app, elodie), sign_in(app, elodie, remember=True)
    stolen_session, stolen_remember = copy_of(app, laptop, "session"), copy_of(app, phone, "remember_token")
    assert all(is_signed_in(c) for c in (laptop, phone, stolen_session, stolen_remember))
    response = admin_client.post(f"/admin/comptes/{elodie.id}/desactiver", data=CONFIRMED)
    assert response.status_code == 302
    assert not any(is_signed_in(c) for c in (laptop, phone, stolen_session, stolen_remember))
    assert all(r.revoked_at is not None for r in records(elodie))  # the sessions themselves are ended
    assert not fresh(elodie).is_enabled
    assert app.test_client().post("/connexion", data={"email": elodie.email, "password": PASSWORD}).status_code == 422
    [event] = events(AuditKind.ACCOUNT_DEACTIVATED)
    assert (event.actor_id, event.subject_id, event.detail) == (admin_client.user.id, elodie.id,
                                                                '{"sessions_ended": 2}')
    assert "2 session(s) fermée(s)" in html(admin_client.get(f"/admin/comptes/{elodie.id}"))


def test_reactivation_lets_the_person_sign_in_again_but_not_with_old_cookies(app, admin_client, people):
    elodie = people["elodie"]
    old = sign_in(app, elodie, remember=True)
    stolen = copy_of(app, old, "remember_token")
    assert admin_client.post(f"/admin/comptes/{elodie.id}/desactiver", data=CONFIRMED).status_code == 302
    response = admin_client.post(f"/admin/comptes/{elodie.id}/reactiver")
    assert response.status_code == 302
    assert fresh(elodie).is_enabled
    assert not is_signed_in(old) and not is_signed_in(stolen)
    assert is_signed_in(sign_in(app, elodie))
    [event] = events(AuditKind.ACCOUNT_REACTIVATED)
    assert (event.actor_id, event.subject_id) == (admin_client.user.id, elodie.id)
    assert "Compte de Élodie Durand réactivé" in html(admin_client.get(response.headers["Location"]))


def test_the_last_active_admin_cannot_be_demoted(admin_client, people):
    """people["boss"] is the other active admin: demoting the current admin works once, then the
    boss (now the only one) cannot step down; a deactivated admin does not count."""
    boss = people["boss"]
    people["off"].role = Role.ADMIN  # a second, deactivated admin: still two active ones
    db.session.commit()
    demote_boss = admin_client.post(f"/admin/comptes/{boss.id}/role", data={"role": "facilitator"})
    assert demote_boss.status_code == 302 and fresh(boss).role is Role.FACILITATOR
    refused = admin_client.post(f"/admin/comptes/{admin_client.user.id}/role", data={"role": "contributor"})
    assert refused.status_code == 422
    page = html(refused)
    assert "est la dernière personne administratrice active" in page and "Rien n'a changé." in page
    assert 'role="alert"' in page
    assert fresh(admin_client.user).role is Role.ADMIN
    assert [e.subject_id for e in events(AuditKind.ROLE_CHANGED)] == [boss.id]
    assert admin_client.get("/admin/comptes").status_code == 200  # still an admin
    # The refused attempt stays in the journal, written apart from the rolled-back request.
    [attempt] = events(AuditKind.ADMIN_ACTION_REFUSED)
    assert (attempt.actor_id, attempt.subject_id) == (admin_client.user.id, admin_client.user.id)
    assert '"action": "change_role"' in attempt.detail and "dernière personne administratrice" in attempt.detail
    assert "Action d'administration refusée" in html(admin_client.get("/admin/journal?kind=admin_action_refused"))


def test_the_last_active_admin_cannot_be_deactivated(app, admin, contributor):
    """Only the service can be asked this (the last admin is the only one who could click, and
    deactivating oneself is refused first): it refuses, and the account stays enabled."""
    with pytest.raises(AccountError, match="dernière personne administratrice active"):
        manage.deactivate(admin, admin=contributor, now=utcnow(), is_confirmed=True)
    db.session.rollback()
    assert fresh(admin).is_enabled and events(AuditKind.ACCOUNT_DEACTIVATED) == []


def test_an_admin_cannot_deactivate_themself(admin_client, people):
    me = admin_client.user
    response = admin_client.post(f"/admin/comptes/{me.id}/desactiver")
    assert response.status_code == 422
    assert "Vous ne pouvez pas désactiver votre propre compte" in html(response)
    assert fresh(me).is_enabled and is_signed_in(admin_client)
    assert all(r.revoked_at is None for r in records(me))
    assert events(AuditKind.ACCOUNT_DEACTIVATED) == []
    page = html(admin_client.get(f"/admin/comptes/{me.id}"))
    assert "/desactiver" not in page  # not even offered


def test_an_admin_who_steps_down_leaves_the_admin_pages(admin_client, people):
    response = admin_client.post(f"/admin/comptes/{admin_client.user.id}/role", data={"role": "contributor"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert admin_client.get("/admin/comptes").status_code == 403


def test_deactivation_needs_the_csrf_token(app, admin_client, people):
    elodie = people["elodie"]
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert admin_client.post(f"/admin/comptes/{elodie.id}/desactiver", data=CONFIRMED).status_code == 400
        assert fresh(elodie).is_enabled
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- who may ---------------------------------------------------------------------------------------

ADMIN_ONLY = [("GET", "/admin/comptes"), ("GET", "/admin/comptes/{id}"), ("GET", "/admin/journal"),
              ("POST", "/admin/comptes/{id}/role"), ("POST", "/admin/comptes/{id}/desactiver"),
              ("POST", "/admin/comptes/{id}/reactiver")]


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.FACILITATOR])
def test_non_admins_are_refused_and_change_nothing(signed_in, make_user, people, role):
    visitor = signed_in(make_user(role))
    target = people["elodie"]
    for method, path in ADMIN_ONLY:
        response = visitor.open(path.format(id=target.id), method=method, data={"role": "admin"})
        assert response.status_code == 403, (method, path)
        assert "Administrateur·rice" in html(response)
    assert fresh(target).role is Role.CONTRIBUTOR and fresh(target).is_enabled
    assert events(AuditKind.ROLE_CHANGED) == events(AuditKind.ACCOUNT_DEACTIVATED) == []


def test_anonymous_visitors_are_sent_to_sign_in(client, people):
    target = people["elodie"]
    for method, path in ADMIN_ONLY:
        response = client.open(path.format(id=target.id), method=method, data={"role": "admin"})
        assert response.status_code == 302 and response.headers["Location"].startswith("/connexion"), (method, path)
    assert fresh(target).role is Role.CONTRIBUTOR and fresh(target).is_enabled


# --- the journal -----------------------------------------------------------------------------------

SUMMER = datetime(2026, 7, 1, 10, 0)  # naive UTC: 12:00 in Paris


@pytest.fixture
def journal(people, admin) -> dict[str, User]:
    """Events on three days around midnight in Paris (22:30 UTC on 30 June is 00:30 on 1 July)."""
    elodie, boss = people["elodie"], people["boss"]
    audit.record(AuditKind.SIGN_IN_FAILED, now=SUMMER - timedelta(days=1, hours=11, minutes=30),
                 subject_id=elodie.id, detail={"reason": "wrong_password"}, address_hash="f" * 32)
    audit.record(AuditKind.SIGNED_IN, now=SUMMER - timedelta(hours=11, minutes=30), actor_id=elodie.id,
                 subject_id=elodie.id, address_hash="e" * 32)
    audit.record(AuditKind.ROLE_CHANGED, now=SUMMER, actor_id=boss.id, subject_id=elodie.id,
                 detail={"from": "contributor", "to": "facilitator"})
    audit.record(AuditKind.SIGNED_IN, now=SUMMER + timedelta(days=1), actor_id=boss.id, subject_id=boss.id)
    db.session.commit()
    return people


def shown_kinds(client, query: str = "") -> list[str]:
    response = client.get("/admin/journal" + query)
    assert response.status_code == 200, html(response)
    page = html(response)
    return [cell.split("</th>", 1)[0] for cell in page.split('<th scope="row">')[1:]]


def test_the_journal_shows_newest_first_with_french_labels_and_no_address(app, signed_in, admin, journal):
    client = signed_in(admin)
    page = html(client.get("/admin/journal"))
    assert shown_kinds(client) == ["Connexion", "Rôle changé", "Connexion", "Échec de connexion"]
    assert "01/07/2026 12:00" in page  # Europe/Paris, summer time
    assert "Claude Cheffe" in page and "Élodie Durand" in page
    assert "avant : Contributeur·rice ; après : Animateur·rice" in page and "raison : wrong_password" in page
    assert "f" * 32 not in page and "e" * 32 not in page  # not even the hash of the address
    assert "@example.org" not in page  # people by name, never by address
    assert "gardés 365 jours" in page
    app.config["AUDIT_RETENTION_DAYS"] = 30
    assert "gardés 30 jours" in html(client.get("/admin/journal"))


def test_the_journal_filters_by_kind_person_and_dates(signed_in, admin, journal):
    client = signed_in(admin)
    elodie, boss = journal["elodie"], journal["boss"]
    assert shown_kinds(client, "?kind=signed_in") == ["Connexion", "Connexion"]
    assert shown_kinds(client, f"?person={boss.id}") == ["Connexion", "Rôle changé"]  # as actor, as subject
    assert shown_kinds(client, f"?person={elodie.id}") == ["Rôle changé", "Connexion", "Échec de connexion"]
    assert shown_kinds(client, f"?person={elodie.id}&kind=signed_in") == ["Connexion"]
    # Days are Paris days: 22:30 UTC on 30 June belongs to 1 July.
    assert shown_kinds(client, "?since=2026-07-01&until=2026-07-01") == ["Rôle changé", "Connexion"]
    assert shown_kinds(client, "?until=2026-06-30") == ["Échec de connexion"]
    assert shown_kinds(client, "?since=2026-07-02") == ["Connexion"]
    assert f'href="/admin/comptes/{boss.id}"' in html(client.get(f"/admin/journal?person={boss.id}"))


def test_the_journal_finds_a_person_by_name_address_or_structure(signed_in, admin, journal):
    client = signed_in(admin)
    elodie, boss = journal["elodie"], journal["boss"]
    mine = ["Rôle changé", "Connexion", "Échec de connexion"]
    assert shown_kinds(client, "?who=elodie") == mine  # accents and case aside
    assert shown_kinds(client, "?who=cheffe%40example.org") == ["Connexion", "Rôle changé"]
    assert shown_kinds(client, "?who=tarnos&kind=signed_in") == ["Connexion"]  # her structure, with the kind
    page = html(client.get("/admin/journal?who=elodie"))
    assert f'href="/admin/comptes/{elodie.id}"' in page
    assert f'name="person" value="{elodie.id}"' not in page  # the typed name stays the filter
    several = html(client.get("/admin/journal?who=example.org&kind=signed_in"))
    assert "Plusieurs comptes correspondent à « example.org » : choisissez." in several
    assert f'href="/admin/journal?person={boss.id}&kind=signed_in">Claude Cheffe</a>' in several
    assert f'href="/admin/journal?person={elodie.id}&kind=signed_in">Élodie Durand (Médiathèque de Tarnos)</a>' in several


def test_the_journal_says_when_nobody_matches(signed_in, admin, journal):
    response = signed_in(admin).get("/admin/journal?who=personne-inconnue")
    assert response.status_code == 422
    page = html(response)
    assert "Aucun compte ne correspond à « personne-inconnue »." in page and "Rôle changé</th>" not in page


@pytest.mark.parametrize("query, message", [
    ("?since=2026-07-02&until=2026-07-01", "La date de fin précède la date de début."),
    ("?person=abc", "Indiquez le numéro d'un compte"),
    ("?kind=everything", "Ce choix n'est pas proposé."),
    ("?since=2026-02-30", 'aria-describedby="since-error"'),
])
def test_the_journal_refuses_bad_filters_in_french(signed_in, admin, journal, query, message):
    response = signed_in(admin).get("/admin/journal" + query)
    assert response.status_code == 422
    page = html(response)
    assert message in page and 'role="alert"' in page and "Rôle changé</th>" not in page


def test_the_journal_is_paged_and_pages_keep_the_filters(app, signed_in, admin, journal):
    app.config["ENTRIES_PER_PAGE"] = 1
    client = signed_in(admin)
    first = client.get("/admin/journal?kind=signed_in").get_data(as_text=True)
    assert 'href="/admin/journal?page=2&amp;kind=signed_in"' in first
    assert shown_kinds(client, "?kind=signed_in&page=2") == ["Connexion"]
    assert client.get("/admin/journal?kind=signed_in&page=3").status_code == 404


def test_admin_actions_appear_in_the_journal(admin_client, people):
    elodie = people["elodie"]
    admin_client.post(f"/admin/comptes/{elodie.id}/role", data={"role": "facilitator"})
    admin_client.post(f"/admin/comptes/{elodie.id}/desactiver", data=CONFIRMED)
    admin_client.post(f"/admin/comptes/{elodie.id}/reactiver")
    kinds = shown_kinds(admin_client, f"?person={elodie.id}")
    assert kinds == ["Compte réactivé", "Compte désactivé", "Rôle changé"]


def test_the_admin_pages_are_linked_for_admins_only(admin_client, contributor_client):
    page = admin_client.get("/").get_data(as_text=True)
    assert 'href="/admin/comptes"' in page and 'href="/admin/journal"' in page
    other = contributor_client.get("/").get_data(as_text=True)
    assert "/admin/comptes" not in other and "/admin/journal" not in other


def test_a_refused_action_is_logged_and_changes_nothing(app, signed_in, make_user):
    """The matrix's rule: a refusal answers 403 in French and goes to the audit log, although
    the request itself is rolled back."""
    contributor = make_user()
    response = signed_in(contributor).post("/admin/invitations", data={"email": "x@example.org", "role": "admin"})
    assert response.status_code == 403 and "réservée au rôle" in response.get_data(as_text=True)
    db.session.expire_all()
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.kind == AuditKind.ACCESS_REFUSED)).one()
    assert event.actor_id == contributor.id and '"endpoint": "accounts.invitations_page"' in event.detail
    assert '"method": "POST"' in event.detail and event.address_hash and "127.0.0.1" not in event.detail
    # Anonymous visitors are sent to sign in, not logged.
    assert app.test_client().get("/admin/comptes").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.kind == AuditKind.ACCESS_REFUSED)) == 1
