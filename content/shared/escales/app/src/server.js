// API « escales » : Express, PostgreSQL pour les données, Redis pour le cache,
// Prometheus pour les métriques.
'use strict'
const express = require('express')
const config = require('./config')
const db = require('./db')
const cache = require('./cache')
const { registre, mesurer, consultationsCache } = require('./metrics')
const { creerServiceEscales } = require('./escales')

const escales = creerServiceEscales({
  db,
  cache,
  ttlSecondes: config.cacheTtlSeconds,
  compteur: consultationsCache,
})

const app = express()
app.disable('x-powered-by')
app.use(express.json())
app.use(mesurer)

// Express 5 transmet déjà les erreurs des fonctions async au gestionnaire d'erreurs ;
// cet adaptateur rend ce comportement explicite (et le garantit aussi avec Express 4).
const asynchrone = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next)

app.get('/', (req, res) => {
  res.json({ service: 'escales', routes: ['/api/escales', '/health', '/metrics'] })
})

app.get('/api/escales', asynchrone(async (req, res) => {
  res.json(await escales.lister())
}))

app.post('/api/escales', asynchrone(async (req, res) => {
  const { port, pays } = req.body || {}
  if (typeof port !== 'string' || typeof pays !== 'string' || !port.trim() || !pays.trim()) {
    return res.status(400).json({ erreur: 'champs "port" et "pays" attendus' })
  }
  res.status(201).json(await escales.ajouter(port.trim(), pays.trim()))
}))

// Santé : la base est indispensable (503 sans elle) ; le cache ne l'est pas
// (l'API fonctionne sans lui, plus lentement) : son absence donne "degraded".
app.get('/health', asynchrone(async (req, res) => {
  const etat = { status: 'ok', database: 'up', cache: 'up' }
  try {
    await db.ping()
  } catch {
    etat.database = 'down'
    etat.status = 'error'
  }
  try {
    await cache.ping()
  } catch {
    etat.cache = 'down'
    if (etat.status === 'ok') etat.status = 'degraded'
  }
  res.status(etat.database === 'up' ? 200 : 503).json(etat)
}))

app.get('/metrics', asynchrone(async (req, res) => {
  res.set('Content-Type', registre.contentType)
  res.send(await registre.metrics())
}))

app.use((req, res) => res.status(404).json({ erreur: 'route inconnue' }))
app.use((err, req, res, next) => {
  console.error('[api] erreur :', err.message)
  res.status(500).json({ erreur: 'erreur interne' })
})

async function demarrer() {
  await cache.connecter()
  await db.initialiser()
  const serveur = app.listen(config.port, '0.0.0.0', () => {
    console.log(`[api] à l'écoute sur le port ${config.port} (TTL du cache : ${config.cacheTtlSeconds} s)`)
  })

  // docker stop envoie SIGTERM au processus principal : on termine proprement
  // les requêtes en cours et on ferme les connexions avant de sortir.
  const arreter = (signal) => {
    console.log(`[api] ${signal} reçu, arrêt en cours`)
    serveur.close(async () => {
      await Promise.allSettled([db.pool.end(), cache.client.isOpen ? cache.client.quit() : null])
      process.exit(0)
    })
    setTimeout(() => process.exit(1), 8000).unref()
  }
  process.on('SIGTERM', arreter)
  process.on('SIGINT', arreter)
}

demarrer().catch((err) => {
  console.error('[api] démarrage impossible :', err.message)
  process.exit(1)
})
