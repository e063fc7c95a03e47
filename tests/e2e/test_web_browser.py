"""The web UI in a real browser: headless Chromium driven by Debian's
python3-selenium and chromium-driver. Few and focused: one walk through the
acceptance story and one page sweep with hostile strings. Screenshots of the
main pages are saved in the test's temporary directory."""
import re
import shutil

import pytest

from conftest import _finish, _start, commit, git, make_repo

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
INJECTED = "img[src='x'], img[onerror], script:not([src]), iframe, [onload], a[href^='javascript']"


@pytest.fixture(scope="module")
def web_kura(request, tmp_path_factory):
    """A server whose webhooks may reach loopback (the test receiver)."""
    k = _start(tmp_path_factory, "webui", {"KURA_OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8"})
    yield k
    _finish(request, k)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not shutil.which("chromedriver") or not shutil.which("chromium"):
        pytest.skip("chromium and chromium-driver are not installed")
    profile = tmp_path_factory.mktemp("chromium-profile")
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--window-size=1280,900",
              f"--user-data-dir={profile}"):
        opts.add_argument(a)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver")) \
        if hasattr(webdriver, "ChromeService") else \
        __import__("selenium.webdriver.chrome.service", fromlist=["Service"]).Service(
            shutil.which("chromedriver"))
    d = webdriver.Chrome(service=service, options=opts)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


class Page:
    def __init__(self, d, kura, shots):
        self.d, self.kura, self.shots = d, kura, shots

    def go(self, path):
        self.d.get(self.kura.url(path))
        return self

    def shot(self, name):
        self.d.save_screenshot(str(self.shots / f"{name}.png"))

    def fill(self, field_id, value):
        e = self.d.find_element(By.ID, field_id)
        e.clear()
        e.send_keys(value)

    def submit(self, field_id):
        self.d.find_element(By.ID, field_id).find_element(By.XPATH, "./ancestor::form").submit()

    def text(self):
        return self.d.find_element(By.TAG_NAME, "body").text

    def assert_inert(self, where):
        assert not self.d.find_elements(By.CSS_SELECTOR, INJECTED), where
        try:
            self.d.switch_to.alert
            raise AssertionError(f"an alert opened on {where}")
        except NoAlertPresentException:
            pass


def sign_in(p, login, password):
    p.go("/-/static/kura.css")
    p.d.delete_all_cookies()
    p.go("/users/sign_in")
    p.fill("user_login", login)
    p.fill("user_password", password)
    p.submit("user_login")


def test_acceptance_story(web_kura, browser, tmp_path):
    k = web_kura
    p = Page(browser, k, tmp_path)
    k.create_user("outsider", "outsider-pass-1")
    sign_in(p, "root", k.root_password())
    assert "Your projects" in p.text()
    p.shot("dashboard")

    p.go("/-/profile/password/edit")
    p.fill("pw-cur", k.root_password())
    p.fill("pw-new", "root-new-password-1")
    p.fill("pw-conf", "root-new-password-1")
    p.submit("pw-cur")
    assert "successfully updated" in p.text()

    p.go("/groups/new")
    p.fill("f-name", "Acme")
    p.fill("f-path", "acme")
    p.submit("f-name")
    assert browser.current_url.endswith("/acme")

    p.go("/projects/new")
    browser.find_element(By.CSS_SELECTOR, "#f-ns option[value]")
    for o in browser.find_elements(By.CSS_SELECTOR, "#f-ns option"):
        if o.text == "acme":
            o.click()
    p.fill("f-name", "rocket")
    p.submit("f-name")
    assert browser.current_url.endswith("/acme/rocket")
    assert "This repository is empty" in p.text()

    p.go("/-/profile/personal_access_tokens")
    p.fill("t-name", "push")
    browser.find_element(By.CSS_SELECTOR, "input[value='write_repository']").click()
    p.submit("t-name")
    token = browser.find_element(By.ID, "new-token").get_attribute("value")
    assert token.startswith("kpat-")
    p.shot("token")

    repo = make_repo(tmp_path / "src", {
        "README.md": "# Rocket\n\nLaunch **now**.\n\n| k | v |\n|---|---|\n| a | b |\n",
        "src/engine.c": "int thrust = 1;\n",
    })
    sha = commit(repo, {"src/engine.c": "int thrust = 9000;\n"}, message="More thrust")
    git(repo, "push", k.git_url("acme/rocket", "root", token), "HEAD:main")

    p.go("/acme/rocket")
    assert browser.find_element(By.CSS_SELECTOR, ".markdown h1").text == "Rocket"
    assert browser.find_element(By.CSS_SELECTOR, ".markdown table")
    p.shot("project")
    p.go("/acme/rocket/-/tree/main/src")
    assert "engine.c" in p.text()
    p.shot("tree")
    p.go("/acme/rocket/-/blob/main/src/engine.c#L1")
    assert "int thrust = 9000;" in browser.find_element(By.ID, "L1").text
    p.shot("blob")
    p.go(f"/acme/rocket/-/commit/{sha}")
    assert "More thrust" in p.text()
    assert "int thrust = 9000;" in browser.find_element(By.CSS_SELECTOR, "td.add").text
    assert "int thrust = 1;" in browser.find_element(By.CSS_SELECTOR, "td.del").text
    p.shot("commit")

    p.go("/acme/rocket/-/project_members")
    p.fill("m-user", "outsider")
    p.submit("m-user")
    assert "@outsider" in p.text()
    p.go("/acme/rocket/-/settings/repository")
    # The first push protected main already; protect the release branches.
    assert "main" in p.text()
    p.fill("pb-name", "release/*")
    p.submit("pb-name")
    assert "The branch is protected." in p.text() and "release/*" in p.text()
    p.go("/acme/rocket/-/hooks")
    p.fill("h-url", f"http://127.0.0.1:{k.port}/hook-receiver")
    p.submit("h-url")
    assert "The webhook was created." in p.text()
    p.shot("hooks")
    browser.find_element(By.CSS_SELECTOR, "form[action='/users/sign_out'] button").click()
    WebDriverWait(browser, 10).until(lambda d: "/users/sign_in" in d.current_url)
    p.go("/acme/rocket/-/hooks")
    assert "Page not found" in p.text()

    # Outsider lost membership: remove and check the private project is hidden.
    k.sql("DELETE FROM members WHERE user_id = (SELECT id FROM users WHERE username = "
          "'outsider')")
    sign_in(p, "outsider", "outsider-pass-1")
    p.go("/acme/rocket")
    assert "Page not found" in p.text()
    p.shot("outsider-404")


def test_hostile_strings_render_inert(web_kura, browser, tmp_path):
    k = web_kura
    p = Page(browser, k, tmp_path)
    k.create_group("evil")
    k.create_project("evil/proj", "public")
    readme = (f"# {HOSTILE}\n\n[click](javascript:alert(3)) <script>alert(4)</script>\n\n"
              "<img src=x onerror=alert(5)> <iframe src=\"/\"></iframe>\n"
              "[x](JaVaScRiPt:alert(6)) ![y](javascript:alert(7))\n")
    name = '"><img src=x onerror=alert(8)>.txt'
    repo = make_repo(tmp_path / "src", {"README.md": readme, name: HOSTILE + "\n"})
    sha = commit(repo, {"a.txt": "a\n"}, message=HOSTILE + "\n\n" + HOSTILE)
    token = k.create_token("root", "api")
    git(repo, "push", k.git_url("evil/proj", "root", token), "HEAD:main")
    # The server may refuse such a branch name; if it takes it, it must render inert.
    git(repo, "push", k.git_url("evil/proj", "root", token),
        'HEAD:refs/heads/"><svg/onload=alert(9)>', check=False)
    gl = __import__("gitlab").Gitlab(k.base, private_token=token)
    proj = gl.projects.get("evil/proj")
    proj.description = HOSTILE
    proj.save()
    sign_in(p, "root", "root-new-password-1")
    pages = ["/evil/proj", "/evil/proj/-/tree/main", f"/evil/proj/-/commit/{sha}",
             "/evil/proj/-/commits/main", "/evil/proj/-/branches",
             "/evil/proj/-/blob/main/README.md", "/explore", "/evil"]
    for path in pages:
        p.go(path)
        p.assert_inert(path)
    # The hostile file by its link, as a user would reach it.
    p.go("/evil/proj/-/tree/main")
    link = [a for a in browser.find_elements(By.CSS_SELECTOR, "table.tree a")
            if "onerror" in a.text][0]
    link.click()
    p.assert_inert("hostile file")
    assert HOSTILE in p.text()
    p.shot("hostile-blob")
    p.go("/evil/proj")
    assert HOSTILE in p.text()
    assert re.search(r"alert\(3\)", browser.page_source) is None or \
        not browser.find_elements(By.CSS_SELECTOR, "a[href*='alert']")
