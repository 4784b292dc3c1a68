// The synod explorer: one page, served by the node, talking only to that node (relative URLs) over
// JSON-RPC (docs/rpc.md). Blocks arrive through the `new_blocks` subscription (server-sent events);
// status, validators and the mempool are read once a second. Pages live in the URL's hash:
// #/ (overview), #/block/<height or hash>, #/tx/<id>, #/account/<address>.
import { verifyAccount, verifyCertificate, blockHash, decodeHeader, hexToBytes, bytesToHex } from './verify.js';

const STATUS_EVERY_MS = 1000;
const CHART_SECONDS = 120;
const BLOCKS_SHOWN = 25;
const EVENTS_SHOWN = 50;

// ---- small helpers -------------------------------------------------------------------------

// h('td', {class: 'x'}, 'text', node...): an element; children are strings or nodes, never HTML.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const $ = (id) => document.getElementById(id);
const short = (hex, n = 10) => (hex && hex.length > n + 4 ? hex.slice(0, n) + '…' : hex || '');
const link = (href, text, title) => h('a', { href, title }, text);
const blockLink = (height) => link(`#/block/${height}`, `#${height}`);
const txLink = (id) => link(`#/tx/${id}`, short(id, 16), id);
const accountLink = (address) => link(`#/account/${address}`, short(address, 18), address);
const amount = (text) => (text === undefined ? '' : BigInt(text).toLocaleString('en-US'));

function ago(ms) {
  if (!ms) return '—';
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 60) return s.toFixed(1) + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  return Math.floor(s / 3600) + ' h ago';
}

const clock = (ms) => new Date(ms).toLocaleTimeString('en-GB');

function table(head, rows, attrs) {
  return h('table', attrs, h('thead', {}, h('tr', {}, head.map((t) => h('th', {}, t)))),
    h('tbody', {}, rows));
}

function field(name, ...value) {
  return h('tr', {}, h('th', {}, name), h('td', {}, ...value));
}

// ---- JSON-RPC ------------------------------------------------------------------------------

class RpcError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.code;
    this.reason = error.data && error.data.reason;
  }
}

let rpcId = 0;
async function post(body) {
  const response = await fetch('.', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

async function rpc(method, params) {
  const answer = await post({ jsonrpc: '2.0', id: ++rpcId, method, params });
  if (answer.error) throw new RpcError(answer.error);
  return answer.result;
}

// One batch; each entry is the result or an RpcError.
async function rpcBatch(calls) {
  if (calls.length === 0) return [];
  const first = rpcId + 1;
  const answers = await post(calls.map(([method, params]) => ({ jsonrpc: '2.0', id: ++rpcId, method, params })));
  const byId = new Map(answers.map((a) => [a.id, a]));
  return calls.map((_, i) => {
    const a = byId.get(first + i);
    if (!a) return new RpcError({ message: 'no answer' });
    return a.error ? new RpcError(a.error) : a.result;
  });
}

// ---- live state ----------------------------------------------------------------------------

const state = {
  status: null,
  statusError: null,
  validators: null, // get_validators
  byKey: new Map(), // validator public key -> validator
  blocks: new Map(), // height -> {height, hash, time_ms, transaction_count, proposer, signers?}
  live: 'connecting', // 'subscription', 'polling', 'connecting'
  events: [], // {time, kind, text}
  seen: new Map(), // validator index -> {up, view}
  lastSigned: new Map(), // validator index -> height of the newest certificate it signed
};

function logEvent(kind, text) {
  state.events.unshift({ time: Date.now(), kind, text });
  state.events.length = Math.min(state.events.length, EVENTS_SHOWN);
  if (route().page === 'overview') renderEvents();
}

function validatorName(key) {
  const v = state.byKey.get(key);
  return v ? v.name || `validator ${v.index}` : short(key);
}

function rememberBlock(summary) {
  if (state.blocks.has(summary.height)) return;
  state.blocks.set(summary.height, summary);
  const newest = Math.max(...state.blocks.keys());
  for (const height of state.blocks.keys()) {
    // keep what the chart's window and the list need, bounded
    if (height < newest - 2000) state.blocks.delete(height);
  }
}

async function fetchBlocks(heights) {
  const wanted = heights.filter((n) => n >= 1 && !state.blocks.has(n)).slice(-BLOCKS_SHOWN * 2);
  // The list needs headers and signers, not every transaction's JSON (a loaded chain has thousands).
  const answers = await rpcBatch(wanted.map((height) => ['get_block', { height, transactions: 'ids' }]));
  for (const block of answers) {
    if (block instanceof Error) continue;
    const signers = block.certificate ? block.certificate.signatures.map((s) => s.validator_index) : [];
    for (const index of signers) {
      state.lastSigned.set(index, Math.max(state.lastSigned.get(index) || 0, block.height));
    }
    rememberBlock({
      height: block.height,
      hash: block.hash,
      time_ms: block.header.time_ms,
      transaction_count: block.header.transaction_count,
      proposer: block.header.proposer,
      signers,
    });
  }
}

async function onNewBlock(event) {
  const newest = state.blocks.size ? Math.max(...state.blocks.keys()) : event.height - 1;
  const missing = [];
  for (let n = Math.max(newest + 1, event.height - BLOCKS_SHOWN); n <= event.height; n++) missing.push(n);
  try {
    await fetchBlocks(missing); // fills gaps and reads each block's certificate signers
  } catch {
    rememberBlock(event);
  }
  if (state.status && event.height > state.status.height) {
    state.status.height = event.height;
    state.status.latest_block_time_ms = event.time_ms;
    state.status.latest_block_hash = event.hash;
  }
  if (route().page === 'overview') {
    renderBlocks();
    renderCards();
    updateChart();
  }
}

// The subscription: subscribe, then read /events/<id>; on failure re-subscribe after a pause, and
// read the chain by polling meanwhile (also when the node does not offer subscriptions).
let source = null;
async function subscribe() {
  try {
    const sub = await rpc('subscribe', { topic: 'new_blocks' });
    source = new EventSource(sub.events_url.replace(/^\//, ''));
    source.addEventListener('new_block', (e) => onNewBlock(JSON.parse(e.data)));
    source.onopen = () => {
      state.live = 'subscription';
      renderCards();
    };
    source.onerror = () => {
      source.close();
      source = null;
      state.live = 'polling';
      setTimeout(subscribe, 2000);
    };
  } catch (e) {
    state.live = 'polling';
    setTimeout(subscribe, e.code === -32601 ? 30000 : 2000);
  }
}

async function pollChain() {
  if (source || !state.status) return;
  const newest = state.blocks.size ? Math.max(...state.blocks.keys()) : 0;
  if (state.status.height > newest) {
    const top = state.status.height;
    await onNewBlock({ height: top, hash: state.status.latest_block_hash,
      time_ms: state.status.latest_block_time_ms, transaction_count: 0, proposer: '' });
  }
}

// Which validators are up, their height and view: this node itself, and each peer that names its
// validator key. Any other validator is judged by the commit certificates: up while it signed one
// of the newest SIGNING_WINDOW blocks, down when it signed none of them. (A certificate holds the
// first quorum of commit votes, so a live validator may miss a few in a row, never twenty.)
const SIGNING_WINDOW = 20;
function validatorRows() {
  const status = state.status;
  const rows = [];
  const withSigners = [...state.blocks.values()].filter((b) => b.signers).map((b) => b.height);
  const newest = withSigners.length ? Math.max(...withSigners) : 0;
  const oldest = withSigners.length ? Math.min(...withSigners) : 0;
  const judged = newest - oldest + 1 >= SIGNING_WINDOW;
  for (const v of state.validators ? state.validators.validators : []) {
    let up = null;
    let height = null;
    let view = null;
    let where = '';
    if (status && status.validator_key === v.public_key) {
      up = true;
      height = status.height;
      view = status.round;
      where = 'this node';
    } else if (status) {
      const peer = (status.peers || []).find((p) => p.validator_key === v.public_key);
      if (peer) {
        up = true;
        height = peer.height ?? null;
        view = peer.view ?? peer.round ?? null;
        where = peer.address;
      } else if ((status.peers || []).some((p) => 'validator_key' in p)) {
        up = false; // peers name their validators, and this one is not connected
      }
    }
    if (up === null && judged) {
      up = (state.lastSigned.get(v.index) || 0) > newest - SIGNING_WINDOW;
      where = up ? 'signing commits' : `no commit signature in the last ${SIGNING_WINDOW} blocks`;
    }
    if (state.statusError) up = null;
    rows.push({ v, up, height, view, where, signed: state.lastSigned.get(v.index) });
  }
  return rows;
}

function watchFaults(previous, status) {
  if (!previous) return;
  if (status.view_changes > previous.view_changes) {
    const n = status.view_changes - previous.view_changes;
    logEvent('fault', `${n === 1 ? 'a view change' : n + ' view changes'} (${status.view_changes} in all), ` +
      `now height ${status.height + 1} view ${status.round}` + (status.leader ? `, primary ${validatorName(status.leader)}` : ''));
  }
  if (status.sync && previous.sync && status.sync.syncing !== previous.sync.syncing) {
    logEvent('info', status.sync.syncing ? `syncing to height ${status.sync.target_height}` : 'caught up');
  }
  if (status.failure && !previous.failure) logEvent('fault', `the node stopped: ${status.failure}`);
  for (const row of validatorRows()) {
    const before = state.seen.get(row.v.index);
    if (before !== undefined && before !== row.up && row.up !== null) {
      logEvent(row.up ? 'info' : 'fault', `${row.v.name || 'validator ' + row.v.index} is ${row.up ? 'up' : 'down'}`);
    }
    if (row.up !== null) state.seen.set(row.v.index, row.up);
  }
}

async function pollStatus() {
  try {
    const status = await rpc('get_status');
    const previous = state.status;
    if (state.statusError) logEvent('info', 'the node answers again');
    state.statusError = null;
    state.status = status;
    if (!state.validators) {
      state.validators = await rpc('get_validators');
      state.byKey = new Map(state.validators.validators.map((v) => [v.public_key, v]));
    }
    watchFaults(previous, status);
    await pollChain();
  } catch (e) {
    if (!state.statusError) logEvent('fault', `the node does not answer: ${e.message}`);
    state.statusError = e.message;
  }
  if (route().page === 'overview') {
    renderCards();
    renderValidators();
  }
}

// ---- overview ------------------------------------------------------------------------------

let chart = null;

function chartData() {
  const now = Math.floor(Date.now() / 1000);
  const xs = [];
  const perSecond = new Array(CHART_SECONDS).fill(0);
  for (let i = 0; i < CHART_SECONDS; i++) xs.push(now - CHART_SECONDS + 1 + i);
  for (const b of state.blocks.values()) {
    const i = Math.floor(b.time_ms / 1000) - (now - CHART_SECONDS + 1);
    if (i >= 0 && i < CHART_SECONDS) perSecond[i] += b.transaction_count;
  }
  const average = perSecond.map((_, i) => {
    const window = perSecond.slice(Math.max(0, i - 9), i + 1);
    return window.reduce((a, b) => a + b, 0) / 10;
  });
  return [xs, perSecond, average];
}

function updateChart() {
  if (chart) chart.setData(chartData());
}

function makeChart(el) {
  if (chart) chart.destroy();
  chart = null;
  if (typeof uPlot === 'undefined') {
    el.append(h('p', { class: 'muted' }, 'the chart library did not load'));
    return;
  }
  const width = Math.max(300, el.clientWidth || 600);
  chart = new uPlot({
    width,
    height: 180,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(5, max * 1.15)] } },
    axes: [{ stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, space: 80 }, { stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, size: 50 }],
    series: [
      {},
      { label: 'tx committed per second', stroke: '#4f9dff', fill: 'rgba(79,157,255,0.15)', width: 1, points: { show: false } },
      { label: '10 s average', stroke: '#f5b041', width: 2, points: { show: false } },
    ],
  }, chartData(), el);
}

function renderCards() {
  const el = $('cards');
  if (!el) return;
  const s = state.status;
  const card = (name, value, id) => h('div', { class: 'card' }, h('div', { class: 'label' }, name), h('div', { class: 'value', id }, value));
  el.replaceChildren(
    card('consensus', s ? s.mechanism : '…'),
    card('chain id', s ? s.chain_id : '…'),
    card('height', s ? s.height : '…', 'height'),
    card('last block', s ? ago(s.latest_block_time_ms) : '…', 'since-last-block'),
    card('mempool', s ? `${s.mempool.size} tx` : '…', 'mempool'),
    card('view', s ? `${s.round}, ${s.view_changes} changes` : '…', 'view'),
    card('this node', state.statusError ? 'not answering' : s ? s.role : '…', 'node-state'),
    card('peers', s ? (s.peers || []).length : '…', 'peers'),
    card('live', state.live, 'live-mode'),
  );
}

function renderValidators() {
  const el = $('validators');
  if (!el || !state.validators) return;
  const rows = validatorRows().map((row) => h('tr', { 'data-validator': row.v.index, class: row.up === false ? 'down' : '' },
    h('td', {}, row.v.index),
    h('td', {}, row.v.name),
    h('td', {}, accountLink(row.v.address)),
    h('td', { class: 'num' }, row.v.power),
    h('td', { class: 'up' }, row.up === null ? h('span', { class: 'unknown' }, 'unknown') : row.up ? h('span', { class: 'ok' }, 'up') : h('span', { class: 'bad' }, 'down')),
    h('td', { class: 'num' }, row.height ?? '—'),
    h('td', { class: 'num' }, row.view ?? '—'),
    h('td', { class: 'num' }, row.signed ? blockLink(row.signed) : '—'),
    h('td', { class: 'muted' }, row.where)));
  el.replaceChildren(table(['#', 'name', 'address', 'power', 'status', 'height', 'view', 'last signed', 'how known'], rows));
  el.append(h('p', { class: 'muted' }, `total power ${state.validators.total_power}, a quorum is ${state.validators.quorum_power}`));
}

function renderBlocks() {
  const el = $('blocks');
  if (!el) return;
  const heights = [...state.blocks.keys()].sort((a, b) => b - a).slice(0, BLOCKS_SHOWN);
  const rows = heights.map((height) => {
    const b = state.blocks.get(height);
    return h('tr', { 'data-height': height },
      h('td', {}, blockLink(height)),
      h('td', {}, clock(b.time_ms)),
      h('td', { class: 'mono' }, link(`#/block/${b.hash}`, short(b.hash, 16), b.hash)),
      h('td', {}, b.proposer ? validatorName(b.proposer) : ''),
      h('td', { class: 'num' }, b.transaction_count),
      h('td', { class: 'num' }, b.signers ? b.signers.length : ''));
  });
  el.replaceChildren(table(['height', 'time', 'hash', 'proposer', 'txs', 'signers'], rows, { id: 'block-list' }));
}

function renderEvents() {
  const el = $('events');
  if (!el) return;
  el.replaceChildren(state.events.length === 0 ? h('p', { class: 'muted' }, 'nothing yet')
    : h('ul', {}, state.events.map((e) => h('li', { class: e.kind }, h('span', { class: 'muted' }, clock(e.time)), ' ', e.text))));
}

function overview(view) {
  view.replaceChildren(
    h('section', { id: 'cards', class: 'cards' }),
    h('section', {}, h('h2', {}, 'Committed transactions per second'), h('div', { id: 'chart' })),
    h('div', { class: 'columns' },
      h('section', {}, h('h2', {}, 'Validators'), h('div', { id: 'validators' })),
      h('section', {}, h('h2', {}, 'View changes and faults'), h('div', { id: 'events' }))),
    h('section', {}, h('h2', {}, 'Latest blocks'), h('div', { id: 'blocks' })));
  renderCards();
  renderValidators();
  renderBlocks();
  renderEvents();
  makeChart($('chart'));
}

// ---- block, transaction and account pages --------------------------------------------------

function notFound(view, what, error) {
  view.replaceChildren(h('h2', {}, what), h('p', { class: 'bad', id: 'not-found' }, error.message));
}

function txRows(transactions) {
  return transactions.map((t) => h('tr', {},
    h('td', { class: 'num' }, t.position),
    h('td', { class: 'mono' }, txLink(t.id)),
    h('td', {}, accountLink(t.transaction.sender)),
    h('td', {}, t.transaction.to ? accountLink(t.transaction.to) : t.transaction.type),
    h('td', { class: 'num' }, amount(t.transaction.amount)),
    h('td', { class: 'num' }, amount(t.transaction.fee))));
}

async function blockPage(view, key) {
  const params = /^\d+$/.test(key) ? { height: Number(key) } : { hash: key };
  let block;
  try {
    block = await rpc('get_block', params);
  } catch (e) {
    return notFound(view, `Block ${key}`, e);
  }
  const hd = block.header;
  const verdict = h('span', { id: 'cert-verdict' }, 'checking…');
  const signers = block.certificate ? block.certificate.signatures : [];
  const signerCells = new Map();
  view.replaceChildren(
    h('h2', {}, `Block ${block.height}`),
    h('p', {}, block.height > 1 ? blockLink(block.height - 1) : '', ' ', blockLink(block.height + 1)),
    h('table', { class: 'fields' }, h('tbody', {},
      field('hash', h('span', { class: 'mono' }, block.hash)),
      field('height', hd.height),
      field('time', new Date(hd.time_ms).toISOString(), ' ', h('span', { class: 'muted' }, ago(hd.time_ms))),
      field('proposer', validatorName(hd.proposer), ' ', accountLink(hd.proposer_address)),
      field('previous hash', hd.height > 1 ? link(`#/block/${hd.previous_hash}`, hd.previous_hash) : hd.previous_hash),
      field('transactions', hd.transaction_count),
      field('transactions root', h('span', { class: 'mono' }, hd.transactions_root)),
      field('state root', h('span', { class: 'mono' }, hd.state_root)),
      field('validator set hash', h('span', { class: 'mono' }, hd.validator_set_hash)),
      field('chain id', hd.chain_id),
      field('engine data', h('span', { class: 'mono' }, hd.engine_data || '(none)')))),
    h('h3', {}, 'Commit certificate'),
    block.certificate
      ? h('div', {},
        h('p', {}, `view ${block.certificate.round}, ${signers.length} signatures: `, verdict),
        table(['#', 'validator', 'power', 'signature'], signers.map((s) => {
          const v = state.validators && state.validators.validators[s.validator_index];
          const cell = h('td', {}, '…');
          signerCells.set(s.validator_index, cell);
          return h('tr', {}, h('td', {}, s.validator_index), h('td', {}, v ? v.name : s.validator),
            h('td', { class: 'num' }, v ? v.power : ''), cell);
        }), { id: 'signers' }))
      : h('p', { class: 'muted' }, 'no certificate stored yet'),
    h('h3', {}, 'Transactions'),
    block.transactions.length
      ? table(['#', 'id', 'from', 'to', 'amount', 'fee'], txRows(block.transactions), { id: 'block-txs' })
      : h('p', { class: 'muted' }, 'none'));
  if (!block.certificate || !state.validators) return;
  const headerBytes = hexToBytes(block.header_hex);
  const hash = await blockHash(headerBytes);
  const hashOk = bytesToHex(hash) === block.hash && decodeHeader(headerBytes).height === BigInt(block.height);
  const cert = await verifyCertificate(hexToBytes(block.certificate_hex), hd.chain_id, hash, state.validators);
  for (const s of cert.signers) {
    const cell = signerCells.get(s.index);
    if (cell) cell.replaceChildren(s.valid === null ? h('span', { class: 'unknown' }, 'not checked') : s.valid ? h('span', { class: 'ok' }, 'valid') : h('span', { class: 'bad' }, 'INVALID'));
  }
  const ok = cert.ok && hashOk;
  verdict.className = ok ? 'ok' : 'bad';
  verdict.textContent = ok
    ? `checked here: the header hashes to this block's hash, signers hold power ${cert.power} ≥ quorum ${cert.quorum}, signatures ${cert.signatures}`
    : 'NOT VALID: ' + [hashOk ? null : 'the header does not hash to the block hash', ...cert.problems].filter(Boolean).join('; ');
}

let txSource = null;

async function txPage(view, id) {
  let tx;
  try {
    tx = await rpc('get_transaction', { id });
  } catch (e) {
    return notFound(view, 'Transaction', e);
  }
  const t = tx.transaction || {};
  view.replaceChildren(
    h('h2', {}, 'Transaction'),
    h('table', { class: 'fields', id: 'tx' }, h('tbody', {},
      field('id', h('span', { class: 'mono' }, tx.id)),
      field('status', h('span', { id: 'tx-status', class: tx.status === 'committed' ? 'ok' : tx.status === 'pending' ? 'unknown' : 'bad' }, tx.status)),
      field('block', tx.height ? blockLink(tx.height) : '—', tx.position !== undefined ? ` position ${tx.position}` : ''),
      field('outcome', tx.outcome || '—'),
      field('type', t.type || '—'),
      field('sender', t.sender ? accountLink(t.sender) : '—'),
      field('receiver', t.to ? accountLink(t.to) : '—'),
      field('amount', h('span', { id: 'tx-amount' }, amount(t.amount))),
      field('fee', amount(t.fee)),
      field('nonce', t.nonce ?? '—'))));
  if (tx.status !== 'pending') return;
  // Wait for the commit: the transaction topic, or polling when subscriptions are not served.
  const again = () => route().page === 'tx' && route().key === id && render();
  try {
    const sub = await rpc('subscribe', { topic: 'transaction', id });
    txSource = new EventSource(sub.events_url.replace(/^\//, ''));
    txSource.addEventListener('transaction', () => again());
    txSource.onerror = () => {
      txSource.close();
      setTimeout(again, 1000);
    };
  } catch {
    setTimeout(again, 1000);
  }
}

async function accountPage(view, address) {
  let account;
  let history;
  try {
    [account, history] = await Promise.all([rpc('get_account', { address }), rpc('get_history', { address, limit: 50 })]);
  } catch (e) {
    return notFound(view, 'Account', e);
  }
  const proofEl = h('div', { id: 'proof' }, 'checking the state proof…');
  view.replaceChildren(
    h('h2', {}, 'Account'),
    h('table', { class: 'fields' }, h('tbody', {},
      field('address', h('span', { class: 'mono' }, account.address)),
      field('balance', h('span', { id: 'balance' }, amount(account.balance))),
      field('nonce', account.nonce),
      field('at height', blockLink(account.height)),
      field('state proof', proofEl))),
    h('h3', {}, 'History'),
    history.entries.length
      ? table(['block', 'position', 'transaction', 'role'], history.entries.map((e) => h('tr', {},
        h('td', {}, blockLink(e.height)), h('td', { class: 'num' }, e.position), h('td', { class: 'mono' }, txLink(e.id)), h('td', {}, e.role))), { id: 'history' })
      : h('p', { class: 'muted' }, 'no transactions'),
    history.more ? h('p', { class: 'muted' }, 'older entries are not shown') : '');
  if (!state.validators) state.validators = await rpc('get_validators');
  const result = await verifyAccount(account, state.validators);
  proofEl.replaceChildren(
    h('strong', { class: result.ok ? 'ok' : 'bad', id: 'proof-verdict' }, result.ok ? 'checked in this browser' : 'FAILED'),
    h('ul', {}, result.steps.map((s) => h('li', { class: s.ok ? 'ok' : 'bad' }, (s.ok ? '✓ ' : '✗ ') + s.what))),
    h('p', { class: 'muted' }, 'against the validator set this node reports (its genesis); SHA-256 and Ed25519 by WebCrypto'));
}

// ---- search and routing --------------------------------------------------------------------

async function search(text) {
  const q = text.trim();
  const say = (message) => {
    $('search-message').textContent = message;
  };
  say('');
  if (/^\d+$/.test(q)) return void (location.hash = `#/block/${q}`);
  if (/^synod1[0-9a-z]+$/i.test(q)) return void (location.hash = `#/account/${q.toLowerCase()}`);
  const hex = q.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) return say('type a height, a block hash, a transaction id or a synod1… address');
  try {
    const [tx, block] = await rpcBatch([['get_transaction', { id: hex }], ['get_block', { hash: hex }]]);
    if (!(tx instanceof Error) && tx.status !== 'unknown') return void (location.hash = `#/tx/${hex}`);
    if (!(block instanceof Error)) return void (location.hash = `#/block/${hex}`);
    say('no block or transaction has that hash');
  } catch (e) {
    say(e.message);
  }
}

function route() {
  const [, page, key] = location.hash.match(/^#\/(block|tx|account)\/([^/]+)$/) || [];
  return page ? { page, key: decodeURIComponent(key) } : { page: 'overview' };
}

async function render() {
  if (txSource) {
    txSource.close();
    txSource = null;
  }
  const view = $('view');
  const { page, key } = route();
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === '#/' && page === 'overview'));
  if (page === 'overview') return overview(view);
  if (chart) chart.destroy();
  chart = null;
  view.replaceChildren(h('p', { class: 'muted' }, 'loading…'));
  if (page === 'block') return blockPage(view, key);
  if (page === 'tx') return txPage(view, key);
  return accountPage(view, key);
}

function start() {
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    search($('search-input').value);
  });
  window.addEventListener('hashchange', render);
  window.addEventListener('resize', () => chart && chart.setSize({ width: Math.max(300, $('chart').clientWidth), height: 180 }));
  render();
  pollStatus().then(() => state.status && fetchBlocks(Array.from({ length: BLOCKS_SHOWN }, (_, i) => state.status.height - i)))
    .then(() => route().page === 'overview' && (renderBlocks(), updateChart()));
  setInterval(pollStatus, STATUS_EVERY_MS);
  setInterval(() => {
    const el = $('since-last-block');
    if (el && state.status) el.textContent = ago(state.status.latest_block_time_ms);
    updateChart();
  }, 250);
  subscribe();
}

start();
