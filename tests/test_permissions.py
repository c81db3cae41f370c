"""The permission matrix: every route, every role, answered as `commons.accounts.permissions` says.

Each route names the least role that may use it. Anonymous visitors reach only public routes
(a protected one sends them to the sign-in page), and a signed-in person below the route's
role gets a 403, on GET and on POST. A route missing from the matrix fails the first test:
adding a page means deciding who may see it.

The routes that carry, decide and follow up on a workshop's entries are WORKSHOP: the
facilitator role and admins everywhere, and a contributor assigned to facilitate *that*
workshop; a contributor facilitating another workshop is refused as any contributor is.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from commons.accounts.models import Role
from commons.editions.models import Workshop, WorkshopFacilitator
from commons.extensions import db

PUBLIC = None
WORKSHOP = "facilitators of the workshop"  # and Role.FACILITATOR and above, everywhere

# (endpoint, method) → the least role, or PUBLIC. Destructive routes come last: the loops below
# visit them in this order, and a route that runs (a deletion) must not hide the next ones.
MATRIX: dict[tuple[str, str], Role | str | None] = {
    ("editions.home", "GET"): PUBLIC,
    ("editions.editions", "GET"): PUBLIC,
    ("editions.edition", "GET"): PUBLIC,
    ("editions.workshop", "GET"): PUBLIC,
    ("entries.kinds", "GET"): PUBLIC,
    ("entries.by_kind", "GET"): PUBLIC,
    ("entries.tags", "GET"): PUBLIC,
    ("entries.by_tag", "GET"): PUBLIC,
    ("entries.recent_changes", "GET"): PUBLIC,
    ("entries.show", "GET"): PUBLIC,
    ("entries.history", "GET"): PUBLIC,
    ("entries.revision", "GET"): PUBLIC,
    ("entries.diff", "GET"): PUBLIC,
    ("lineage.entry_page", "GET"): PUBLIC,
    ("lineage.decisions_page", "GET"): PUBLIC,
    ("lineage.compare_index", "GET"): PUBLIC,
    ("lineage.compare", "GET"): PUBLIC,
    ("lineage.followup", "GET"): PUBLIC,
    ("syntheses.latest", "GET"): PUBLIC,  # published versions are public; drafts are not
    ("syntheses.version", "GET"): PUBLIC,
    ("syntheses.diff", "GET"): PUBLIC,
    ("search.results", "GET"): PUBLIC,
    ("api.editions", "GET"): PUBLIC,
    ("api.compare_editions", "GET"): PUBLIC,
    ("api.entry_lineage_json", "GET"): PUBLIC,
    ("api.search", "GET"): PUBLIC,
    ("accounts.login", "GET"): PUBLIC,
    ("accounts.login", "POST"): PUBLIC,
    ("accounts.join", "GET"): PUBLIC,
    ("accounts.join", "POST"): PUBLIC,
    ("accounts.forgot_password", "GET"): PUBLIC,
    ("accounts.forgot_password", "POST"): PUBLIC,
    ("accounts.choose_password", "GET"): PUBLIC,  # the link is the proof: whoever holds it
    ("accounts.choose_password", "POST"): PUBLIC,
    ("accounts.accept_invitation", "GET"): PUBLIC,
    ("accounts.accept_invitation", "POST"): PUBLIC,
    ("accounts.confirm_email", "GET"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("entries.create", "GET"): Role.CONTRIBUTOR,
    ("entries.create", "POST"): Role.CONTRIBUTOR,
    ("entries.edit", "GET"): Role.CONTRIBUTOR,
    ("entries.edit", "POST"): Role.CONTRIBUTOR,
    ("entries.revert", "POST"): Role.CONTRIBUTOR,
    ("lineage.carry", "GET"): Role.CONTRIBUTOR,  # a contributor proposes, a facilitator carries
    ("lineage.carry", "POST"): Role.CONTRIBUTOR,
    ("lineage.decide", "POST"): WORKSHOP,
    ("lineage.merge", "POST"): WORKSHOP,
    ("lineage.declare_new", "POST"): WORKSHOP,
    ("lineage.answer_proposal", "POST"): WORKSHOP,
    ("lineage.add_origin", "POST"): WORKSHOP,
    ("lineage.update_followup", "POST"): WORKSHOP,
    ("syntheses.draft", "GET"): WORKSHOP,
    ("syntheses.draft", "POST"): WORKSHOP,  # an empty arrangement: refused (422), nothing saved
    ("syntheses.publish_view", "POST"): WORKSHOP,  # publishes the next version of route_urls' synthesis
    # A workshop's resources: managed by those who decide there, downloaded by anyone.
    ("resources.download", "GET"): PUBLIC,
    ("resources.manage", "GET"): WORKSHOP,
    ("resources.add_link", "POST"): WORKSHOP,  # an empty form: refused (422), nothing added
    ("resources.upload", "POST"): WORKSHOP,  # no file: refused (422), nothing stored
    ("resources.move", "POST"): WORKSHOP,  # no direction: refused (422)
    ("resources.delete", "POST"): WORKSHOP,  # deletes route_urls' document: after its download
    ("editions.new_edition", "GET"): Role.FACILITATOR,
    ("editions.new_edition", "POST"): Role.FACILITATOR,
    ("editions.edit_edition", "GET"): Role.FACILITATOR,
    ("editions.edit_edition", "POST"): Role.FACILITATOR,
    ("editions.programme", "GET"): Role.FACILITATOR,
    ("editions.copy_programme_view", "POST"): Role.FACILITATOR,
    ("editions.new_workshop", "GET"): Role.FACILITATOR,
    ("editions.new_workshop", "POST"): Role.FACILITATOR,
    ("editions.edit_workshop", "GET"): Role.FACILITATOR,
    ("editions.edit_workshop", "POST"): Role.FACILITATOR,
    ("editions.assign_facilitator_view", "POST"): Role.FACILITATOR,  # nobody chosen: refused (422)
    ("editions.remove_facilitator_view", "POST"): Role.FACILITATOR,  # not one of them: refused (422)
    # The search vocabulary changes every search: admins only, not the organisers.
    ("search.synonym_list", "GET"): Role.ADMIN,
    ("search.new_synonym", "GET"): Role.ADMIN,
    ("search.new_synonym", "POST"): Role.ADMIN,
    ("search.edit_synonym", "GET"): Role.ADMIN,
    ("search.edit_synonym", "POST"): Role.ADMIN,
    ("search.delete_synonym", "POST"): Role.ADMIN,
    ("search.restore_synonyms", "POST"): Role.ADMIN,
    # Participants answer through the link, without an account (an empty form: refused, 422);
    # results are public (a "not yet" page while the questionnaire is open); admins open and close.
    ("feedback.answer", "GET"): PUBLIC,
    ("feedback.answer", "POST"): PUBLIC,
    ("feedback.results_page", "GET"): PUBLIC,
    ("feedback.manage", "GET"): Role.ADMIN,
    ("feedback.open_view", "POST"): Role.ADMIN,  # already open: refused (409)
    ("feedback.close_view", "POST"): Role.ADMIN,  # closes it: after the answer page
    ("editions.delete_edition_view", "POST"): Role.FACILITATOR,
    ("editions.delete_workshop_view", "POST"): Role.FACILITATOR,
    ("accounts.sessions_page", "GET"): Role.CONTRIBUTOR,  # every signed-in person, for their own sessions
    ("accounts.profile_page", "GET"): Role.CONTRIBUTOR,  # every signed-in person, for their own account
    ("accounts.change_password", "POST"): Role.CONTRIBUTOR,
    ("accounts.change_email", "POST"): Role.CONTRIBUTOR,
    ("accounts.my_data", "GET"): Role.CONTRIBUTOR,  # one's own data
    ("accounts.delete_account", "GET"): Role.CONTRIBUTOR,
    ("accounts.delete_account", "POST"): Role.CONTRIBUTOR,  # an empty form here: refused, nothing deleted
    ("accounts.privacy", "GET"): PUBLIC,
    ("entries.person", "GET"): PUBLIC,
    ("accounts.change_identity", "POST"): Role.CONTRIBUTOR,  # an empty form here: refused, nothing changed
    ("accounts.join_requests", "GET"): Role.ADMIN,
    ("accounts.approve_request", "POST"): Role.ADMIN,
    ("accounts.refuse_request", "POST"): Role.ADMIN,
    ("accounts.invitations_page", "GET"): Role.ADMIN,
    ("accounts.invitations_page", "POST"): Role.ADMIN,
    ("accounts.relay_links", "GET"): Role.ADMIN,
    ("accounts.admin_accounts", "GET"): Role.ADMIN,
    ("accounts.admin_account", "GET"): Role.ADMIN,
    ("accounts.audit_journal", "GET"): Role.ADMIN,
    ("accounts.change_role", "POST"): Role.ADMIN,  # with no role chosen: refused (422), nothing changes
    # Deactivating then reactivating route_urls' contributor leaves them as they were.
    ("accounts.deactivate_account", "POST"): Role.ADMIN,
    ("accounts.reactivate_account", "POST"): Role.ADMIN,
    # Confirming changes the contributor's address (the link is the proof): after the reads.
    ("accounts.confirm_email", "POST"): PUBLIC,
    # Ending sessions signs the visitor out: last but sign-out, which works signed out too.
    ("accounts.revoke_session", "POST"): Role.CONTRIBUTOR,
    ("accounts.revoke_all", "POST"): Role.CONTRIBUTOR,
    ("accounts.logout", "POST"): PUBLIC,
}


def test_every_route_is_in_the_matrix(app):
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == set(MATRIX)


def _refusal(response) -> str | None:
    if response.status_code == 403:
        return "403"
    if response.status_code == 302 and "/connexion" in response.headers.get("Location", ""):
        return "sign-in"
    return None


def _visit(client, urls: dict[str, str]) -> dict[tuple[str, str], str | None]:
    answers = {}
    for (endpoint, method), _role in MATRIX.items():
        with client.open(urls[endpoint], method=method, data={}) as response:
            answers[(endpoint, method)] = _refusal(response) or (
                str(response.status_code) if response.status_code >= 500 else None)
    return answers


def _expected(role: Role | None, *, facilitates_the_workshop: bool = False) -> dict:
    expected = {}
    for key, needed in MATRIX.items():
        if needed == WORKSHOP:
            needed = Role.CONTRIBUTOR if facilitates_the_workshop else Role.FACILITATOR
        if needed is None or (role is not None and role.rank >= needed.rank):
            expected[key] = None
        else:
            expected[key] = "sign-in" if role is None else "403"
    return expected


@pytest.mark.parametrize("role", [None, Role.CONTRIBUTOR, Role.FACILITATOR, Role.ADMIN],
                         ids=["anonymous", "contributor", "facilitator", "admin"])
def test_each_role_reaches_exactly_its_routes(app, client, signed_in, make_user, route_urls, role):
    visitor = client if role is None else signed_in(make_user(role))
    assert _visit(visitor, route_urls) == _expected(role)


def _assign(user, workshop: Workshop) -> None:
    db.session.add(WorkshopFacilitator(workshop_id=workshop.id, user_id=user.id))
    db.session.commit()


@pytest.mark.parametrize("is_that_workshop", [True, False], ids=["that-workshop", "another-workshop"])
def test_a_workshop_facilitator_decides_on_that_workshop_only(app, signed_in, make_user, route_urls,
                                                              is_that_workshop):
    """Every WORKSHOP route of route_urls acts on one workshop (the decisions page's, or that of
    the entry followed up): its facilitator reaches them, another workshop's does not."""
    slug = route_urls["lineage.decisions_page"].split("/")[4]
    acted_on = db.session.scalar(sa.select(Workshop).where(Workshop.slug == slug,
                                                           Workshop.edition.has(slug="nec-sud-ouest-2024")))
    other = db.session.scalar(sa.select(Workshop).where(Workshop.id != acted_on.id).order_by(Workshop.id))
    person = make_user(Role.CONTRIBUTOR)
    _assign(person, acted_on if is_that_workshop else other)
    answers = _visit(signed_in(person), route_urls)
    assert answers == _expected(Role.CONTRIBUTOR, facilitates_the_workshop=is_that_workshop)
