// Sonde de santé pour l'instruction HEALTHCHECK : sort avec le code 0 si /health
// répond 200 en moins de 2 secondes, 1 sinon. Node 20 fournit fetch : pas besoin de curl.
'use strict'
const port = process.env.PORT || 3000
fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
  .then((reponse) => process.exit(reponse.ok ? 0 : 1))
  .catch(() => process.exit(1))
