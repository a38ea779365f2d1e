'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { topPlayers } = require('../leaderboard.js');

const names = (players) => players.map((p) => p.name);

test('scores compare as numbers', () => {
  const players = [{ name: 'a', score: 9 }, { name: 'b', score: 100 }, { name: 'c', score: 25 }];
  assert.deepEqual(names(topPlayers(players, 3)), ['b', 'c', 'a']);
});

test('ties go alphabetically', () => {
  const players = [{ name: 'zoe', score: 10 }, { name: 'amy', score: 10 }, { name: 'kim', score: 3 }];
  assert.deepEqual(names(topPlayers(players, 2)), ['amy', 'zoe']);
});

test('the given list is left alone', () => {
  const players = [{ name: 'a', score: 1 }, { name: 'b', score: 2 }];
  const before = JSON.stringify(players);
  topPlayers(players, 1);
  assert.equal(JSON.stringify(players), before);
});

test('n larger than the list and zero', () => {
  const players = [{ name: 'a', score: 1 }];
  assert.deepEqual(names(topPlayers(players, 5)), ['a']);
  assert.deepEqual(topPlayers(players, 0), []);
});
