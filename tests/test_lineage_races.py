"""Lineage under concurrent requests, on a real threaded server: one wins, the others get a
French conflict (409), never a 500, never two decisions or two answers.

Each request runs in its own thread with its own session and connection, as on a server
with several workers; a barrier releases them together.
"""
from __future__ import annotations

import http.client
import threading
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.kinds import EntryKind
from commons.lineage.models import CarryProposal, Decision, DecisionLog, LineageLink, ProposalStatus
from commons.lineage.services import carry_entries, propose_carry
from tests.conftest import session_id_for

WORKSHOP = "/editions/nec-sud-ouest-2024/ateliers/les-communs-de-la-mediation-numerique"


@pytest.fixture
def setup(make_edition, make_workshop, make_entry, contributor):
    e23, e24 = make_edition(2023), make_edition(2024)
    w23, w24 = make_workshop(e23), make_workshop(e24)
    titles = ["Accueil inconditionnel", "Écoute et bienveillance", "Posture de neutralité"]
    sources = [make_entry(e23, t, workshop=w23, position=i) for i, t in enumerate(titles)]
    extra = make_entry(e23, "Pédagogie", kind=EntryKind.SAVOIR, workshop=w23)
    links = carry_entries(sources, target=w24, author=None)
    proposal = propose_carry([extra], target=w24, author=contributor)[0]
    db.session.commit()
    return {link.source.title: link.id for link in links} | {"proposal": proposal.id}


def session_cookie(app, user) -> str:
    serializer = app.session_interface.get_signing_serializer(app)
    return "session=" + serializer.dumps({"_user_id": session_id_for(user), "_fresh": True})


def post_together(base_url: str, cookie: str, posts: list[tuple[str, dict]]) -> list[int]:
    """POST every (path, form) at the same moment, each on its own connection; their statuses."""
    barrier = threading.Barrier(len(posts))
    statuses: list[int | None] = [None] * len(posts)
    host = urlsplit(base_url).netloc

    def send(index: int, path: str, form: dict) -> None:
        connection = http.client.HTTPConnection(host, timeout=30)
        body = urlencode(form, doseq=True)
        barrier.wait()
        connection.request("POST", path, body=body, headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        with connection.getresponse() as response:
            response.read()
            statuses[index] = response.status
        connection.close()

    threads = [threading.Thread(target=send, args=(i, path, form)) for i, (path, form) in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_simultaneous_identical_decisions_make_one_decision(app, live_server, facilitator, setup):
    link_id = setup["Accueil inconditionnel"]
    statuses = post_together(live_server, session_cookie(app, facilitator),
                             [(f"{WORKSHOP}/decisions/{link_id}/reconduire", {})] * 4)
    assert sorted(statuses) == [302, 409, 409, 409]
    db.session.expire_all()
    assert db.session.get(LineageLink, link_id).decision is Decision.KEPT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DecisionLog)
                             .where(DecisionLog.decision == Decision.KEPT)) == 1


def test_two_simultaneous_merges_of_the_same_entries(app, live_server, facilitator, setup):
    links = [setup["Écoute et bienveillance"], setup["Posture de neutralité"]]
    form = {"links": links, "title": "Écoute et neutralité"}
    statuses = post_together(live_server, session_cookie(app, facilitator), [(f"{WORKSHOP}/decisions/fusion", form)] * 2)
    assert sorted(statuses) == [302, 409]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DecisionLog)
                             .where(DecisionLog.decision == Decision.MERGED)) == 2  # one per merged origin


def test_accepting_and_refusing_one_proposal_at_once(app, live_server, runner, facilitator, setup):
    proposal_id = setup["proposal"]
    answers = [(f"{WORKSHOP}/propositions/{proposal_id}/accepter", {}),
               (f"{WORKSHOP}/propositions/{proposal_id}/refuser", {"reason": "Déjà couvert"})]
    statuses = post_together(live_server, session_cookie(app, facilitator), answers)
    assert sorted(statuses) == [302, 409]
    db.session.expire_all()
    proposal = db.session.get(CarryProposal, proposal_id)
    carried = db.session.scalar(sa.select(sa.func.count()).select_from(LineageLink)
                                .where(LineageLink.source_entry_id == proposal.source_entry_id))
    if proposal.status is ProposalStatus.ACCEPTED:
        assert carried == 1 and proposal.refusal_reason == ""
    else:
        assert proposal.status is ProposalStatus.REFUSED and carried == 0
    result = runner.invoke(args=["lineage", "check"])
    assert result.exit_code == 0, result.output


def test_lineage_check_reports_contradictory_answers(runner, facilitator, setup):
    """What the race used to leave behind: found by `flask lineage check`, exit status 1."""
    proposal = db.session.get(CarryProposal, setup["proposal"])
    proposal.status, proposal.refusal_reason = ProposalStatus.ACCEPTED, "Déjà couvert"
    db.session.commit()
    result = runner.invoke(args=["lineage", "check"])
    assert result.exit_code == 1
    assert f"proposition {proposal.id} : acceptée mais porte un motif de refus" in result.output
    assert f"proposition {proposal.id} : acceptée mais la fiche {proposal.source_entry_id} n'a pas été reprise" \
        in result.output
