'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { range } = require('../src/range.js');

test('an empty range', () => {
  assert.deepEqual(range(3, 3), []);
});

test('start is included', () => {
  assert.equal(range(2, 6)[0], 2);
});
