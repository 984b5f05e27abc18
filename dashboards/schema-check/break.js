#!/usr/bin/env node
// Usage: node break.js DASHBOARD.json OUT_DIR
//
// Writes broken copies of a valid dashboard into OUT_DIR, one file per way of breaking it, for
// check.sh to prove that check.js rejects each one. The first ones break Grafana's schema, the
// others only our own rules.
'use strict';

const fs = require('fs');
const path = require('path');

const breakages = {
  // Grafana's schema.
  'unknown-panel-property': (d) => { firstPanel(d).bogusOption = true; },
  'schema-version-as-text': (d) => { d.schemaVersion = String(d.schemaVersion); },
  'panel-without-type': (d) => { delete firstPanel(d).type; },
  'unknown-variable-type': (d) => { d.templating.list[1].type = 'prometheus'; },
  'grid-pos-without-size': (d) => { firstPanel(d).gridPos = { x: 0, y: 0 }; },
  // Our rules.
  'schema-version-38': (d) => { d.schemaVersion = 38; },
  'no-job-variable': (d) => { d.templating.list = d.templating.list.filter((v) => v.name !== 'job'); },
  'no-datasource-variable': (d) => { d.templating.list = d.templating.list.filter((v) => v.name !== 'datasource'); },
  'duplicate-panel-id': (d) => { firstPanel(d).id = d.panels[0].id; },
  'fixed-datasource': (d) => { firstPanel(d).datasource = { type: 'prometheus', uid: 'my-prometheus' }; },
};

/** The first panel that is not a row. */
function firstPanel(d) {
  return d.panels.find((p) => p.type !== 'row');
}

const [src, out] = process.argv.slice(2);
const original = fs.readFileSync(src, 'utf8');
for (const [name, breakIt] of Object.entries(breakages)) {
  const d = JSON.parse(original);
  breakIt(d);
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(d, null, 2));
}
console.log(`${Object.keys(breakages).length} broken copies of ${path.basename(src)} in ${out}`);
