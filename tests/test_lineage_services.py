"""Carrying entries and deciding on them: every decision, every refusal (which must change nothing)."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from commons.entries.models import Entry, EntryStatus, Revision
from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage import decisions
from commons.lineage.models import (
    ActionFollowUp,
    ActionStatus,
    Carry,
    CarryProposal,
    Decision,
    DecisionLog,
    LineageLink,
    ProposalStatus,
)
from commons.lineage.services import (
    LineageError,
    accept_proposal,
    carry_entries,
    load_entries,
    propose_carry,
    refuse_proposal,
    select_sources,
)


@pytest.fixture
def two_editions(make_edition, make_workshop, make_entry):
    e23 = make_edition(2023)
    e24 = make_edition(2024, place="Pau")
    w23 = make_workshop(e23)
    w24 = make_workshop(e24)
    school23 = make_workshop(e23, "Quelles passerelles entre la médiation numérique et l'école ?", slug="passerelles")
    values = [make_entry(e23, t, workshop=w23, position=i, tags=["posture"]) for i, t in enumerate(
        ["Écoute et bienveillance", "Accueil inconditionnel", "Posture de neutralité",
         "Accompagner à l'autonomie et l'encapacitation"])]
    parent = make_entry(e23, "Transmettre des savoirs, des compétences", workshop=w23, position=5)
    child = make_entry(e23, "Vulgariser", workshop=w23, parent=parent)
    savoir = make_entry(e23, "Pédagogie", kind=EntryKind.SAVOIR, workshop=w23)
    action = make_entry(e23, "Créer des trousses à projet", kind=EntryKind.ACTION, workshop=school23)
    return {"e23": e23, "e24": e24, "w23": w23, "w24": w24, "school23": school23, "values": values,
            "parent": parent, "child": child, "savoir": savoir, "action": action}


def snapshot() -> tuple:
    """Everything a lineage operation may touch, to prove a refusal changed nothing."""
    def rows(model, *cols):
        return sorted(tuple(getattr(r, c) for c in cols) for r in db.session.scalars(sa.select(model)))

    db.session.expire_all()
    return (
        rows(Entry, "id", "title", "body", "status", "revision_number", "parent_id", "edition_id"),
        rows(Revision, "id"), rows(LineageLink, "id", "source_entry_id", "target_entry_id", "decision"),
        rows(Carry, "id"), rows(DecisionLog, "id"), rows(CarryProposal, "id", "status"),
        rows(ActionFollowUp, "id", "status"),
    )


def refused(fn, *args, match: str, **kwargs) -> None:
    before = snapshot()
    with pytest.raises(LineageError, match=match):
        fn(*args, **kwargs)
    db.session.rollback()
    assert snapshot() == before


def history(entry) -> list[str]:
    """The entry's history events, oldest first, as the history page lists them."""
    from commons.entries.history import events_of

    return [event.summary for event in events_of(entry)]


def carry(sources, target, author=None):
    links = carry_entries(sources, target=target, author=author)
    db.session.commit()
    return links


# --- carrying --------------------------------------------------------------------------------

def test_carry_a_whole_workshop_keeps_sub_items_under_their_parent(two_editions, facilitator):
    d = two_editions
    links = carry(select_sources(d["w23"]), d["w24"], facilitator)
    assert len(links) == 7
    copies = {link.source.title: link.target for link in links}
    assert copies["Vulgariser"].parent is copies["Transmettre des savoirs, des compétences"]
    copy = copies["Accueil inconditionnel"]
    assert copy.edition is d["e24"] and copy.workshop is d["w24"] and copy.tag_names == ["posture"]
    assert copy.revisions[0].summary == "Reprise de NEC Sud-Ouest 2023"
    assert copy.revisions[0].author is facilitator
    assert all(link.decision is Decision.PENDING for link in links)
    # The origin is untouched: a carry is a link, not a move.
    assert d["values"][1].edition is d["e23"] and d["values"][1].revision_number == 1


def test_carry_one_kind_only(two_editions):
    d = two_editions
    links = carry(select_sources(d["w23"], kind=EntryKind.SAVOIR), d["w24"])
    assert [link.target.title for link in links] == ["Pédagogie"]


def test_carrying_an_action_carries_its_follow_up(two_editions, make_workshop):
    d = two_editions
    db.session.add(ActionFollowUp(entry=d["action"], status=ActionStatus.IN_PROGRESS))
    db.session.commit()
    school24 = make_workshop(d["e24"], "Passerelles", slug="passerelles")
    link = carry([d["action"]], school24)[0]
    followup = db.session.scalar(sa.select(ActionFollowUp).where(ActionFollowUp.entry_id == link.target_entry_id))
    assert followup.status is ActionStatus.IN_PROGRESS


def test_carrying_twice_into_the_same_edition_is_refused(two_editions):
    d = two_editions
    carry([d["values"][0]], d["w24"])
    refused(carry_entries, [d["values"][0], d["values"][1]], target=d["w24"], author=None,
            match="« Écoute et bienveillance » a déjà été reprise dans NEC Sud-Ouest 2024")


def test_carrying_into_the_same_edition_is_refused(two_editions, make_workshop):
    d = two_editions
    other = make_workshop(d["e23"], "Autre atelier")
    refused(carry_entries, [d["values"][0]], target=other, author=None, match="propre édition")


def test_carrying_into_an_earlier_edition_is_refused(two_editions, make_edition, make_workshop):
    d = two_editions
    past = make_workshop(make_edition(2022))
    refused(carry_entries, [d["values"][0]], target=past, author=None, match="n'est pas postérieure")


def test_carrying_an_entry_that_no_longer_exists_is_refused(two_editions):
    d = two_editions
    refused(load_entries, [d["values"][0].id, 999_999], match="n'existe plus : n° 999999")
    refused(load_entries, ["abc"], match="invalide")
    refused(carry_entries, [], target=d["w24"], author=None, match="Aucune fiche")


def test_carrying_back_into_an_ancestors_edition_is_a_cycle(two_editions, make_workshop):
    d = two_editions
    target = carry([d["values"][0]], d["w24"])[0].target
    # 2023 is re-dated after 2024: the edition order alone would now allow carrying back.
    d["e23"].starts_on, d["e23"].year = date(2025, 6, 6), 2025
    db.session.commit()
    refused(carry_entries, [target], target=d["w23"], author=None, match="cycle")


# --- proposals ---------------------------------------------------------------------------------

def test_contributor_proposes_facilitator_accepts_or_refuses(two_editions, contributor, facilitator):
    d = two_editions
    first, second = propose_carry(d["values"][:2], target=d["w24"], author=contributor, note="À reprendre")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Carry.id))) == 0
    refused(propose_carry, [d["values"][0]], target=d["w24"], author=contributor, match="déjà proposée")
    link = accept_proposal(first, actor=facilitator)
    refuse_proposal(second, actor=facilitator, reason="Déjà couvert")
    db.session.commit()
    assert first.status is ProposalStatus.ACCEPTED and link.source is d["values"][0]
    assert second.status is ProposalStatus.REFUSED and second.refusal_reason == "Déjà couvert"
    refused(accept_proposal, second, actor=facilitator, match="déjà reçu une réponse")


# --- decisions ---------------------------------------------------------------------------------

@pytest.fixture
def carried(two_editions):
    d = two_editions
    links = carry(d["values"] + [d["savoir"]], d["w24"])
    return {link.source.title: link for link in links}


def test_keep(carried, facilitator):
    link = carried["Accueil inconditionnel"]
    decisions.keep(link, actor=facilitator)
    db.session.commit()
    assert link.decision is Decision.KEPT and link.decided_by is facilitator and link.decided_at
    # A decision is in the entry's history, as an event: it writes no content revision.
    assert history(link.target)[-1] == "Décision : reconduit" and link.target.revision_number == 1
    log = db.session.scalars(sa.select(DecisionLog).where(DecisionLog.entry_id == link.target_entry_id)
                          .order_by(DecisionLog.id)).all()  # PostgreSQL returns rows in no set order
    assert [row.decision for row in log] == [Decision.PENDING, Decision.KEPT] and log[-1].actor_id == facilitator.id
    refused(decisions.keep, link, actor=facilitator, match="déjà été prise")


def test_reword_revises_the_copy_and_keeps_the_origin(carried, facilitator):
    link = carried["Écoute et bienveillance"]
    target = link.target
    decisions.reword(link, actor=facilitator, title="Écoute active et bienveillance", body="Écouter d'abord.",
                     base_revision=target.revision_number)
    db.session.commit()
    assert link.decision is Decision.REWORDED and link.source.title == "Écoute et bienveillance"
    assert target.title == "Écoute active et bienveillance"
    assert target.revisions[-1].summary == "Reformulation (décision : reformulé)"


def test_reword_refuses_no_change_stale_base_and_bad_title(carried, facilitator):
    link = carried["Posture de neutralité"]
    refused(decisions.reword, link, actor=facilitator, title=link.target.title, body=link.target.body,
            base_revision=link.target.revision_number, match="identique")
    refused(decisions.reword, link, actor=facilitator, title="x" * 300, body="",
            base_revision=link.target.revision_number, match="200 caractères")


def test_merge_links_every_origin_to_one_entry(carried, facilitator):
    a, b = carried["Écoute et bienveillance"], carried["Posture de neutralité"]
    absorbed = b.target
    keeper = decisions.merge([a, b], actor=facilitator, title="Écoute bienveillante et neutralité")
    db.session.commit()
    assert keeper is a.target and keeper.title == "Écoute bienveillante et neutralité"
    assert a.target is keeper and b.target is keeper
    assert {a.decision, b.decision} == {Decision.MERGED}
    assert absorbed.status is EntryStatus.ARCHIVED
    assert "fusionné dans « Écoute bienveillante et neutralité » ; fiche archivée" in history(absorbed)[-1]
    assert absorbed.revision_number == 1  # archived by the decision, its content unchanged
    assert {"« Écoute et bienveillance » fusionné", "« Posture de neutralité » fusionné"} <= {
        event.split(" dans ")[0].removeprefix("Décision : fusionné — ") for event in history(keeper)}
    assert keeper.revisions[-1].summary == "Nouvelle formulation après fusion"


def test_merge_refuses_different_kinds_and_single_entries(carried, facilitator):
    refused(decisions.merge, [carried["Accueil inconditionnel"], carried["Pédagogie"]], actor=facilitator,
            match="natures différentes")
    refused(decisions.merge, [carried["Accueil inconditionnel"]], actor=facilitator, match="au moins deux")


def test_split_makes_several_entries_from_one_origin(carried, facilitator):
    link = carried["Accompagner à l'autonomie et l'encapacitation"]
    parts = decisions.split(link, actor=facilitator,
                            titles=["Accompagner vers l'autonomie", "Favoriser le pouvoir d'agir"])
    db.session.commit()
    assert [p.title for p in parts] == ["Accompagner vers l'autonomie", "Favoriser le pouvoir d'agir"]
    links = db.session.scalars(sa.select(LineageLink).where(LineageLink.source_entry_id == link.source_entry_id)).all()
    assert {l.target_entry_id for l in links} == {p.id for p in parts}
    assert {l.decision for l in links} == {Decision.SPLIT}
    refused(decisions.split, carried["Pédagogie"], actor=facilitator, titles=["Une seule"], match="au moins deux")


def test_drop_requires_a_reason_and_archives(carried, facilitator):
    link = carried["Posture de neutralité"]
    refused(decisions.drop, link, actor=facilitator, reason="   ", match="pourquoi")
    decisions.drop(link, actor=facilitator, reason="Rejoint « Écoute et bienveillance »")
    db.session.commit()
    assert link.decision is Decision.DROPPED and link.reason == "Rejoint « Écoute et bienveillance »"
    assert link.target.status is EntryStatus.ARCHIVED


def test_realise_is_for_actions_with_evidence(two_editions, make_workshop, facilitator, carried):
    d = two_editions
    school24 = make_workshop(d["e24"], "Passerelles", slug="passerelles")
    link = carry([d["action"]], school24)[0]
    refused(decisions.realise, carried["Pédagogie"], actor=facilitator, evidence="fait", match="Seule une action")
    refused(decisions.realise, link, actor=facilitator, evidence="", match="ce qui montre")
    decisions.keep(link, actor=facilitator)
    decisions.realise(link, actor=facilitator, evidence="Trousses prêtées à 12 écoles")
    db.session.commit()
    assert link.decision is Decision.REALISED and link.evidence == "Trousses prêtées à 12 écoles"
    followup = db.session.scalar(sa.select(ActionFollowUp).where(ActionFollowUp.entry_id == link.target_entry_id))
    assert followup.status is ActionStatus.DONE


def test_declare_new_and_add_origin(two_editions, make_entry, facilitator, carried):
    d = two_editions
    fresh = make_entry(d["e24"], "Sobriété numérique", workshop=d["w24"])
    decisions.declare_new(fresh, actor=facilitator)
    db.session.commit()
    refused(decisions.declare_new, fresh, actor=facilitator, match="déjà déclarée nouvelle")
    refused(decisions.declare_new, carried["Pédagogie"].target, actor=facilitator, match="a une origine")
    other = make_entry(d["e24"], "Curiosité", workshop=d["w24"])
    savoir = d["savoir"]
    refused(decisions.add_origin, other, savoir, actor=facilitator, match="a déjà une suite")
    refused(decisions.add_origin, other, other, actor=facilitator, match="propre édition")
    refused(decisions.add_origin, d["values"][0], other, actor=facilitator, match="n'est pas postérieure")


def test_add_origin_refuses_a_cycle_after_editions_are_re_dated(two_editions, make_entry, facilitator):
    d = two_editions
    target = carry([d["values"][0]], d["w24"])[0].target
    d["e23"].starts_on, d["e23"].year = date(2025, 6, 6), 2025
    db.session.commit()
    refused(decisions.add_origin, d["values"][0], target, actor=facilitator, match="cycle")
