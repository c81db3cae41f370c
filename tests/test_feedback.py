"""Participants' feedback: open, answer through the link, refuse what must be refused, close,
and the results' numbers and charts."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.feedback import charts, results
from commons.feedback.models import FeedbackAnswer, Questionnaire, QuestionnaireStatus
from commons.feedback.routes import COOKIE

GOOD = {"overall": "tres_satisfait", "organisation": "satisfait", "content": "tres_satisfait", "come_again": "oui"}


@pytest.fixture
def edition(make_edition):
    return make_edition(2023)


@pytest.fixture
def questionnaire(admin_client, edition) -> Questionnaire:
    response = admin_client.post(f"/editions/{edition.slug}/retours/ouvrir")
    assert response.status_code == 302
    return db.session.scalar(sa.select(Questionnaire))


def participant(app):
    """A browser of its own: its own cookie jar, no account."""
    return app.test_client()


def _answers() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackAnswer))


def test_an_admin_opens_and_sees_the_link(admin_client, edition, questionnaire):
    assert questionnaire.status is QuestionnaireStatus.OPEN and len(questionnaire.token) >= 32
    page = admin_client.get(f"/editions/{edition.slug}/retours/gerer").get_data(as_text=True)
    assert f"/retours/{questionnaire.token}" in page
    again = admin_client.post(f"/editions/{edition.slug}/retours/ouvrir")
    assert again.status_code == 409 and "déjà ouvert" in again.get_data(as_text=True)


def test_a_participant_answers_once(app, questionnaire):
    browser = participant(app)
    form = browser.get(f"/retours/{questionnaire.token}")
    assert form.status_code == 200 and "<legend>" in form.get_data(as_text=True)
    response = browser.post(f"/retours/{questionnaire.token}", data={**GOOD, "comment": "Très bien !",
                                                                      "is_publishable": "y"})
    assert response.status_code == 302
    row = db.session.scalar(sa.select(FeedbackAnswer))
    assert (row.overall, row.come_again, row.comment, row.is_publishable) == ("tres_satisfait", "oui", "Très bien !",
                                                                              True)
    cookie = browser.get_cookie(COOKIE, path="/retours/")
    assert cookie is not None and cookie.value not in row.browser_hash  # only a hash is kept
    assert "Merci" in browser.get(f"/retours/{questionnaire.token}").get_data(as_text=True)
    second = browser.post(f"/retours/{questionnaire.token}", data=GOOD)
    assert second.status_code == 409 and "déjà répondu" in second.get_data(as_text=True)
    assert _answers() == 1
    assert participant(app).post(f"/retours/{questionnaire.token}", data=GOOD).status_code == 302
    assert _answers() == 2


def test_an_incomplete_or_invalid_answer_is_refused(app, questionnaire):
    browser = participant(app)
    missing = browser.post(f"/retours/{questionnaire.token}", data={**GOOD, "content": ""})
    assert missing.status_code == 422 and "Choisissez une réponse" in missing.get_data(as_text=True)
    forged = browser.post(f"/retours/{questionnaire.token}", data={**GOOD, "overall": "<script>"})
    assert forged.status_code == 422
    control = browser.post(f"/retours/{questionnaire.token}", data={**GOOD, "comment": "a\x00b"})
    assert control.status_code == 422 and "non autorisés" in control.get_data(as_text=True)
    assert _answers() == 0


def test_consent_without_a_comment_publishes_nothing(app, questionnaire):
    participant(app).post(f"/retours/{questionnaire.token}", data={**GOOD, "comment": "  ", "is_publishable": "y"})
    assert db.session.scalar(sa.select(FeedbackAnswer.is_publishable)) is False


def test_unknown_and_closed_links(admin_client, app, edition, questionnaire):
    unknown = participant(app).get("/retours/inconnu")
    assert unknown.status_code == 404 and "n'existe pas" in unknown.get_data(as_text=True)
    assert participant(app).post("/retours/" + "x" * 500, data=GOOD).status_code == 404
    assert admin_client.post(f"/editions/{edition.slug}/retours/fermer").status_code == 302
    db.session.expire_all()
    assert questionnaire.status is QuestionnaireStatus.CLOSED and questionnaire.closed_at is not None
    closed = participant(app).post(f"/retours/{questionnaire.token}", data=GOOD)
    assert closed.status_code == 410 and "fermé" in closed.get_data(as_text=True)
    assert _answers() == 0
    assert admin_client.post(f"/editions/{edition.slug}/retours/fermer").status_code == 409
    # Reopened: the same link works again.
    assert admin_client.post(f"/editions/{edition.slug}/retours/ouvrir").status_code == 302
    assert participant(app).post(f"/retours/{questionnaire.token}", data=GOOD).status_code == 302


def test_answers_are_throttled_per_address(app, questionnaire):
    app.config["FEEDBACK_ADDRESS_LIMIT"] = 3
    statuses = [participant(app).post(f"/retours/{questionnaire.token}", data=GOOD).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    refused = participant(app).post(f"/retours/{questionnaire.token}", data=GOOD)
    assert "Trop de demandes" in refused.get_data(as_text=True) and int(refused.headers["Retry-After"]) > 0
    assert _answers() == 3
    other = app.test_client().post(f"/retours/{questionnaire.token}", data=GOOD,
                                   environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert other.status_code == 302


def test_percents_add_up_to_a_hundred():
    assert results.percents([1, 1, 1]) == [34, 33, 33]
    assert results.percents([2, 1, 0, 0]) == [67, 33, 0, 0]
    assert results.percents([0, 0, 0]) == [0, 0, 0]
    assert results.percents([1, 2, 3, 1]) == [14, 29, 43, 14]
    for counts in ([7, 5, 3, 1], [13, 13, 13], [98, 1, 1], [1, 0, 0, 6]):
        assert sum(results.percents(counts)) == 100


def _answer(app, token, **choices):
    assert participant(app).post(f"/retours/{token}", data={**GOOD, **choices}).status_code == 302


def test_results_count_every_answer(app, questionnaire):
    for overall in ["tres_satisfait", "tres_satisfait", "satisfait"]:
        _answer(app, questionnaire.token, overall=overall)
    found = {r.key: r.rows for r in results.results(questionnaire)}
    assert found["overall"] == [("Très satisfait·e", 2, 67), ("Satisfait·e", 1, 33), ("Peu satisfait·e", 0, 0),
                                ("Pas du tout satisfait·e", 0, 0)]
    assert found["come_again"] == [("Oui", 3, 100), ("Peut-être", 0, 0), ("Non", 0, 0)]


def test_results_are_public_once_closed_with_only_agreed_comments(admin_client, app, client, edition, questionnaire):
    _answer(app, questionnaire.token, comment="À publier", is_publishable="y")
    _answer(app, questionnaire.token, comment="Pour les organisateurs seulement")
    _answer(app, questionnaire.token, comment="<script>alert(1)</script>", is_publishable="y")
    pending = client.get(f"/editions/{edition.slug}/retours").get_data(as_text=True)
    assert "encore ouvert" in pending and "À publier" not in pending
    admin_client.post(f"/editions/{edition.slug}/retours/fermer")
    page = client.get(f"/editions/{edition.slug}/retours").get_data(as_text=True)
    assert "À publier" in page and "organisateurs seulement" not in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('role="img"') == 4 and '<th scope="row">Très satisfait·e</th><td>3</td><td>100 %</td>' in page
    assert "organisateurs seulement" in admin_client.get(f"/editions/{edition.slug}/retours").get_data(as_text=True)
    assert f"/editions/{edition.slug}/retours" in client.get(f"/editions/{edition.slug}").get_data(as_text=True)


def test_no_results_page_without_a_questionnaire(client, edition):
    assert client.get(f"/editions/{edition.slug}/retours").status_code == 404


def test_the_chart_states_its_numbers_and_escapes_hostile_text():
    hostile = "</text><script>alert(1)</script>& « x »"
    result = results.QuestionResult("overall", hostile, [(hostile, 3, 75), ("Non", 1, 25)])
    svg = str(charts.bar_chart(result, "graphique-overall"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    tree = ET.fromstring(svg)  # well-formed XML: the label stayed text
    ns = "{http://www.w3.org/2000/svg}"
    assert tree.get("role") == "img" and tree.find(f"{ns}title").text == hostile
    texts = [t.text for t in tree.iter(f"{ns}text")]
    assert texts == [hostile, "3 (75\u202f%)", "Non", "1 (25\u202f%)"]
    widths = [int(r.get("width")) for r in tree.iter(f"{ns}rect") if r.get("width") != "2"]
    assert widths[0] == 3 * widths[1]
    assert re.search(r"Non : 1 \(25\u202f%\)", tree.find(f"{ns}desc").text)


def test_only_admins_open_and_close(app, client, contributor_client, facilitator_client, edition, questionnaire):
    for path in ("gerer", "ouvrir", "fermer"):
        method = "get" if path == "gerer" else "post"
        url = f"/editions/{edition.slug}/retours/{path}"
        assert getattr(client, method)(url).status_code == 302  # to the sign-in page
        assert getattr(contributor_client, method)(url).status_code == 403
        assert getattr(facilitator_client, method)(url).status_code == 403
    db.session.expire_all()
    assert questionnaire.status is QuestionnaireStatus.OPEN


def test_the_results_command_prints_the_numbers(app, runner, edition, questionnaire):
    _answer(app, questionnaire.token, come_again="non")
    output = runner.invoke(args=["feedback", "results", edition.slug]).output
    assert "1 réponse(s)" in output and "  Non : 1 (100 %)" in output
    assert runner.invoke(args=["feedback", "results", "inconnue"]).exit_code != 0


def test_a_close_made_meanwhile_refuses_the_answer(app, questionnaire):
    """The page was loaded while open; the admin closed it before the answer was sent."""
    from commons.feedback import services
    from commons.models import utcnow

    stale = db.session.get(Questionnaire, questionnaire.id)
    db.session.execute(sa.update(Questionnaire).values(status=QuestionnaireStatus.CLOSED)
                       .execution_options(synchronize_session=False))
    assert stale.is_open  # what the request had read
    with pytest.raises(services.QuestionnaireClosed):
        services.answer(stale, services.AnswerData(GOOD), digest="x", now=utcnow())
    db.session.rollback()
    assert _answers() == 0
