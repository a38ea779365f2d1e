'use strict';

/** The fields of a URL query string ('a=1&b=2') as an object. */
function parseQuery(query) {
  const fields = {};
  for (const piece of query.split('&')) {
    const [key, value] = piece.split('=');
    fields[key] = value;
  }
  return fields;
}

module.exports = { parseQuery };
