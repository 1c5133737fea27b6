// Tests de la logique de cache, sans base ni Redis : on leur substitue des doublures.
// Lancement : node --test
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { creerServiceEscales, CLE_CACHE } = require('../src/escales')

function doublures() {
  const stock = new Map()
  const appels = { db: 0 }
  const compteur = { valeurs: {}, inc({ result }) { this.valeurs[result] = (this.valeurs[result] || 0) + 1 } }
  const db = {
    async listerEscales() { appels.db++; return [{ id: 1, port: 'Marseille', pays: 'France' }] },
    async ajouterEscale(port, pays) { return { id: 2, port, pays } },
  }
  const cache = {
    async lire(cle) { return stock.has(cle) ? stock.get(cle) : null },
    async ecrire(cle, valeur) { stock.set(cle, valeur); return true },
    async dureeRestante() { return 25 },
    async invalider(cle) { stock.delete(cle) },
  }
  return { stock, appels, compteur, db, cache }
}

test('le premier appel lit la base, le second le cache', async () => {
  const d = doublures()
  const service = creerServiceEscales({ db: d.db, cache: d.cache, ttlSecondes: 30, compteur: d.compteur })
  const premier = await service.lister()
  const second = await service.lister()
  assert.equal(premier.source, 'database')
  assert.equal(second.source, 'cache')
  assert.equal(d.appels.db, 1)
  assert.deepEqual(d.compteur.valeurs, { miss: 1, hit: 1 })
})

test("l'ajout d'une escale invalide le cache", async () => {
  const d = doublures()
  const service = creerServiceEscales({ db: d.db, cache: d.cache, ttlSecondes: 30, compteur: d.compteur })
  await service.lister()
  assert.ok(d.stock.has(CLE_CACHE))
  await service.ajouter('Tunis', 'Tunisie')
  assert.ok(!d.stock.has(CLE_CACHE))
  assert.equal((await service.lister()).source, 'database')
})

test('sans cache disponible, la liste vient de la base et ttl vaut null', async () => {
  const d = doublures()
  d.cache.ecrire = async () => false
  const service = creerServiceEscales({ db: d.db, cache: d.cache, ttlSecondes: 30, compteur: d.compteur })
  const reponse = await service.lister()
  assert.equal(reponse.source, 'database')
  assert.equal(reponse.ttl, null)
})
