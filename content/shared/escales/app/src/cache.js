// Cache Redis, utilisé selon le motif « cache-aside » : l'application lit d'abord
// le cache, et ne va à la base qu'en cas d'absence (miss), puis remplit le cache.
'use strict'
const { createClient } = require('redis')
const { redisUrl } = require('./config')

const client = createClient({
  url: redisUrl,
  socket: { connectTimeout: 2000, reconnectStrategy: (essais) => Math.min(essais * 200, 2000) },
})
client.on('error', (err) => console.error('[cache] erreur Redis :', err.message))

async function connecter() {
  // On ne bloque pas le démarrage : sans Redis, l'API reste utilisable (sans cache).
  client.connect().catch((err) => console.error('[cache] connexion impossible :', err.message))
}

const disponible = () => client.isReady

// Chaque fonction renvoie null au lieu d'échouer : une panne du cache ralentit
// l'API, elle ne doit pas la casser.
async function lire(cle) {
  if (!disponible()) return null
  try {
    const brut = await client.get(cle)
    return brut === null ? null : JSON.parse(brut)
  } catch (err) {
    console.error('[cache] lecture impossible :', err.message)
    return null
  }
}

// Renvoie true si la valeur a bien été mise en cache.
async function ecrire(cle, valeur, ttlSecondes) {
  if (!disponible()) return false
  try {
    await client.set(cle, JSON.stringify(valeur), { EX: ttlSecondes })
    return true
  } catch (err) {
    console.error('[cache] écriture impossible :', err.message)
    return false
  }
}

async function dureeRestante(cle) {
  if (!disponible()) return null
  try {
    return await client.ttl(cle)
  } catch {
    return null
  }
}

async function invalider(cle) {
  if (!disponible()) return
  try {
    await client.del(cle)
  } catch (err) {
    console.error('[cache] invalidation impossible :', err.message)
  }
}

async function ping() {
  if (!disponible()) throw new Error('Redis non connecté')
  await client.ping()
}

module.exports = { client, connecter, disponible, lire, ecrire, dureeRestante, invalider, ping }
