"""Mail end to end against a real aiosmtpd sink on loopback: password reset
from the sign-in page (single-use link, no account enumeration), welcome and
set-password mail for users an administrator creates, the token-created
notice, emails on push (commits listed, hostile commit messages inert in the
HTML part) and delivery after an SMTP outage."""
import email
import email.policy
import email.utils
import re
import threading
import time

import pytest
import requests

from conftest import _finish, _start, commit, free_port, git, make_repo

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> & "q"'


class Sink:
    """aiosmtpd handler keeping every message with its envelope."""

    def __init__(self):
        self.mails = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.mails.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                               "raw": envelope.original_content, "msg": msg})
        return "250 Message accepted"

    def wait(self, pred, timeout=20, count=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                hits = [m for m in self.mails if pred(m)]
            if len(hits) >= count:
                return hits
            time.sleep(0.1)
        with self.lock:
            seen = [(m["to"], m["msg"]["Subject"]) for m in self.mails]
        raise AssertionError(f"no such mail within {timeout}s; got {seen}")

    def matching(self, pred):
        with self.lock:
            return [m for m in self.mails if pred(m)]


class SmtpServer:
    """The sink on a fixed port, so that it can go down and come back."""

    def __init__(self):
        self.port = free_port()
        self.sink = Sink()
        self.ctl = None

    def start(self):
        from aiosmtpd.controller import Controller
        self.ctl = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.ctl.start()

    def stop(self):
        if self.ctl:
            self.ctl.stop()
            self.ctl = None


@pytest.fixture(scope="module")
def smtp():
    pytest.importorskip("aiosmtpd")
    s = SmtpServer()
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def mk(request, tmp_path_factory, smtp):
    k = _start(tmp_path_factory, "mail", {"KURA_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
                                          "KURA_SMTP_FROM": "kura@kura.test"})
    yield k
    _finish(request, k)


def to(addr, subject=None):
    return lambda m: addr in m["to"] and (subject is None or m["msg"]["Subject"] == subject)


RESET = "Reset password instructions"


def parts(m):
    msg = m["msg"]
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    return text, html


def check_headers(m):
    msg = m["msg"]
    assert msg.get_content_type() == "multipart/alternative"
    assert email.utils.parsedate_to_datetime(msg["Date"]) is not None
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", msg["Message-ID"].strip())
    assert b"\n" not in m["raw"].replace(b"\r\n", b"")


def csrf_of(html):
    m = re.search(r'name="authenticity_token" value="([0-9a-f]+)"', html)
    assert m, html[:2000]
    return m.group(1)


class Browser:
    def __init__(self, k):
        self.k = k
        self.s = requests.Session()

    def get(self, path):
        return self.s.get(self.k.url(path), timeout=30, allow_redirects=False)

    def post(self, path, data, form_page):
        data = dict(data, authenticity_token=csrf_of(self.get(form_page).text))
        return self.s.post(self.k.url(path), data=data, timeout=30, allow_redirects=False)

    def sign_in(self, login, password):
        return self.post("/users/sign_in", {"user[login]": login, "user[password]": password},
                         "/users/sign_in")


def api(k, method, path, **kw):
    return requests.request(method, k.url("/api/v4" + path), timeout=30,
                            headers={"PRIVATE-TOKEN": k.root_token()}, **kw)


def request_reset(b, addr):
    return b.post("/users/password", {"user[email]": addr}, "/users/password/new")


def reset_link(m, k):
    text, html = parts(m)
    links = re.findall(r"(http://\S+/users/password/edit\?reset_password_token=[0-9a-f]{64})",
                       text)
    assert len(links) == 1, text
    assert links[0].startswith(k.base + "/")   # the external URL
    assert links[0].replace("&", "&amp;") in html
    return links[0][len(k.base):]


def set_password(b, link, pw, confirm=None):
    page = b.get(link)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="reset_password_token" value="([0-9a-f]{64})"', page.text).group(1)
    return b.post("/users/password/edit", {"reset_password_token": token,
                                           "user[password]": pw,
                                           "user[password_confirmation]": confirm or pw}, link)


def test_password_reset_from_the_sign_in_page(mk, smtp):
    mk.create_user("alice", "alice-old-pw-1", email="alice@example.com")
    b = Browser(mk)
    assert 'href="/users/password/new"' in b.get("/users/sign_in").text
    known = request_reset(b, "ALICE@example.com")
    unknown = request_reset(b, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    strip = lambda t: re.sub(r'value="[0-9a-f]{64}"', "", t)
    assert strip(known.text) == strip(unknown.text)
    assert "If your email address exists" in known.text

    m = smtp.sink.wait(to("alice@example.com", RESET))[0]
    check_headers(m)
    assert m["msg"]["Subject"] == "Reset password instructions"
    assert m["from"] == "kura@kura.test"
    link = reset_link(m, mk)
    secret = link.rsplit("=", 1)[1]

    # A mismatched confirmation or a weak password does not use the link up.
    assert set_password(Browser(mk), link, "new-password-1", "other-pass-2").status_code == 422
    assert set_password(Browser(mk), link, "short").status_code == 422
    r = set_password(Browser(mk), link, "alice-new-pw-2")
    assert r.status_code == 200 and "Your password has been changed" in r.text
    assert Browser(mk).sign_in("alice", "alice-new-pw-2").status_code == 303
    assert Browser(mk).sign_in("alice", "alice-old-pw-1").status_code == 401
    # Single use: the link is dead now, for the form and for a replayed POST.
    assert Browser(mk).get(link).status_code == 422
    r = Browser(mk).post("/users/password/edit", {"reset_password_token": secret,
                                                  "user[password]": "alice-evil-pw-3",
                                                  "user[password_confirmation]":
                                                  "alice-evil-pw-3"}, "/users/password/new")
    assert r.status_code == 422
    assert Browser(mk).sign_in("alice", "alice-new-pw-2").status_code == 303
    assert smtp.sink.matching(to("nobody@example.com")) == []
    assert len(smtp.sink.matching(to("alice@example.com", RESET))) == 1
    assert secret not in mk.log()
    # Sent mail leaves no live link in the jobs table; only a hash stays.
    deadline = time.monotonic() + 10
    while mk.sql(f"SELECT count(*) FROM jobs WHERE payload LIKE '%{secret}%'")[0][0] and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    assert mk.sql(f"SELECT count(*) FROM jobs WHERE payload LIKE '%{secret}%'")[0][0] == 0
    assert secret not in str(mk.sql("SELECT token_hash FROM password_resets"))


def test_reset_link_dies_with_a_password_change_and_requests_are_capped(mk, smtp):
    mk.create_user("bob", "bob-old-pw-1", email="bob@example.com")
    b = Browser(mk)
    request_reset(b, "bob@example.com")
    link = reset_link(smtp.sink.wait(to("bob@example.com", RESET))[0], mk)
    mk.cli("admin", "reset-password", "bob", input="bob-other-pw-2\n")
    assert Browser(mk).get(link).status_code == 422
    r = Browser(mk).post("/users/password/edit", {"reset_password_token": link.rsplit("=")[1],
                                                  "user[password]": "bob-evil-pw-3",
                                                  "user[password_confirmation]":
                                                  "bob-evil-pw-3"}, "/users/password/new")
    assert r.status_code == 422
    assert Browser(mk).sign_in("bob", "bob-other-pw-2").status_code == 303
    # Three links an hour per account; the fourth request looks the same.
    for _ in range(3):
        r = request_reset(Browser(mk), "bob@example.com")
        assert r.status_code == 200 and "If your email address exists" in r.text
    time.sleep(2)
    assert len(smtp.sink.matching(to("bob@example.com", RESET))) == 3


def test_reset_form_hostile_input(mk, smtp):
    b = Browser(mk)
    for addr in ("", "x" * 300 + "@example.com", "no-at-sign", "a@b\r\nBcc: x@evil.test"):
        r = request_reset(b, addr)
        assert r.status_code in (200, 422), r.status_code
    # Without the CSRF token the form is refused.
    r = b.s.post(mk.url("/users/password"), data={"user[email]": "alice@example.com"},
                 timeout=30, allow_redirects=False)
    assert r.status_code == 422
    for token in ("", "zz", "0" * 64, "../" * 30, "a" * 5000):
        r = b.s.get(mk.url("/users/password/edit"), params={"reset_password_token": token},
                    timeout=30)
        assert r.status_code in (422, 414), r.status_code
    assert smtp.sink.matching(to("x@evil.test")) == []
    assert requests.get(mk.url("/-/liveness"), timeout=5).status_code == 200


def test_admin_created_user_gets_a_set_password_link(mk, smtp):
    mk.cli("admin", "create-user", "--username", "carol", "--email", "carol@example.com")
    m = smtp.sink.wait(to("carol@example.com"))[0]
    check_headers(m)
    assert m["msg"]["Subject"] == "Account was created for you"
    assert set_password(Browser(mk), reset_link(m, mk), "carol-first-pw").status_code == 200
    assert Browser(mk).sign_in("carol", "carol-first-pw").status_code == 303
    # Through the API with reset_password=true.
    r = api(mk, "POST", "/users", data={"username": "dan", "email": "dan@example.com",
                                       "name": "Dan <b>", "reset_password": "true"})
    assert r.status_code == 201, r.text
    m = smtp.sink.wait(to("dan@example.com"))[0]
    text, html = parts(m)
    assert "Hello Dan <b>," in text and "Hello Dan &lt;b&gt;," in html
    assert set_password(Browser(mk), reset_link(m, mk), "dan-first-pw-1").status_code == 200
    # kura admin send-password-reset mails a link too.
    r = mk.cli("admin", "send-password-reset", "carol")
    assert "queued to carol@example.com" in r.stdout
    smtp.sink.wait(to("carol@example.com", RESET))
    r = mk.cli("admin", "send-password-reset", "nobody-here", check=False)
    assert r.returncode == 2


def test_token_created_notice(mk, smtp):
    mk.create_user("erin", "erin-password-1", email="erin@example.com")
    uid = api(mk, "GET", "/users", params={"username": "erin"}).json()[0]["id"]
    r = api(mk, "POST", f"/users/{uid}/personal_access_tokens",
            data={"name": "ci <deploy>", "scopes[]": ["read_api"], "expires_at": "2099-01-01"})
    if r.status_code == 400:   # tokens live at most a year
        r = api(mk, "POST", f"/users/{uid}/personal_access_tokens",
                data={"name": "ci <deploy>", "scopes[]": ["read_api"]})
    assert r.status_code == 201, r.text
    secret = r.json()["token"]
    m = smtp.sink.wait(lambda m: to("erin@example.com")(m) and
                       m["msg"]["Subject"] == "A personal access token was created")[0]
    check_headers(m)
    text, html = parts(m)
    assert "ci <deploy>" in text and "ci &lt;deploy&gt;" in html and "read_api" in text
    assert secret not in m["raw"].decode()
    # The CLI path mails too.
    mk.cli("admin", "create-token", "--username", "erin", "--name", "cli-tok", "--scopes", "api")
    smtp.sink.wait(lambda m: to("erin@example.com")(m) and "cli-tok" in parts(m)[0])


def setup_eop(mk, name, **props):
    r = api(mk, "POST", "/projects", data={"name": name})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    data = {"recipients": "team@example.com, lead@example.com"}
    data.update(props)
    r = api(mk, "PUT", f"/projects/{pid}/integrations/emails-on-push", data=data)
    assert r.status_code == 200, r.text
    return pid


def test_emails_on_push_lists_commits_and_html_is_inert(mk, smtp, tmp_path):
    setup_eop(mk, "eop")
    repo = make_repo(tmp_path / "src", {"README": "hi\n"}, message="first commit")
    commit(repo, {"a.txt": "a\n"}, message="second commit\n\nbody line")
    commit(repo, {"c.txt": "c\n"}, message="tab\there \x1b[31mred")
    commit(repo, {"b.txt": "b\n"}, message=HOSTILE)
    git(repo, "push", mk.git_url("root/eop", "root", mk.root_token()), "HEAD:main")
    pred = lambda m: "[Git][root/eop][main]" in m["msg"]["Subject"]
    m = smtp.sink.wait(pred)[0]
    check_headers(m)
    assert sorted(m["to"]) == ["lead@example.com", "team@example.com"]
    assert m["msg"]["Subject"].startswith("[Git][root/eop][main] 4 commits: <script>")
    text, html = parts(m)
    for msg in ("first commit", "second commit", "body line", HOSTILE, "tab\there"):
        assert msg in text
    assert "A b.txt" in text
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    # A second push: only the new commit, and its diff; a control byte in
    # the title becomes a space rather than a refused mail.
    commit(repo, {"a.txt": "a\nmore\n"}, message="third\tone")
    git(repo, "push", mk.git_url("root/eop", "root", mk.root_token()), "HEAD:main")
    m = smtp.sink.wait(lambda m: m["msg"]["Subject"] == "[Git][root/eop][main] third one")[0]
    text, html = parts(m)
    assert "+more" in text and "first commit" not in text


def test_emails_on_push_branch_filter(mk, smtp, tmp_path):
    setup_eop(mk, "eopf", branches_to_be_notified="default", disable_diffs="true")
    repo = make_repo(tmp_path / "src", {"README": "hi\n"}, message="on main")
    url = mk.git_url("root/eopf", "root", mk.root_token())
    git(repo, "push", url, "HEAD:main")
    m = smtp.sink.wait(lambda m: m["msg"]["Subject"] == "[Git][root/eopf][main] on main")[0]
    assert "Changes:" not in parts(m)[0]   # disable_diffs
    git(repo, "push", url, "HEAD:feature")
    time.sleep(2)
    assert not smtp.sink.matching(lambda m: "[root/eopf][feature]" in m["msg"]["Subject"])


def test_push_mail_waits_out_an_smtp_outage(mk, smtp, tmp_path):
    setup_eop(mk, "outage")
    repo = make_repo(tmp_path / "src", {"README": "hi\n"}, message="during the outage")
    smtp.stop()
    try:
        git(repo, "push", mk.git_url("root/outage", "root", mk.root_token()), "HEAD:main")
        deadline = time.monotonic() + 20
        while "kind=mail attempt=1/" not in mk.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "kind=mail attempt=1/" in mk.log()
    finally:
        smtp.start()
    m = smtp.sink.wait(lambda m: "during the outage" in m["msg"]["Subject"], timeout=30)
    assert len(m) == 1


def test_integration_api(mk, smtp):
    r = api(mk, "POST", "/projects", data={"name": "integ"})
    pid = r.json()["id"]
    base = f"/projects/{pid}/integrations/emails-on-push"
    r = api(mk, "GET", base)
    assert r.status_code == 200 and r.json()["active"] is False
    for bad in ({}, {"recipients": ""}, {"recipients": "not-an-address"},
                {"recipients": "a@example.com\r\nBcc: x@evil.test"},
                {"recipients": "a@example.com", "branches_to_be_notified": "some"},
                {"recipients": "a@example.com", "disable_diffs": "maybe"},
                {"recipients": " ".join(f"u{i}@example.com" for i in range(101))},
                {"recipients": "a@example.com " + "b" * 5000 + "@example.com"}):
        r = api(mk, "PUT", base, data=bad)
        assert r.status_code == 400, (bad, r.text)
    r = api(mk, "PUT", f"/projects/{pid}/services/emails-on-push",
            data={"recipients": "x@example.com", "send_from_committer_email": "true",
                  "branches_to_be_notified": "protected"})
    assert r.status_code == 200, r.text
    props = api(mk, "GET", base).json()["properties"]
    assert props == {"recipients": "x@example.com", "disable_diffs": False,
                     "send_from_committer_email": True, "branches_to_be_notified": "protected"}
    assert [i["slug"] for i in api(mk, "GET", f"/projects/{pid}/integrations").json()] == \
        ["emails-on-push"]
    # Developers may not see or change it; outsiders do not see the project.
    mk.create_user("dora", "dora-password-1")
    mk.add_member("dora", 30, project="root/integ")
    tok = mk.create_token("dora")
    r = requests.put(mk.url("/api/v4" + base), data={"recipients": "d@example.com"},
                     headers={"PRIVATE-TOKEN": tok}, timeout=30)
    assert r.status_code == 403
    mk.create_user("olaf", "olaf-password-1")
    r = requests.get(mk.url("/api/v4" + base), headers={"PRIVATE-TOKEN": mk.create_token("olaf")},
                     timeout=30)
    assert r.status_code == 404
    assert api(mk, "DELETE", base).status_code == 204
    assert api(mk, "GET", base).json()["active"] is False


def test_python_gitlab_sees_the_integration(mk):
    gitlab = pytest.importorskip("gitlab")
    gl = gitlab.Gitlab(mk.base, private_token=mk.root_token())
    p = gl.projects.create({"name": "pgl"})
    svc = p.services.get("emails-on-push")
    svc.recipients = "pg@example.com"
    svc.save()
    assert p.services.get("emails-on-push").properties["recipients"] == "pg@example.com"


def test_web_paths_mail_too(mk, smtp):
    # An administrator creating a user without a password in the web UI.
    root = Browser(mk)
    assert root.sign_in("root", mk.root_password()).status_code == 303
    r = root.post("/admin/users", {"user[username]": "fay", "user[email]": "fay@example.com",
                                   "user[name]": "Fay", "user[password]": ""}, "/admin/users")
    assert r.status_code == 201, r.text[:500]
    m = smtp.sink.wait(to("fay@example.com", "Account was created for you"))[0]
    assert set_password(Browser(mk), reset_link(m, mk), "fay-first-pw-1").status_code == 200
    # A token made on the profile page.
    fay = Browser(mk)
    assert fay.sign_in("fay", "fay-first-pw-1").status_code == 303
    r = fay.post("/-/profile/personal_access_tokens",
                 {"personal_access_token[name]": "web-tok",
                  "personal_access_token[scopes][]": "read_api"},
                 "/-/profile/personal_access_tokens")
    assert r.status_code == 200, r.text[:500]
    m = smtp.sink.wait(to("fay@example.com", "A personal access token was created"))[0]
    assert "web-tok" in parts(m)[0]


def test_tokens_expiring_within_a_week_get_one_notice(mk, smtp):
    import datetime
    mk.create_user("gus", "gus-password-1", email="gus@example.com")
    soon = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    later = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    mk.create_token("gus", name="soon-tok", expires=soon)
    mk.create_token("gus", name="later-tok", expires=later)
    subject = "Your personal access token expires soon"
    # The daily sweep, made due now twice (as two nodes might run it).
    for i in range(2):
        mk.sql("INSERT INTO jobs (kind, payload, idempotency_key, run_at, max_attempts,"
               f" created_at) VALUES ('token_expiry_sweep', '{{}}', 'test-sweep-{i}', 0, 1, 0)")
    m = smtp.sink.wait(to("gus@example.com", subject))[0]
    text, html = parts(m)
    assert "soon-tok" in text and soon in text
    deadline = time.monotonic() + 10
    while mk.sql("SELECT count(*) FROM jobs WHERE idempotency_key LIKE 'test-sweep-%'"
                 " AND state = 'done'")[0][0] < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    assert len(smtp.sink.matching(to("gus@example.com", subject))) == 1
    # The sweep queued its successor for tomorrow.
    assert mk.sql("SELECT count(*) FROM jobs WHERE kind = 'token_expiry_sweep'"
                  " AND state = 'pending'")[0][0] >= 1
