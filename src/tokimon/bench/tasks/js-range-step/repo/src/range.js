'use strict';

/**
 * The numbers from start (included) to stop (excluded), step apart, as Python's range:
 * range(stop) counts from 0; a negative step counts down; a step of 0 is a RangeError.
 */
function range(start, stop, step = 1) {
  const out = [];
  for (let n = start; n < stop - step; n += step) {
    out.push(n);
  }
  return out;
}

module.exports = { range };
