'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { range } = require('../src/range.js');

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
  assert.deepEqual(range(5, 0, -2), [5, 3, 1]);
  assert.deepEqual(range(0, 5, -1), []);
});

test('a zero step is refused', () => {
  assert.throws(() => range(0, 5, 0), RangeError);
});
