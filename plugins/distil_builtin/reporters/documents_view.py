"""The HTML report's documents section: every document and model, opened one at a time.

The per-document records (`distil.results.documents`, read from the run's store) are embedded
once, as compact JSON (lists, with models, constraints and splits by index), and a small inline
script renders only what is looked at: one page of the filtered list and the one document
opened. So 5,000 documents × 3 models is a few megabytes of text and one short list in the DOM,
not fifteen thousand rendered cards. Nothing is fetched; the page stays one file.

results.json does not grow: the records are read here, from the store in the run directory,
and a report rendered without a store (a results.json alone) has no documents section.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

VIEW_STYLE = """
#docs .bar { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; font-size: 13px;
  margin: 8px 0 10px; }
#docs select, #docs input[type=search] { font: inherit; padding: 3px 6px; }
#docs .list { width: 100%; }
#docs .list td, #docs .list th { text-align: left; white-space: normal; font-size: 13px; }
#docs .pane td, #docs .pane th { text-align: left; white-space: normal; }
#docs .list tr { cursor: pointer; } #docs .list tr:hover td { background: #eef3f9; }
#docs .fail { color: #a33; font-weight: 600; } #docs .pass { color: #2a7a3b; font-weight: 600; }
#docs .detail { display: grid; grid-template-columns: repeat(auto-fit, minmax(400px, 1fr));
  gap: 16px; margin-top: 12px; }
#docs .pane { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
#docs pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft);
  padding: 8px 10px; border-radius: 6px; margin: 4px 0 8px; font-size: 13px; }
#docs .turn { border-left: 3px solid var(--line); padding-left: 10px; margin: 10px 0; }
#docs .turn.accepted { border-left-color: #2a7a3b; }
#docs .restart { font-weight: 600; margin-top: 14px; color: var(--accent); }
#docs .tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px;
  background: var(--soft); border: 1px solid var(--line); margin-left: 6px; }
"""

# The viewer. No `//` comments and no URLs: the page must hold nothing that looks like a fetch.
VIEW_SCRIPT = r"""
(function () {
  var D = JSON.parse(document.getElementById('distil-docs').textContent);
  var M = D.models, C = D.constraints, S = D.splits, R = D.records;
  var PAGE = 50, page = 0, shown = [], open = null;
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function fill(select, names, all) {
    select.appendChild(new Option(all, ''));
    names.forEach(function (n, i) { select.appendChild(new Option(n, String(i))); });
  }
  fill($('dv-model'), M, 'every model'); fill($('dv-constraint'), C, 'every constraint');
  fill($('dv-split'), S, 'every split'); fill($('dv-other'), M, 'no second model');
  function ok(r) { return r[4] === 'passed' || r[4] === 'accepted'; }
  function dist(r) { var s = 0; r[13].forEach(function (v) { s += Math.abs(v[2]); }); return s; }
  function num(x, d) { return x === null || x === undefined ? '\u2014' : (+x).toFixed(d); }
  function apply() {
    var fm = $('dv-model').value, fc = $('dv-constraint').value, fs = $('dv-split').value;
    var failing = $('dv-failing').checked, q = $('dv-q').value.toLowerCase();
    shown = [];
    R.forEach(function (r, i) {
      if (fm !== '' && r[1] !== +fm) return;
      if (fs !== '' && r[2] !== +fs) return;
      if (failing && ok(r)) return;
      if (fc !== '' && !r[13].some(function (v) { return v[0] === +fc && (!failing || !v[1]); })) return;
      if (q && (r[0] + '\n' + (r[5] || '') + '\n' + (r[10] || '')).toLowerCase().indexOf(q) < 0) return;
      shown.push(i);
    });
    if ($('dv-sort').value === 'distance') {
      shown.sort(function (a, b) { return dist(R[b]) - dist(R[a]); });
    }
    page = 0; list();
  }
  function list() {
    var body = $('dv-rows'); body.textContent = '';
    shown.slice(page * PAGE, page * PAGE + PAGE).forEach(function (i) {
      var r = R[i], tr = el('tr');
      tr.appendChild(el('td', r[0])); tr.appendChild(el('td', M[r[1]]));
      tr.appendChild(el('td', r[3] ? 'generate' : 'evaluate'));
      tr.appendChild(el('td', r[4], ok(r) ? 'pass' : 'fail'));
      tr.appendChild(el('td', num(dist(r), 1)));
      tr.appendChild(el('td', (r[5] || r[10] || '').slice(0, 90)));
      tr.onclick = function () { show(i); };
      body.appendChild(tr);
    });
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    $('dv-count').textContent = shown.length + ' of ' + R.length + ' records \u00b7 page ' +
      (page + 1) + ' of ' + pages;
  }
  function verdicts(vs) {
    var t = el('table'), h = el('tr');
    ['constraint', 'verdict', 'measured', 'bounds', 'distance', 'feedback'].forEach(function (x) {
      h.appendChild(el('th', x)); });
    t.appendChild(h);
    vs.forEach(function (v) {
      var tr = el('tr'), m = v[3] || {}, shownM = [], b = '';
      Object.keys(m).forEach(function (k) {
        if (k !== 'min' && k !== 'max' && k !== 'target' && typeof m[k] !== 'object') shownM.push(k + '=' + m[k]);
      });
      if ('min' in m || 'max' in m) b = (m.min === undefined || m.min === null ? '-inf' : m.min) +
        '..' + (m.max === undefined || m.max === null ? 'inf' : m.max);
      tr.appendChild(el('td', C[v[0]])); tr.appendChild(el('td', v[1] ? 'pass' : 'FAIL', v[1] ? 'pass' : 'fail'));
      tr.appendChild(el('td', shownM.join(', '))); tr.appendChild(el('td', b));
      tr.appendChild(el('td', (v[2] > 0 ? '+' : '') + v[2])); tr.appendChild(el('td', v[4] || ''));
      t.appendChild(tr);
    });
    return t;
  }
  function pane(r) {
    var p = el('div', null, 'pane');
    p.appendChild(el('h3', r[0] + ' \u00b7 ' + M[r[1]]));
    p.appendChild(el('div', (r[3] ? 'generate' : 'evaluate') + ' \u00b7 ' + S[r[2]] + ' \u00b7 ' + r[4] +
      ' \u00b7 latency ' + num(r[6], 3) + ' s \u00b7 tokens ' + r[7] + ' in / ' + r[8] + ' out' +
      ' \u00b7 finish_reason ' + (r[11] || '\u2014') + (r[12] ? ' \u00b7 cached' : '') +
      (r[3] ? ' \u00b7 ' + r[15] + ' attempts' : ''), 'note'));
    if (r[10]) p.appendChild(el('pre', 'error: ' + r[10], 'fail'));
    p.appendChild(el('div', 'output as written', 'note'));
    p.appendChild(el('pre', r[5] === null ? '(no output)' : r[5]));
    p.appendChild(verdicts(r[13]));
    if (r[14]) {
      p.appendChild(el('h3', 'Refine conversation'));
      var last = -1;
      r[14].forEach(function (t, n) {
        if (t[0] !== last) { p.appendChild(el('div', t[0] ? 'restart ' + t[0] + ': a fresh conversation' : 'conversation', 'restart')); last = t[0]; }
        var d = el('div', null, 'turn' + (t[7] ? ' accepted' : '')), head = el('div', 'attempt ' + (n + 1) + ' (round ' + t[1] + ')');
        if (t[7]) head.appendChild(el('span', 'accepted', 'tag'));
        d.appendChild(head);
        t[2].forEach(function (m) { d.appendChild(el('div', m[0] === 'user' && t[1] > 0 ? 'feedback turn (user)' : m[0], 'note')); d.appendChild(el('pre', m[1])); });
        d.appendChild(el('div', 'assistant', 'note'));
        d.appendChild(el('pre', t[5] ? 'error: ' + t[5] : t[3]));
        if (t[4].length) d.appendChild(verdicts(t[4]));
        p.appendChild(d);
      });
    }
    return p;
  }
  function show(i) {
    open = i; var r = R[i], box = $('dv-detail'); box.textContent = '';
    box.appendChild(pane(r));
    var other = $('dv-other').value;
    if (other !== '' && +other !== r[1]) {
      var twin = R.filter(function (x) { return x[0] === r[0] && x[1] === +other && x[3] === r[3]; })[0];
      box.appendChild(twin ? pane(twin) : el('div', M[+other] + ' has no record for ' + r[0], 'pane note'));
    }
    box.scrollIntoView();
  }
  ['dv-model', 'dv-constraint', 'dv-split', 'dv-failing', 'dv-sort'].forEach(function (id) { $(id).onchange = apply; });
  $('dv-q').oninput = apply;
  $('dv-other').onchange = function () { if (open !== null) show(open); };
  $('dv-prev').onclick = function () { if (page > 0) { page--; list(); } };
  $('dv-next').onclick = function () { if ((page + 1) * PAGE < shown.length) { page++; list(); } };
  apply();
  $('docs').setAttribute('data-first-render-ms', String(Math.round(performance.now())));
})();
"""

CONTROLS = """
<section id="docs">
<h2>Documents</h2>
<p class="note">Every evaluated answer and every generated document: click one to see what was
written, each constraint's verdict and, for generated documents, the refine conversation.</p>
<div class="bar">
<label><input type="checkbox" id="dv-failing"> failing only</label>
<select id="dv-model" aria-label="model"></select>
<select id="dv-constraint" aria-label="constraint"></select>
<select id="dv-split" aria-label="split"></select>
<input type="search" id="dv-q" placeholder="search text or id" aria-label="search">
<select id="dv-sort" aria-label="sort"><option value="">in order</option>
<option value="distance">by distance, farthest first</option></select>
<select id="dv-other" aria-label="side by side with"></select>
</div>
<table class="list"><thead><tr><th>document</th><th>model</th><th>stage</th><th>status</th>
<th>|distance|</th><th>output</th></tr></thead><tbody id="dv-rows"></tbody></table>
<div class="bar"><button id="dv-prev">previous</button><button id="dv-next">next</button>
<span id="dv-count" class="note"></span></div>
<div id="dv-detail" class="detail"></div>
</section>
"""


def compact(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The records as lists, models, constraints and splits by index: about half the bytes of
    the same records as objects."""
    models: dict[str, int] = {}
    constraints: dict[str, int] = {}
    splits: dict[str, int] = {}

    def index(table: dict[str, int], name: Any) -> int:
        return table.setdefault(str(name), len(table))

    def verdicts(vs: list[dict[str, Any]]) -> list[Any]:
        return [[index(constraints, v["constraint"]), int(v["passed"]), v["distance"],
                 v["measured"], v["feedback"]] for v in vs]

    rows = []
    for r in records:
        turns = 0
        if r.get("conversation"):
            turns = [[t["restart"], t["round"], [[m["role"], m["content"]] for m in t["sent"]],
                      t["output"], verdicts(t["verdicts"]), t["error"], t["finish_reason"],
                      int(t["accepted"])] for t in r["conversation"]]
        rows.append([r["doc_id"], index(models, r["model"]), index(splits, r["split"]),
                     int(r["stage"] == "generate"), r["status"], r["output"], r["latency"],
                     r["prompt_tokens"], r["completion_tokens"], r["cost"], r["error"],
                     r["finish_reason"], int(bool(r["cached"])), verdicts(r["verdicts"]),
                     turns, r["attempts"]])
    return {"models": list(models), "constraints": list(constraints), "splits": list(splits),
            "records": rows}


def _finite(value: Any) -> Any:
    """inf and nan (a distance or figure no constraint should give, but a plugin might) as
    null: JSON.parse refuses them, and one such figure must not blank the whole section."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def embedded_json(data: Any) -> str:
    """JSON safe inside a <script> element: no `</` can close it, no `<!--` open a comment."""
    text = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def section(records: list[dict[str, Any]]) -> str:
    """The documents section (controls, embedded data, viewer); empty without records."""
    if not records:
        return ""
    return (f"<style>{VIEW_STYLE}</style>{CONTROLS}"
            f'<script type="application/json" id="distil-docs">{embedded_json(compact(records))}'
            f"</script><script>{VIEW_SCRIPT}</script>")


def run_documents(run_dir: Path) -> list[dict[str, Any]]:
    """The run's records, from its store; none when the folder holds no store (a report
    rendered from a results.json alone)."""
    from distil.results.documents import documents, open_run_store
    from distil.engine.rundir import STORE

    if not (Path(run_dir) / STORE).is_file():
        return []
    store = open_run_store(Path(run_dir))
    try:
        return documents(store)
    finally:
        store.close()
