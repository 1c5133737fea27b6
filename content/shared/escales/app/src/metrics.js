// Métriques Prometheus exposées sur /metrics.
'use strict'
const promClient = require('prom-client')

const registre = promClient.register
promClient.collectDefaultMetrics() // process_*, nodejs_* : mémoire, CPU, boucle d'événements...

const requetesHttp = new promClient.Counter({
  name: 'http_requests_total',
  help: 'Nombre de requêtes HTTP traitées, par méthode, route et code de réponse',
  labelNames: ['method', 'route', 'status'],
})

const dureeRequetesHttp = new promClient.Histogram({
  name: 'http_request_duration_seconds',
  help: 'Durée de traitement des requêtes HTTP, en secondes',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
})

const consultationsCache = new promClient.Counter({
  name: 'escales_cache_requests_total',
  help: 'Lectures de la liste des escales, selon que le cache a répondu (hit) ou non (miss)',
  labelNames: ['result'],
})

// Middleware Express : mesure chaque requête quand la réponse est envoyée.
// Le label route vaut le chemin déclaré (/api/escales), jamais l'URL brute,
// pour garder un nombre de séries borné.
function mesurer(req, res, next) {
  const fin = dureeRequetesHttp.startTimer()
  res.on('finish', () => {
    const labels = {
      method: req.method,
      route: req.route ? req.baseUrl + req.route.path : 'non_routee',
      status: String(res.statusCode),
    }
    requetesHttp.inc(labels)
    fin(labels)
  })
  next()
}

module.exports = { registre, mesurer, consultationsCache }
