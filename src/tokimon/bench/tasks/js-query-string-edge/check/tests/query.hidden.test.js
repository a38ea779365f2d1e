'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseQuery } = require('../lib/query.js');

test('plus is a space and escapes are decoded', () => {
  assert.deepEqual(parseQuery('q=a+b&name=Ren%C3%A9e&x%20y=1'), { q: 'a b', name: 'Renée', 'x y': '1' });
});

test('missing values are empty strings', () => {
  assert.deepEqual(parseQuery('flag&empty='), { flag: '', empty: '' });
});

test('repeated keys collect their values in order', () => {
  assert.deepEqual(parseQuery('t=a&u=1&t=b&t=c'), { t: ['a', 'b', 'c'], u: '1' });
});

test('leading question mark and empty pieces are ignored', () => {
  assert.deepEqual(parseQuery('?a=1&&b=2&'), { a: '1', b: '2' });
  assert.deepEqual(parseQuery(''), {});
  assert.deepEqual(parseQuery('?'), {});
});

test('values may hold equals signs', () => {
  assert.deepEqual(parseQuery('token=abc==&e=1=2'), { token: 'abc==', e: '1=2' });
});
