// Récepteur de webhooks pour le lab : affiche chaque notification d'Alertmanager
// sur une ligne lisible, puis le JSON brut. Le chemin de l'URL indique le récepteur
// (/astreinte, /equipe-dev...) pour voir le routage à l'œuvre.
'use strict'

const http = require('node:http')

http
  .createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      try {
        const msg = JSON.parse(body)
        for (const alert of msg.alerts || []) {
          const l = alert.labels || {}
          console.log(
            `[${new Date().toISOString()}] ${req.url.replace('/', '')} <- ${alert.status} ${l.alertname} severity=${l.severity || '-'} instance=${l.instance || '-'} : ${(alert.annotations || {}).summary || ''}`,
          )
        }
      } catch {
        console.log(`[${new Date().toISOString()}] corps non JSON reçu sur ${req.url}`)
      }
      res.writeHead(200)
      res.end('ok\n')
    })
  })
  .listen(8080, '0.0.0.0', () => console.log('webhook à l\'écoute sur le port 8080'))

process.on('SIGTERM', () => process.exit(0))
