// Vérifie les données des horaires. Lancement : node --test
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const traversees = require('../traversees.json')

test('chaque traversée a un départ, une arrivée, une heure HH:MM et une durée positive', () => {
  assert.ok(traversees.length > 0)
  for (const t of traversees) {
    assert.ok(t.depart && t.arrivee, `départ ou arrivée manquant : ${JSON.stringify(t)}`)
    assert.match(t.heure, /^([01]\d|2[0-3]):[0-5]\d$/)
    assert.ok(Number.isInteger(t.duree_min) && t.duree_min > 0)
  }
})
