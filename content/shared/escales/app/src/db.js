// Accès à PostgreSQL : un pool de connexions, la création du schéma au démarrage
// et les deux requêtes de l'API.
'use strict'
const { Pool } = require('pg')
const { dbDelayMs } = require('./config')

const pool = new Pool({ max: 5, connectionTimeoutMillis: 3000 })
pool.on('error', (err) => console.error('[db] connexion perdue :', err.message))

const escalesDeDepart = [
  ['Marseille', 'France'],
  ['Gênes', 'Italie'],
  ['Barcelone', 'Espagne'],
  ['Tanger', 'Maroc'],
]

// Au démarrage, la base n'est peut-être pas encore prête : on réessaie quelques fois.
async function initialiser({ tentatives = 30, pauseMs = 1000 } = {}) {
  for (let i = 1; ; i++) {
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS escales (
        id SERIAL PRIMARY KEY,
        port TEXT NOT NULL,
        pays TEXT NOT NULL,
        ajoutee_le TIMESTAMPTZ NOT NULL DEFAULT now()
      )`)
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM escales')
      if (rows[0].n === 0) {
        for (const [port, pays] of escalesDeDepart) {
          await pool.query('INSERT INTO escales (port, pays) VALUES ($1, $2)', [port, pays])
        }
      }
      return
    } catch (err) {
      if (i >= tentatives) throw err
      console.log(`[db] base indisponible (${err.message}), nouvel essai ${i}/${tentatives}`)
      await new Promise((r) => setTimeout(r, pauseMs))
    }
  }
}

async function listerEscales() {
  // pg_sleep simule une requête coûteuse : sans cache, chaque appel la paie.
  const { rows } = await pool.query(
    'SELECT id, port, pays, ajoutee_le FROM escales, pg_sleep($1) ORDER BY id',
    [dbDelayMs / 1000],
  )
  return rows
}

async function ajouterEscale(port, pays) {
  const { rows } = await pool.query(
    'INSERT INTO escales (port, pays) VALUES ($1, $2) RETURNING id, port, pays, ajoutee_le',
    [port, pays],
  )
  return rows[0]
}

async function ping() {
  await pool.query('SELECT 1')
}

module.exports = { pool, initialiser, listerEscales, ajouterEscale, ping }
