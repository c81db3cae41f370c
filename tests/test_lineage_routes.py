"""Lineage pages over HTTP: who may carry, propose, decide and read; refusals change nothing."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from commons.editions.models import Edition, Workshop
from commons.entries.models import Entry, EntryStatus
from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage.models import ActionStatus, CarryProposal, Decision, LineageLink, ProposalStatus
from commons.lineage.services import carry_entries


@pytest.fixture
def setup(make_edition, make_workshop, make_entry):
    e23, e24 = make_edition(2023), make_edition(2024)
    w23, w24 = make_workshop(e23), make_workshop(e24)
    entries = {t: make_entry(e23, t, workshop=w23, position=i) for i, t in enumerate(
        ["Accueil inconditionnel", "Écoute et bienveillance", "Posture de neutralité"])}
    entries["Pédagogie"] = make_entry(e23, "Pédagogie", kind=EntryKind.SAVOIR, workshop=w23)
    entries["Créer des trousses à projet"] = make_entry(e23, "Créer des trousses à projet", kind=EntryKind.ACTION,
                                                        workshop=w23)
    return {"e23": e23, "e24": e24, "w23": w23, "w24": w24, "entries": entries}


CARRY = "/editions/nec-sud-ouest-2024/ateliers/les-communs-de-la-mediation-numerique/reprise"
DECISIONS = "/editions/nec-sud-ouest-2024/ateliers/les-communs-de-la-mediation-numerique/decisions"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def carry_all(setup):
    links = carry_entries(list(setup["entries"].values()), target=setup["w24"], author=None)
    db.session.commit()
    return {link.source.title: link for link in links}


def test_anonymous_reads_but_cannot_carry(client, setup):
    assert client.get(DECISIONS).status_code == 200
    response = client.get(CARRY)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert client.post(CARRY, data={"source": setup["w23"].id, "mode": "all"}).status_code == 302
    assert count(LineageLink) == 0


def test_carry_page_lists_the_previous_workshop(facilitator_client, setup):
    html = facilitator_client.get(CARRY).get_data(as_text=True).replace("&#39;", "'")
    assert "Accueil inconditionnel" in html and "NEC Sud-Ouest 2023 — Les communs" in html
    assert 'name="entries"' in html


def test_facilitator_carries_a_hand_picked_set(facilitator_client, setup):
    ids = [setup["entries"]["Accueil inconditionnel"].id, setup["entries"]["Pédagogie"].id]
    response = facilitator_client.post(CARRY, data={"source": setup["w23"].id, "mode": "selected", "entries": ids})
    assert response.status_code == 302 and response.headers["Location"].endswith("/decisions")
    assert sorted(l.source_entry_id for l in db.session.scalars(sa.select(LineageLink))) == sorted(ids)
    page = facilitator_client.get(DECISIONS).get_data(as_text=True).replace("&#39;", "'")
    assert "2 fiche(s) reprise(s)" in page and "À décider" in page
    # The same entry again: refused with a clear message, nothing added.
    again = facilitator_client.post(CARRY, data={"source": setup["w23"].id, "mode": "selected", "entries": ids[:1]})
    assert again.status_code == 422
    assert "a déjà été reprise dans NEC Sud-Ouest 2024" in again.get_data(as_text=True).replace("&#39;", "'")
    assert count(LineageLink) == 2


def test_facilitator_carries_one_kind(facilitator_client, setup):
    response = facilitator_client.post(CARRY, data={"source": setup["w23"].id, "mode": "kind", "kind": "valeur"})
    assert response.status_code == 302
    assert count(LineageLink) == 3


def test_carrying_from_a_workshop_not_offered_is_refused(facilitator_client, setup):
    # The 2024 workshop itself is not a source for 2024: no fallback to another workshop.
    for source in (setup["w24"].id, 987654, "abc"):
        response = facilitator_client.post(CARRY, data={"source": source, "mode": "all"})
        assert response.status_code == 422
    assert count(LineageLink) == 0 and count(Entry) == 5


def test_carrying_a_vanished_entry_is_refused(facilitator_client, setup):
    response = facilitator_client.post(CARRY, data={"source": setup["w23"].id, "mode": "selected",
                                                    "entries": [setup["entries"]["Pédagogie"].id, 424242]})
    assert response.status_code == 422
    assert "n'existe plus : n° 424242" in response.get_data(as_text=True).replace("&#39;", "'")
    assert count(LineageLink) == 0 and count(Entry) == 5


def test_contributor_proposes_and_facilitator_accepts(contributor_client, facilitator_client, setup):
    entry = setup["entries"]["Accueil inconditionnel"]
    response = contributor_client.post(CARRY, data={"source": setup["w23"].id, "mode": "selected",
                                                    "entries": [entry.id], "note": "À garder"})
    assert response.status_code == 302
    assert count(LineageLink) == 0
    proposal = db.session.scalar(sa.select(CarryProposal))
    assert proposal.status is ProposalStatus.PENDING and proposal.note == "À garder"
    # A contributor cannot answer, nor decide.
    url = f"{DECISIONS.rsplit('/', 1)[0]}/propositions/{proposal.id}/accepter"
    assert contributor_client.post(url).status_code == 403
    assert facilitator_client.post(url).status_code == 302
    db.session.expire_all()
    assert proposal.status is ProposalStatus.ACCEPTED and count(LineageLink) == 1


def test_contributor_cannot_decide(contributor_client, setup):
    link = carry_all(setup)["Accueil inconditionnel"]
    assert contributor_client.post(f"{DECISIONS}/{link.id}/reconduire").status_code == 403
    db.session.expire_all()
    assert link.decision is Decision.PENDING


def test_every_decision_through_the_page(facilitator_client, setup):
    links = carry_all(setup)
    keep, reword = links["Accueil inconditionnel"], links["Pédagogie"]
    assert facilitator_client.post(f"{DECISIONS}/{keep.id}/reconduire").status_code == 302
    response = facilitator_client.post(f"{DECISIONS}/{reword.id}/reformuler", data={
        f"reword-{reword.id}-title": "Pédagogie active", f"reword-{reword.id}-body": "",
        f"reword-{reword.id}-base_revision": reword.target.revision_number})
    assert response.status_code == 302
    merge = [links["Écoute et bienveillance"].id, links["Posture de neutralité"].id]
    assert facilitator_client.post(f"{DECISIONS}/fusion", data={"links": merge, "title": "Écoute et neutralité"}
                                   ).status_code == 302
    action = links["Créer des trousses à projet"]
    assert facilitator_client.post(f"{DECISIONS}/{action.id}/realiser", data={
        f"realise-{action.id}-evidence": "12 trousses prêtées"}).status_code == 302
    db.session.expire_all()
    assert keep.decision is Decision.KEPT and reword.decision is Decision.REWORDED
    assert reword.target.title == "Pédagogie active"
    assert {db.session.get(LineageLink, i).decision for i in merge} == {Decision.MERGED}
    assert action.decision is Decision.REALISED
    page = facilitator_client.get(DECISIONS).get_data(as_text=True).replace("&#39;", "'")
    assert "Reconduit" in page and "12 trousses prêtées" in page


def test_drop_without_reason_is_422_and_keeps_the_entry(facilitator_client, setup):
    link = carry_all(setup)["Posture de neutralité"]
    response = facilitator_client.post(f"{DECISIONS}/{link.id}/abandonner", data={f"drop-{link.id}-reason": "  "})
    assert response.status_code == 422
    assert "Indiquez pourquoi cette fiche est abandonnée." in response.get_data(as_text=True).replace("&#39;", "'")
    db.session.expire_all()
    assert link.decision is Decision.PENDING and link.target.status is EntryStatus.PUBLISHED


def test_merge_of_different_kinds_is_422(facilitator_client, setup):
    links = carry_all(setup)
    ids = [links["Accueil inconditionnel"].id, links["Pédagogie"].id]
    response = facilitator_client.post(f"{DECISIONS}/fusion", data={"links": ids})
    assert response.status_code == 422
    assert "natures différentes" in response.get_data(as_text=True).replace("&#39;", "'")
    db.session.expire_all()
    assert {db.session.get(LineageLink, i).decision for i in ids} == {Decision.PENDING}


def test_split_keeps_the_users_text_on_error(facilitator_client, setup):
    link = carry_all(setup)["Pédagogie"]
    response = facilitator_client.post(f"{DECISIONS}/{link.id}/scinder",
                                       data={f"split-{link.id}-titles": "Une seule partie très précise"})
    assert response.status_code == 422
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert "au moins deux fiches" in html and "Une seule partie très précise" in html


def test_lineage_partial_and_page(client, setup):
    link = carry_all(setup)["Accueil inconditionnel"]
    html = client.get(f"/fiches/{link.target_entry_id}/filiation").get_data(as_text=True).replace("&#39;", "'")
    assert "NEC Sud-Ouest 2023" in html and "NEC Sud-Ouest 2024" in html and "À décider" in html
    assert "Journal des décisions" in html
    assert client.get("/fiches/999999/filiation").status_code == 404
    # The entry page (entries package) ends with the lineage partial.
    entry_page = client.get(f"/fiches/{link.target_entry_id}").get_data(as_text=True).replace("&#39;", "'")
    assert "Toute la filiation" in entry_page and "NEC Sud-Ouest 2023" in entry_page


def test_followup_page_lists_actions_and_facilitator_updates(facilitator_client, client, setup):
    link = carry_all(setup)["Créer des trousses à projet"]
    html = client.get("/actions/suivi").get_data(as_text=True).replace("&#39;", "'")
    assert "Créer des trousses à projet" in html and "Proposée" in html and "NEC Sud-Ouest 2023" in html
    prefix = f"suivi-{link.target_entry_id}"
    assert client.post(f"/actions/suivi/{link.target_entry_id}").status_code == 302  # anonymous → sign in
    response = facilitator_client.post(f"/actions/suivi/{link.target_entry_id}", data={
        f"{prefix}-status": "en_cours", f"{prefix}-owner": 0, f"{prefix}-note": "Lancée", f"{prefix}-base_version": 0})
    assert response.status_code == 302
    html = client.get("/actions/suivi?statut=en_cours").get_data(as_text=True).replace("&#39;", "'")
    assert "Créer des trousses à projet" in html
    # The 2023 origin is not listed twice: only the head of each lineage is.
    assert html.count("Créer des trousses à projet</a>") == 1
    assert ActionStatus.IN_PROGRESS.label == "En cours"


def test_compare_page_counts(client, setup, facilitator):
    from commons.lineage import decisions

    links = carry_all(setup)
    decisions.keep(links["Accueil inconditionnel"], actor=facilitator)
    decisions.reword(links["Pédagogie"], actor=facilitator, title="Pédagogie active", body="",
                     base_revision=links["Pédagogie"].target.revision_number)
    db.session.commit()
    html = (client.get("/editions/nec-sud-ouest-2023/comparer/nec-sud-ouest-2024")
            .get_data(as_text=True).replace("&#39;", "'"))
    assert "<del>Pédagogie</del>" not in html  # same first word: the diff marks the added word only
    assert re.search(r"<ins>(?:(?!</ins>).)*active(?:(?!</ins>).)*</ins>", html, re.S)
    assert "Reconduits (1)" in html and "Reformulés (1)" in html
    assert client.get("/editions/nec-sud-ouest-2023/comparer/inconnue").status_code == 404


HUGE = "9" * 25  # no integer column holds it: asking the database would overflow


@pytest.mark.parametrize("url, message", [
    (f"/fiches/{HUGE}/filiation", "Cette fiche n'existe pas"),
    (f"{DECISIONS}/{HUGE}/reconduire", "Cette décision n'est pas proposée"),
    (f"{DECISIONS}/nouvelle/{HUGE}", "Cette fiche n'est pas dans cet atelier"),
    (f"{DECISIONS.rsplit('/', 1)[0]}/propositions/{HUGE}/accepter", "Cette proposition de reprise n'existe pas"),
    (f"/actions/suivi/{HUGE}", "Cette fiche n'existe pas"),
])
def test_ids_past_the_integer_range_are_unknown(facilitator_client, setup, url, message):
    response = facilitator_client.post(url, data={})
    assert response.status_code == 404
    assert message in response.get_data(as_text=True).replace("&#39;", "'")


def test_huge_ids_in_forms_are_refused_in_french(facilitator_client, setup):
    response = facilitator_client.post(CARRY, data={"source": setup["w23"].id, "mode": "selected", "entries": [HUGE]})
    assert response.status_code == 422 and "Cette fiche n&#39;existe plus" in response.get_data(as_text=True)
    response = facilitator_client.post(f"{DECISIONS}/fusion", data={"links": [HUGE, "1"]})
    assert response.status_code == 422 and "plus dans cet atelier" in response.get_data(as_text=True)
    entry = setup["entries"]["Pédagogie"]
    response = facilitator_client.post(f"/fiches/{entry.id}/filiation", data={"source_id": HUGE})
    assert response.status_code == 422 and "Cette fiche n&#39;existe plus" in response.get_data(as_text=True)
    assert count(LineageLink) == 0


def test_a_base_revision_in_unicode_digits_is_a_conflict(facilitator_client, setup):
    reword = carry_all(setup)["Pédagogie"]
    response = facilitator_client.post(f"{DECISIONS}/{reword.id}/reformuler", data={
        f"reword-{reword.id}-title": "Pédagogie active", f"reword-{reword.id}-base_revision": "²"})
    assert response.status_code == 409
    db.session.expire_all()
    assert reword.decision is Decision.PENDING and reword.target.title == "Pédagogie"


# --- regressions -----------------------------------------------------------------------------------

def test_a_stale_follow_up_form_does_not_replace_a_newer_note(facilitator_client, signed_in, make_user, setup):
    from commons.accounts.models import Role
    from commons.lineage.models import ActionFollowUp

    link = carry_all(setup)["Créer des trousses à projet"]
    prefix, url = f"suivi-{link.target_entry_id}", f"/actions/suivi/{link.target_entry_id}"
    other = signed_in(make_user(Role.FACILITATOR))
    # Both opened the page at version 0; the other one saves first.
    assert other.post(url, data={f"{prefix}-status": "en_cours", f"{prefix}-owner": 0,
                                 f"{prefix}-note": "Lancée avec trois écoles", f"{prefix}-base_version": 0}
                      ).status_code == 302
    response = facilitator_client.post(url, data={f"{prefix}-status": "abandonnee", f"{prefix}-owner": 0,
                                                  f"{prefix}-note": "Plus d'actualité", f"{prefix}-base_version": 0})
    assert response.status_code == 409
    assert "a été modifié entre-temps" in response.get_data(as_text=True).replace("&#39;", "'")
    db.session.expire_all()
    row = db.session.scalar(sa.select(ActionFollowUp).where(ActionFollowUp.entry_id == link.target_entry_id))
    assert (row.status, row.note) == (ActionStatus.IN_PROGRESS, "Lancée avec trois écoles")
    response = facilitator_client.post(url, data={f"{prefix}-status": "abandonnee", f"{prefix}-owner": 0,
                                                  f"{prefix}-note": "", f"{prefix}-base_version": "9" * 310})
    assert response.status_code == 422


def test_a_selected_carry_takes_only_entries_the_source_offers(facilitator_client, setup, make_workshop,
                                                               make_entry):
    """Naming the id of an archived entry of another workshop once carried it all the same."""
    other = make_workshop(setup["e23"], "Un autre atelier", slug="autre")
    foreign = make_entry(setup["e23"], "Fiche d'un autre atelier", workshop=other)
    archived = make_entry(setup["e23"], "Fiche archivée", workshop=setup["w23"])
    archived.status = EntryStatus.ARCHIVED
    db.session.commit()
    for intruder in (foreign, archived):
        response = facilitator_client.post(CARRY, data={"source": setup["w23"].id, "mode": "selected",
                                                        "entries": [setup["entries"]["Pédagogie"].id, intruder.id]})
        assert response.status_code == 422
        assert "n'est pas une fiche publiée de l'atelier d'origine" in response.get_data(as_text=True).replace(
            "&#39;", "'")
    assert count(LineageLink) == 0 and count(Entry) == 7


def test_the_carry_page_nests_sub_items_under_their_own_parent(facilitator_client, demo):
    """In the report, "Vulgariser" belongs to "Transmettre des savoirs, des compétences", not to
    the last parent listed before it ("Veille professionnelle")."""
    from html.parser import HTMLParser

    class Nesting(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack: list[list[str]] = []
            self.parents: dict[str, list[str]] = {}
            self.in_label = False

        def handle_starttag(self, tag, attrs):
            if tag == "li":
                self.stack.append([])
            self.in_label = tag == "label" and bool(self.stack)

        def handle_endtag(self, tag):
            if tag == "li" and self.stack:
                self.stack.pop()
            self.in_label = False

        def handle_data(self, data):
            if self.in_label and data.strip():
                self.stack[-1].append(data.strip())
                self.parents[data.strip()] = [labels[0] for labels in self.stack[:-1] if labels]

    source = db.session.scalar(sa.select(Workshop.id).join(Workshop.edition).where(
        Edition.slug == "nec-sud-ouest-2023", Workshop.slug == "les-communs-de-la-mediation-numerique"))
    page = facilitator_client.get(f"{CARRY}?source={source}").get_data(as_text=True)
    nesting = Nesting()
    nesting.feed(page.replace("&#39;", "'"))
    assert nesting.parents["Vulgariser"] == ["Transmettre des savoirs, des compétences"]
    assert nesting.parents["Travailler en réseaux : entraide, partage et solidarité"] == [
        "Transmettre des savoirs, des compétences"]
    assert nesting.parents["Veille professionnelle : curiosité, étendre sa culture numérique"] == []


def test_a_decision_writes_no_revision_and_is_told_in_the_history(facilitator_client, client, setup):
    """A decision once wrote a revision identical to the one before: "restore version 1" then
    answered "no change", and the home page listed the entry twice among the latest changes."""
    link = carry_all(setup)["Accueil inconditionnel"]
    assert facilitator_client.post(f"{DECISIONS}/{link.id}/reconduire").status_code == 302
    db.session.expire_all()
    entry = db.session.get(Entry, link.target_entry_id)
    assert entry.revision_number == 1 and len(entry.revisions) == 1
    history = client.get(f"/fiches/{entry.id}/historique").get_data(as_text=True)
    assert "Décision : reconduit" in history and "Décisions et événements" in history
    home = client.get("/").get_data(as_text=True)
    changes = home[home.index("Dernières modifications"):]
    assert changes.count(f'href="/fiches/{entry.id}"') == 1


def test_an_origin_number_of_310_digits_is_a_french_422(facilitator_client, setup):
    entry = setup["entries"]["Pédagogie"]
    response = facilitator_client.post(f"/fiches/{entry.id}/filiation", data={"source_id": "9" * 310})
    assert response.status_code == 422
    assert "Cette fiche n'existe plus" in response.get_data(as_text=True).replace("&#39;", "'")
    assert count(LineageLink) == 0
