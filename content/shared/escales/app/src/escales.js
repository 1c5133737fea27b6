// La logique « cache-aside » de la liste des escales, séparée d'Express pour être testable.
'use strict'

const CLE_CACHE = 'escales:liste'

function creerServiceEscales({ db, cache, ttlSecondes, compteur }) {
  async function lister() {
    const enCache = await cache.lire(CLE_CACHE)
    if (enCache !== null) {
      compteur.inc({ result: 'hit' })
      const ttl = await cache.dureeRestante(CLE_CACHE)
      return { source: 'cache', ttl, escales: enCache }
    }
    compteur.inc({ result: 'miss' })
    const escales = await db.listerEscales()
    const misEnCache = await cache.ecrire(CLE_CACHE, escales, ttlSecondes)
    // ttl vaut null quand le cache est indisponible : la prochaine lecture ira aussi en base.
    return { source: 'database', ttl: misEnCache ? ttlSecondes : null, escales }
  }

  async function ajouter(port, pays) {
    const escale = await db.ajouterEscale(port, pays)
    // La liste en cache est désormais fausse : on la supprime plutôt que d'attendre le TTL.
    await cache.invalider(CLE_CACHE)
    return escale
  }

  return { lister, ajouter }
}

module.exports = { creerServiceEscales, CLE_CACHE }
