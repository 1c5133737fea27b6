// Toute la configuration vient de l'environnement : la même image tourne en
// développement, en test et en production, seules les variables changent.
'use strict'

function entier(nom, defaut) {
  const brut = process.env[nom]
  if (brut === undefined || brut === '') return defaut
  const valeur = Number.parseInt(brut, 10)
  if (!Number.isFinite(valeur) || valeur < 0) {
    throw new Error(`${nom} doit être un entier positif (reçu : "${brut}")`)
  }
  return valeur
}

module.exports = {
  port: entier('PORT', 3000),
  // PostgreSQL : le module pg lit lui-même PGHOST, PGPORT, PGUSER, PGPASSWORD et PGDATABASE.
  redisUrl: process.env.REDIS_URL || 'redis://cache:6379',
  // Durée de vie, en secondes, de la liste des escales dans Redis.
  cacheTtlSeconds: entier('CACHE_TTL_SECONDS', 30),
  // Latence artificielle ajoutée à la requête SQL, pour rendre visible le gain du cache.
  dbDelayMs: entier('DB_DELAY_MS', 150),
  entier,
}
