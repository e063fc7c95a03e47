"""OAuth2 provider: applications API, authorization-code flow through the
browser pages (sign-in, consent, CSRF), token endpoint with and without PKCE,
refresh rotation, revocation, token info, and every refusal RFC 6749 asks for.
A browser is played by requests with a cookie jar, as a real one would."""
import base64
import hashlib
import json
import secrets
import time
import urllib.parse
from html.parser import HTMLParser

import pytest
import requests

from conftest import git, make_repo, server_alive

CB = "https://aws.example.com/callback"


class Forms(HTMLParser):
    """The forms of a page: action, method and the named inputs' values."""

    def __init__(self, text):
        super().__init__()
        self.forms = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method"),
                               "fields": {}, "buttons": []})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "button" and self.forms and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value")))

    def find(self, action):
        for f in self.forms:
            if f["action"] == action:
                return f
        raise AssertionError(f"no form posting to {action}")


class Browser:
    """A cookie jar that signs in and answers the consent page."""

    def __init__(self, kura, username, password):
        self.k = kura
        self.s = requests.Session()
        self.username, self.password = username, password

    def authorize(self, params, decision="approve"):
        """Runs GET /oauth/authorize through sign-in and consent; returns the
        final 302 response to the client's redirect URI."""
        r = self.s.get(self.k.base + "/oauth/authorize", params=params, allow_redirects=False)
        if r.status_code == 303 and r.headers["Location"].startswith("/users/sign_in?"):
            r = self.s.get(self.k.base + r.headers["Location"])
            form = Forms(r.text).find("/users/sign_in")
            data = dict(form["fields"])
            data["user[login]"] = self.username
            data["user[password]"] = self.password
            r = self.s.post(self.k.base + "/users/sign_in", data=data, allow_redirects=False)
            assert r.status_code == 303, r.text[:500]
            r = self.s.get(self.k.base + r.headers["Location"], allow_redirects=False)
        if r.status_code == 302:        # an error sent back to the client
            return r
        assert r.status_code == 200, r.text[:500]
        assert r.url.startswith(self.k.base + "/oauth/authorize?"), r.url
        form = Forms(r.text).find("/oauth/authorize")
        assert ("decision", "approve") in form["buttons"]
        data = dict(form["fields"])
        data["decision"] = decision
        r = self.s.post(self.k.base + "/oauth/authorize", data=data, allow_redirects=False)
        return r


def location_params(r):
    assert r.status_code == 302, (r.status_code, r.text[:300])
    loc = r.headers["Location"]
    parts = urllib.parse.urlsplit(loc)
    return loc, dict(urllib.parse.parse_qsl(parts.query))


def register_app(kura, token, redirect=CB, scopes="api read_user", **extra):
    r = requests.post(kura.url("/api/v4/applications"), headers={"PRIVATE-TOKEN": token},
                      data={"name": "AWS Connector for GitLab self-managed",
                            "redirect_uri": redirect, "scopes": scopes, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def get_code(browser, app, redirect=CB, scope=None, state="st-1", **extra):
    params = {"client_id": app["application_id"], "redirect_uri": redirect,
              "response_type": "code", "state": state, **extra}
    if scope:
        params["scope"] = scope
    loc, q = location_params(browser.authorize(params))
    assert loc.startswith(redirect + "?"), loc
    assert q["state"] == state
    return q["code"]


def exchange(kura, app, code, redirect=CB, basic=True, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
            **extra}
    auth = None
    if basic:
        auth = (app["application_id"], app["secret"])
    else:
        data.update(client_id=app["application_id"], client_secret=app["secret"])
    return requests.post(kura.url("/oauth/token"), data=data, auth=auth)


def refresh(kura, app, refresh_token, **extra):
    return requests.post(kura.url("/oauth/token"), auth=(app["application_id"], app["secret"]),
                         data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                               **extra})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def admin(kura):
    kura.create_user("ops", password="ops-password-1", admin=True)
    return kura.create_token("ops", "api,admin_mode", "aws-host-setup")


@pytest.fixture(scope="module")
def app(kura, admin):
    return register_app(kura, admin)


@pytest.fixture(scope="module")
def alice(kura):
    kura.create_user("alice", password="alice-password-1")
    return Browser(kura, "alice", "alice-password-1")


# --- applications API ---------------------------------------------------------

def test_applications_api_create_list_renew_delete(kura, admin):
    a = register_app(kura, admin, redirect=CB + "\nhttp://127.0.0.1:9/cb", scopes="api")
    assert len(a["application_id"]) == 64 and len(a["secret"]) == 64
    assert a["callback_url"] == CB + "\nhttp://127.0.0.1:9/cb"
    assert a["confidential"] is True and a["application_name"].startswith("AWS")
    h = {"Authorization": f"Bearer {admin}"}        # a PAT as Bearer works too
    listed = requests.get(kura.url("/api/v4/applications"), headers=h).json()
    mine = [x for x in listed if x["id"] == a["id"]]
    assert mine and "secret" not in mine[0]
    r = requests.post(kura.url(f"/api/v4/applications/{a['id']}/renew-secret"), headers=h)
    assert r.status_code == 201 and r.json()["secret"] != a["secret"]
    assert requests.delete(kura.url(f"/api/v4/applications/{a['id']}"),
                           headers=h).status_code == 204
    r = requests.delete(kura.url(f"/api/v4/applications/{a['id']}"), headers=h)
    assert r.status_code == 404 and r.json() == {"message": "404 Application Not Found"}


def test_applications_api_refusals(kura, admin):
    kura.create_user("plain", password="plain-password-1")
    plain = kura.create_token("plain", "api")
    url = kura.url("/api/v4/applications")
    body = {"name": "x", "redirect_uri": CB, "scopes": "api"}
    assert requests.post(url, data=body).status_code == 401
    r = requests.post(url, data=body, headers={"PRIVATE-TOKEN": plain})
    assert r.status_code == 403 and r.json() == {"message": "403 Forbidden"}
    h = {"PRIVATE-TOKEN": admin}
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>",
                "vbscript:x", "relative/path", "https://x.example/cb#frag", "http:///nohost",
                " ", "https://a.example/\x01"):
        r = requests.post(url, headers=h, data=dict(body, redirect_uri=bad))
        assert r.status_code == 400, (bad, r.text)
        assert "redirect_uri" in r.text
    r = requests.post(url, headers=h, data=dict(body, redirect_uri=CB + " javascript:x"))
    assert r.status_code == 400
    for bad in ("", "API", "api;drop", "a" * 100):
        r = requests.post(url, headers=h, data=dict(body, scopes=bad))
        assert r.status_code == 400, (bad, r.text)
    r = requests.post(url, headers=h, data={"redirect_uri": CB, "scopes": "api"})
    assert r.status_code == 400 and "name" in r.text
    r = requests.post(url, headers=h, json={"name": "j", "redirect_uri": CB,
                                            "scopes": ["api", "read_user"],
                                            "confidential": False})
    assert r.status_code == 201 and r.json()["confidential"] is False
    assert server_alive(kura)


def test_admin_mode_scope_on_personal_access_tokens(kura, admin):
    r = requests.get(kura.url("/api/v4/personal_access_tokens/self"),
                     headers={"PRIVATE-TOKEN": admin})
    assert r.status_code == 200
    assert sorted(r.json()["scopes"]) == ["admin_mode", "api"]


# --- authorization code flow ----------------------------------------------------

def test_code_flow_with_secret_in_body_and_token_use(kura, app, alice):
    code = get_code(alice, app)
    r = exchange(kura, app, code, basic=False)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    t = r.json()
    assert t["token_type"] == "Bearer" and t["expires_in"] == 7200
    assert t["scope"] == "api read_user"
    assert len(t["access_token"]) == 64 and len(t["refresh_token"]) == 64
    assert abs(t["created_at"] - time.time()) < 60
    u = requests.get(kura.url("/api/v4/user"), headers=bearer(t["access_token"]))
    assert u.status_code == 200 and u.json()["username"] == "alice"
    info = requests.get(kura.url("/oauth/token/info"), headers=bearer(t["access_token"]))
    assert info.status_code == 200
    j = info.json()
    assert j["application"]["uid"] == app["application_id"]
    assert j["scope"] == ["api", "read_user"] and 7000 < j["expires_in"] <= 7200
    # Only hashes are stored.
    rows = kura.sql("SELECT token_hash, refresh_hash FROM oauth_access_tokens")
    flat = [v for row in rows for v in row]
    assert t["access_token"] not in flat and t["refresh_token"] not in flat
    assert hashlib.sha256(t["access_token"].encode()).hexdigest() in flat


def test_code_flow_with_pkce_s256_and_plain(kura, app, alice):
    verifier, challenge = pkce_pair()
    code = get_code(alice, app, code_challenge=challenge, code_challenge_method="S256")
    assert exchange(kura, app, code).status_code == 400       # verifier missing
    code = get_code(alice, app, code_challenge=challenge, code_challenge_method="S256")
    r = exchange(kura, app, code, code_verifier=verifier)
    assert r.status_code == 200, r.text
    plain = secrets.token_urlsafe(50)
    code = get_code(alice, app, code_challenge=plain, code_challenge_method="plain")
    assert exchange(kura, app, code, code_verifier=plain).status_code == 200


def test_public_client_needs_pkce(kura, admin, alice):
    pub = register_app(kura, admin, confidential="false")
    verifier, challenge = pkce_pair()
    code = get_code(alice, pub, code_challenge=challenge, code_challenge_method="S256")
    r = requests.post(kura.url("/oauth/token"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CB,
        "client_id": pub["application_id"], "code_verifier": verifier})
    assert r.status_code == 200, r.text
    code = get_code(alice, pub)
    r = requests.post(kura.url("/oauth/token"), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CB,
        "client_id": pub["application_id"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_scope_subset_and_narrowing(kura, app, alice):
    code = get_code(alice, app, scope="read_user")
    t = exchange(kura, app, code).json()
    assert t["scope"] == "read_user"
    h = bearer(t["access_token"])
    assert requests.get(kura.url("/api/v4/user"), headers=h).status_code == 200
    r = requests.get(kura.url("/api/v4/projects"), headers=h)
    assert r.status_code == 403 and r.json()["error"] == "insufficient_scope"
    assert "insufficient_scope" in r.headers["WWW-Authenticate"]
    loc, q = location_params(alice.authorize({
        "client_id": app["application_id"], "redirect_uri": CB, "response_type": "code",
        "state": "s2", "scope": "api sudo"}))
    assert q == {"error": "invalid_scope", "error_description": q["error_description"],
                 "state": "s2"}


# --- refusals -------------------------------------------------------------------

def error_of(r, status=400):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()["error"]


def test_wrong_redirect_uri_reused_and_expired_codes(kura, app, alice):
    code = get_code(alice, app)
    assert error_of(exchange(kura, app, code, redirect=CB + "/other")) == "invalid_grant"
    assert error_of(exchange(kura, app, code)) == "invalid_grant"     # burnt by the miss
    code = get_code(alice, app)
    first = exchange(kura, app, code)
    assert first.status_code == 200
    assert error_of(exchange(kura, app, code)) == "invalid_grant"     # reused
    # The tokens the reused code bought are revoked (RFC 6749 §4.1.2).
    r = requests.get(kura.url("/api/v4/user"), headers=bearer(first.json()["access_token"]))
    assert r.status_code == 401
    code = get_code(alice, app)
    kura.sql("UPDATE oauth_grants SET expires_at = 1 WHERE used_at IS NULL")
    assert error_of(exchange(kura, app, code)) == "invalid_grant"     # expired
    assert error_of(exchange(kura, app, "0" * 64)) == "invalid_grant"
    assert error_of(exchange(kura, app, "")) == "invalid_request"


def test_wrong_pkce_verifier(kura, app, alice):
    verifier, challenge = pkce_pair()
    code = get_code(alice, app, code_challenge=challenge, code_challenge_method="S256")
    other, _ = pkce_pair()
    assert error_of(exchange(kura, app, code, code_verifier=other)) == "invalid_grant"
    assert error_of(exchange(kura, app, code, code_verifier=verifier)) == "invalid_grant"


def test_wrong_client_secret_and_unknown_client(kura, app, alice):
    code = get_code(alice, app)
    bad = dict(app, secret="f" * 64)
    r = exchange(kura, bad, code)
    assert error_of(r, 401) == "invalid_client" and "WWW-Authenticate" in r.headers
    assert error_of(exchange(kura, bad, code, basic=False), 401) == "invalid_client"
    r = requests.post(kura.url("/oauth/token"), data={"grant_type": "authorization_code",
                                                      "code": code, "redirect_uri": CB})
    assert error_of(r, 401) == "invalid_client"
    r = requests.post(kura.url("/oauth/token"), data={"grant_type": "password"},
                      auth=(app["application_id"], app["secret"]))
    assert error_of(r) == "unsupported_grant_type"
    # The code survived the failed client authentications.
    assert exchange(kura, app, code).status_code == 200


def test_authorize_errors_before_a_trusted_redirect_never_redirect(kura, app, alice):
    for params in ({"client_id": "0" * 64, "redirect_uri": CB, "response_type": "code"},
                   {"redirect_uri": CB, "response_type": "code"},
                   {"client_id": app["application_id"], "redirect_uri": "https://evil.example/",
                    "response_type": "code"},
                   {"client_id": app["application_id"], "redirect_uri": CB + "?x=1",
                    "response_type": "code"},
                   {"client_id": app["application_id"], "redirect_uri": "javascript:alert(1)",
                    "response_type": "code"}):
        for s in (alice.s, requests.Session()):
            r = s.get(kura.url("/oauth/authorize"), params=params, allow_redirects=False)
            assert r.status_code == 400, (params, r.status_code)
            assert "Location" not in r.headers
            assert "evil.example" not in r.text.replace("evil.example/&", "")
            assert r.headers["Content-Type"].startswith("text/html")


def test_authorize_errors_after_a_trusted_redirect_go_back(kura, app, alice):
    alice.authorize({"client_id": app["application_id"], "redirect_uri": CB,
                     "response_type": "code"})        # signs in
    base = {"client_id": app["application_id"], "redirect_uri": CB, "state": "a b&c"}
    for extra, error in (({"response_type": "token"}, "unsupported_response_type"),
                         ({}, "invalid_request"),
                         ({"response_type": "code", "code_challenge": "short"},
                          "invalid_request"),
                         ({"response_type": "code", "code_challenge": "x" * 50,
                           "code_challenge_method": "S512"}, "invalid_request")):
        r = alice.s.get(kura.url("/oauth/authorize"), params={**base, **extra},
                        allow_redirects=False)
        loc, q = location_params(r)
        assert loc.startswith(CB + "?")
        assert q["error"] == error and q["state"] == "a b&c"


def test_consent_deny_echoes_state(kura, app, alice):
    r = alice.authorize({"client_id": app["application_id"], "redirect_uri": CB,
                         "response_type": "code", "state": "xyz-42"}, decision="deny")
    loc, q = location_params(r)
    assert q["error"] == "access_denied" and q["state"] == "xyz-42" and "code" not in q


def test_consent_page_names_app_and_scopes_and_escapes(kura, admin, alice):
    a = register_app(kura, admin, scopes="api read_repository")
    requests.delete(kura.url(f"/api/v4/applications/{a['id']}"),
                    headers={"PRIVATE-TOKEN": admin})
    evil = requests.post(kura.url("/api/v4/applications"), headers={"PRIVATE-TOKEN": admin},
                         data={"name": "<script>alert(1)</script>", "redirect_uri": CB,
                               "scopes": "api read_repository"}).json()
    alice.authorize({"client_id": evil["application_id"], "redirect_uri": CB,
                     "response_type": "code"}, decision="deny")       # signs in
    r = alice.s.get(kura.url("/oauth/authorize"), params={
        "client_id": evil["application_id"], "redirect_uri": CB, "response_type": "code",
        "state": "\"><img src=x>"})
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<img src=x>" not in r.text
    assert "read_repository" in r.text and "@alice" in r.text
    assert "form-action 'self' https://aws.example.com;" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"


def test_csrf_less_or_signed_out_post_is_refused(kura, app, alice):
    alice.authorize({"client_id": app["application_id"], "redirect_uri": CB,
                     "response_type": "code"}, decision="deny")       # signs in
    data = {"client_id": app["application_id"], "redirect_uri": CB, "response_type": "code",
            "state": "s", "decision": "approve"}
    r = alice.s.post(kura.url("/oauth/authorize"), data=data, allow_redirects=False)
    assert r.status_code == 422 and "Location" not in r.headers
    r = alice.s.post(kura.url("/oauth/authorize"), allow_redirects=False,
                     data=dict(data, authenticity_token="0" * 64))
    assert r.status_code == 422 and "Location" not in r.headers
    r = requests.post(kura.url("/oauth/authorize"), data=data, allow_redirects=False)
    assert r.status_code in (403, 422) and "Location" not in r.headers
    assert kura.sql("SELECT count(*) FROM oauth_grants WHERE redirect_uri = 'never'") == [(0,)]


def test_signed_out_visitor_signs_in_first_and_comes_back(kura, app):
    kura.create_user("bob", password="bob-password-1")
    b = Browser(kura, "bob", "bob-password-1")
    r = b.s.get(kura.url("/oauth/authorize"), allow_redirects=False, params={
        "client_id": app["application_id"], "redirect_uri": CB, "response_type": "code",
        "state": "s"})
    assert r.status_code == 303
    assert r.headers["Location"].startswith("/users/sign_in?redirect_to=%2Foauth%2Fauthorize")
    code = get_code(b, app)
    t = exchange(kura, app, code).json()
    u = requests.get(kura.url("/api/v4/user"), headers=bearer(t["access_token"])).json()
    assert u["username"] == "bob"


# --- refresh, revoke, expiry ------------------------------------------------------

def test_refresh_rotates_and_grace_allows_one_retry(kura, app, alice):
    t0 = exchange(kura, app, get_code(alice, app)).json()
    r = refresh(kura, app, t0["refresh_token"])
    assert r.status_code == 200, r.text
    t1 = r.json()
    assert t1["access_token"] != t0["access_token"]
    assert t1["refresh_token"] != t0["refresh_token"]
    assert requests.get(kura.url("/api/v4/user"),
                        headers=bearer(t0["access_token"])).status_code == 401
    assert requests.get(kura.url("/api/v4/user"),
                        headers=bearer(t1["access_token"])).status_code == 200
    # The answer was lost: the client retries with the old refresh token.
    r = refresh(kura, app, t0["refresh_token"])
    assert r.status_code == 200, r.text
    t2 = r.json()
    assert requests.get(kura.url("/api/v4/user"),
                        headers=bearer(t1["access_token"])).status_code == 401
    assert requests.get(kura.url("/api/v4/user"),
                        headers=bearer(t2["access_token"])).status_code == 200
    # Once the new pair has itself been refreshed, the old token is dead.
    t3 = refresh(kura, app, t2["refresh_token"]).json()
    assert error_of(refresh(kura, app, t0["refresh_token"])) == "invalid_grant"
    # After the grace, a rotated refresh token is refused.
    kura.sql("UPDATE oauth_access_tokens SET revoked_at = 1 WHERE revoke_reason = 'refreshed'")
    assert error_of(refresh(kura, app, t2["refresh_token"])) == "invalid_grant"
    assert requests.get(kura.url("/api/v4/user"),
                        headers=bearer(t3["access_token"])).status_code == 200
    # Narrowing scopes works; widening does not.
    r = refresh(kura, app, t3["refresh_token"], scope="read_user")
    assert r.status_code == 200 and r.json()["scope"] == "read_user"
    assert error_of(refresh(kura, app, r.json()["refresh_token"], scope="api")) == \
        "invalid_scope"


def test_concurrent_refreshes_leave_one_live_pair(kura, app, alice):
    import concurrent.futures
    t = exchange(kura, app, get_code(alice, app)).json()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        rs = list(pool.map(lambda _: refresh(kura, app, t["refresh_token"]), range(4)))
    assert all(r.status_code in (200, 400) for r in rs), [r.text for r in rs]
    ok = [r.json() for r in rs if r.status_code == 200]
    assert ok
    live = [x for x in ok if requests.get(kura.url("/api/v4/user"),
                                          headers=bearer(x["access_token"])).status_code == 200]
    assert len(live) == 1
    assert server_alive(kura)


def test_refresh_belongs_to_its_client(kura, admin, app, alice):
    other = register_app(kura, admin)
    t = exchange(kura, app, get_code(alice, app)).json()
    assert error_of(refresh(kura, other, t["refresh_token"])) == "invalid_grant"
    assert refresh(kura, app, t["refresh_token"]).status_code == 200


def test_revoke_and_expiry(kura, app, alice):
    t = exchange(kura, app, get_code(alice, app)).json()
    auth = (app["application_id"], app["secret"])
    r = requests.post(kura.url("/oauth/revoke"), auth=auth, data={"token": t["access_token"]})
    assert r.status_code == 200 and r.json() == {}
    assert requests.get(kura.url("/api/v4/user"),
                        headers=bearer(t["access_token"])).status_code == 401
    assert error_of(refresh(kura, app, t["refresh_token"])) == "invalid_grant"
    r = requests.post(kura.url("/oauth/revoke"), auth=auth, data={"token": "nonsense"})
    assert r.status_code == 200
    r = requests.post(kura.url("/oauth/revoke"), data={"token": "x"})
    assert error_of(r, 401) == "invalid_client"
    t = exchange(kura, app, get_code(alice, app)).json()
    kura.sql("UPDATE oauth_access_tokens SET expires_at = 1 WHERE revoked_at IS NULL")
    assert requests.get(kura.url("/api/v4/user"),
                        headers=bearer(t["access_token"])).status_code == 401
    r = requests.get(kura.url("/oauth/token/info"), headers=bearer(t["access_token"]))
    assert error_of(r, 401) == "invalid_token"
    # An expired access token's refresh token still works, as on GitLab.
    assert refresh(kura, app, t["refresh_token"]).status_code == 200


def test_blocked_user_tokens_stop_working(kura, app):
    kura.create_user("carol", password="carol-password-1")
    c = Browser(kura, "carol", "carol-password-1")
    t = exchange(kura, app, get_code(c, app)).json()
    kura.cli("admin", "block-user", "carol")
    assert requests.get(kura.url("/api/v4/user"),
                        headers=bearer(t["access_token"])).status_code == 401
    assert error_of(refresh(kura, app, t["refresh_token"])) == "invalid_grant"


def test_git_http_with_oauth2_basic(kura, app, alice, tmp_path):
    kura.create_project("alice/oauthrepo")
    t = exchange(kura, app, get_code(alice, app)).json()
    url = kura.git_url("alice/oauthrepo", user="oauth2", secret=t["access_token"])
    src = make_repo(tmp_path / "src", {"a.txt": "hello\n"})
    git(src, "push", url, "HEAD:main")
    git(tmp_path, "clone", "-q", url, "out")
    assert (tmp_path / "out" / "a.txt").read_text() == "hello\n"
    ro = exchange(kura, app, get_code(alice, app, scope="read_user")).json()
    r = git(tmp_path, "clone", "-q", kura.git_url("alice/oauthrepo", user="oauth2",
                                                  secret=ro["access_token"]), "out2",
            check=False)
    assert r.returncode != 0


# --- hostile input ------------------------------------------------------------------

def test_token_endpoint_hostile_bodies(kura, app):
    url = kura.url("/oauth/token")
    auth = (app["application_id"], app["secret"])
    r = requests.post(url, data=b"x=" + b"a" * (70 * 1024), auth=auth,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    for body, ctype in ((b"{not json", "application/json"), (b"[1,2]", "application/json"),
                        (b"grant_type=%zz", "application/x-www-form-urlencoded"),
                        (b"grant_type=a\x00b", "application/x-www-form-urlencoded"),
                        (b"<xml/>", "text/xml")):
        r = requests.post(url, data=body, auth=auth, headers={"Content-Type": ctype})
        assert error_of(r) == "invalid_request", body
    r = requests.post(url, json={"grant_type": "refresh_token", "refresh_token": "x" * 5000},
                      auth=auth)
    assert error_of(r) == "invalid_grant"
    r = requests.post(url, auth=auth, data={"grant_type": "authorization_code",
                                            "code": "../../etc/passwd", "redirect_uri": CB})
    assert error_of(r) == "invalid_grant"
    r = requests.post(url, headers={"Authorization": "Basic !!!"},
                      data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert error_of(r, 401) == "invalid_client"
    assert requests.get(url).status_code == 405
    assert requests.get(kura.url("/oauth/nope")).status_code == 404
    assert requests.request("PUT", kura.url("/oauth/token")).status_code == 405
    r = requests.get(kura.url("/oauth/authorize"), params={"client_id": "x" * 100000})
    assert r.status_code in (400, 414, 431)
    assert server_alive(kura)


def test_unmatched_api_request_is_logged_once_with_secrets_redacted(kura, admin):
    r = requests.get(kura.url("/api/v4/aws/probe/thing"), headers={"PRIVATE-TOKEN": admin},
                     params={"private_token": "sekrit-pat-value", "page": "2",
                             "client_secret": "sekrit-2", "search": "demo"})
    assert r.status_code == 404 and r.json() == {"error": "404 Not Found"}
    lines = [l for l in kura.log().splitlines() if "/api/v4/aws/probe/thing" in l
             and "unmatched_route" in l]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert "method=GET" in entry["msg"] and "page=2" in entry["msg"]
    assert "search=demo" in entry["msg"]
    assert "private_token=[FILTERED]" in entry["msg"]
    assert "sekrit" not in kura.log()


# --- the applications page ------------------------------------------------------------

def signed_in(kura, username, password):
    b = Browser(kura, username, password)
    r = b.s.get(kura.url("/users/sign_in"))
    form = Forms(r.text).find("/users/sign_in")
    data = dict(form["fields"], **{"user[login]": username, "user[password]": password})
    assert b.s.post(kura.url("/users/sign_in"), data=data).status_code == 200
    return b


def page_token(b, kura):
    r = b.s.get(kura.url("/oauth/applications"))
    assert r.status_code == 200
    return Forms(r.text).find("/oauth/applications")["fields"]["authenticity_token"], r


def test_applications_page_create_use_renew_delete(kura):
    kura.create_user("dana", password="dana-password-1")
    kura.create_user("eve", password="eve-password-12")
    d = signed_in(kura, "dana", "dana-password-1")
    csrf, _ = page_token(d, kura)
    url = kura.url("/oauth/applications")
    base = {"action": "create", "name": "Dana's CI", "redirect_uri": CB,
            "scopes[]": ["api", "read_user"], "confidential": "1"}
    r = d.s.post(url, data=base)
    assert r.status_code == 422                                   # no CSRF token
    r = d.s.post(url, data=dict(base, authenticity_token=csrf, redirect_uri="javascript:x"))
    assert r.status_code == 422 and "redirect_uri" in r.text
    r = d.s.post(url, data=dict(base, authenticity_token=csrf))
    assert r.status_code == 201, r.text[:500]
    secret = r.text.split('id="app-secret">')[1].split("<")[0]
    uid = [a for a in kura.sql("SELECT uid, id FROM oauth_applications WHERE name = 'Dana''s CI'")]
    app_uid, app_id = uid[0]
    app = {"application_id": app_uid, "secret": secret}
    t = exchange(kura, app, get_code(d, app)).json()
    assert requests.get(kura.url("/api/v4/user"),
                        headers=bearer(t["access_token"])).json()["username"] == "dana"
    _, listing = page_token(d, kura)
    assert secret not in listing.text and "Dana&#39;s CI" in listing.text
    # Another user neither sees nor changes it.
    e = signed_in(kura, "eve", "eve-password-12")
    ecsrf, elist = page_token(e, kura)
    assert app_uid not in elist.text
    r = e.s.post(url, data={"action": "delete", "id": str(app_id), "authenticity_token": ecsrf})
    assert r.status_code == 404
    r = d.s.post(url, data={"action": "renew", "id": str(app_id), "authenticity_token": csrf})
    new_secret = r.text.split('id="app-secret">')[1].split("<")[0]
    assert new_secret != secret
    assert error_of(exchange(kura, app, get_code(d, app)), 401) == "invalid_client"
    r = d.s.post(url, data={"action": "delete", "id": str(app_id), "authenticity_token": csrf})
    assert r.status_code == 200 and app_uid not in r.text
    r = requests.get(url, allow_redirects=False)
    assert r.status_code == 303 and "/users/sign_in" in r.headers["Location"]
