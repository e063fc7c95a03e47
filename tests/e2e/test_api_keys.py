"""SSH keys of users and deploy keys of projects: parsing every accepted
type, fingerprints as ssh-keygen prints them, uniqueness across both kinds,
permissions, and hostile key blobs."""
import base64
import struct
import subprocess

import pytest
import requests

from conftest import server_alive


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


def call(kura, token, method, path, **kw):
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, api(kura, path), headers=headers, timeout=30, **kw)


def keygen(tmp_path, kind, bits=None, comment="k@test"):
    path = tmp_path / f"{kind}-{bits}-{len(list(tmp_path.iterdir()))}"
    args = ["ssh-keygen", "-q", "-N", "", "-C", comment, "-t", kind, "-f", str(path)]
    if bits:
        args += ["-b", str(bits)]
    subprocess.run(args, check=True, capture_output=True)
    pub = path.with_suffix(".pub") if path.suffix else path.parent / (path.name + ".pub")
    text = pub.read_text().strip()
    sha = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True,
                         check=True).stdout.split()[1]
    md5 = subprocess.run(["ssh-keygen", "-E", "md5", "-lf", str(pub)], capture_output=True,
                         text=True, check=True).stdout.split()[1][4:]
    return text, sha, md5


@pytest.fixture(scope="module")
def users(kura):
    out = {}
    for name in ("alice", "bob"):
        kura.create_user(f"key-{name}")
        tok = kura.create_token(f"key-{name}", "api", "t")
        out[name] = (tok, call(kura, tok, "GET", "user").json()["id"])
    return out


@pytest.mark.parametrize("kind,bits", [("ed25519", None), ("rsa", 2048), ("rsa", 4096),
                                       ("ecdsa", 256), ("ecdsa", 384), ("ecdsa", 521)])
def test_user_key_types_and_fingerprints(kura, users, tmp_path, kind, bits):
    tok, uid = users["alice"]
    text, sha, md5 = keygen(tmp_path, kind, bits)
    r = call(kura, tok, "POST", "user/keys", json={"title": f"{kind}{bits}", "key": text + "\n"})
    assert r.status_code == 201, r.text
    k = r.json()
    assert k["key"] == text and k["title"] == f"{kind}{bits}"
    assert k["usage_type"] == "auth_and_signing" and k["expires_at"] is None
    assert set(k) == {"id", "title", "key", "created_at", "expires_at", "usage_type"}
    admin = kura.root_token()
    r = call(kura, admin, "GET", "keys", params={"fingerprint": sha})
    assert r.status_code == 200 and r.json()["id"] == k["id"]
    assert r.json()["user"]["id"] == uid
    assert r.json()["fingerprint"] == md5 and r.json()["fingerprint_sha256"] == sha
    assert call(kura, admin, "GET", "keys", params={"fingerprint": md5}).json()["id"] == k["id"]
    assert call(kura, tok, "GET", f"keys/{k['id']}").json()["user"]["username"] == "key-alice"


def test_sk_key_types(kura, users):
    tok, _ = users["alice"]

    def s(b):
        return struct.pack(">I", len(b)) + b
    ed = s(b"sk-ssh-ed25519@openssh.com") + s(b"\x01" * 32) + s(b"ssh:")
    ec = (s(b"sk-ecdsa-sha2-nistp256@openssh.com") + s(b"nistp256") +
          s(b"\x04" + b"\x02" * 64) + s(b"ssh:"))
    for blob, kind in ((ed, "sk-ssh-ed25519@openssh.com"),
                       (ec, "sk-ecdsa-sha2-nistp256@openssh.com")):
        key = f"{kind} {base64.b64encode(blob).decode()} yubi"
        r = call(kura, tok, "POST", "user/keys", json={"title": kind, "key": key})
        assert r.status_code == 201, r.text


def test_user_keys_lifecycle_with_python_gitlab(kura, gl, users, tmp_path):
    import gitlab
    tok, uid = users["bob"]
    bob = gitlab.Gitlab(kura.base, private_token=tok)
    bob.auth()
    text, _, _ = keygen(tmp_path, "ed25519")
    k = bob.user.keys.create({"title": "laptop", "key": text,
                              "expires_at": "2099-01-01T00:00:00.000Z", "usage_type": "auth"})
    assert k.usage_type == "auth" and k.expires_at.startswith("2099-01-01T00:00:00")
    assert [x.id for x in bob.user.keys.list()] == [k.id]
    # Anyone sees a user's keys; only the owner or an admin removes them.
    assert call(kura, None, "GET", f"users/{uid}/keys").json()[0]["id"] == k.id
    assert call(kura, None, "GET", f"users/{uid}/keys/{k.id}").status_code == 200
    alice_tok = users["alice"][0]
    assert call(kura, alice_tok, "DELETE", f"user/keys/{k.id}").status_code == 404
    assert call(kura, alice_tok, "GET", f"user/keys/{k.id}").json() == \
        {"message": "404 Key Not Found"}
    assert call(kura, alice_tok, "DELETE", f"users/{uid}/keys/{k.id}").status_code == 403
    assert call(kura, alice_tok, "POST", f"users/{uid}/keys",
                json={"title": "x", "key": text}).status_code == 403
    bob.user.keys.delete(k.id)
    assert bob.user.keys.list() == []
    # Admins add and remove anyone's keys.
    u = gl.users.get(uid)
    k2 = u.keys.create({"title": "by-admin", "key": text})
    assert [x.id for x in u.keys.list()] == [k2.id]
    assert call(kura, kura.root_token(), "DELETE", f"users/{uid}/keys/{k2.id}").status_code == 204
    assert call(kura, None, "POST", "user/keys", json={"title": "x", "key": text}).status_code == 401
    assert call(kura, tok, "GET", "keys", params={"fingerprint": "SHA256:x"}).status_code == 403


def test_duplicates_and_hostile_keys(kura, users, tmp_path):
    tok, _ = users["alice"]
    text, _, _ = keygen(tmp_path, "ed25519")
    assert call(kura, tok, "POST", "user/keys", json={"title": "a", "key": text}).status_code == 201
    r = call(kura, users["bob"][0], "POST", "user/keys", json={"title": "b", "key": text})
    assert r.status_code == 400
    assert r.json() == {"message": {"fingerprint_sha256": ["has already been taken"]}}
    small, _, _ = keygen(tmp_path, "rsa", 1024)
    r = call(kura, tok, "POST", "user/keys", json={"title": "s", "key": small})
    assert r.status_code == 400 and r.json() == {"message": {"key": ["must be at least 2048 bits"]}}
    good_b64 = text.split()[1]
    blob = base64.b64decode(good_b64)
    hostile = [
        "", "ssh-ed25519", "ssh-ed25519 !!!!", "ssh-dss AAAAB3NzaC1kc3M=",
        "ssh-rsa " + good_b64,                                     # type mismatch
        "ssh-ed25519 " + base64.b64encode(blob[:-1]).decode(),     # truncated
        "ssh-ed25519 " + base64.b64encode(blob + b"x").decode(),   # trailing bytes
        "ssh-ed25519 " + base64.b64encode(b"\xff\xff\xff\xff" + blob[4:]).decode(),
        "ssh-ed25519 " + good_b64 + " com\x01ment",
        "ssh-ed25519 " + "A" * 6000,
        "ssh-ed25519 " + good_b64[:-4] + "\x00" + good_b64[-3:],
        "-oProxyCommand=x " + good_b64,
    ]
    for key in hostile:
        r = call(kura, tok, "POST", "user/keys", json={"title": "h", "key": key})
        assert r.status_code == 400, (key[:60], r.text)
    r = call(kura, tok, "POST", "user/keys", json={"title": "h", "key": "ssh-rsa " + "A" * 1024 * 1024})
    assert r.status_code in (400, 413)
    for bad in ({"key": text}, {"title": "t"}, {"title": "", "key": text},
                {"title": "t", "key": text, "usage_type": "root"},
                {"title": "t", "key": text, "expires_at": "tomorrow"},
                {"title": "t", "key": text, "expires_at": "2001-01-01"}):
        r = call(kura, users["bob"][0], "POST", "user/keys", json=bad)
        assert r.status_code == 400, (bad, r.text)
    assert call(kura, tok, "GET", "user/keys/abc").status_code == 404
    assert call(kura, None, "GET", "users/999999/keys").status_code == 404
    assert server_alive(kura)


def test_deploy_keys(kura, gl, users, tmp_path):
    p = gl.projects.create({"name": "dk-one"})
    q = gl.projects.create({"name": "dk-two"})
    text, sha, md5 = keygen(tmp_path, "ed25519")
    dk = p.keys.create({"title": "ci", "key": text, "can_push": True})
    assert dk.can_push is True and dk.fingerprint == md5 and dk.fingerprint_sha256 == sha
    assert [k.id for k in p.keys.list()] == [dk.id]
    got = p.keys.get(dk.id)
    assert got.title == "ci"
    r = call(kura, kura.root_token(), "PUT", f"projects/{p.id}/deploy_keys/{dk.id}",
             json={"title": "ci2", "can_push": False})
    assert r.status_code == 200 and r.json()["title"] == "ci2" and r.json()["can_push"] is False
    # The same key in another project is the same deploy key.
    dk2 = q.keys.create({"title": "again", "key": text})
    assert dk2.id == dk.id
    assert call(kura, kura.root_token(), "POST",
                f"projects/{q.id}/deploy_keys/{dk.id}/enable").status_code == 201
    admin_list = call(kura, kura.root_token(), "GET", "deploy_keys").json()
    entry = [x for x in admin_list if x["id"] == dk.id][0]
    assert sorted(l["project_id"] for l in entry["deploy_keys_projects"]) == sorted([p.id, q.id])
    # A user key is not a deploy key, and the reverse.
    r = call(kura, users["alice"][0], "POST", "user/keys", json={"title": "x", "key": text})
    assert r.status_code == 400
    p.keys.delete(dk.id)
    assert p.keys.list() == []
    assert [k.id for k in q.keys.list()] == [dk.id]
    q.keys.delete(dk.id)
    assert call(kura, kura.root_token(), "GET", f"keys/{dk.id}").status_code == 404
    r = call(kura, kura.root_token(), "POST", f"projects/{p.id}/deploy_keys",
             json={"title": "bad", "key": "ssh-ed25519 AAAA"})
    assert r.status_code == 400 and r.json() == {"message": {"key": ["is invalid"]}}
    assert call(kura, kura.root_token(), "GET", f"projects/{p.id}/deploy_keys/9999").json() == \
        {"message": "404 Deploy key Not Found"}


def test_deploy_key_permissions(kura, gl, users, tmp_path):
    p = gl.projects.create({"name": "dk-perm", "visibility": "public"})
    tok, uid = users["alice"]
    text, _, _ = keygen(tmp_path, "ed25519")
    for level, want in ((30, 403), (40, 201)):
        p.members.create({"user_id": uid, "access_level": level}) if level == 30 else \
            p.members.update(uid, {"access_level": level})
        r = call(kura, tok, "POST", f"projects/{p.id}/deploy_keys", json={"title": "t", "key": text})
        assert r.status_code == want, r.text
    assert call(kura, None, "GET", f"projects/{p.id}/deploy_keys").status_code == 403
    assert call(kura, users["bob"][0], "GET", f"projects/{p.id}/deploy_keys").status_code == 403
    assert call(kura, tok, "GET", "deploy_keys").status_code == 403
