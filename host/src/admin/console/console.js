// The wasmbot console: reads the admin API every two seconds, sends changes as POST with a
// JSON body and the admin token, and follows the live log (server-sent events read through
// fetch, so the token can go in a header).
"use strict";

const TOKEN_KEY = "wasmbot-admin-token";
const LOG_LINES = 300;
const $ = (id) => document.getElementById(id);

function token() { return localStorage.getItem(TOKEN_KEY) || ""; }

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (token()) h["Authorization"] = "Bearer " + token();
  return h;
}

function notice(text) { $("notice").textContent = text || ""; }

async function getJson(path) {
  const response = await fetch(path, { headers: headers() });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

async function change(path, what) {
  const response = await fetch(path, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json" }),
    body: "{}",
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    notice(what + ": " + (body.error || response.statusText));
  } else {
    notice(what + ": done");
  }
  refresh();
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "–" : String(text);
  if (cls) td.className = cls;
  return td;
}

function button(label, onClick) {
  const b = document.createElement("button");
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function fill(id, rows) {
  const body = $(id).querySelector("tbody");
  body.replaceChildren(...rows);
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell("none");
    td.colSpan = $(id).querySelectorAll("th").length;
    tr.append(td);
    body.append(tr);
  }
}

const openHistories = new Set();
const SVG = "http://www.w3.org/2000/svg";

function ms(v) { return v === null || v === undefined ? null : v.toFixed(v < 1 ? 2 : 0); }

function when(atMs) {
  if (!atMs) return null;
  return new Date(atMs).toISOString().slice(0, 19).replace("T", " ") + "Z";
}

// A file by its name, its full path on hover.
function fileCell(path) {
  const td = cell(String(path || "").split("/").pop());
  td.title = path;
  return td;
}

function pluginPath(name, action) {
  return "/admin/plugins/" + encodeURIComponent(name) + "/" + action;
}

// A plugin's reload history (newest first) in a <details> that stays open across refreshes.
function historyCell(p) {
  const td = document.createElement("td");
  const reloads = p.reloads || [];
  const details = document.createElement("details");
  details.className = "reloads";
  details.open = openHistories.has(p.name);
  details.addEventListener("toggle", () => {
    if (details.open) openHistories.add(p.name); else openHistories.delete(p.name);
  });
  const summary = document.createElement("summary");
  const last = reloads[0];
  summary.textContent = reloads.length + (last ? (last.ok ? " · last ok" : " · last failed") : "");
  details.append(summary);
  const list = document.createElement("ol");
  for (const r of reloads) {
    const li = document.createElement("li");
    li.className = r.ok ? "reload-ok" : "reload-failed";
    const what = r.ok ? "loaded " + r.version : "failed: " + r.error;
    li.textContent = when(r.at_ms) + " · " + r.file.split("/").pop() + " · " + r.took_ms + " ms · " + what;
    li.title = r.file;
    list.append(li);
  }
  details.append(list);
  td.append(details);
  return td;
}

function pluginRows(status) {
  const rows = status.plugins.map((p) => {
    const tr = document.createElement("tr");
    tr.dataset.plugin = p.name;
    const state = p.state || (p.quarantined ? "quarantined" : "serving");
    tr.append(cell(p.name), cell(p.version), cell(p.world), fileCell(p.source),
      cell(state, "state-" + state), cell(p.backlog, "num"), cell(p.handled, "num"),
      cell(p.failed, "num"), cell(ms(p.p50_ms), "num"), cell(ms(p.p90_ms), "num"),
      cell(ms(p.p99_ms), "num"), historyCell(p));
    const actions = document.createElement("td");
    actions.className = "actions";
    actions.append(button("reload", () => change(pluginPath(p.name, "reload"), "reload " + p.name)));
    if (p.quarantined) {
      actions.append(" ", button("release", () => change(pluginPath(p.name, "release"), "release " + p.name)));
    }
    if (p.enabled === false) {
      actions.append(" ", button("enable", () => change(pluginPath(p.name, "enable"), "enable " + p.name)));
    } else {
      actions.append(" ", button("disable", () => change(pluginPath(p.name, "disable"), "disable " + p.name)));
    }
    tr.append(actions);
    return tr;
  });
  for (const f of status.failed_plugins || []) {
    const tr = document.createElement("tr");
    const reason = cell("failed to load: " + f.reason, "state-failed");
    reason.colSpan = 9;
    tr.append(cell("–"), cell("–"), cell("–"), fileCell(f.file), reason);
    rows.push(tr);
  }
  return rows;
}

function rateLimit(b) {
  if (!b.rate_limit) return "none";
  return b.rate_limit.requests + " per " + (b.rate_limit.window_ms / 1000) + " s";
}

function botRows(status) {
  return status.bots.map((b) => {
    const tr = document.createElement("tr");
    tr.dataset.bot = b.name;
    tr.append(cell(b.name), cell(b.platform), cell(b.connection, "conn-" + b.connection),
      cell(when(b.last_event_ms)), cell(b.outbox_depth, "num"), cell(b.delivered, "num"),
      cell(b.requests, "num"), cell(rateLimit(b)), cell(b.rate_limit_waits, "num"),
      cell(b.retries, "num"), cell(b.dead_lettered, "num"));
    return tr;
  });
}

// Cluster mode: each node present with the leases it holds (bots' outboxes, the timers).
function clusterRows(cluster) {
  return cluster.nodes.map((node) => {
    const held = cluster.leases.filter(([, holder]) => holder === node).map(([lease]) => lease);
    const tr = document.createElement("tr");
    tr.dataset.node = node;
    tr.append(cell(node + (node === cluster.node ? " (this node)" : "")), cell(held.join(", ") || "none"));
    return tr;
  });
}

function showCluster(cluster) {
  $("cluster-section").hidden = !cluster;
  if (!cluster) return;
  $("cluster-summary").textContent = "(" + cluster.partitions + " partitions, " + cluster.lag + " events waiting)";
  fill("cluster", clusterRows(cluster));
}

function svgEl(name, attrs) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

// Draws `lines` ([key, class]) of `points` into the 600×140 svg, scaled to their maximum.
function drawChart(id, points, lines, unit) {
  const svg = $(id);
  const W = 600, H = 140, PAD = 14;
  let max = 0;
  for (const p of points) for (const [key] of lines) max = Math.max(max, p[key] || 0);
  max = max > 0 ? max : 1;
  const n = Math.max(points.length - 1, 1);
  const x = (i) => (i / n) * W;
  const y = (v) => H - PAD - ((v || 0) / max) * (H - 2 * PAD);
  const children = [svgEl("line", { x1: 0, y1: H - PAD, x2: W, y2: H - PAD, stroke: "#dde1e7" })];
  for (const [key, cls] of lines) {
    // A second without a value (no call to time) is left out, not drawn as zero.
    const coords = points.map((p, i) => (p[key] === null || p[key] === undefined ? null
      : x(i).toFixed(1) + "," + y(p[key]).toFixed(1))).filter(Boolean).join(" ");
    children.push(svgEl("polyline", { class: "line " + cls, "data-series": key, points: coords }));
  }
  const label = svgEl("text", { x: 4, y: 11 });
  label.textContent = "max " + (Number.isInteger(max) ? max : max.toFixed(2)) + " " + unit;
  const span = svgEl("text", { x: 4, y: H - 2 });
  span.textContent = points.length + " s";
  children.push(label, span);
  svg.replaceChildren(...children);
  svg.dataset.points = String(points.length);
}

async function refreshCharts() {
  const { points } = await getJson("/admin/series");
  drawChart("chart-throughput", points, [["accepted", "accepted"], ["handled", "handled"], ["delivered", "delivered"]], "/s");
  drawChart("chart-latency", points, [["handle_ms", "latency"]], "ms");
}

function deadRows(letters) {
  return letters.map((l) => {
    const tr = document.createElement("tr");
    tr.dataset.id = l.id;
    tr.append(cell(l.id), cell(l.plugin), cell(l.bot), cell(l.chat), cell(l.op), cell(l.reason));
    const actions = document.createElement("td");
    actions.append(button("retry", () => change("/admin/deadletters/" + l.id + "/retry", "retry " + l.id)),
      " ", button("drop", () => change("/admin/deadletters/" + l.id + "/drop", "drop " + l.id)));
    tr.append(actions);
    return tr;
  });
}

async function refresh() {
  try {
    const status = await getJson("/admin/status");
    fill("plugins", pluginRows(status));
    fill("bots", botRows(status));
    showCluster(status.cluster);
    const dead = await getJson("/admin/deadletters");
    fill("dead", deadRows(dead.dead_letters));
    await refreshCharts();
  } catch (e) {
    notice(String(e.message || e));
  }
}

async function loadConfig() {
  try {
    $("config").textContent = JSON.stringify(await getJson("/admin/config"), null, 2);
  } catch (e) {
    $("config").textContent = String(e.message || e);
  }
}

let logAbort = null;

function addLogLine(line) {
  const li = document.createElement("li");
  li.className = line.level;
  const at = new Date(line.at_ms).toISOString().slice(11, 23);
  li.textContent = at + " " + line.level + " " + line.message + (line.fields ? "  " + line.fields : "");
  const log = $("log");
  log.append(li);
  while (log.children.length > LOG_LINES) log.firstElementChild.remove();
  log.scrollTop = log.scrollHeight;
}

async function followLog() {
  if (logAbort) logAbort.abort();
  logAbort = new AbortController();
  $("log").replaceChildren();
  const query = new URLSearchParams({ plugin: $("log-plugin").value, bot: $("log-bot").value });
  try {
    const response = await fetch("/console/logs?" + query, { headers: headers(), signal: logAbort.signal });
    if (!response.ok || !response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5)).join("\n");
        if (frame.includes("event: skipped")) addLogLine({ at_ms: Date.now(), level: "WARN", message: data + " lines skipped" });
        else if (data) addLogLine(JSON.parse(data));
      }
    }
  } catch (e) {
    if (e.name !== "AbortError") notice("log: " + e.message);
  }
}

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  localStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  $("token-state").textContent = token() ? "saved" : "";
  refresh();
  loadConfig();
  followLog();
});
$("log-filter").addEventListener("submit", (e) => { e.preventDefault(); followLog(); });
$("token-state").textContent = token() ? "saved" : "not set: changes will be refused";

refresh();
loadConfig();
followLog();
setInterval(refresh, 2000);
