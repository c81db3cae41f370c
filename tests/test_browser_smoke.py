import pytest

pytestmark = pytest.mark.browser


def test_sign_in_page_renders(page, live_server):
    page.goto(f"{live_server}/connexion")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Se connecter").is_visible()
