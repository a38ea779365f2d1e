"""``tokimon chat-ui`` in headless Chromium, against the real server and the scripted model.

The server runs as a subprocess exactly as a user starts it; the model is the scripted
OpenAI-compatible server. Tests wait on page states (``data-state`` attributes, rows of
the "Steps" table), never on time. With ``TOKIMON_SCREENSHOTS=DIR`` they also save the
screenshots used in ``docs/tokimon/chat-ui.md``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_fixtures import FIX_STEP, FIXING_TURNS, GOAL, call, copy_repo, plan
from agent_fixtures import clean_env as clean_env
from chatui_fixtures import CHROMIUM, CHROMIUM_FLAGS, Served, chat_ui, git_init, scripted_chat_ui

from tiffany.models.testing import ScriptedServer

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
# A page state is waited for, not a time: the bound only ends a test that hangs, and is
# generous because runs start real agent sessions on a machine other tests load too.
expect.set_options(timeout=60_000)

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install chromium)",
)

CHAT = {"system_contains": "talking with a developer"}
OFFER = {"text": "I can start a run for that.", "match": CHAT}
ANSWER = "`parse` checks the month, then the **day** against 31, so 2023-02-30 passes."
COUNT_DELTAS = """
window.__deltas = 0;
const Original = window.EventSource;
window.EventSource = function (url) {
  const source = new Original(url);
  source.addEventListener("message", (m) => {
    if (m.data.includes('"chat.delta"')) window.__deltas++;
  });
  return source;
};
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[playwright_api.Browser]:
    home = tmp_path_factory.mktemp("chromium-home")
    env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"))
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, env=env)
        yield browser
        browser.close()


def screenshot(page: playwright_api.Page, name: str) -> None:
    folder = os.environ.get("TOKIMON_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"chat-ui-{name}.png"))


def open_page(context: playwright_api.BrowserContext, url: str) -> playwright_api.Page:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-live", "true")
    assert not errors, errors
    return page


def run_from_the_answer(page: playwright_api.Page) -> None:
    """Ask for the goal, wait for the model's answer, then press "Run" on the question."""
    page.get_by_role("textbox", name="Message").fill(GOAL)
    page.get_by_role("button", name="Send").click()
    log = page.get_by_role("log")
    expect(log.locator("[data-role=assistant][data-state=done]")).to_contain_text("start a run")
    log.locator("[data-role=user]").get_by_role("button", name="Run").click()


def test_chat_streams_shows_tools_survives_reload_in_two_tabs(
    browser: playwright_api.Browser, tmp_path: Path
) -> None:
    repo = copy_repo(tmp_path)
    script = [
        {**call("read_file", path="dates.py"), "match": CHAT},
        {"text": ANSWER, "match": {**CHAT, "last_role": "tool"}},
        {"fault": "hang", "match": CHAT},
    ]
    with ScriptedServer(script, chunk_size=4) as model, chat_ui(repo, model, tmp_path) as ui:
        context = browser.new_context(viewport={"width": 1400, "height": 860})
        context.add_init_script(COUNT_DELTAS)
        page = open_page(context, ui.url)
        assert "token" not in page.url  # the token became a cookie

        box = page.get_by_role("textbox", name="Message")
        box.fill("Why does parse accept")
        box.press("Shift+Enter")
        box.type("2023-02-30?")
        assert box.input_value() == "Why does parse accept\n2023-02-30?"
        box.press("Enter")

        log = page.get_by_role("log")
        expect(log.locator("[data-role=user]")).to_contain_text("2023-02-30?")
        answer = log.locator("[data-role=assistant][data-state=done]").last
        expect(answer).to_contain_text("so 2023-02-30 passes")
        assert page.evaluate("window.__deltas") > 5  # streamed in pieces, not at once
        tool = log.locator("details[data-tool=read_file]")
        expect(tool).to_have_attribute("data-state", "done")
        tool.locator("summary").click()
        expect(tool.locator("pre.result")).to_contain_text("def parse(text):")
        expect(answer.locator("code")).to_have_text("parse")
        screenshot(page, "chat")

        # a second tab on the same conversation sees the next answer stream too
        chat_url = page.url
        second = open_page(context, chat_url)
        expect(second.get_by_role("log").locator("details[data-tool=read_file]")).to_have_count(1)
        page.get_by_role("textbox", name="Message").fill("And March?")
        page.get_by_role("button", name="Send").click()
        for tab in (page, second):
            streaming = tab.get_by_role("log").locator("[data-state=streaming]")
            expect(streaming).to_have_count(1)
        model.wait_for_requests(3)
        # Escape stops the answer (the model is hanging), in either tab
        second.keyboard.press("Escape")
        for tab in (page, second):
            expect(tab.get_by_role("log").locator("[data-state=stopped]")).to_have_count(1)
            expect(tab.get_by_role("button", name="Send")).to_be_enabled()
        model.release()

        page.reload()
        expect(page.locator("body")).to_have_attribute("data-state", "ready")
        log = page.get_by_role("log")
        expect(log.locator("[data-role=user]")).to_have_count(2)
        expect(log.locator("[data-role=assistant]").filter(has_text="passes")).to_have_count(1)
        expect(log.locator("details[data-tool=read_file] pre.result")).to_contain_text("def parse")
        context.close()


def test_a_run_from_the_conversation_reaches_succeeded_and_shows_its_diff(
    browser: playwright_api.Browser, tmp_path: Path
) -> None:
    repo = copy_repo(tmp_path)
    git_init(repo)
    with scripted_chat_ui([plan(FIX_STEP), *FIXING_TURNS], repo, tmp_path) as (_, ui):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = open_page(context, ui.url)
        page.get_by_role("textbox", name="Message").fill(f"/run {GOAL}")
        page.get_by_role("textbox", name="Message").press("Enter")

        steps = page.get_by_role("table", name="Steps")
        expect(steps.locator("tr[data-step=fix]")).to_have_attribute("data-state", "SUCCEEDED")
        expect(page.locator("#run-status")).to_have_text("succeeded")
        row = steps.locator("tr[data-step=fix]")
        expect(row.locator("td").nth(2)).to_have_text("Implementer")
        calls = page.get_by_role("list", name="Calls").locator("li")
        texts = calls.all_inner_texts()
        tools = [t for t in texts if " · " in t]
        assert tools[-3:] == ["fix · read_file", "fix · apply_patch", "fix · run_tests"], texts
        assert sum(t.startswith("model ") for t in texts) == 5  # plan + four worker turns
        expect(page.get_by_role("region", name="Report")).to_contain_text("Changed files")
        expect(page.get_by_role("log").locator("[data-role=run]")).to_have_count(1)

        page.get_by_role("button", name="Diff").click()
        diff = page.get_by_role("region", name="Diff")
        expect(diff.locator("[data-file='dates.py'] .add").first).to_contain_text(
            "last = DAYS_IN_MONTH[month - 1]"
        )
        expect(diff.locator(".del")).to_contain_text(["if not 1 <= day <= 31:"])
        assert diff.locator(".add .tok-kw").count() > 0  # syntax colours
        screenshot(page, "run")
        context.close()


def test_stop_a_run_then_resume_it(browser: playwright_api.Browser, tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    script = [OFFER, plan(FIX_STEP), call("read_file", path="dates.py"), {"fault": "hang"}]
    with scripted_chat_ui([*script, *FIXING_TURNS], repo, tmp_path) as (model, ui):
        context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="dark")
        page = open_page(context, ui.url)
        run_from_the_answer(page)
        steps = page.get_by_role("table", name="Steps")
        expect(steps.locator("tr[data-step=fix]")).to_have_attribute("data-state", "RUNNING")
        model.wait_for_requests(3)  # the worker's second call hangs
        page.get_by_role("button", name="Stop run").click()
        expect(page.locator("#run-status")).to_have_text("interrupted")
        model.release()
        screenshot(page, "stopped-dark")
        page.get_by_role("button", name="Resume run").click()
        expect(steps.locator("tr[data-step=fix]")).to_have_attribute("data-state", "SUCCEEDED")
        expect(page.locator("#run-status")).to_have_text("succeeded")
        runs = page.get_by_role("list", name="Runs")
        expect(runs.locator("button")).to_have_count(1)
        expect(runs.locator("button")).to_contain_text("succeeded")
        context.close()


def test_a_run_whose_state_comes_late_still_shows_what_it_did_meanwhile(
    browser: playwright_api.Browser, tmp_path: Path
) -> None:
    """The run panel starts from ``GET /api/runs/ID`` and adds the records that stream in.

    On a loaded machine that answer can come back after the run has planned and started
    its step. The page used to drop the records that arrived meanwhile: the panel then had
    no step row for good, listed the worker's ``read_file`` as ``plan · read_file`` after a
    ``model → read_file`` (as if the planner had got the worker's answer, which is how the
    stop/resume test's failures in CI read), and a test waiting for the step to be RUNNING
    waited in vain. Here both answers (the run started, the Run button) are held back
    until the worker is in its second model call, then handed over, the older one last.
    """
    repo = copy_repo(tmp_path)
    slow_plan = {**plan(FIX_STEP), "delay": 2.0}  # the run's state is read while it plans
    script = [OFFER, slow_plan, call("read_file", path="dates.py"), {"fault": "hang"}]
    with scripted_chat_ui(script, repo, tmp_path) as (model, ui):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = open_page(context, ui.url)
        held: list[tuple[playwright_api.Route, playwright_api.APIResponse]] = []
        run_state = re.compile(r".*/api/runs/run-[^/]+$")
        page.route(run_state, lambda route: held.append((route, route.fetch())))
        run_from_the_answer(page)
        for _ in range(1200):  # Playwright waits, so that the route is served meanwhile
            if len(model.requests) >= 4:
                break
            page.wait_for_timeout(50)
        assert len(model.requests) == 4 and len(held) == 2
        for route, response in reversed(held):
            route.fulfill(response=response)
        page.unroute(run_state)

        steps = page.get_by_role("table", name="Steps")
        expect(steps.locator("tr[data-step=fix]")).to_have_attribute("data-state", "RUNNING")
        expect(steps.locator("tr[data-step=fix] td").nth(3)).to_have_text("read_file")
        calls = page.get_by_role("list", name="Calls").locator("li")
        model_call = "model scripted-agent"
        expect(calls).to_have_text(
            [
                "plan · list_dir",
                re.compile(rf"^{model_call} → text "),
                re.compile(rf"^{model_call} → read_file "),
                "fix · read_file",
            ]
        )
        context.close()


def test_refused_without_the_token_or_from_a_foreign_host_or_origin(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path)
    with chat_ui(repo, None, tmp_path) as ui:
        cookie = {"Cookie": f"tokimon-chat-{ui.port}={ui.token}"}
        assert ui.request("GET", "/api/state", cookie)[0] == 200
        assert ui.request("GET", "/api/state")[0] == 403
        assert ui.request("GET", "/")[0] == 403
        assert ui.request("GET", "/static/app.js")[0] == 403
        assert (
            ui.request("GET", "/api/state", {"Cookie": f"tokimon-chat-{ui.port}=wrong"})[0] == 403
        )
        status, headers, _ = ui.request("GET", f"/?token={ui.token}")
        assert status == 303 and "HttpOnly" in headers["set-cookie"]
        foreign_host = {**cookie, "Host": f"attacker.example:{ui.port}"}
        assert ui.request("GET", "/api/state", foreign_host)[0] == 403
        foreign_origin = {**cookie, "Origin": "http://attacker.example"}
        assert ui.request("GET", "/api/state", foreign_origin)[0] == 403
        post = {**cookie, "Origin": "http://evil.test", "Content-Type": "application/json"}
        assert ui.request("POST", "/api/chats", post, "{}")[0] == 403
        assert ui.request("GET", "/static/..%2f..%2fcommands.py", cookie)[0] == 404
        assert ui.request("GET", "/api/chats/..%2f..%2frun", cookie)[0] == 404
        same = {
            **cookie,
            "Origin": f"http://127.0.0.1:{ui.port}",
            "Content-Type": "application/json",
        }
        assert ui.request("POST", "/api/chats", same, "{}")[0] == 201


def test_sigterm_stops_it_while_the_model_hangs_and_keeps_the_question(tmp_path: Path) -> None:
    """The model never answers: SIGTERM still ends the server with 0 (the fixture's exit
    check), and the question asked is in the conversation's file."""
    repo = copy_repo(tmp_path)
    with ScriptedServer([{"fault": "hang"}]) as model, chat_ui(repo, model, tmp_path) as ui:
        headers = {
            "Cookie": f"tokimon-chat-{ui.port}={ui.token}",
            "Origin": f"http://127.0.0.1:{ui.port}",
            "Content-Type": "application/json",
        }
        status, _, body = ui.request("POST", "/api/chats", headers, "{}")
        assert status == 201
        chat = json.loads(body)["id"]
        question = json.dumps({"text": "Why does parse accept 2023-02-30?"})
        assert ui.request("POST", f"/api/chats/{chat}/messages", headers, question)[0] == 202
        model.wait_for_requests(1)
    saved = (repo / ".tokimon" / "chats" / f"{chat}.jsonl").read_text()
    assert "Why does parse accept 2023-02-30?" in saved


def test_the_first_line_and_a_remote_host_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    from chatui_fixtures import SRC

    env = {**os.environ, "PYTHONPATH": str(SRC)}
    repo = copy_repo(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "tokimon", "chat-ui", "--repo", str(repo), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2 and "--allow-remote" in done.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "tokimon", "chat-ui", "--repo", str(repo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert re.fullmatch(r"tokimon chat-ui: http://127\.0\.0\.1:\d+/\?token=[\w-]+\n", first)
    process.send_signal(2)  # Ctrl-C stops it gracefully
    assert process.wait(timeout=30) == 0


_ = Served
