'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { topPlayers } = require('../leaderboard.js');

test('the best player comes first', () => {
  const players = [{ name: 'ann', score: 5 }, { name: 'bob', score: 7 }];
  assert.equal(topPlayers(players, 1)[0].name, 'bob');
});
