// API de démonstration du cours Quai : aucune dépendance npm, seulement Node.js.
// Elle expose ses métriques au format texte de Prometheus sur /metrics, comme le
// ferait prom-client, pour que le lab fonctionne sans accès au registre npm.
'use strict'

const http = require('node:http')
const fs = require('node:fs')
const os = require('node:os')

const PORT = Number(process.env.PORT || 3000)
const VERSION = process.env.APP_VERSION || '1.0.0'
const ERROR_RATE = Number(process.env.ERROR_RATE || 0.1)
const BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

// Compteur http_requests_total{method,route,status}
const requests = new Map()
// Histogramme http_request_duration_seconds{route}
const durations = new Map()

function countRequest(method, route, status) {
  const key = `method="${method}",route="${route}",status="${status}"`
  requests.set(key, (requests.get(key) || 0) + 1)
}

function observeDuration(route, seconds) {
  let h = durations.get(route)
  if (!h) {
    h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }
    durations.set(route, h)
  }
  BUCKETS.forEach((le, i) => {
    if (seconds <= le) h.buckets[i] += 1
  })
  h.sum += seconds
  h.count += 1
}

function renderMetrics() {
  const lines = []
  lines.push('# HELP http_requests_total Requêtes HTTP traitées, par méthode, route et statut.')
  lines.push('# TYPE http_requests_total counter')
  for (const [labels, value] of requests) lines.push(`http_requests_total{${labels}} ${value}`)

  lines.push('# HELP http_request_duration_seconds Durée de traitement des requêtes HTTP.')
  lines.push('# TYPE http_request_duration_seconds histogram')
  for (const [route, h] of durations) {
    BUCKETS.forEach((le, i) => {
      lines.push(`http_request_duration_seconds_bucket{route="${route}",le="${le}"} ${h.buckets[i]}`)
    })
    lines.push(`http_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${h.count}`)
    lines.push(`http_request_duration_seconds_sum{route="${route}"} ${h.sum.toFixed(6)}`)
    lines.push(`http_request_duration_seconds_count{route="${route}"} ${h.count}`)
  }

  const mem = process.memoryUsage()
  lines.push('# HELP process_resident_memory_bytes Mémoire résidente du processus.')
  lines.push('# TYPE process_resident_memory_bytes gauge')
  lines.push(`process_resident_memory_bytes ${mem.rss}`)
  lines.push('# HELP process_start_time_seconds Date de démarrage du processus (epoch).')
  lines.push('# TYPE process_start_time_seconds gauge')
  lines.push(`process_start_time_seconds ${Math.floor(Date.now() / 1000 - process.uptime())}`)
  lines.push('# HELP app_info Version de l\'application (valeur toujours 1).')
  lines.push('# TYPE app_info gauge')
  lines.push(`app_info{version="${VERSION}"} 1`)
  return lines.join('\n') + '\n'
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body) + '\n')
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Clé d'API des routes d'administration : lue dans un fichier (un secret monté) si
// API_KEY_FILE est défini, sinon dans la variable API_KEY. Relue à chaque requête,
// ce qui permet de la faire tourner sans redémarrer.
function apiKey() {
  if (process.env.API_KEY_FILE) return fs.readFileSync(process.env.API_KEY_FILE, 'utf8').trim()
  return (process.env.API_KEY || '').trim()
}

const routes = {
  '/': async () => [200, { service: 'api-demo', version: VERSION, instance: os.hostname() }],
  // Renvoie 503 si le fichier /tmp/panne existe : pratique pour simuler une instance malade.
  '/health': async () => (fs.existsSync('/tmp/panne') ? [503, { status: 'ko' }] : [200, { status: 'ok' }]),
  '/api/produits': async () => {
    await sleep(5 + Math.random() * 120)
    return [200, { instance: os.hostname(), produits: [{ id: 1, nom: 'clavier' }, { id: 2, nom: 'écran' }] }]
  },
  '/api/lent': async () => {
    await sleep(400 + Math.random() * 1600)
    return [200, { instance: os.hostname(), message: 'réponse lente' }]
  },
  '/api/admin': async (req) => {
    let key
    try {
      key = apiKey()
    } catch (error) {
      return [500, { erreur: `clé d'API illisible (${error.code})` }]
    }
    if (!key) return [503, { erreur: "aucune clé d'API configurée" }]
    return req.headers.authorization === `Bearer ${key}` ? [200, { admin: true, instance: os.hostname() }] : [401, { erreur: 'clé invalide' }]
  },
  '/api/commande': async () => {
    await sleep(20 + Math.random() * 200)
    return Math.random() < ERROR_RATE ? [500, { erreur: 'paiement refusé' }] : [201, { commande: 'enregistrée' }]
  },
}

const server = http.createServer(async (req, res) => {
  const path = (req.url || '/').split('?')[0]
  if (path === '/metrics') {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' })
    res.end(renderMetrics())
    return
  }
  const handler = routes[path]
  const route = handler ? path : 'inconnue'
  const started = process.hrtime.bigint()
  const [status, body] = handler ? await handler(req) : [404, { erreur: 'route inconnue' }]
  sendJson(res, status, body)
  observeDuration(route, Number(process.hrtime.bigint() - started) / 1e9)
  countRequest(req.method, route, status)
})

// Un secret illisible doit se voir au démarrage, pas à la première requête d'administration.
if (process.env.API_KEY_FILE) {
  try {
    apiKey()
  } catch (error) {
    console.error(`impossible de lire API_KEY_FILE=${process.env.API_KEY_FILE} (${error.code})`)
    process.exit(1)
  }
}

server.listen(PORT, '0.0.0.0', () => {
  console.log(`api-demo ${VERSION} à l'écoute sur le port ${PORT} (instance ${os.hostname()})`)
})

// Arrêt propre : Docker envoie SIGTERM avant SIGKILL.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)))
}
