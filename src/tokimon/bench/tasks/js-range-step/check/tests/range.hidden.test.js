'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { range } = require('../src/range.js');

/**
 * range(...args) in a child process, so a range that never ends cannot hang the tests: an
 * array that grows past 10000 items throws there, and the child is killed after 5 s.
 */
function rangeInChild(...args) {
  const module = JSON.stringify(path.join(__dirname, '..', 'src', 'range.js'));
  const call = `require(${module}).range(...${JSON.stringify(args)})`;
  const guard = `const push = Array.prototype.push;
    Array.prototype.push = function (...items) {
      if (this.length > 10000) throw new RangeError('runaway');
      return push.apply(this, items);
    };`;
  const code = `${guard} let out; try { out = { value: ${call} }; } catch (e) { out = { error: e.name }; }
    process.stdout.write(JSON.stringify(out));`;
  const done = spawnSync(process.execPath, ['-e', code], { timeout: 5000, encoding: 'utf8' });
  assert.equal(done.status, 0, `range(${args}) did not end within 5 s (or failed): ${done.stderr}`);
  return JSON.parse(done.stdout);
}

function rangeValue(...args) {
  const out = rangeInChild(...args);
  assert.ok('value' in out, `range(${args}) threw ${out.error}`);
  return out.value;
}

test('stop is excluded, the last step included', () => {
  assert.deepEqual(range(2, 6), [2, 3, 4, 5]);
  assert.deepEqual(range(0, 10, 3), [0, 3, 6, 9]);
  assert.deepEqual(range(0, 9, 3), [0, 3, 6]);
});

test('one argument counts from zero', () => {
  assert.deepEqual(range(5), [0, 1, 2, 3, 4]);
  assert.deepEqual(range(0), []);
});

test('negative steps count down', () => {
  assert.deepEqual(rangeValue(5, 0, -2), [5, 3, 1]);
  assert.deepEqual(rangeValue(0, 5, -1), []);
});

test('a zero step is refused', () => {
  assert.deepEqual(rangeInChild(0, 5, 0), { error: 'RangeError' });
});
