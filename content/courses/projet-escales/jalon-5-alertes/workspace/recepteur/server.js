// Récepteur de notifications du projet : Alertmanager lui envoie ses webhooks en JSON,
// il écrit une ligne par alerte dans ses journaux (docker logs), sous la forme
//   <récepteur> <- <firing|resolved> <nom de l'alerte> ...
// Le chemin de l'URL (/astreinte, /exploitation...) donne le nom du récepteur.
'use strict'
const http = require('node:http')

const serveur = http.createServer((req, res) => {
  const morceaux = []
  req.on('data', (m) => morceaux.push(m))
  req.on('end', () => {
    const recepteur = req.url.replace(/^\//, '') || 'racine'
    let message
    try {
      message = JSON.parse(Buffer.concat(morceaux).toString('utf8'))
    } catch {
      console.log(`${recepteur} : corps illisible (JSON attendu)`)
      res.writeHead(400).end()
      return
    }
    for (const alerte of message.alerts ?? []) {
      const { alertname = '?', severity = '-' } = alerte.labels ?? {}
      const resume = alerte.annotations?.summary ?? ''
      console.log(`${new Date().toISOString()} ${recepteur} <- ${alerte.status} ${alertname} (severity=${severity}) ${resume}`)
    }
    res.writeHead(200).end('reçu\n')
  })
})

serveur.listen(8080, '0.0.0.0', () => console.log('récepteur de notifications à l\'écoute sur le port 8080'))
process.on('SIGTERM', () => serveur.close(() => process.exit(0)))
