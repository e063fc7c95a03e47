"""More web UI pages over plain HTTP: the activity feed, group members and
settings, project rename and transfer, SSH keys and authorised OAuth
applications, the webhook test button, mirror status and the rest of the
admin area. Each new POST is refused without a CSRF token, each page
renders hostile strings inert and answers 404 to those who may not see it."""
import html
import subprocess

import pytest

from conftest import git, make_repo
from test_web_pages import HOSTILE, Browser

RAW = "<img src=x onerror=alert(1)>"


def inert(text):
    assert RAW not in text and "<script>alert" not in text, text[:3000]


def signed_in(kura, who, password):
    b = Browser(kura)
    b.sign_in(who, password)
    return b


@pytest.fixture(scope="module")
def env(kura, tmp_path_factory):
    kura.create_user("mo_owner", "owner-password-1", email="mo_owner@example.com")
    kura.create_user("mo_maint", "maint-password-1")
    kura.create_user("mo_dev", "dev-password-1")
    kura.create_user("mo_out", "out-password-1")
    kura.create_group("mo")
    kura.add_member("mo_owner", 50, group="mo")
    kura.add_member("mo_maint", 40, group="mo")
    kura.create_project("mo/app", "private")
    kura.add_member("mo_dev", 30, project="mo/app")
    tmp = tmp_path_factory.mktemp("morepo")
    repo = make_repo(tmp / "src", {"README.md": "hi\n"})
    git(repo, "push", kura.git_url("mo/app", "root", kura.root_token()),
        f"HEAD:refs/heads/{HOSTILE[:12].replace(' ', '').replace('<', '').replace('>', '')}x")
    git(repo, "push", kura.git_url("mo/app", "root", kura.root_token()), "HEAD:main")
    return {
        "root": signed_in(kura, "root", kura.root_password()),
        "owner": signed_in(kura, "mo_owner", "owner-password-1"),
        "maint": signed_in(kura, "mo_maint", "maint-password-1"),
        "dev": signed_in(kura, "mo_dev", "dev-password-1"),
        "out": signed_in(kura, "mo_out", "out-password-1"),
    }


def csrf_refused(b, path, data):
    r = b.post(path, data, token=False)
    assert r.status_code == 422, (path, r.status_code)


def uid(kura, name):
    return kura.sql(f"SELECT id FROM users WHERE username = '{name}'")[0][0]


# --- activity --------------------------------------------------------------

def test_activity_lists_pushes_newest_first(kura, env):
    r = env["dev"].get("/dashboard/activity")
    assert r.status_code == 200
    assert "pushed new branch" in r.text and "mo/app" in r.text
    assert r.text.index("<code>main</code>") < r.text.index("x</code>")
    inert(r.text)
    # Someone outside sees none of it; signed out is sent to sign in.
    assert "mo/app" not in env["out"].get("/dashboard/activity").text
    r = Browser(kura).get("/dashboard/activity")
    assert r.status_code == 303 and "/users/sign_in" in r.headers["Location"]


def test_activity_paginates(kura, env):
    pid = kura.sql("SELECT id FROM projects WHERE path = 'app'")[0][0]
    rid = uid(kura, "root")
    for i in range(35):
        kura.sql(f"INSERT INTO push_events (project_id, user_id, ref, before_sha, after_sha,"
                 f" created_at) VALUES ({pid}, {rid}, 'refs/heads/bulk{i:02d}',"
                 f" '{'1' * 40}', '{'2' * 40}', 1)")
    r = env["dev"].get("/dashboard/activity")
    assert "bulk34" in r.text and "bulk00" not in r.text and 'rel="next"' in r.text
    r = env["dev"].get("/dashboard/activity?page=2")
    assert "bulk00" in r.text and "bulk34" not in r.text
    assert env["dev"].get("/dashboard/activity?page=junk").status_code == 200


# --- group members ----------------------------------------------------------

def test_group_members_page_and_permissions(kura, env):
    r = env["maint"].get("/groups/mo/-/group_members")
    assert r.status_code == 200 and "mo_owner" in r.text and "Add to group" in r.text
    # A Maintainer gets no controls on the Owner's row and cannot offer Owner.
    assert 'value="50"' not in r.text
    assert env["out"].get("/groups/mo/-/group_members").status_code == 404
    assert env["out"].get("/groups/mo/-/edit").status_code == 404
    assert env["maint"].get("/groups/mo/-/edit").status_code == 404
    assert env["maint"].get("/groups/nope/-/group_members").status_code == 404
    assert env["maint"].get("/mo_out/-/group_members").status_code == 404


def test_group_member_add_change_remove(kura, env):
    kura.create_user("mo_new", "new-password-1")
    b = env["maint"]
    r = b.post("/groups/mo/-/group_members", {"username": "mo_new", "access_level": "20"})
    assert r.status_code == 200 and "The member was added" in r.text
    r = b.post("/groups/mo/-/group_members", {"username": "mo_new", "access_level": "20"})
    assert r.status_code == 422
    r = b.post("/groups/mo/-/group_members", {"username": "ghost", "access_level": "20"})
    assert r.status_code == 422 and "no user" in r.text
    r = b.post("/groups/mo/-/group_members", {"username": "mo_new", "access_level": "7"})
    assert r.status_code == 422
    new = uid(kura, "mo_new")
    r = b.post(f"/groups/mo/-/group_members/{new}", {"access_level": "30"})
    assert r.status_code == 200
    assert kura.sql(f"SELECT access_level FROM members WHERE user_id = {new}") == [(30,)]
    # Owner is for Owners to hand out.
    r = b.post(f"/groups/mo/-/group_members/{new}", {"access_level": "50"})
    assert r.status_code == 403
    r = b.post(f"/groups/mo/-/group_members/{uid(kura, 'mo_owner')}/remove", {})
    assert r.status_code == 403
    r = b.post(f"/groups/mo/-/group_members/{new}/remove", {})
    assert r.status_code == 200
    assert kura.sql(f"SELECT count(*) FROM members WHERE user_id = {new}") == [(0,)]
    assert b.post("/groups/mo/-/group_members/999999/remove", {}).status_code == 404
    assert b.post("/groups/mo/-/group_members/x/remove", {}).status_code == 404
    # A Developer may not add anyone.
    kura.add_member("mo_dev", 30, group="mo")
    r = env["dev"].post("/groups/mo/-/group_members",
                        {"username": "mo_out", "access_level": "10"})
    assert r.status_code == 404
    csrf_refused(b, "/groups/mo/-/group_members", {"username": "mo_out", "access_level": "10"})
    csrf_refused(b, f"/groups/mo/-/group_members/{new}", {"access_level": "10"})
    csrf_refused(b, f"/groups/mo/-/group_members/{new}/remove", {})


def test_group_keeps_one_owner(kura, env):
    kura.create_group("solo")
    kura.add_member("mo_owner", 50, group="solo")
    b = env["owner"]
    owner = uid(kura, "mo_owner")
    r = b.post(f"/groups/solo/-/group_members/{owner}", {"access_level": "40"})
    assert r.status_code == 403 and "at least one owner" in r.text
    r = b.post(f"/groups/solo/-/group_members/{owner}/remove", {})
    assert r.status_code == 403
    assert kura.sql(f"SELECT access_level FROM members m JOIN namespaces n ON"
                    f" n.id = m.source_id WHERE n.path = 'solo' AND m.user_id = {owner}") \
        == [(50,)]


# --- group settings ---------------------------------------------------------

def test_group_settings_save_and_delete(kura, env):
    kura.create_group("gone")
    kura.add_member("mo_owner", 50, group="gone")
    kura.create_project("gone/p", "private")
    b = env["owner"]
    r = b.get("/groups/gone/-/edit")
    assert r.status_code == 200 and "Delete group" in r.text
    r = b.post("/groups/gone/-/edit", {"group[name]": HOSTILE, "group[description]": HOSTILE,
                                       "group[visibility]": "internal"})
    assert r.status_code in (200, 422)
    inert(r.text)
    r = b.post("/groups/gone/-/edit", {"group[name]": "Gone", "group[description]": HOSTILE,
                                       "group[visibility]": "internal"})
    assert r.status_code == 200 and "were saved" in r.text
    inert(r.text)
    inert(b.get("/gone").text)
    assert kura.sql("SELECT name, visibility FROM namespaces WHERE path = 'gone'") == \
        [("Gone", "internal")]
    r = b.post("/groups/gone/-/edit", {"group[visibility]": "secret"})
    assert r.status_code == 422
    csrf_refused(b, "/groups/gone/-/edit", {"group[name]": "x"})
    csrf_refused(b, "/groups/gone/-/edit/delete", {"confirm": "gone"})
    r = b.post("/groups/gone/-/edit/delete", {"confirm": "Gone"})
    assert r.status_code == 422
    assert env["maint"].post("/groups/mo/-/edit/delete", {"confirm": "mo"}).status_code == 404
    r = b.post("/groups/gone/-/edit/delete", {"confirm": "gone"})
    assert r.status_code == 303
    assert kura.sql("SELECT count(*) FROM namespaces WHERE path = 'gone'") == [(0,)]
    assert b.get("/gone").status_code == 404


# --- project rename and transfer --------------------------------------------

def test_project_rename_and_transfer(kura, env, tmp_path):
    kura.create_project("mo/mover", "private")
    kura.create_group("dest")
    kura.add_member("mo_owner", 40, group="dest")
    repos_before = kura.repo_dirs()
    b = env["owner"]
    r = b.get("/mo/mover/-/settings/advanced")
    assert r.status_code == 200 and "Transfer project" in r.text and "dest" in r.text
    assert env["dev"].get("/mo/app/-/settings/advanced").status_code == 404
    csrf_refused(b, "/mo/mover/-/settings/advanced/rename",
                 {"project[path]": "moved", "confirm": "mover"})
    r = b.post("/mo/mover/-/settings/advanced/rename",
               {"project[path]": "moved", "confirm": "nope"})
    assert r.status_code == 422
    r = b.post("/mo/mover/-/settings/advanced/rename",
               {"project[path]": "../x", "confirm": "mover"})
    assert r.status_code == 422
    r = b.post("/mo/mover/-/settings/advanced/rename",
               {"project[path]": "app", "confirm": "mover"})
    assert r.status_code == 422
    r = b.post("/mo/mover/-/settings/advanced/rename",
               {"project[path]": "moved", "confirm": "mover"})
    assert r.status_code == 303 and r.headers["Location"] == "/mo/moved/-/settings/advanced"
    assert b.get("/mo/mover").status_code == 404
    dest = kura.sql("SELECT id FROM namespaces WHERE path = 'dest'")[0][0]
    csrf_refused(b, "/mo/moved/-/settings/advanced/transfer",
                 {"namespace_id": str(dest), "confirm": "moved"})
    # A namespace the caller may not create in is refused.
    out_ns = kura.sql("SELECT id FROM namespaces WHERE path = 'mo_out'")[0][0]
    r = b.post("/mo/moved/-/settings/advanced/transfer",
               {"namespace_id": str(out_ns), "confirm": "moved"})
    assert r.status_code == 422
    r = b.post("/mo/moved/-/settings/advanced/transfer",
               {"namespace_id": "junk", "confirm": "moved"})
    assert r.status_code == 422
    r = b.post("/mo/moved/-/settings/advanced/transfer",
               {"namespace_id": str(dest), "confirm": "moved"})
    assert r.status_code == 303 and r.headers["Location"] == "/dest/moved/-/settings/advanced"
    assert b.get("/dest/moved").status_code == 200
    assert kura.repo_dirs() == repos_before + [d for d in kura.repo_dirs()
                                               if d not in repos_before]
    # Git follows the new path at once.
    git(tmp_path, "ls-remote", kura.git_url("dest/moved", "root", kura.root_token()))
    # Maintainers rename but do not transfer.
    r = env["maint"].post("/mo/app/-/settings/advanced/transfer",
                          {"namespace_id": str(dest), "confirm": "app"})
    assert r.status_code == 403


# --- SSH keys and applications ------------------------------------------------

def test_ssh_keys_add_and_remove(kura, env, tmp_path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "me@x",
                    "-f", str(tmp_path / "k")], check=True)
    key = (tmp_path / "k.pub").read_text().strip()
    b = env["dev"]
    assert b.get("/-/profile/keys").status_code == 200
    csrf_refused(b, "/-/profile/keys", {"key[key]": key, "key[title]": "t"})
    r = b.post("/-/profile/keys", {"key[key]": key, "key[title]": HOSTILE})
    assert r.status_code == 201 and "SHA256:" in r.text
    inert(r.text)
    r = b.post("/-/profile/keys", {"key[key]": key, "key[title]": "again"})
    assert r.status_code == 422 and "already" in r.text
    r = b.post("/-/profile/keys", {"key[key]": "ssh-rsa AAAA" + HOSTILE, "key[title]": "x"})
    assert r.status_code == 422
    inert(r.text)
    r = b.post("/-/profile/keys", {"key[key]": "x" * 6000, "key[title]": "x"})
    assert r.status_code == 422
    kid = kura.sql("SELECT id FROM ssh_keys WHERE title LIKE '%onerror%'")[0][0]
    # Someone else's key is not there for them.
    assert env["out"].post(f"/-/profile/keys/{kid}/delete", {}).status_code == 404
    csrf_refused(b, f"/-/profile/keys/{kid}/delete", {})
    r = b.post(f"/-/profile/keys/{kid}/delete", {})
    assert r.status_code == 200 and "SHA256:" not in r.text
    assert b.post("/-/profile/keys/99999999999999999999999/delete", {}).status_code == 404


def test_authorized_applications_revoke(kura, env):
    me = uid(kura, "mo_dev")
    kura.sql("INSERT INTO oauth_applications (uid, secret_hash, name, redirect_uri, scopes,"
             f" created_at) VALUES ('u1', 's', '{HOSTILE}', 'https://x/cb', 'api', 1)")
    app = kura.sql("SELECT id FROM oauth_applications WHERE uid = 'u1'")[0][0]
    for i in range(2):
        kura.sql("INSERT INTO oauth_access_tokens (application_id, user_id, token_hash,"
                 f" refresh_hash, scopes, created_at, expires_at) VALUES ({app}, {me},"
                 f" 't{i}', 'r{i}', 'api read_user', 1, 9999999999999)")
    b = env["dev"]
    r = b.get("/-/profile/applications")
    assert r.status_code == 200 and "read_user" in r.text and "/oauth/applications" in r.text
    inert(r.text)
    assert "read_user" not in env["out"].get("/-/profile/applications").text
    assert env["out"].post(f"/-/profile/applications/{app}/revoke", {}).status_code == 404
    csrf_refused(b, f"/-/profile/applications/{app}/revoke", {})
    r = b.post(f"/-/profile/applications/{app}/revoke", {})
    assert r.status_code == 200 and "read_user" not in r.text
    assert kura.sql(f"SELECT count(*) FROM oauth_access_tokens WHERE user_id = {me}"
                    " AND revoked_at IS NULL") == [(0,)]
    assert b.post(f"/-/profile/applications/{app}/revoke", {}).status_code == 404


# --- webhook test, mirror status ---------------------------------------------

def add_hook(kura, pid):
    kura.sql("INSERT INTO webhooks (scope, scope_id, url, uuid, created_at) VALUES"
             f" ('project', {pid}, 'https://example.com/hook{pid}', 'u-{pid}', 1)")
    return kura.sql(f"SELECT id FROM webhooks WHERE scope_id = {pid}")[0][0]


def test_webhook_test_button_queues_a_delivery(kura, env):
    pid = kura.sql("SELECT id FROM projects WHERE path = 'app'")[0][0]
    b = env["root"]
    # Saved through SQL: the form vets the URL by resolving it, which needs
    # a network the tests do not have.
    hid = add_hook(kura, pid)
    assert f"/hooks/{hid}/test" in b.get("/mo/app/-/hooks").text
    before = kura.sql("SELECT count(*) FROM jobs WHERE kind LIKE '%hook%'")[0][0]
    csrf_refused(b, f"/mo/app/-/hooks/{hid}/test", {})
    r = b.post(f"/mo/app/-/hooks/{hid}/test", {})
    assert r.status_code == 200 and "queued" in r.text
    assert kura.sql("SELECT count(*) FROM jobs WHERE kind LIKE '%hook%'")[0][0] == before + 1
    assert env["dev"].post(f"/mo/app/-/hooks/{hid}/test", {}).status_code == 404
    # An empty repository has nothing to describe.
    kura.create_project("mo/empty", "private")
    eid = add_hook(kura, kura.sql("SELECT id FROM projects WHERE path = 'empty'")[0][0])
    assert b.post(f"/mo/empty/-/hooks/{eid}/test", {}).status_code == 422
    # Another project's hook id is not found here.
    assert b.post(f"/mo/empty/-/hooks/{hid}/test", {}).status_code == 404


def test_mirror_status(kura, env):
    kura.create_project("mo/mirror", "private")
    pid = kura.sql("SELECT id FROM projects WHERE path = 'mirror'")[0][0]
    b = env["owner"]
    r = b.get("/mo/mirror/-/settings/mirror")
    assert r.status_code == 200 and "not a pull mirror" in r.text
    kura.sql("INSERT INTO project_mirrors (project_id, url, mirror, interval_ms, import_status,"
             f" import_error, last_update_at, created_at) VALUES ({pid},"
             f" 'https://example.invalid/r.git', 1, 86400000, 'failed', '{HOSTILE}', 1, 1)")
    r = b.get("/mo/mirror/-/settings/mirror")
    assert r.status_code == 200 and "failed" in r.text and "example.invalid" not in r.text
    inert(r.text)
    r = b.get("/mo/mirror")
    assert 'id="mirror-status"' in r.text
    inert(r.text)
    assert env["dev"].get("/mo/app/-/settings/mirror").status_code == 404


# --- admin ------------------------------------------------------------------

def test_admin_user_page_admin_and_password(kura, env):
    kura.create_user("mo_target", "target-password-1")
    t = signed_in(kura, "mo_target", "target-password-1")
    b = env["root"]
    r = b.get("/admin/users/mo_target")
    assert r.status_code == 200 and "Make administrator" in r.text
    assert env["dev"].get("/admin/users/mo_target").status_code == 404
    assert b.get("/admin/users/ghost").status_code == 404
    csrf_refused(b, "/admin/users/mo_target/admin", {})
    r = b.post("/admin/users/mo_target/admin", {})
    assert r.status_code == 200 and "Remove administrator rights" in r.text
    assert t.get("/admin").status_code == 200
    r = b.post("/admin/users/mo_target/unadmin", {})
    assert r.status_code == 200 and "Make administrator" in r.text
    assert t.get("/admin").status_code == 404
    r = b.post("/admin/users/root/unadmin", {})
    assert r.status_code == 422
    csrf_refused(b, "/admin/users/mo_target/password",
                 {"user[password]": "brand-new-pass-1", "user[password_confirmation]":
                  "brand-new-pass-1"})
    r = b.post("/admin/users/mo_target/password",
               {"user[password]": "brand-new-pass-1", "user[password_confirmation]": "other"})
    assert r.status_code == 422
    r = b.post("/admin/users/mo_target/password",
               {"user[password]": "short", "user[password_confirmation]": "short"})
    assert r.status_code == 422
    r = b.post("/admin/users/mo_target/password",
               {"user[password]": "brand-new-pass-1",
                "user[password_confirmation]": "brand-new-pass-1"})
    assert r.status_code == 200
    # The user's session ended; the new password signs in.
    assert t.get("/dashboard/projects").status_code == 303
    signed_in(kura, "mo_target", "brand-new-pass-1")
    assert env["dev"].post("/admin/users/mo_target/admin", {}).status_code == 404


def test_admin_lists_and_system_info(kura, env):
    kura.sql("INSERT INTO jobs (kind, payload, idempotency_key, run_at, max_attempts, last_error,"
             f" state, created_at) VALUES ('webhook', '{{}}', 'k-fail', 5, 3, '{HOSTILE}',"
             " 'failed', 5)")
    b = env["root"]
    r = b.get("/admin/groups")
    assert r.status_code == 200 and "/groups/mo/-/group_members" in r.text
    r = b.get("/admin/projects")
    assert r.status_code == 200 and "mo/app" in r.text
    r = b.get("/admin/system_info")
    assert r.status_code == 200 and 'id="failed-jobs"' in r.text and 'id="jobs-pending"' in r.text
    assert "Repository storage" in r.text and ("KiB" in r.text or "MiB" in r.text)
    inert(r.text)
    assert html.escape(HOSTILE, quote=True)[:20] in r.text
    for path in ("/admin/groups", "/admin/projects", "/admin/system_info"):
        assert env["dev"].get(path).status_code == 404
        assert Browser(kura).get(path).status_code == 303
    assert b.get("/admin/projects?page=99999").status_code == 200


def test_project_members_follow_the_shared_rules(kura, env):
    """The project members page applies the same rules as the API and the
    group pages: a Maintainer neither grants nor removes Owner."""
    kura.create_user("mo_powner", "powner-password-1")
    kura.add_member("mo_powner", 50, project="mo/app")
    b = env["maint"]
    base = "/mo/app/-/project_members"
    r = b.post(base, {"username": "mo_out", "access_level": "50"})
    assert r.status_code == 403
    r = b.post(f"{base}/{uid(kura, 'mo_powner')}/remove", {})
    assert r.status_code == 403
    assert kura.sql("SELECT count(*) FROM members m JOIN users u ON u.id = m.user_id"
                    " WHERE u.username = 'mo_powner'") == [(1,)]
    r = b.post(base, {"username": "mo_out", "access_level": "20"})
    assert r.status_code == 200
    r = b.post(f"{base}/{uid(kura, 'mo_out')}/remove", {})
    assert r.status_code == 200
    assert b.post(f"{base}/999999/remove", {}).status_code == 404
