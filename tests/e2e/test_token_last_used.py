"""A token's last use is recorded on its first use, and then at most once a
minute, for personal access tokens and OAuth access tokens alike: requests
in between write nothing."""
import requests

from test_oauth import admin, alice, app, bearer, exchange, get_code  # noqa: F401 (fixtures)


def last_used(kura, table, column, value):
    [(at,)] = kura.sql(f"SELECT last_used_at FROM {table} WHERE {column} = '{value}'")
    return at


def test_personal_access_token_last_used(kura):
    kura.create_user("lu-pat", password="lu-pat-password-1")
    tok = kura.create_token("lu-pat", "read_api", "lu")
    assert last_used(kura, "personal_access_tokens", "name", "lu") is None
    h = {"PRIVATE-TOKEN": tok}
    assert requests.get(kura.url("/api/v4/user"), headers=h).status_code == 200
    first = last_used(kura, "personal_access_tokens", "name", "lu")
    assert first
    for _ in range(5):
        assert requests.get(kura.url("/api/v4/user"), headers=h).status_code == 200
    assert last_used(kura, "personal_access_tokens", "name", "lu") == first
    # Seen as used over a minute ago: the next request records again.
    kura.sql(f"UPDATE personal_access_tokens SET last_used_at = {first - 61000}"
             " WHERE name = 'lu'")
    assert requests.get(kura.url("/api/v4/user"), headers=h).status_code == 200
    assert last_used(kura, "personal_access_tokens", "name", "lu") >= first


def test_oauth_access_token_last_used(kura, app, alice):  # noqa: F811
    r = exchange(kura, app, get_code(alice, app))
    assert r.status_code == 200, r.text
    t = r.json()["access_token"]
    [(tid,)] = kura.sql("SELECT max(id) FROM oauth_access_tokens")
    assert last_used(kura, "oauth_access_tokens", "id", tid) is None
    assert requests.get(kura.url("/api/v4/user"), headers=bearer(t)).status_code == 200
    first = last_used(kura, "oauth_access_tokens", "id", tid)
    assert first
    for _ in range(5):
        assert requests.get(kura.url("/api/v4/user"), headers=bearer(t)).status_code == 200
    assert last_used(kura, "oauth_access_tokens", "id", tid) == first
    kura.sql(f"UPDATE oauth_access_tokens SET last_used_at = {first - 61000} WHERE id = {tid}")
    assert requests.get(kura.url("/api/v4/user"), headers=bearer(t)).status_code == 200
    assert last_used(kura, "oauth_access_tokens", "id", tid) >= first
