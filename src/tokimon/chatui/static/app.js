// tokimon chat UI. Plain DOM, no framework, no build step; text from the server is only
// ever set as textContent (never parsed as HTML).
"use strict";

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
};

const ui = {
  chat: null,          // the conversation on screen
  busy: false,         // an answer is streaming in it
  streaming: null,     // { node, body, text } of the answer being streamed
  tools: new Map(),    // tool call id -> details node
  run: null,           // the run in the panel: { id, steps, calls, status, here, seq }
  opening: null,       // the run being fetched: { id, token, records } (its live records meanwhile)
  seq: 0,
};

async function api(method, path, body) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["content-type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${response.status}`);
  return data;
}

// -- text: a little Markdown and syntax colour ------------------------------------------
const KEYWORDS = new Set(("def class return if elif else for while in not and or import from as with try " +
  "except finally raise pass break continue lambda yield async await None True False self " +
  "function const let var new this null undefined true false fn pub struct impl use mut match " +
  "package func type interface public private static void int string").split(" "));
const TOKEN = /(#[^\n]*|\/\/[^\n]*)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`)|\b(\d+(?:\.\d+)?)\b|\b([A-Za-z_]\w*)\b/g;

function highlight(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const [whole, comment, string, number, word] = match;
    let cls = null;
    if (comment) cls = "tok-com";
    else if (string) cls = "tok-str";
    else if (number) cls = "tok-num";
    else if (word && KEYWORDS.has(word)) cls = "tok-kw";
    if (!cls) continue;
    if (match.index > last) frag.append(text.slice(last, match.index));
    frag.append(el("span", { class: cls, text: whole }));
    last = match.index + whole.length;
  }
  if (last < text.length) frag.append(text.slice(last));
  return frag;
}

function inline(text, into) {
  const parts = text.split(/(`[^`\n]+`|\*\*[^*\n]+\*\*)/g);
  for (const part of parts) {
    if (part.startsWith("`") && part.endsWith("`") && part.length > 1) into.append(el("code", { text: part.slice(1, -1) }));
    else if (part.startsWith("**") && part.endsWith("**") && part.length > 3) into.append(el("strong", { text: part.slice(2, -2) }));
    else if (part) into.append(part);
  }
}

function markdown(text) {
  const frag = document.createDocumentFragment();
  const blocks = text.split(/```/);
  blocks.forEach((block, i) => {
    if (i % 2 === 1) {
      const body = block.replace(/^[^\n]*\n/, "");
      frag.append(el("pre", {}, el("code", {}, highlight(body.replace(/\n$/, "")))));
      return;
    }
    for (const para of block.split(/\n{2,}/)) {
      if (!para.trim()) continue;
      const lines = para.split("\n");
      if (lines.every((line) => /^\s*[-*] /.test(line))) {
        const list = el("ul");
        for (const line of lines) { const item = el("li"); inline(line.replace(/^\s*[-*] /, ""), item); list.append(item); }
        frag.append(list);
        continue;
      }
      const heading = /^(#{1,4}) (.*)$/.exec(lines[0]);
      if (heading && lines.length === 1) { frag.append(el(`h${heading[1].length + 2}`, { text: heading[2] })); continue; }
      const p = el("p");
      lines.forEach((line, n) => { if (n) p.append(el("br")); inline(line, p); });
      frag.append(p);
    }
  });
  return frag;
}

function diffView(text) {
  const pre = el("pre", { class: "diff" });
  for (const line of text.split("\n")) {
    let cls = "line";
    if (line.startsWith("+++") || line.startsWith("---")) cls += " hunk";
    else if (line.startsWith("+")) cls += " add";
    else if (line.startsWith("-")) cls += " del";
    else if (line.startsWith("@@")) cls += " hunk";
    const span = el("span", { class: cls });
    if (/^[+\- ]/.test(line) && !/^(\+\+\+|---)/.test(line)) { span.append(line[0]); span.append(highlight(line.slice(1))); }
    else span.append(line);
    pre.append(span);
  }
  return pre;
}

// -- the conversation --------------------------------------------------------------------
function scrollDown() { const log = $("log"); log.scrollTop = log.scrollHeight; }

function userMessage(record) {
  const run = el("button", { type: "button", text: "Run", title: "Start a run with this message as its goal" });
  run.addEventListener("click", () => startRun(record.content));
  const node = el("div", { class: "msg user", "data-role": "user" },
    el("div", { class: "who" }, el("span", { text: "you" }), run),
    el("div", { class: "body", text: record.content }));
  return node;
}

function assistantMessage(record) {
  const node = el("div", { class: "msg assistant", "data-role": "assistant", "data-state": "done" },
    el("div", { class: "who", text: "tokimon" }));
  const body = el("div", { class: "body" });
  body.append(markdown(record.content || ""));
  node.append(body);
  if (record.stopped) node.append(el("div", { class: "stopped", text: "(stopped)" }));
  for (const call of record.tool_calls || []) node.append(toolItem(call.id, call.name, call.arguments));
  return node;
}

function toolItem(id, name, args) {
  const shown = typeof args === "string" ? args : JSON.stringify(args);
  const details = el("details", { class: "tool", "data-tool": name, "data-call": id },
    el("summary", { text: `${name} ${shown.length > 80 ? shown.slice(0, 79) + "…" : shown}` }),
    el("pre", { class: "args", text: JSON.stringify(args, null, 2) }));
  ui.tools.set(id, details);
  return details;
}

function toolResult(id, content, isError) {
  const details = ui.tools.get(id);
  if (!details) return;
  details.querySelector("pre.result")?.remove();
  details.append(el("pre", { class: "result", text: content }));
  details.dataset.state = "done";
  if (isError) details.classList.add("is-error");
}

function runCard(record) {
  const open = el("button", { type: "button", text: "Open" });
  open.addEventListener("click", () => openRun(record.run_id));
  return el("div", { class: "msg runcard", "data-role": "run", "data-run": record.run_id },
    el("div", { class: "who" }, el("span", { text: `run ${record.action === "resume" ? "resumed" : "started"}: ${record.run_id}` }), open),
    el("div", { class: "body", text: record.goal || "" }));
}

function renderRecord(record) {
  const log = $("log");
  if (record.type === "message" && record.role === "user") log.append(userMessage(record));
  else if (record.type === "message" && record.role === "assistant") {
    // tool calls of a streamed answer are already on screen; the final text replaces the stream
    log.append(assistantMessage(record));
  } else if (record.type === "message" && record.role === "tool") toolResult(record.tool_call_id, record.content, record.is_error);
  else if (record.type === "run") log.append(runCard(record));
  else if (record.type === "error") log.append(el("div", { class: "msg error", "data-role": "error", text: record.content }));
}

async function loadChat(id) {
  const data = await api("GET", `/api/chats/${id}`);
  ui.chat = id;
  ui.tools.clear();
  ui.streaming = null;
  $("log").replaceChildren();
  for (const record of data.records) renderRecord(record);
  setBusy(data.busy);
  if (data.busy) startStream();
  history.replaceState(null, "", `#chat=${id}`);
  markCurrent();
  scrollDown();
  return data.seq;
}

function setBusy(busy) {
  ui.busy = busy;
  $("stop").hidden = !busy;
  $("send").disabled = busy;
  $("log").setAttribute("aria-busy", busy ? "true" : "false");
}

function startStream() {
  if (ui.streaming) return;
  const body = el("div", { class: "body" });
  const node = el("div", { class: "msg assistant streaming", "data-role": "assistant", "data-state": "streaming" },
    el("div", { class: "who", text: "tokimon" }), body);
  $("log").append(node);
  ui.streaming = { node, body, text: "" };
}

function endStream(state) {
  const s = ui.streaming;
  if (s) {
    s.node.classList.remove("streaming");
    s.node.dataset.state = state;
    if (s.text) s.body.replaceChildren(markdown(s.text));
    if (state === "stopped") s.node.append(el("div", { class: "stopped", text: "(stopped)" }));
    if (!s.text && !s.node.querySelector(".tool") && state === "done") s.node.remove();
  }
  ui.streaming = null;
}

async function send(text) {
  if (!text.trim() || ui.busy) return;
  if (!ui.chat) await newChat();
  $("message").value = "";
  try {
    await api("POST", `/api/chats/${ui.chat}/messages`, { text });
  } catch (error) {
    $("log").append(el("div", { class: "msg error", "data-role": "error", text: String(error.message) }));
  }
}

async function stopAnswer() {
  if (ui.busy && ui.chat) await api("POST", `/api/chats/${ui.chat}/stop`, {});
}

async function newChat() {
  const chat = await api("POST", "/api/chats", {});
  await refreshChats();
  await loadChat(chat.id);
  $("message").focus();
}

async function refreshChats() {
  const { chats } = await api("GET", "/api/chats");
  $("chats").replaceChildren(...chats.map((chat) => {
    const button = el("button", { type: "button", text: chat.title, title: chat.title, "data-chat": chat.id });
    button.addEventListener("click", () => loadChat(chat.id));
    return el("li", {}, button);
  }));
  markCurrent();
  return chats;
}

function markCurrent() {
  for (const button of $("chats").querySelectorAll("button")) button.setAttribute("aria-current", String(button.dataset.chat === ui.chat));
}

// -- runs --------------------------------------------------------------------------------
async function startRun(goal) {
  if (!ui.chat) await newChat();
  const { run_id } = await api("POST", "/api/runs", { goal, chat: ui.chat });
  await openRun(run_id);
}

async function refreshRuns() {
  const { runs } = await api("GET", "/api/runs");
  $("runs").replaceChildren(...runs.slice().reverse().map((run) => {
    const button = el("button", { type: "button", text: `${run.status} · ${run.goal}`, title: run.id, "data-run": run.id });
    button.addEventListener("click", () => openRun(run.id));
    return el("li", {}, button);
  }));
}

function newRunState(id) {
  return { id, steps: new Map(), calls: [], status: "", phase: "", here: false, trace: [], seq: 0 };
}

function applyTrace(run, record) {
  // A record can come twice, in a fetched trace and live; its seq (the trace's, growing
  // across resumes) says whether the panel has it already.
  if (typeof record.seq === "number") {
    if (record.seq <= run.seq) return;
    run.seq = record.seq;
  }
  run.trace.push(record);
  const kind = record.kind;
  if (kind === "plan.accepted" || kind === "workflow.start" || kind === "workflow.resume") {
    for (const id of record.steps || []) if (!run.steps.has(id)) run.steps.set(id, { state: "NEW", attempt: "", role: "", tool: "" });
    run.phase = "running";
  } else if (kind === "step.state" && run.steps.has(record.step)) {
    const row = run.steps.get(record.step);
    row.state = record.to;
    if (record.attempt) row.attempt = record.attempt;
    if (record.role) row.role = record.role;
  } else if (kind === "tool.call.start") {
    const step = String(record.task_name || "").replace(/^step:/, "");
    if (run.steps.has(step)) run.steps.get(step).tool = record.name;
    run.calls.push({ kind: "tool", text: `${run.steps.has(step) ? step : "plan"} · ${record.name}` });
  } else if (kind === "model.call.finish") {
    const calls = (record.tool_calls || []).map((c) => c.name).join(", ");
    const usage = record.usage || {};
    run.calls.push({ kind: "model", text: `model ${record.model || ""} → ${calls || "text"} (${(usage.input_tokens || 0) + (usage.output_tokens || 0)} tokens)` });
  } else if (kind === "workflow.end") run.phase = record.status;
  else if (kind === "run.end") run.status = record.status;
  else if (kind === "run.run" || kind === "run.resume") { run.status = kind === "run.run" ? "planning" : "running"; run.goal = record.goal; }
}

let renderQueued = false;
function renderRun() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; drawRun(); });
}

function drawRun() {
  const run = ui.run;
  if (!run) return;
  $("run-panel").hidden = false;
  $("run-title").textContent = `run ${run.id}`;
  $("run-goal").textContent = run.goal || "";
  const status = $("run-status");
  status.textContent = run.status;
  status.className = `status-${run.status}`;
  $("run-phase").textContent = run.phase && run.phase !== run.status ? `(${run.phase})` : "";
  const rows = [...run.steps.entries()].map(([id, row]) =>
    el("tr", { "data-step": id, "data-state": row.state },
      el("th", { scope: "row", text: id }), el("td", { class: `state-${row.state}`, text: row.state }),
      el("td", { text: String(row.attempt || "") }), el("td", { text: row.role || "" }), el("td", { text: row.tool || "" })));
  $("steps").tBodies[0].replaceChildren(...rows);
  $("calls").replaceChildren(...run.calls.map((c) => el("li", { class: c.kind, text: c.text })));
  $("trace").textContent = run.trace.map((r) => JSON.stringify(r)).join("\n");
  $("run-stop").disabled = !run.here;
  $("run-resume").disabled = run.here || run.status !== "interrupted";
  $("run-diff").disabled = !run.report || !(run.report.changed_files || []).length;
  const report = $("report");
  report.hidden = !run.reportMd;
  if (run.reportMd) report.replaceChildren(el("h3", { text: "Report" }), markdown(run.reportMd));
  const lessons = $("lessons");
  lessons.hidden = !(run.lessons || []).length;
  if (!lessons.hidden) lessons.replaceChildren(el("h3", { text: "Lessons" }), ...run.lessons.map((l) => el("details", {}, el("summary", { text: l.name }), markdown(l.text))));
  document.body.dataset.run = run.id;
  document.body.dataset.runStatus = run.status;
}

// The run's records that arrive while its state is fetched are kept and applied on top of
// it: the fetched trace ends where the server read it, and on a busy machine a starting run
// has planned and started its steps before the answer is back (dropping them left the
// panel without steps for good). When a run is opened twice at once, the last call wins.
let openings = 0;
async function openRun(id) {
  const kept = ui.opening && ui.opening.id === id ? ui.opening.records : [];
  const opening = { id, token: ++openings, records: kept };
  ui.opening = opening;
  const data = await api("GET", `/api/runs/${id}`).finally(() => {
    if (ui.opening === opening) ui.opening = null;
  });
  if (opening.token !== openings) return;  // opened again meanwhile: that answer is newer
  const run = newRunState(data.id);
  for (const record of data.trace) applyTrace(run, record);
  for (const step of data.steps || []) {
    const row = run.steps.get(step.id) || { tool: "" };
    Object.assign(row, { state: step.state, attempt: step.attempts || row.attempt || "", role: step.role });
    run.steps.set(step.id, row);
  }
  Object.assign(run, { goal: data.goal, status: data.status, here: data.here, report: data.report, reportMd: data.report_md, lessons: data.lessons });
  const seen = run.seq;
  for (const record of opening.records) applyTrace(run, record);
  if (run.seq > seen) run.here = true;  // it went on after the fetched trace: it is running
  ui.run = run;
  $("diff").hidden = true;
  drawRun();
}

async function showDiff() {
  const { files } = await api("GET", `/api/runs/${ui.run.id}/diff`);
  const section = $("diff");
  section.replaceChildren(el("h3", { text: "Diff" }), ...files.map((f) =>
    el("div", { class: "difffile", "data-file": f.path }, el("h3", { text: f.path }), diffView(f.diff || "(no changes recorded)"))));
  section.hidden = false;
  section.scrollIntoView({ block: "nearest" });
}

// -- events from the server ------------------------------------------------------------
function onEvent(event) {
  if (event.seq) ui.seq = event.seq;
  const mine = event.chat && event.chat === ui.chat;
  switch (event.event) {
    case "chat.message":
      if (mine) { renderRecord(event.record); scrollDown(); }
      if (event.record && event.record.role === "user") refreshChats();
      break;
    case "chat.start": if (mine) { setBusy(true); startStream(); scrollDown(); } break;
    case "chat.delta":
      if (mine) {
        if (ui.streaming && ui.streaming.node.querySelector(".tool")) endStream("done");
        startStream();
        ui.streaming.text += event.text;
        ui.streaming.body.textContent = ui.streaming.text;
        scrollDown();
      }
      break;
    case "chat.tool":
      if (mine) {
        startStream();
        if (ui.streaming.text) { endStream("done"); startStream(); }
        ui.streaming.node.append(toolItem(event.id, event.name, event.arguments));
        scrollDown();
      }
      break;
    case "chat.tool.result": if (mine) toolResult(event.id, event.content, event.is_error); break;
    case "chat.done": if (mine) { endStream("done"); setBusy(false); } break;
    case "chat.stopped": if (mine) { endStream("stopped"); setBusy(false); } break;
    case "chat.error":
      if (mine) { endStream("done"); setBusy(false); $("log").append(el("div", { class: "msg error", "data-role": "error", text: event.error })); }
      break;
    case "chat.created": refreshChats(); break;
    case "run.started": refreshRuns(); if (mine && (!ui.run || ui.run.id !== event.run)) openRun(event.run); break;
    case "run.trace":
      if (ui.opening && ui.opening.id === event.run) ui.opening.records.push(event.record);
      if (ui.run && ui.run.id === event.run) {
        ui.run.here = true;
        applyTrace(ui.run, event.record);
        renderRun();
      }
      if (event.record && event.record.kind === "run.end") refreshRuns();
      break;
    case "run.ended":
      refreshRuns();
      if ((ui.run && ui.run.id === event.run) || (ui.opening && ui.opening.id === event.run)) openRun(event.run);
      break;
  }
}

function connect(since) {
  const source = new EventSource(`/api/events?since=${since}`);
  source.onopen = () => { $("connection").textContent = "live"; document.body.dataset.live = "true"; };
  source.onerror = () => { $("connection").textContent = "reconnecting…"; document.body.dataset.live = "false"; };
  source.onmessage = (message) => onEvent(JSON.parse(message.data));
}

// -- start ------------------------------------------------------------------------------
async function start() {
  const state = await api("GET", "/api/state");
  $("repo").textContent = state.repo_name;
  $("repo").title = state.repo;
  $("model").textContent = state.model || "no model";
  document.title = `tokimon · ${state.repo_name}`;
  const chats = await refreshChats();
  await refreshRuns();
  const wanted = /#chat=([a-z0-9-]+)/.exec(location.hash);
  let seq = 0;
  if (wanted) seq = await loadChat(wanted[1]).catch(() => 0);
  else if (chats.length) seq = await loadChat(chats[0].id);
  else { await newChat(); seq = ui.seq; }
  connect(seq);
  document.body.dataset.state = "ready";
}

document.addEventListener("DOMContentLoaded", () => {
  $("composer").addEventListener("submit", (event) => { event.preventDefault(); send($("message").value); });
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); send($("message").value); }
  });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") stopAnswer(); });
  $("stop").addEventListener("click", stopAnswer);
  $("new-chat").addEventListener("click", newChat);
  $("run-close").addEventListener("click", () => { $("run-panel").hidden = true; ui.run = null; });
  $("run-stop").addEventListener("click", async () => { await api("POST", `/api/runs/${ui.run.id}/stop`, {}); await openRun(ui.run.id); refreshRuns(); });
  $("run-resume").addEventListener("click", async () => { const { run_id } = await api("POST", `/api/runs/${ui.run.id}/resume`, { chat: ui.chat }); await openRun(run_id); });
  $("run-diff").addEventListener("click", showDiff);
  start().catch((error) => { document.body.dataset.state = "error"; $("connection").textContent = String(error.message); });
});
