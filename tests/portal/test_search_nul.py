"""A NUL character in a portal list's search term finds nothing instead of a 500: PostgreSQL
cannot hold NUL in a literal, and the list's query failed while the page rendered."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

LISTS = ["trainees", "secondments", "pairings", "branches", "notifications"]


@pytest.mark.parametrize("page", LISTS)
def test_a_search_term_with_a_nul_character_lists_nothing(client, users, page):
    client.force_login(users["hunan_bar"])
    response = client.get(f"/portal/{page}/", {"q": "张\x00"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 0
