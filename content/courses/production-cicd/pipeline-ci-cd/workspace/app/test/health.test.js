// Test de fumée de l'API : démarre le serveur sur un port libre et vérifie /health.
// Lancé par `npm test` (node --test), sans aucune dépendance.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert')
const { spawn } = require('node:child_process')
const path = require('node:path')

async function attendre(url, essais = 50) {
  for (let i = 0; i < essais; i++) {
    try {
      return await fetch(url)
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error(`${url} ne répond pas`)
}

test('GET /health répond 200', async () => {
  const port = 20000 + Math.floor(Math.random() * 20000)
  const serveur = spawn(process.execPath, [path.join(__dirname, '..', 'server.js')], {
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  })
  try {
    const res = await attendre(`http://127.0.0.1:${port}/health`)
    assert.strictEqual(res.status, 200)
  } finally {
    serveur.kill()
  }
})

test('une route inconnue répond 404', async () => {
  const port = 20000 + Math.floor(Math.random() * 20000)
  const serveur = spawn(process.execPath, [path.join(__dirname, '..', 'server.js')], {
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  })
  try {
    await attendre(`http://127.0.0.1:${port}/health`)
    const res = await fetch(`http://127.0.0.1:${port}/nulle-part`)
    assert.strictEqual(res.status, 404)
  } finally {
    serveur.kill()
  }
})
