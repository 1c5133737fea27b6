// API « traversées » : les horaires des bateaux entre le continent et les îles.
'use strict'
const express = require('express')
const traversees = require('./traversees.json')

const PORT = Number(process.env.PORT || 3000)
const MESSAGE = process.env.MESSAGE || 'Bienvenue à bord'

const app = express()
app.disable('x-powered-by')

app.get('/', (req, res) => {
  res.json({ service: 'traversees', message: MESSAGE, routes: ['/api/traversees', '/health'] })
})

app.get('/api/traversees', (req, res) => {
  const depart = req.query.depart
  const liste = depart ? traversees.filter((t) => t.depart === depart) : traversees
  res.json({ nombre: liste.length, traversees: liste })
})

app.get('/health', (req, res) => {
  res.json({ status: 'ok' })
})

const serveur = app.listen(PORT, '0.0.0.0', () => {
  console.log(`traversees à l'écoute sur le port ${PORT}`)
})

// docker stop envoie SIGTERM : on ferme le serveur proprement au lieu d'attendre le SIGKILL.
process.on('SIGTERM', () => serveur.close(() => process.exit(0)))
