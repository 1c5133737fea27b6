#!/bin/sh
# Exécuté en root DANS le conteneur db-pitr, avant le démarrage de PostgreSQL :
#   1. vide le dossier de données ;
#   2. y extrait la sauvegarde de base prise par pg_basebackup ;
#   3. demande une restauration à un instant donné (recovery.signal + paramètres).
# Usage : sh /outils/restaurer-dans-pgdata.sh "2026-11-22 10:42:07.123+00"
set -eu
cible="$1"
donnees="${PGDATA:-/var/lib/postgresql/data}"

rm -rf "${donnees:?}"/* "${donnees:?}"/.[!.]* 2>/dev/null || true
mkdir -p "$donnees"
tar -xzf /archives/base/base.tar.gz -C "$donnees"

# Présence de recovery.signal = « démarre en mode restauration ».
touch "$donnees/recovery.signal"
{
  echo "restore_command = 'cp /archives/wal/%f %p'"
  echo "recovery_target_time = '$cible'"
  echo "recovery_target_action = 'promote'"
} >> "$donnees/postgresql.auto.conf"

chown -R postgres:postgres "$donnees"
chmod 700 "$donnees"
echo "données restaurées dans $donnees, cible : $cible"
