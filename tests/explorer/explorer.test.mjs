// The explorer in a real browser (Debian's Chromium driven by playwright-core) against a real
// 4-validator `synod localnet` that this test starts: the page loads, the height rises, a transfer
// sent with synod-wallet shows up and its page opens from the search box, its block's certificate
// and the recipient's state proof check out in the browser, and a killed validator shows as down.
// Screenshots go to $SYNOD_SCREENSHOT_DIR. Run by tests/explorer/run.sh (ctest label `browser`).
//
// Environment: SYNOD_BIN, SYNOD_WALLET_BIN, SYNOD_SCREENSHOT_DIR, CHROMIUM (default
// /usr/bin/chromium). Everything it starts is stopped in `finally`, by PID, also on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const SYNOD = process.env.SYNOD_BIN;
const WALLET = process.env.SYNOD_WALLET_BIN;
const SHOTS = process.env.SYNOD_SCREENSHOT_DIR || join(tmpdir(), 'explorer-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const NODES = 4;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// A base port P with P .. P+2N-1 free (localnet puts node i on P+2i and P+2i+1).
async function freeBasePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 15000);
    let free = true;
    for (let p = base; p < base + 2 * NODES && free; p++) free = await portFree(p);
    if (free) return base;
  }
  throw new Error('no free ports');
}

async function rpc(port, method, params = {}) {
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(5000),
  });
  const answer = await response.json();
  if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result;
}

// Starts `synod localnet` and reads each node's PID and explorer URL from its output.
function startLocalnet(home, basePort) {
  const child = spawn(SYNOD, ['localnet', '--nodes', String(NODES), '--home', home, '--base-port', String(basePort)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const nodes = [];
  let output = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('localnet did not start:\n' + output)), 30000);
    const onData = (chunk) => {
      output += chunk;
      for (const m of output.matchAll(/node(\d+)\s+pid (\d+).*explorer (http:\/\/[\d.]+:(\d+)\/)/g)) {
        nodes[Number(m[1])] = { pid: Number(m[2]), url: m[3], port: Number(m[4]) };
      }
      if (/nodes started/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`localnet exited with ${code}:\n${output}`)));
  });
  return { child, nodes, ready, output: () => output };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Stops what the test started: SIGTERM to localnet (it stops its nodes), then SIGKILL by PID.
async function stopAll(net) {
  if (!net) return;
  const pids = [net.child.pid, ...net.nodes.filter(Boolean).map((n) => n.pid)];
  if (alive(net.child.pid)) process.kill(net.child.pid, 'SIGTERM');
  for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(100);
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
}

async function waitFor(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
}

test('the explorer shows a live local network', { timeout: 100000 }, async () => {
  assert.ok(SYNOD && WALLET, 'SYNOD_BIN and SYNOD_WALLET_BIN must be set');
  mkdirSync(SHOTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'synod-explorer-'));
  let net = null;
  let browser = null;
  let page = null;
  const pageErrors = [];
  try {
    net = startLocalnet(join(dir, 'net'), await freeBasePort());
    await net.ready;
    const [node0, node1] = net.nodes;
    assert.equal(net.nodes.filter(Boolean).length, NODES, net.output());
    for (const node of net.nodes) {
      await waitFor(`${node.url} to answer`, () => rpc(node.port, 'get_status'), 20000);
    }

    // Static files: content types, caching, no traversal.
    const index = await fetch(node0.url);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type'), /^text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const notModified = await fetch(node0.url, { headers: { 'If-None-Match': index.headers.get('etag') } });
    assert.equal(notModified.status, 304);
    assert.equal((await fetch(node0.url + 'explorer/vendor/uPlot.iife.min.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await fetch(node0.url + 'explorer/%2e%2e/%2e%2e/etc/passwd')).status, 404);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && !/Failed to load resource|EventSource/.test(m.text()) && pageErrors.push(m.text()));

    // The overview loads and the height rises without a reload.
    await page.goto(node0.url);
    await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#height')?.textContent || ''), null, { timeout: 15000 });
    const mechanism = await page.locator('.card', { hasText: 'consensus' }).locator('.value').textContent();
    assert.equal(mechanism, 'pbft');
    const first = Number(await page.textContent('#height'));
    await page.waitForFunction((h) => Number(document.querySelector('#height').textContent) >= h + 3, first, { timeout: 20000 });
    await page.waitForSelector('#block-list tbody tr', { timeout: 10000 });
    await page.waitForFunction(() => document.querySelectorAll('#validators tbody tr').length === 4, null, { timeout: 10000 });
    await page.waitForFunction(() => /subscription|polling/.test(document.querySelector('#live-mode')?.textContent), null, { timeout: 10000 });
    await page.screenshot({ path: join(SHOTS, '1-overview.png'), fullPage: true });

    // A transfer with synod-wallet, from validator 0's genesis-funded account to validator 1's.
    const walletHome = join(dir, 'wallet');
    writeFileSync(join(dir, 'password'), 'explorer-test-password\n', { mode: 0o600 });
    const wallet = (...args) => promisify(execFile)(WALLET, ['--home', walletHome, '--endpoint', node0.url,
      '--genesis', join(dir, 'net', 'node0', 'genesis.json'), '--password-file', join(dir, 'password'), '--json', ...args],
    { timeout: 40000 });
    const validators = await rpc(node0.port, 'get_validators');
    await wallet('import-key', '--key-file', join(dir, 'net', 'node0', 'validator_key.json'), '--name', 'v0');
    const sent = JSON.parse((await wallet('send', '--from', 'v0', '--to', validators.validators[1].address, '--amount', '4242', '--fee', '7')).stdout);
    const txid = sent.id || sent.txid || sent.transaction_id;
    assert.match(txid, /^[0-9a-f]{64}$/, JSON.stringify(sent));

    // Its page opens from the search box.
    await page.fill('#search-input', txid);
    await page.press('#search-input', 'Enter');
    await page.waitForFunction((id) => location.hash === `#/tx/${id}`, txid, { timeout: 10000 });
    await page.waitForFunction(() => document.querySelector('#tx-status')?.textContent === 'committed', null, { timeout: 20000 });
    assert.equal(await page.textContent('#tx-amount'), '4,242');
    await page.screenshot({ path: join(SHOTS, '2-transaction.png'), fullPage: true });

    // Its block: the certificate's signatures are checked in the browser.
    await page.click('#tx a[href^="#/block/"]');
    await page.waitForFunction(() => /checked here|NOT VALID/.test(document.querySelector('#cert-verdict')?.textContent || ''), null, { timeout: 10000 });
    assert.match(await page.textContent('#cert-verdict'), /^checked here/);
    assert.equal(await page.locator('#block-txs a', { hasText: txid.slice(0, 16) }).count(), 1);
    await page.screenshot({ path: join(SHOTS, '3-block.png'), fullPage: true });

    // The recipient's account: balance and nonce proven against the state root.
    await page.fill('#search-input', validators.validators[1].address);
    await page.press('#search-input', 'Enter');
    await page.waitForFunction(() => /checked|FAILED/.test(document.querySelector('#proof-verdict')?.textContent || ''), null, { timeout: 10000 });
    assert.equal(await page.textContent('#proof-verdict'), 'checked in this browser');
    assert.ok(await page.locator('#history a', { hasText: txid.slice(0, 16) }).count() >= 1);
    await page.screenshot({ path: join(SHOTS, '4-account.png'), fullPage: true });

    // Killing a validator shows it as down.
    await page.click('a.brand');
    await page.waitForFunction(() => document.querySelectorAll('#validators tbody tr').length === 4, null, { timeout: 10000 });
    const victim = NODES - 1;
    await waitFor('validator 3 up', async () => (await page.textContent(`#validators tr[data-validator="${victim}"] td.up`)) === 'up', 15000);
    process.kill(net.nodes[victim].pid, 'SIGKILL');
    await page.waitForFunction((v) => document.querySelector(`#validators tr[data-validator="${v}"] td.up`)?.textContent === 'down', victim, { timeout: 20000 });
    await page.waitForFunction(() => /is down/.test(document.querySelector('#events')?.textContent), null, { timeout: 5000 });
    // The other three still commit.
    const before = Number(await page.textContent('#height'));
    await page.waitForFunction((h) => Number(document.querySelector('#height').textContent) > h, before, { timeout: 20000 });
    await page.screenshot({ path: join(SHOTS, '5-validator-down.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  } catch (e) {
    if (page) await page.screenshot({ path: join(SHOTS, 'failure.png'), fullPage: true }).catch(() => {});
    if (net) console.error(net.output());
    throw e;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopAll(net);
    rmSync(dir, { recursive: true, force: true });
  }
});
