/*
 * dispatcher/web/map.js: the fleet map. Keeps the last `fleet` message of
 * every contractor (truckroll/v1/fleet/<id>; an empty payload removes one)
 * and the dispatcher's state, and draws them on a canvas in Web Mercator
 * over outlines.json (countries and US states), with pan (drag), zoom
 * (wheel, buttons), a legend with counts per state (click to hide one), and
 * hover / click details.
 *
 * For tests and scripts the page exposes its counts: document.title is
 * "truckroll map: N contractors", and <body> carries data-connected,
 * data-total and data-<state> (data-off_shift ...) attributes.
 *
 * Does not: send anything but its subscription (the webmap account is
 * read-only), keep history, or validate beyond what drawing needs (the
 * dispatcher's codec produced the payloads; a malformed one is skipped).
 */
"use strict";

const STATES = ["free", "offered", "busy", "unavailable", "off_shift", "offline"];
const COLORS = { free: "#1f9d55", offered: "#f0b429", busy: "#d64545",
                 unavailable: "#7e57c2", off_shift: "#4a90d9", offline: "#9aa5b1" };
const FLEET = "truckroll/v1/fleet/";
const DSTATE = "truckroll/v1/dispatcher/state";

const fleet = new Map(); // id -> {id, state, lat, lon, ts, last_seen}
const hidden = new Set();
let outlines = null;
let client = null;
let retryTimer = null;
let picked = null;
let view = { cx: 0, cy: 0.25, scale: 1 }; // centre in mercator units (x,y in [-0.5,0.5]), px per unit
let dirty = true;
let fitted = false;

const $ = (id) => document.getElementById(id);
const canvas = $("map");
const ctx = canvas.getContext("2d");

/* ------------------------------------------------------------ projection */
function merc(lat, lon) {
  const l = Math.max(-85, Math.min(85, lat)) * Math.PI / 180;
  return [lon / 360, Math.log(Math.tan(Math.PI / 4 + l / 2)) / (2 * Math.PI)];
}
function toScreen(mx, my) {
  return [canvas.width / 2 + (mx - view.cx) * view.scale,
          canvas.height / 2 - (my - view.cy) * view.scale];
}
function fromScreen(sx, sy) {
  return [view.cx + (sx - canvas.width / 2) / view.scale,
          view.cy - (sy - canvas.height / 2) / view.scale];
}

function resize() {
  const r = canvas.getBoundingClientRect();
  const w = Math.max(100, Math.round(r.width)), h = Math.max(100, Math.round(r.height));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
    if (!fitted) worldView();
    dirty = true;
  }
}
function worldView() {
  view = { cx: 0, cy: 0.1, scale: Math.min(canvas.width / 1.0, canvas.height / 0.75) };
  dirty = true;
}
function fitFleet() {
  const pts = [...fleet.values()].filter((c) => c.lat !== undefined && !hidden.has(c.state));
  if (!pts.length) return false;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const c of pts) {
    const [x, y] = merc(c.lat, c.lon);
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  const w = Math.max(x1 - x0, 0.02), h = Math.max(y1 - y0, 0.02); // at least ~7 degrees
  view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2,
           scale: Math.min(canvas.width / (w * 1.3), canvas.height / (h * 1.3), 4e6) };
  dirty = true;
  return true;
}
function zoomAt(sx, sy, f) {
  const [mx, my] = fromScreen(sx, sy);
  view.scale = Math.max(200, Math.min(4e6, view.scale * f));
  view.cx = mx - (sx - canvas.width / 2) / view.scale;
  view.cy = my + (sy - canvas.height / 2) / view.scale;
  dirty = true;
}

/* ------------------------------------------------------------ drawing */
function drawArcs(arcs, style, width) {
  ctx.strokeStyle = style;
  ctx.lineWidth = width;
  ctx.beginPath();
  for (const a of arcs) {
    let prevLon = null;
    for (let i = 0; i < a.length; i += 2) {
      const lon = a[i] / 100, lat = a[i + 1] / 100;
      const [x, y] = toScreen(...merc(lat, lon));
      if (prevLon === null || Math.abs(lon - prevLon) > 180) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
      prevLon = lon;
    }
  }
  ctx.stroke();
}

function dotRadius() {
  return view.scale > 20000 ? 6 : view.scale > 3000 ? 5 : 4;
}

function draw() {
  resize();
  if (!dirty) return;
  dirty = false;
  ctx.fillStyle = "#cfe0ee";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (outlines) {
    drawArcs(outlines.world, "#7d8da1", 1);
    if (view.scale > 1500) drawArcs(outlines.us_states, "#a3b1c2", 0.8);
  }
  const r = dotRadius();
  // offline first, free last: the states that matter most are on top
  for (const st of [...STATES].reverse()) {
    if (hidden.has(st)) continue;
    ctx.fillStyle = COLORS[st];
    ctx.strokeStyle = "#00000080";
    ctx.lineWidth = 1;
    for (const c of fleet.values()) {
      if (c.state !== st || c.lat === undefined) continue;
      const [x, y] = toScreen(...merc(c.lat, c.lon));
      if (x < -r || y < -r || x > canvas.width + r || y > canvas.height + r) continue;
      ctx.beginPath();
      ctx.arc(x, y, c === picked ? r + 3 : r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  }
}
function frame() {
  draw();
  requestAnimationFrame(frame);
}

/* ------------------------------------------------------------ counts */
function updateCounts() {
  const n = Object.fromEntries(STATES.map((s) => [s, 0]));
  let nopos = 0;
  for (const c of fleet.values()) {
    n[c.state]++;
    if (c.lat === undefined) nopos++;
  }
  for (const s of STATES) {
    $("n-" + s).textContent = n[s];
    document.body.dataset[s] = n[s];
  }
  $("total").textContent = fleet.size;
  $("nopos").textContent = nopos ? `${nopos} without a position (not drawn).` : "";
  document.body.dataset.total = fleet.size;
  document.title = `truckroll map: ${fleet.size} contractors`;
}

/* ------------------------------------------------------------ messages */
const decoder = new TextDecoder();
let countsPending = false;

function onMessage(topic, bytes) {
  if (topic === DSTATE) {
    let on = false;
    try { on = JSON.parse(decoder.decode(bytes)).online === true; } catch (e) { on = false; }
    setStatus("dispatcher", on ? "dispatcher online" : "dispatcher offline", on ? "on" : "bad");
    return;
  }
  if (!topic.startsWith(FLEET)) return;
  const id = topic.slice(FLEET.length);
  if (bytes.length === 0) { // retained copy cleared: the contractor left the map
    fleet.delete(id);
  } else {
    let m;
    try { m = JSON.parse(decoder.decode(bytes)); } catch (e) { return; }
    if (!m || m.type !== "fleet" || m.contractor_id !== id || !STATES.includes(m.state)) return;
    const old = fleet.get(id);
    if (old && old.ts > m.ts) return; // a retained copy racing a newer live one
    const c = { id, state: m.state, ts: m.ts, last_seen: m.last_seen };
    if (Number.isFinite(m.lat) && Number.isFinite(m.lon)) { c.lat = m.lat; c.lon = m.lon; }
    fleet.set(id, c);
    if (picked && picked.id === id) { picked = c; showPicked(); }
  }
  dirty = true;
  if (!countsPending) { // a burst of retained copies: count once per frame
    countsPending = true;
    requestAnimationFrame(() => { countsPending = false; updateCounts(); });
  }
  if (!fitted) { // the retained burst arrives at once: fit to it shortly after
    fitted = true;
    setTimeout(() => fitFleet() || (fitted = false), 400);
  }
}

function setStatus(id, text, cls) {
  const e = $(id);
  e.textContent = text;
  e.className = "status " + cls;
}

function connect(url, user, pass) {
  clearTimeout(retryTimer);
  if (client) client.close();
  setStatus("status", "connecting", "off");
  const c = new TrMqtt({
    url, username: user, password: pass, keepalive: 30,
    onConnect() {
      setStatus("status", `connected as ${user}`, "on");
      document.body.dataset.connected = "true";
      c.subscribe([FLEET + "#", DSTATE]);
    },
    onMessage,
    onDenied() { setStatus("status", "subscription refused (ACL)", "bad"); },
    onClose(reason) {
      document.body.dataset.connected = "false";
      if (client !== c) return;
      setStatus("status", reason + "; retrying", "bad");
      if (!reason.startsWith("broker refused")) // a wrong password stays wrong
        retryTimer = setTimeout(() => connect(url, user, pass), 3000);
    },
  });
  client = c;
}

/* ------------------------------------------------------------ interaction */
function nearest(sx, sy) {
  let best = null, bd = (dotRadius() + 4) ** 2;
  for (const c of fleet.values()) {
    if (c.lat === undefined || hidden.has(c.state)) continue;
    const [x, y] = toScreen(...merc(c.lat, c.lon));
    const d = (x - sx) ** 2 + (y - sy) ** 2;
    if (d <= bd) { bd = d; best = c; }
  }
  return best;
}
function fmtTime(ms) {
  return ms ? new Date(ms).toLocaleString() : "-";
}
function showPicked() {
  const box = $("picked");
  if (!picked) { box.hidden = true; return; }
  const c = picked;
  const rows = [["id", c.id], ["state", c.state.replace("_", " ")],
                ["position", c.lat === undefined ? "unknown" : `${c.lat.toFixed(4)}, ${c.lon.toFixed(4)}`],
                ["updated", fmtTime(c.ts)], ["last seen", fmtTime(c.last_seen)]];
  const dl = $("picked-dl");
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = v;
    dl.append(dt, dd);
  }
  box.hidden = false;
}

let drag = null;
canvas.addEventListener("mousedown", (e) => {
  drag = { x: e.offsetX, y: e.offsetY, cx: view.cx, cy: view.cy, moved: false };
  canvas.classList.add("dragging");
});
window.addEventListener("mouseup", (e) => {
  if (drag && !drag.moved && e.target === canvas) {
    picked = nearest(e.offsetX, e.offsetY);
    showPicked();
    dirty = true;
  }
  drag = null;
  canvas.classList.remove("dragging");
});
canvas.addEventListener("mousemove", (e) => {
  const tip = $("tip");
  if (drag) {
    const dx = e.offsetX - drag.x, dy = e.offsetY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.cx = drag.cx - dx / view.scale;
    view.cy = drag.cy + dy / view.scale;
    dirty = true;
    tip.hidden = true;
    return;
  }
  const c = nearest(e.offsetX, e.offsetY);
  if (!c) { tip.hidden = true; return; }
  tip.textContent = `${c.id}: ${c.state.replace("_", " ")}`;
  tip.style.left = e.offsetX + 12 + "px";
  tip.style.top = e.offsetY + 12 + "px";
  tip.hidden = false;
});
canvas.addEventListener("mouseleave", () => { $("tip").hidden = true; });
canvas.addEventListener("wheel", (e) => {
  e.preventDefault();
  zoomAt(e.offsetX, e.offsetY, e.deltaY < 0 ? 1.25 : 0.8);
}, { passive: false });
$("zin").onclick = () => zoomAt(canvas.width / 2, canvas.height / 2, 1.5);
$("zout").onclick = () => zoomAt(canvas.width / 2, canvas.height / 2, 1 / 1.5);
$("fit").onclick = () => fitFleet();
$("world").onclick = () => worldView();
for (const tr of document.querySelectorAll("#legend tr")) {
  tr.onclick = () => {
    const s = tr.dataset.state;
    if (hidden.has(s)) hidden.delete(s); else hidden.add(s);
    tr.classList.toggle("hidden", hidden.has(s));
    dirty = true;
  };
}

/* ------------------------------------------------------------ start */
function defaultUrl() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return location.host ? `${proto}//${location.host}/` : "ws://127.0.0.1:9001/";
}
const q = new URLSearchParams(location.search);
$("ws").value = q.get("ws") || defaultUrl();
if (q.get("user")) $("user").value = q.get("user");
$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  connect($("ws").value, $("user").value, $("pass").value);
});
fetch("outlines.json").then((r) => r.json()).then((o) => { outlines = o; dirty = true; })
  .catch(() => { /* no outlines: dots only */ });
updateCounts();
requestAnimationFrame(frame);
if (q.get("user") && q.get("pass") !== null) {
  $("pass").value = q.get("pass");
  connect($("ws").value, $("user").value, $("pass").value);
}
