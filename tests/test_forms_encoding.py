"""With CSRF on, a form whose %XX escapes are not UTF-8 is still caught field by field."""
import re

import pytest

from commons.entries.models import Entry
from commons.extensions import db


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def csrf_token(client) -> str:
    page = client.get("/fiches/nouvelle").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_percent_encoded_invalid_utf8_is_a_form_error_with_csrf_on(contributor_client, workshop):
    token = csrf_token(contributor_client)
    payload = (f"csrf_token={token}&kind=valeur&title=Caf%E9&body=Texte+gard%C3%A9"
               f"&tags=&workshop=w{workshop.id}&summary=").encode()
    response = contributor_client.post("/fiches/nouvelle", data=payload,
                                       content_type="application/x-www-form-urlencoded")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "UTF-8 valide" in page
    assert "Texte gardé" in page
    assert db.session.query(Entry).count() == 0


def test_valid_form_with_csrf_token_is_saved(contributor_client, workshop):
    token = csrf_token(contributor_client)
    payload = (f"csrf_token={token}&kind=valeur&title=%C3%89coute&body=&tags="
               f"&workshop=w{workshop.id}&summary=").encode()
    response = contributor_client.post("/fiches/nouvelle", data=payload,
                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert db.session.query(Entry).one().title == "Écoute"


@pytest.mark.parametrize("place", ["e²", "w١", "e99999999999"])
def test_a_place_that_names_nothing_is_a_form_error(contributor_client, workshop, place):
    # Unicode digits pass str.isdigit() but not int(); eleven digits overflow a PostgreSQL id.
    response = contributor_client.post("/fiches/nouvelle", data={
        "csrf_token": csrf_token(contributor_client), "kind": "valeur", "title": "Écoute", "body": "",
        "tags": "", "workshop": place, "summary": ""})
    assert response.status_code == 422
    assert "Choisissez une édition ou un atelier dans la liste." in response.get_data(as_text=True)
    assert db.session.query(Entry).count() == 0
