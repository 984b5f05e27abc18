#!/usr/bin/env node
// Usage: node check.js SCHEMA.json DASHBOARD.json...
//
// Validates each dashboard against SCHEMA (the JSON schema generated from the `Dashboard` type of
// @grafana/schema, see check.sh), then checks what the schema cannot say about ours:
// schemaVersion 39 or later; a `datasource` variable of type datasource for prometheus and
// query variables `job` and `instance` (label_values); every panel and query on `${datasource}`;
// panel ids unique across the dashboard, rows' nested panels included; a refId on every target.
// Prints one line per problem and exits 1 if there is any, 0 otherwise.
'use strict';

const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');

const MIN_SCHEMA_VERSION = 39;
const DATASOURCE = '${datasource}';

function main(argv) {
  if (argv.length < 2) {
    console.error('usage: node check.js SCHEMA.json DASHBOARD.json...');
    return 2;
  }
  const [schemaPath, ...files] = argv;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(readJson(schemaPath));
  let failed = 0;
  for (const file of files) {
    const problems = check(file, validate);
    for (const p of problems) console.error(`${path.basename(file)}: ${p}`);
    if (problems.length > 0) failed += 1;
    else console.log(`${path.basename(file)}: ok`);
  }
  console.log(`${files.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Every problem of one dashboard file, as text. */
function check(file, validate) {
  let dash;
  try {
    dash = readJson(file);
  } catch (e) {
    return [`not JSON: ${e.message}`];
  }
  const problems = [];
  if (!validate(dash)) {
    for (const e of validate.errors) {
      const extra = e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : '';
      problems.push(`schema: ${e.instancePath || '/'} ${e.message}${extra}`);
    }
  }
  problems.push(...ourRules(dash));
  return problems;
}

/** What the Grafana schema allows but these dashboards must not do. */
function ourRules(dash) {
  const problems = [];
  if (typeof dash.schemaVersion !== 'number' || dash.schemaVersion < MIN_SCHEMA_VERSION) {
    problems.push(`schemaVersion ${dash.schemaVersion}: must be ${MIN_SCHEMA_VERSION} or later`);
  }
  const vars = new Map(((dash.templating || {}).list || []).map((v) => [v.name, v]));
  const ds = vars.get('datasource');
  if (!ds || ds.type !== 'datasource' || ds.query !== 'prometheus') {
    problems.push('needs a variable `datasource` of type datasource with query "prometheus"');
  }
  for (const name of ['job', 'instance']) {
    const v = vars.get(name);
    if (!v || v.type !== 'query' || !String(v.query).startsWith('label_values(')) {
      problems.push(`needs a query variable \`${name}\` (label_values)`);
    } else if (!usesDatasource(v.datasource)) {
      problems.push(`variable ${name}: datasource must be ${DATASOURCE}`);
    }
  }
  const ids = new Map();
  for (const p of allPanels(dash.panels || [])) {
    const where = `panel ${JSON.stringify(p.title)}`;
    if (ids.has(p.id)) problems.push(`${where}: id ${p.id} already used by ${JSON.stringify(ids.get(p.id))}`);
    ids.set(p.id, p.title);
    if (p.type === 'row') continue;
    if (!usesDatasource(p.datasource)) problems.push(`${where}: datasource must be ${DATASOURCE}`);
    const targets = p.targets || [];
    if (targets.length === 0) problems.push(`${where}: no query`);
    for (const t of targets) {
      if (!t.refId) problems.push(`${where}: a target without refId`);
      if (!t.expr) problems.push(`${where}: target ${t.refId} has no expr`);
      if (!usesDatasource(t.datasource)) problems.push(`${where}: target ${t.refId}: datasource must be ${DATASOURCE}`);
    }
  }
  return problems;
}

function usesDatasource(ref) {
  return Boolean(ref) && ref.type === 'prometheus' && ref.uid === DATASOURCE;
}

/** Top-level panels and the panels nested in rows. */
function allPanels(panels) {
  return panels.flatMap((p) => [p, ...(p.type === 'row' ? p.panels || [] : [])]);
}

process.exitCode = main(process.argv.slice(2));
