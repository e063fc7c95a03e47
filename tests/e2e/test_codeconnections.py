"""The whole AWS CodeConnections / CodePipeline / CodeBuild sequence against
the real binary, played as an independent client from the compatibility
spec (shared/compat/codeconnections.md): host setup with an admin PAT, the
connection's browser consent, the console pickers, webhook registration and
delivery on push, the CODE_ZIP source fetch, CodeBuild's full clone and its
build statuses, token refresh and revocation."""
import io
import json
import subprocess
import time
import urllib.parse
import zipfile

import pytest
import requests

from conftest import _finish, _start, commit, git, make_repo
from test_oauth import Browser, location_params, pkce_pair
from test_webhooks import Receiver

CB = "https://us-east-1.console.aws.amazon.com/codesuite/settings/connections/redirect"
ZERO = "0" * 40


@pytest.fixture(scope="module")
def gk(request, tmp_path_factory):
    """A server whose webhooks may reach the loopback receiver (as an
    operator allows the VPC range of the AWS webhook endpoint)."""
    k = _start(tmp_path_factory, "aws", {"KURA_OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8"})
    yield k
    _finish(request, k)


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


def api(k, method, path, token, **kw):
    return requests.request(method, k.url("/api/v4" + path),
                            headers={"Authorization": f"Bearer {token}"}, **kw)


def zip_files(data, strip_top):
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            name = info.filename
            if strip_top:
                top, _, name = name.partition("/")
            out[name] = z.read(info)
    return out


def test_aws_sequence(gk, receiver, tmp_path):
    k = gk
    # --- host setup: the administrator pastes a PAT with api + admin_mode ----------
    k.create_user("awsadmin", password="awsadmin-pass-1", admin=True)
    pat = k.create_token("awsadmin", "api,admin_mode", "codeconnections")
    h = {"PRIVATE-TOKEN": pat}
    me = requests.get(k.url("/api/v4/user"), headers=h).json()
    assert me["is_admin"] is True
    version = requests.get(k.url("/api/v4/version"), headers=h).json()["version"]
    assert int(version.split(".")[0]) >= 15
    self_tok = requests.get(k.url("/api/v4/personal_access_tokens/self"), headers=h).json()
    assert "admin_mode" in self_tok["scopes"] and self_tok["active"] is True
    assert requests.get(k.url("/api/v4/applications"), headers=h).status_code == 200
    r = requests.post(k.url("/api/v4/applications"), headers=h, data={
        "name": "AWS Connector for GitLab self-managed", "redirect_uri": CB,
        "scopes": "api read_user read_repository write_repository", "confidential": "true"})
    assert r.status_code == 201, r.text
    app = r.json()
    client = (app["application_id"], app["secret"])

    # --- the project the pipeline builds, owned by the connecting user ---------------
    k.create_user("dev", password="dev-password-12")
    k.create_group("grp")
    k.create_group("grp/sub")
    k.add_member("dev", 50, group="grp")
    k.create_project("grp/sub/app")
    dev_pat = k.create_token("dev", "api", "setup")
    src = make_repo(tmp_path / "src", {"README.md": "# app\n", "src/main.py": "print(1)\n",
                                       "buildspec.yml": "version: 0.2\n"})
    first = git(src, "rev-parse", "HEAD").stdout.strip()
    second = commit(src, {"src/main.py": "print(2)\n"}, "second")
    git(src, "push", k.git_url("grp/sub/app", user="dev", secret=dev_pat),
        "HEAD:main", "HEAD:refs/heads/feature/login")

    # --- connection: browser sign-in and consent, then the token exchange ------------
    browser = Browser(k, "dev", "dev-password-12")
    verifier, challenge = pkce_pair()
    params = {"client_id": app["application_id"], "redirect_uri": CB, "response_type": "code",
              "state": "aws-state-1", "scope": "api read_user read_repository",
              "code_challenge": challenge, "code_challenge_method": "S256"}
    loc, q = location_params(browser.authorize(params))
    assert loc.startswith(CB + "?") and q["state"] == "aws-state-1"
    r = requests.post(k.url("/oauth/token"), auth=client, data={
        "grant_type": "authorization_code", "code": q["code"], "redirect_uri": CB,
        "code_verifier": verifier})
    assert r.status_code == 200, r.text
    tok = r.json()
    assert tok["token_type"].lower() == "bearer" and tok["expires_in"] == 7200
    # The same without PKCE and with the client in the body (both forms are used).
    loc, q2 = location_params(browser.authorize(dict(params, state="aws-state-2",
                                                     code_challenge="",
                                                     code_challenge_method="")))
    r = requests.post(k.url("/oauth/token"), data={
        "grant_type": "authorization_code", "code": q2["code"], "redirect_uri": CB,
        "client_id": app["application_id"], "client_secret": app["secret"]})
    assert r.status_code == 200, r.text
    access = tok["access_token"]

    who = api(k, "GET", "/user", access)
    assert who.status_code == 200 and who.json()["username"] == "dev"

    # --- console pickers ----------------------------------------------------------------
    r = api(k, "GET", "/projects", access, params={
        "membership": "true", "min_access_level": "50", "simple": "true", "search": "app",
        "per_page": "100", "page": "1"})
    assert r.status_code == 200, r.text
    assert [p["path_with_namespace"] for p in r.json()] == ["grp/sub/app"]
    assert r.headers.get("X-Page") == "1"
    r = api(k, "GET", "/projects", access, params={"owned": "true", "per_page": "100"})
    assert r.status_code == 200
    r = api(k, "GET", "/projects/" + urllib.parse.quote("grp/sub/app", safe=""), access)
    assert r.status_code == 200, r.text
    proj = r.json()
    pid = proj["id"]
    assert proj["path_with_namespace"] == "grp/sub/app" and proj["default_branch"] == "main"
    perms = proj["permissions"]
    levels = [(perms.get("project_access") or {}).get("access_level"),
              (perms.get("group_access") or {}).get("access_level")]
    assert 50 in levels, perms
    assert proj["http_url_to_repo"] == k.base + "/grp/sub/app.git"
    r = api(k, "GET", f"/projects/{pid}/repository/branches", access,
            params={"per_page": "100", "page": "1"})
    assert sorted(b["name"] for b in r.json()) == ["feature/login", "main"]
    r = api(k, "GET", f"/projects/{pid}/repository/branches/feature%2Flogin", access)
    assert r.status_code == 200 and r.json()["commit"]["id"] == second
    r = api(k, "GET", f"/projects/{pid}/repository/branches/nope", access)
    assert r.status_code == 404 and r.json() == {"message": "404 Branch Not Found"}
    c = api(k, "GET", f"/projects/{pid}/repository/commits/{second}", access).json()
    assert c["id"] == second and c["title"] == "second" and c["authored_date"]

    # --- pipeline creation registers a webhook; a push delivers it -----------------------
    assert api(k, "GET", f"/projects/{pid}/hooks", access).json() == []
    r = api(k, "POST", f"/projects/{pid}/hooks", access, data={
        "url": receiver.url("/aws"), "token": "aws-webhook-secret", "push_events": "true",
        "tag_push_events": "true", "merge_requests_events": "true",
        "enable_ssl_verification": "true"})
    assert r.status_code == 201, r.text
    assert "token" not in r.json()
    third = commit(src, {"src/feature.py": "x = 3\n"}, "third: add feature")
    git(src, "push", k.git_url("grp/sub/app", user="oauth2", secret=access), "HEAD:main")
    # The first push's job may run after the hook exists and deliver too:
    # hooks are matched when the job runs, as on GitLab. Pick this push's.
    deadline = time.monotonic() + 10
    while True:
        got = [d for d in receiver.wait("/aws") if json.loads(d[2])["after"] == third]
        if got or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(got) == 1, [(d[1], d[2][:300]) for d in receiver.wait("/aws")]
    _, headers, body, _ = got[0]
    assert headers["X-Gitlab-Event"] == "Push Hook"
    assert headers["X-Gitlab-Token"] == "aws-webhook-secret"
    ev = json.loads(body)
    assert ev["object_kind"] == "push" and ev["ref"] == "refs/heads/main"
    assert ev["before"] == second and ev["after"] == third and ev["checkout_sha"] == third
    assert [x["id"] for x in ev["commits"]] == [third] and ev["total_commits_count"] == 1
    assert ev["commits"][0]["added"] == ["src/feature.py"]
    assert ev["project"]["path_with_namespace"] == "grp/sub/app" and ev["project_id"] == pid

    # --- source action, CODE_ZIP: the archive equals git archive of the commit ----------
    r = api(k, "GET", f"/projects/{pid}/repository/archive.zip", access, params={"sha": third})
    assert r.status_code == 200, r.text[:300]
    theirs = zip_files(r.content, strip_top=True)
    ours = zip_files(subprocess.run(["git", "archive", "--format=zip", third], cwd=src,
                                    capture_output=True, check=True).stdout, strip_top=False)
    assert theirs == ours and "src/feature.py" in theirs
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        tops = {n.split("/")[0] for n in z.namelist()}
    assert tops == {f"app-{third}-{third}"}, tops

    # --- CodeBuild full clone with the connection token, and a fetch by SHA -------------
    url = k.git_url("grp/sub/app", user="oauth2", secret=access)
    git(tmp_path, "clone", "-q", url, "clone")
    assert git(tmp_path / "clone", "rev-parse", "HEAD").stdout.strip() == third
    for proto in ("0", "2"):
        d = tmp_path / f"bysha{proto}"
        git(tmp_path, "init", "-q", str(d))
        git(d, "-c", f"protocol.version={proto}", "fetch", "-q", "--depth", "1", url, first)
        assert git(d, "cat-file", "-t", first).stdout.strip() == "commit"

    # --- CodeBuild reports build status -------------------------------------------------
    for state in ("pending", "running", "success"):
        r = api(k, "POST", f"/projects/{pid}/statuses/{third}", access, data={
            "state": state, "name": "codebuild-app", "target_url": "https://console.aws/b/1",
            "description": f"Build {state}"})
        assert r.status_code in (200, 201), r.text
        assert r.json()["status"] == state
    r = api(k, "GET", f"/projects/{pid}/repository/commits/{third}/statuses", access)
    assert r.status_code == 200
    latest = [s for s in r.json() if s["name"] == "codebuild-app"]
    assert latest[0]["status"] == "success" and latest[0]["sha"] == third

    # A read_api token may read but not post a status.
    app2 = requests.post(k.url("/api/v4/applications"), headers=h, data={
        "name": "reader", "redirect_uri": CB, "scopes": "read_api"}).json()
    loc, q4 = location_params(browser.authorize({
        "client_id": app2["application_id"], "redirect_uri": CB, "response_type": "code",
        "state": "s4"}))
    ro = requests.post(k.url("/oauth/token"), auth=(app2["application_id"], app2["secret"]),
                       data={"grant_type": "authorization_code", "code": q4["code"],
                             "redirect_uri": CB}).json()["access_token"]
    assert api(k, "GET", f"/projects/{pid}", ro).status_code == 200
    r = api(k, "POST", f"/projects/{pid}/statuses/{third}", ro, data={"state": "failed"})
    assert r.status_code == 403 and r.json()["error"] == "insufficient_scope"

    # --- two hours later: refresh; the old access token is refused ------------------------
    r = requests.post(k.url("/oauth/token"), auth=client, data={
        "grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
    assert r.status_code == 200, r.text
    new = r.json()
    assert api(k, "GET", "/user", access).status_code == 401
    assert api(k, "GET", "/user", new["access_token"]).status_code == 200
    r = git(tmp_path, "ls-remote", url, check=False)
    assert r.returncode != 0
    # --- connection deleted: revoke -------------------------------------------------------
    r = requests.post(k.url("/oauth/revoke"), auth=client, data={"token": new["access_token"]})
    assert r.status_code == 200
    assert api(k, "GET", "/user", new["access_token"]).status_code == 401
