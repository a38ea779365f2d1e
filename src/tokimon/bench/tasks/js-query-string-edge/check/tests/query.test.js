'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseQuery } = require('../lib/query.js');

test('plain fields', () => {
  assert.deepEqual(parseQuery('a=1&b=two'), { a: '1', b: 'two' });
});
