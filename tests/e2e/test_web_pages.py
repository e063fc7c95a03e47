"""The web UI over plain HTTP: sign-in with database sessions, CSRF on every
POST, security headers, the project pages of a pushed repository, settings,
profile and admin pages, permission outcomes (private projects answer 404),
and hostile input (oversized, malformed, open redirects, injected markup)."""
import re

import pytest
import requests

from conftest import commit, git, make_repo

HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
CSP = "default-src 'none'"


def csrf_of(html):
    m = re.search(r'name="authenticity_token" value="([0-9a-f]+)"', html)
    assert m, html[:2000]
    return m.group(1)


class Browser:
    """A requests session that signs in through the form, like a browser."""

    def __init__(self, kura):
        self.kura = kura
        self.s = requests.Session()

    def get(self, path, **kw):
        kw.setdefault("allow_redirects", False)
        return self.s.get(self.kura.url(path), timeout=30, **kw)

    def post(self, path, data, token=True, **kw):
        kw.setdefault("allow_redirects", False)
        data = dict(data)
        if token:
            data["authenticity_token"] = self.token()
        return self.s.post(self.kura.url(path), data=data, timeout=30, **kw)

    def token(self):
        r = self.get("/users/sign_in") if not self.s.cookies.get("_kura_session") else \
            self.get("/-/profile/personal_access_tokens")
        return csrf_of(r.text)

    def sign_in(self, login, password):
        r = self.post("/users/sign_in", {"user[login]": login, "user[password]": password})
        assert r.status_code == 303, r.text[:500]
        return r


@pytest.fixture(scope="module", autouse=True)
def users(kura):
    """'eve' outside everything, 'dev' a Developer of web/app."""
    kura.create_user("eve", "eve-password-1")
    kura.create_user("dev", "dev-password-1")


@pytest.fixture(scope="module")
def site(kura, tmp_path_factory):
    """root signed in, and a private project in a group with a pushed
    repository full of hostile names."""
    kura.create_group("web")
    kura.create_project("web/app", "private")
    kura.add_member("dev", 30, project="web/app")
    tmp = tmp_path_factory.mktemp("webrepo")
    readme = ("# Hello kura\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
              "- [x] done\n- [ ] todo\n\n~~gone~~ https://example.com\n\n"
              "[bad](javascript:alert(3)) <script>alert(4)</script> "
              f"<img src=x onerror=alert(5)>\n\n[rel](docs/guide.md) ![pic](img/a.png)\n")
    repo = make_repo(tmp / "src", {
        "README.md": readme,
        "docs/guide.md": "guide\n",
        "src/main.c": "int main(void)\n{\n\treturn 0;\n}\n",
        f"{HOSTILE[:20]}.txt": "hostile name\n",
        "bin.dat": "\x00\x01\x02binary",
    })
    commit(repo, {"src/main.c": "int main(void)\n{\n\treturn 1;\n}\n"},
           message=f"Change {HOSTILE}")
    git(repo, "push", kura.git_url("web/app", "root", kura.root_token()), "HEAD:main")
    git(repo, "push", kura.git_url("web/app", "root", kura.root_token()),
        "HEAD:refs/heads/feature/x")
    git(repo, "tag", "-a", "v0.1", "-m", "first")
    git(repo, "push", kura.git_url("web/app", "root", kura.root_token()), "v0.1")
    b = Browser(kura)
    b.sign_in("root", kura.root_password())
    return b


def test_sign_in_page_headers(kura):
    r = requests.get(kura.url("/users/sign_in"), timeout=10)
    assert r.status_code == 200
    assert CSP in r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "<script>" not in r.text and "onload" not in r.text
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_sign_in_wrong_password_then_throttled(kura):
    kura.create_user("thr", "thr-password-1")
    b = Browser(kura)
    statuses = [b.post("/users/sign_in", {"user[login]": "thr", "user[password]": "nope"})
                .status_code for _ in range(11)]
    assert statuses[0] == 401 and statuses[-1] == 429
    # The right password is refused while throttled, too.
    r = b.post("/users/sign_in", {"user[login]": "thr", "user[password]": "thr-password-1"})
    assert r.status_code == 429


def test_session_cookie_and_sign_out(kura):
    b = Browser(kura)
    r = b.sign_in("eve", "eve-password-1")
    assert r.headers["Location"] == "/"
    cookie = [c for c in r.raw.headers.getlist("Set-Cookie") if c.startswith("_kura_session=")]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=Lax" in cookie[0]
    secret = b.s.cookies["_kura_session"]
    assert b.get("/dashboard/projects").status_code == 200
    # The database holds the hash only.
    assert secret not in str(kura.sql("SELECT secret_hash FROM sessions"))
    r = b.post("/users/sign_out", {})
    assert r.status_code == 303
    # The old cookie no longer works, even when replayed.
    s = requests.Session()
    s.cookies.set("_kura_session", secret)
    r = s.get(kura.url("/dashboard/projects"), allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"].startswith("/users/sign_in")


def test_expired_session_refused(kura):
    b = Browser(kura)
    b.sign_in("eve", "eve-password-1")
    kura.sql("UPDATE sessions SET last_seen_at = 1000, expires_at = 2000")
    r = b.get("/dashboard/projects")
    assert r.status_code == 303


def test_redirect_only_to_local_paths(kura):
    for target, want in [("/web", "/web"), ("//evil.example/x", "/"),
                         ("https://evil.example/", "/"), ("/\\evil.example", "/"),
                         ("/users/sign_out", "/")]:
        b = Browser(kura)
        r = b.post("/users/sign_in", {"user[login]": "eve", "user[password]": "eve-password-1",
                                      "redirect_to": target})
        assert r.status_code == 303 and r.headers["Location"] == want, target


def test_post_without_or_with_wrong_csrf_refused(kura, site):
    for data in ({}, {"authenticity_token": "0" * 64}, {"authenticity_token": "zz"}):
        r = site.post("/groups", dict(data, name="x", path="csrfgrp", visibility="private"),
                      token=False)
        assert r.status_code == 422
        assert "did not come from this site" in r.text
    assert requests.get(site.kura.url("/api/v4/groups/csrfgrp"), timeout=10,
                        headers={"PRIVATE-TOKEN": site.kura.root_token()}).status_code == 404
    # Signed out: the sign-in form needs the double-submit cookie.
    r = requests.post(site.kura.url("/users/sign_in"), timeout=10, allow_redirects=False,
                      data={"user[login]": "eve", "user[password]": "eve-password-1"})
    assert r.status_code == 422


def test_project_pages(site):
    assert site.get("/web/app").status_code == 200
    r = site.get("/web/app")
    assert "Hello kura" in r.text and "<table>" in r.text and 'type="checkbox"' in r.text
    assert "<del>gone</del>" in r.text and 'href="https://example.com"' in r.text
    assert 'href="/web/app/-/blob/main/docs/guide.md"' in r.text
    assert 'src="/web/app/-/raw/main/img/a.png"' in r.text
    assert "javascript:" not in r.text and "<script>alert" not in r.text
    assert "onerror=alert(5)" not in r.text.replace("&lt;", "")
    assert "clone-https" in r.text and site.kura.base + "/web/app.git" in r.text
    r = site.get("/web/app/-/tree/main/src")
    assert r.status_code == 200 and "main.c" in r.text
    # The branch picker names every branch (up to its limit) and the tags.
    assert 'href="/web/app/-/tree/feature/x">feature/x</a>' in r.text
    assert 'href="/web/app/-/tree/v0.1">v0.1</a> <span class="badge">tag</span>' in r.text
    r = site.get("/web/app/-/blob/main/src/main.c")
    assert r.status_code == 200 and 'id="L3"' in r.text and "return 1;" in r.text
    r = site.get("/web/app/-/blob/feature/x/src/main.c")
    assert r.status_code == 200 and "return 1;" in r.text
    r = site.get("/web/app/-/raw/main/src/main.c")
    assert r.status_code == 200 and r.text.endswith("return 1;\n}\n")
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "sandbox" in r.headers["Content-Security-Policy"]
    r = site.get("/web/app/-/raw/main/bin.dat")
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-Disposition"].startswith("attachment")
    r = site.get("/web/app/-/blob/main/bin.dat")
    assert "Binary file" in r.text and "download" in r.text
    r = site.get("/web/app/-/commits/main")
    assert r.status_code == 200 and "Change" in r.text
    sha = re.search(r'/-/commit/([0-9a-f]{40})', r.text).group(1)
    r = site.get(f"/web/app/-/commit/{sha}")
    assert r.status_code == 200 and "return 1;" in r.text and "src/main.c" in r.text
    assert site.get("/web/app/-/commits/main/src/main.c").status_code == 200
    assert "feature/x" in site.get("/web/app/-/branches").text
    assert site.get("/web/app/-/tags").status_code == 200
    assert site.get("/web/app/-/compare/main...feature/x").status_code == 200
    r = site.get("/web/app/-/archive/main/app-main.zip")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = site.get("/web/app/-/archive/main/app-main.tar.gz")
    assert r.status_code == 200 and r.content[:2] == b"\x1f\x8b"


def test_hostile_strings_inert(site):
    pages = ["/web/app", "/web/app/-/commits/main", "/web/app/-/tree/main"]
    r = site.get("/web/app/-/commits/main")
    sha = re.search(r'/-/commit/([0-9a-f]{40})', r.text).group(1)
    pages.append(f"/web/app/-/commit/{sha}")
    for p in pages:
        html = site.get(p).text
        assert "<img src=x" not in html, p
        assert "<script>alert" not in html, p


def test_missing_and_malformed(site):
    for p in ["/web/app/-/tree/nope", "/web/app/-/blob/main/nope.c", "/web/app/-/commit/zz",
              "/web/app/-/commit/" + "0" * 40, "/web/app/-/raw/main/..%2F..%2Fetc",
              "/web/app/-/tree/main/%00", "/nope/nothing", "/web/app/-/nothing",
              "/web/app/-/archive/main/x.exe", "/web/app/-/blob/--output=x/a",
              "/web/app/-/compare/main...-x"]:
        r = site.get(p)
        assert r.status_code == 404, p
        assert "Page not found" in r.text
    r = site.get("/" + "a/" * 600)
    assert r.status_code in (404, 414)
    r = site.s.post(site.kura.url("/groups"), data=b"x" * (300 * 1024), timeout=30,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    r = site.s.post(site.kura.url("/groups"), data="a=%zz", timeout=30, allow_redirects=False,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    r = site.s.put(site.kura.url("/web/app"), timeout=30)
    assert r.status_code == 405
    assert site.get("/web/app").status_code == 200


def test_private_project_is_404_for_others(kura, site):
    anon = requests.get(kura.url("/web/app"), timeout=10, allow_redirects=False)
    assert anon.status_code == 404 and "Page not found" in anon.text
    eve = Browser(kura)
    eve.sign_in("eve", "eve-password-1")
    for p in ["/web/app", "/web/app/-/tree/main", "/web/app/-/raw/main/README.md",
              "/web/app/-/edit", "/web/app/-/archive/main/app-main.zip", "/web"]:
        assert eve.get(p).status_code == 404, p
    # A developer reads code but gets no settings.
    dev = Browser(kura)
    dev.sign_in("dev", "dev-password-1")
    assert dev.get("/web/app").status_code == 200
    for p in ["/web/app/-/edit", "/web/app/-/project_members", "/web/app/-/hooks",
              "/web/app/-/settings/repository", "/admin", "/admin/users"]:
        assert dev.get(p).status_code == 404, p
    r = dev.post("/web/app/-/project_members", {"username": "eve", "access_level": "40"})
    assert r.status_code == 404


def test_settings_members_protected_hooks(kura, site):
    r = site.post("/web/app/-/edit", {"project[name]": "App " + HOSTILE,
                                      "project[description]": HOSTILE,
                                      "project[visibility]": "private",
                                      "project[default_branch]": "main"})
    assert r.status_code == 200 and "were saved" in r.text
    assert "<img src=x" not in site.get("/web/app").text
    r = site.post("/web/app/-/project_members", {"username": "eve", "access_level": "20"})
    assert r.status_code == 200 and "@eve" in r.text
    r = site.post("/web/app/-/project_members", {"username": "ghost", "access_level": "20"})
    assert r.status_code == 422
    r = site.post("/web/app/-/settings/repository/protected_branches", {
        "protected_branch[name]": "release/*", "protected_branch[push_access_level]": "40",
        "protected_branch[merge_access_level]": "40"})
    assert r.status_code == 200 and "release/*" in r.text
    r = site.post("/web/app/-/hooks", {"hook[url]": "http://127.0.0.1:9/hook",
                                       "hook[push_events]": "1"})
    assert r.status_code in (201, 422)
    r = site.post("/web/app/-/hooks", {"hook[url]": "javascript:alert(1)"})
    assert r.status_code == 422
    r = site.post("/web/app/-/hooks", {"hook[url]": "http://169.254.169.254/latest"})
    assert r.status_code == 422


def test_profile_tokens_and_password(kura, site):
    b = Browser(kura)
    kura.create_user("tok", "tok-password-1")
    b.sign_in("tok", "tok-password-1")
    r = b.post("/-/profile/personal_access_tokens", {
        "personal_access_token[name]": "ci " + HOSTILE,
        "personal_access_token[scopes][]": "read_api"})
    assert r.status_code == 200
    secret = re.search(r'id="new-token" readonly value="(kpat-[A-Za-z0-9]+)"', r.text).group(1)
    assert requests.get(kura.url("/api/v4/user"), headers={"PRIVATE-TOKEN": secret},
                        timeout=10).json()["username"] == "tok"
    page = b.get("/-/profile/personal_access_tokens").text
    assert secret not in page and "<img src=x" not in page
    tid = re.search(r'personal_access_tokens/(\d+)/revoke', page).group(1)
    assert b.post(f"/-/profile/personal_access_tokens/{tid}/revoke", {}).status_code == 303
    assert requests.get(kura.url("/api/v4/user"), headers={"PRIVATE-TOKEN": secret},
                        timeout=10).status_code == 401
    # Somebody else's token id is not found.
    assert site.post(f"/-/profile/personal_access_tokens/{tid}/revoke", {}).status_code == 404
    r = b.post("/-/profile/password", {"user[current_password]": "wrong",
                                       "user[password]": "new-password-22",
                                       "user[password_confirmation]": "new-password-22"})
    assert r.status_code == 422
    other = Browser(kura)
    other.sign_in("tok", "tok-password-1")
    r = b.post("/-/profile/password", {"user[current_password]": "tok-password-1",
                                       "user[password]": "new-password-22",
                                       "user[password_confirmation]": "new-password-22"})
    assert r.status_code == 200 and "successfully" in r.text
    # Other sessions end with the old password; this one stays.
    assert other.get("/dashboard/projects").status_code == 303
    assert b.get("/dashboard/projects").status_code == 200
    Browser(kura).sign_in("tok", "new-password-22")


def test_admin_pages(kura, site):
    r = site.get("/admin")
    assert r.status_code == 200 and "SQLite" in r.text or "PostgreSQL" in r.text
    r = site.post("/admin/users", {"user[username]": "made", "user[email]": "made@example.com",
                                   "user[password]": "made-password-1",
                                   "user[name]": HOSTILE})
    assert r.status_code == 201 and "<img src=x" not in r.text
    m = Browser(kura)
    m.sign_in("made", "made-password-1")
    assert site.post("/admin/users/made/block", {}).status_code == 303
    assert m.get("/dashboard/projects").status_code == 303
    r = m.post("/users/sign_in", {"user[login]": "made", "user[password]": "made-password-1"})
    assert r.status_code == 401
    assert site.post("/admin/users/made/unblock", {}).status_code == 303
    assert site.post("/admin/users/root/block", {}).status_code == 400


def test_dashboard_explore_groups(kura, site):
    r = site.post("/groups", {"name": "Team " + HOSTILE, "path": "team",
                              "visibility": "public"})
    assert r.status_code == 303 and r.headers["Location"] == "/team"
    r = site.get("/team")
    assert r.status_code == 200 and "<img src=x" not in r.text
    gid = re.search(r'namespace_id=(\d+)', r.text).group(1)
    r = site.post("/projects", {"namespace_id": gid, "name": "Pub", "path": "pub",
                                "visibility": "public", "description": HOSTILE})
    assert r.status_code == 303 and r.headers["Location"] == "/team/pub"
    assert "empty" in site.get("/team/pub").text
    assert requests.get(kura.url("/team/pub"), timeout=10).status_code == 200
    assert requests.get(kura.url("/explore"), timeout=10).status_code == 200
    assert "Pub" in requests.get(kura.url("/explore/projects"), timeout=10).text
    for p in ["/dashboard/projects", "/dashboard/groups", "/explore/groups", "/groups/new",
              "/projects/new", "/-/profile/password/edit", "/-/static/kura.css",
              "/-/static/kura.js"]:
        assert site.get(p).status_code == 200, p
    r = site.post("/groups", {"name": "x", "path": "admin", "visibility": "public"})
    assert r.status_code == 422


def test_urls_the_api_emits_resolve(kura, site):
    """web_url of projects, groups, users, commits, branches and compares."""
    api = requests.Session()
    api.headers["PRIVATE-TOKEN"] = kura.root_token()
    base = kura.url("/api/v4")
    urls = [api.get(f"{base}/projects/web%2Fapp", timeout=10).json()["web_url"],
            api.get(f"{base}/groups/web", timeout=10).json()["web_url"],
            api.get(f"{base}/users?username=eve", timeout=10).json()[0]["web_url"]]
    for sub in ("repository/commits", "repository/branches"):
        r = api.get(f"{base}/projects/web%2Fapp/{sub}", timeout=10)
        if r.status_code == 200:
            urls += [x["web_url"] for x in r.json()]
    r = api.get(f"{base}/projects/web%2Fapp/repository/compare?from=main&to=feature/x",
                timeout=10)
    if r.status_code == 200:
        urls.append(r.json()["web_url"])
    assert len(urls) >= 3
    for u in urls:
        assert u.startswith(kura.base), u
        r = site.get(u[len(kura.base):])
        assert r.status_code == 200, u
    # A clone URL pasted into the browser leads to the project.
    r = site.get("/web/app.git")
    assert r.status_code == 303 and r.headers["Location"] == "/web/app"
    assert site.s.head(kura.url("/web/app"), timeout=10).status_code == 200
