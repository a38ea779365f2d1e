'use strict';

/** The n best players ({name, score}), best first. */
function topPlayers(players, n) {
  const scores = players.map((p) => p.score).sort().reverse();
  const cut = scores.slice(0, n);
  return players.sort((a, b) => cut.indexOf(a.score) - cut.indexOf(b.score)).slice(0, n);
}

module.exports = { topPlayers };
